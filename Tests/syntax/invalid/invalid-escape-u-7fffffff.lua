x = "\u{7FFFFFFF}"
