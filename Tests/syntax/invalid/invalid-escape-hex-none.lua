x = "\xg"
