local s = x
("a"):rep(3)
