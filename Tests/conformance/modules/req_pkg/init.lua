return { init = true, name = ... }
