a:b + 1
