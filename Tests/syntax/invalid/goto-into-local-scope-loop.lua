for i = 1, 2 do
  goto skip
  local z = i
  ::skip::
  print(z)
end
