-- Key 0 lives in the array part, as in LuaJIT: traversal order, growth and shrinking,
-- constructors, weak values, serialization, and 0-based loops in every engine.
local function show(t)
  local keys = {}
  for k, v in pairs(t) do keys[#keys + 1] = tostring(k) .. "=" .. tostring(v) end
  print(table.concat(keys, " "))
end

-- 0-based fill: key 0 comes first.
local t = {}
for i = 0, 10 do t[i] = i * 2 end -- trace
show(t)
print(#t, t[0], rawget(t, 0), t[-0], t[0.0])

-- Constructors with key 0.
show({[0] = "z", "a", "b", "c"})
show({[0] = "z"})
show({[0] = 1, [1] = 2, [2] = 3})

-- Key 0 alone stays in the hash part; it joins the array part when the array grows.
local w = {}
w[0] = 1
show(w)
w[1] = 2; w[2] = 3; w[3] = 4
show(w)
for i = 3, 0, -1 do w[i] = nil end
w.x = 1
show(w)

-- 0-based loops: reads, writes and swaps through the array part.
local p = {}
for i = 0, 99 do p[i] = i end -- trace
local s = 0
for r = 1, 200 do
  for i = 0, 99 do s = s + p[i] end -- trace
  p[0] = p[0] + 1
end
print(s, p[0], #p)

local function reverse(a, n)
  local i, j = 0, n - 1
  while i < j do
    a[i], a[j] = a[j], a[i]
    i = i + 1; j = j - 1
  end
end
local perm = {}
for i = 0, 9 do perm[i] = i end
for r = 1, 300 do reverse(perm, 1 + r % 10) end
show(perm)

-- Fractional and negative keys next to key 0.
local m = {}
for i = -300, 3000 do m[i] = i end -- trace
m[0.5] = "half"
print(m[-3], m[-1], m[0], m[0.5], m[3], #m)

-- table functions leave key 0 alone.
local q = {[0] = "zero", "a", "b", "c"}
table.insert(q, 1, "first")
table.remove(q)
table.sort(q)
print(q[0], table.concat(q, ","), #q, select("#", unpack(q)))

-- Weak values in the array part, key 0 included.
local e = setmetatable({}, {__mode = "v"})
e[0] = {}; e[1] = {}; e[2] = "kept"
collectgarbage()
print(e[0], e[1], e[2])

-- next from key 0 and from the array's end.
print(next({[0] = 1}))
print(next({[0] = 1, 2}, 0))
print(next({[0] = 1, 2}, 1))

-- A table with holes rehashed: traversal still reaches every key.
local big = {}
for i = 0, 1000 do big[i] = i end -- trace
for i = 0, 1000, 2 do big[i] = nil end -- trace
big.x = 1
collectgarbage()
local n, sum = 0, 0
for k, v in pairs(big) do n = n + 1; if type(v) == "number" then sum = sum + v end end
print(n, sum, big[0], big[1], big[999])

-- Serialization keeps key 0 (string.buffer).
local ok, buffer = pcall(require, "string.buffer")
if ok then
  local copy = buffer.decode(buffer.encode({[0] = "z", "a", "b"}))
  show(copy)
end
