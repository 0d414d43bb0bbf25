-- CRLF and CR line endings inside strings and long strings are normalized.
local s = [[a
b]]
assert(s == "a\nb")
local t = "x\
y"
assert(t == "x\ny")
local u = [[
c]]
assert(u == "c")
print("ok")
