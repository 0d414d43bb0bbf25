if x then
else
