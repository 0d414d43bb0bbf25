x = 1 12LL
