-- Results of a function pcall calls directly, when an operand of its arithmetic is a table
-- with a metamethod (compiled code hands such an activation to the interpreter, which
-- leaves the results where pcall puts its own): found by the differential fuzzer.
local mt = {__mul = function(a, b) return 5 end, __add = function() end}
local a = setmetatable({}, mt)
print(pcall(function() return a * 3 end))
print(pcall(function() return a * 3, 7 end))
print(pcall(function() return 1, a + 3 end))
print(pcall(function() local x = a + 3; return x, 9 end))
print(select("#", pcall(function() return a + 3 end)))
print(xpcall(function() return a * 3, a * 4 end, print))
local ok, x, y = pcall(function(p, q) return p * q, q end, a, 2)
assert(ok == true and x == 5 and y == 2)
local wrapped = coroutine.wrap(function() return pcall(function() return a * 1 end) end)
print(wrapped())
print("ok")
