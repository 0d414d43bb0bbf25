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
-- error() with a position ends its message at a zero byte (luajit joins them as C strings);
-- without a position, or through assert, the message stays whole.
print(#select(2, pcall(error, "a\0b")))
print(#select(2, pcall(function() error("a\0b") end)))
print(#select(2, pcall(function() error("a\0b", 0) end)))
print(#select(2, pcall(function() assert(false, "a\0b") end)))
print(pcall(coroutine.wrap(function() error(string.format("%c", 2^53) .. "x") end)))
print("ok")
