function f()
  do
    while x do
    end
