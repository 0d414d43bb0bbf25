x = "abcdef"
