-- Innermost numeric for loops over arrays, and every way out of their fast path: values
-- of other types mid-loop, holes, hash-part keys, metamethods, tables that grow or shrink,
-- errors with their messages and lines, breaks, captured locals, limits near 2^53.

local function dot(a, b)
  local s = 0
  for k = 1, #a do s = s + a[k] * b[k] end
  return s
end

local function sum(t, n)
  local s = 0
  for i = 1, n do s = s + t[i] end
  return s
end

local a, b = {}, {}
for i = 1, 10 do a[i] = i; b[i] = 11 - i end
print("dot", dot(a, b))

-- A numeric string mid-loop: arithmetic coerces it.
local mixed = {1, 2, "3", 4, 5}
print("string", pcall(sum, mixed, 5))
-- A table with __add mid-loop.
local adder = setmetatable({}, {__add = function(x, y) return 100 end})
print("metamethod add", pcall(sum, {1, 2, adder, 4}, 4))
-- A hole: nil in arithmetic is an error naming the field.
print("hole", pcall(sum, {1, 2, nil, 4}, 4))
-- Keys past the array part live in the hash part.
local sparse = {1, 2, 3}
sparse[5] = 5; sparse[4] = 4; sparse[0] = 0
print("hash part", sum(sparse, 5))
local function sumFrom0(t, n)
  local s = 0
  for i = 0, n do s = s + t[i] end
  return s
end
print("from zero", sumFrom0(sparse, 5))
-- __index for missing keys.
local defaults = setmetatable({1, 2}, {__index = function(t, k) return k * 10 end})
print("index", sum(defaults, 5))
local inherited = setmetatable({}, {__index = {7, 8, 9}})
print("index table", sum(inherited, 3))
-- Not a table at all.
print("number", pcall(sum, 42, 3))
print("nil", pcall(sum, nil, 3))
print("string", pcall(sum, "abc", 3))
print("string key read", pcall(function()
  local s = "xyz"
  local n = 0
  for i = 1, 3 do n = n + (s[i] == nil and 1 or 0) end
  return n
end))

-- Stores: growing the array inside the loop, __newindex, and reading back.
local function fill(t, n)
  for i = 1, n do t[i] = i * i end
  return t
end
local grown = fill({}, 20)
print("grown", #grown, grown[1], grown[20])
local logged = {}
local proxy = setmetatable({}, {__newindex = function(t, k, v) logged[#logged + 1] = k .. "=" .. v; rawset(t, k, v) end})
fill(proxy, 3)
print("newindex", table.concat(logged, " "), proxy[3])
local function appendSquares(t, n)
  for i = 1, n do t[#t + 1] = i end
  return #t
end
print("append", pcall(appendSquares, {1, 2}, 3))
local function copyShift(src, dst, n)
  for i = 1, n do dst[i + 1] = src[i] end
  return dst
end
local shifted = copyShift({5, 6, 7}, {}, 3)
print("shift", shifted[1], shifted[2], shifted[4])
-- Shrinking: writing nil mid-loop, then reading the same table.
local function clearAndSum(t, n)
  local s = 0
  for i = 1, n do
    if i == 2 then t[3] = nil end
    local v = t[i]
    if v then s = s + v end
  end
  return s
end
print("clear", clearAndSum({1, 2, 3, 4}, 4))

-- Comparisons of other types mid-loop.
local function countLess(x, y, n)
  local c = 0
  for i = 1, n do if x[i] < y[i] then c = c + 1 end end
  return c
end
print("compare", countLess({1, "b", 3}, {2, "c", 1}, 3))
print("compare error", pcall(countLess, {1, {}, 3}, {2, 2, 1}, 3))
local lt = {__lt = function(p, q) return true end}
print("compare meta", countLess({1, setmetatable({}, lt), 3}, {2, setmetatable({}, lt), 4}, 3))

-- Errors inside the loop: message and line.
local function indexNil(t, n)
  local s = 0
  for i = 1, n do
    s = s + t[i].x
  end
  return s
end
print("error", pcall(indexNil, {{x = 1}, {x = 2}, false}, 3))
print("error", pcall(indexNil, {{x = 1}, {}, {x = 3}}, 3))

-- Breaks, and locals read after the loop.
local function firstAbove(t, limit)
  local found, at = nil, 0
  for i = 1, #t do
    at = i
    if t[i] > limit then found = t[i]; break end
  end
  return found, at
end
print("break", firstAbove({3, 9, 27, 81}, 20))
print("no break", firstAbove({3, 9}, 20))

-- A local a closure captured before the loop, written in the loop.
local function captured(t)
  local last = 0
  local get = function() return last end
  for i = 1, #t do last = t[i] end
  return get()
end
print("captured", captured({4, 5, 6}))

-- Loops with fractional steps, downward loops, and limits near 2^53.
local function stepSum(t)
  local s = 0
  for x = 1, 3, 0.5 do s = s + (t[x] or 0) end
  return s
end
print("fractional", stepSum({10, 20, 30}))
local function down(t)
  local r = 0
  for i = #t, 1, -1 do r = r * 10 + t[i] end
  return r
end
print("down", down({1, 2, 3}))
local function nearEdge(t)
  local n = 0
  for i = 2 ^ 53 - 2, math.huge do
    n = n + (t[1] or 0)
    if n >= 4 then break end
  end
  return n
end
print("edge", nearEdge({1}))

-- The same loop over different kinds of tables, one after the other.
local kinds = {{1, 2, 3}, setmetatable({}, {__index = function() return 1 end}), {1, 2, 3}}
for _, t in ipairs(kinds) do io.write(sum(t, 3), " ") end
print()

-- Globals and upvalues read in the loop.
scale = 3
local offset = 1
local function scaled(t)
  local s = 0
  for i = 1, #t do s = s + t[i] * scale + offset end
  return s
end
print("globals", scaled({1, 2}))
scale = "2"
print("global string", scaled({1, 2}))
scale = nil
print("global nil", pcall(scaled, {1, 2}))

-- Vector arithmetic through metamethods (functions that index arithmetic results).
local V = {}
V.__index = V
V.__add = function(p, q) return setmetatable({x = p.x + q.x}, V) end
local function vsum(vs)
  local acc = setmetatable({x = 0}, V)
  for i = 1, #vs do acc = acc + vs[i] end
  return acc.x
end
print("vectors", vsum({setmetatable({x = 1}, V), setmetatable({x = 2}, V)}))
local function numbersThenVector(vs, n)
  local acc = 0
  for i = 1, n do acc = acc + vs[i] end
  return type(acc) == "table" and acc.x or acc
end
print("mixed vectors", pcall(numbersThenVector, {1, 2, setmetatable({x = 5}, V)}, 3))

-- Builtins computed inline in the loop, and other callees under their names.
local function roots(t, sqrt)
  local s = 0
  for i = 1, #t do s = s + sqrt(t[i]) end
  return s
end
print("sqrt", roots({1, 4, 9}, math.sqrt))
print("sqrt string", roots({1, "4", 9}, math.sqrt))
print("sqrt other", roots({1, 4, 9}, function(x) return x * 2 end))
print("sqrt error", pcall(roots, {1, {}, 9}, math.sqrt))
local function floors(t)
  local s = 0
  for i = 1, #t do s = s + math.floor(t[i]) end
  return s
end
print("floor", floors({1.5, 2.5, 3.5}))
math.floor = function(x) return 0 end
print("floor replaced", floors({1.5, 2.5, 3.5}))
