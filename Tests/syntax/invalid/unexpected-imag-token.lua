x = 1 3i
