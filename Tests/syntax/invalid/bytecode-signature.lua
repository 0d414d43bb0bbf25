LJ™garbage
