x = "a" y = 1 "b"
