local a
x y
