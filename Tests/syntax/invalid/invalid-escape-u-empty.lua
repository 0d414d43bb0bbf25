x = "ab\u{}"
