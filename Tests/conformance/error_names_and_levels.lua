-- Error messages and values found by the differential fuzzer: a variable name holding a zero
-- byte ends there (luajit formats it as a C string), and error() with a number message and a
-- level converts it to a string only when the level is a positive 32-bit number.
local t = {}
print(pcall(function() return t["\0z"] + 1 end))
print(pcall(function() return t["a\0b"].c end))
print(pcall(function() t.x["\0"]() end))
print(pcall(error, -0))
print(pcall(error, 5))
print(pcall(error, 2.5, 2^40))
print("ok")
