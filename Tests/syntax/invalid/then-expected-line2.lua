if x
  == 1 do
end
