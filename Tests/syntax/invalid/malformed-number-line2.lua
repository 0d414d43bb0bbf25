local x = 1
local y = 0x1p4z
