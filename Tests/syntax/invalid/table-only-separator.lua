local t = { ; }
