x = "ab\qcd"
