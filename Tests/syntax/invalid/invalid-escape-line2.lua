local a = "ok"
local b = "x\yz"
