goto x
