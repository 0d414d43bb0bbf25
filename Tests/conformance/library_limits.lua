-- Library arguments past 32 bits, read as luajit reads them.
print(pcall(function() return unpack({}, -2^62, 2^62) end))
print(select("#", unpack({1, 2}, -2, 1)), unpack({1, 2}, -2, 1))
print(pcall(string.rep, "xx", 2^62))
print(#string.rep("ab", 5, ","), string.rep("ab", 3, ","), string.rep("", 4, "-"), string.rep("x", 0), string.rep("abc", 1, ","))
print(#string.rep("xyz", 100000), string.rep("xyz", 100000):sub(-7))
local function removed(t, ...) local n = select("#", table.remove(t, ...)) return n, #t end
print(removed({1, 2}, 0))
print(removed({1, 2}, 3))
print(removed({1, 2}, -2^62))
print(removed({}, 0))
print(removed({}))
print(removed({1, 2, 3}, 2))
local t = {[0] = 5}
print(removed(t, 0), t[0])
math.randomseed(7)
local ok = true
for _ = 1, 1000 do
  local a, b, c = math.random(0), math.random(3, 1), math.random(2.5)
  local d = math.random(-2^62, 2^62)
  ok = ok and a == 1 and b == 2 and (c == 1 or c == 2 or c == 3) and d >= -2^62 and d <= 2^62 + 1
end
print(ok)
print("ok")
