goto f
local y
::f::
print(y)
