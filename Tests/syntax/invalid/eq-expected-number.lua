x 1
