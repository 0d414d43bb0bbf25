x = "ab\u{48"
