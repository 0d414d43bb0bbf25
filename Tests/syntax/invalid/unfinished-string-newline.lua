x = "abc
"
