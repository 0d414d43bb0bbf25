-- Constructors whose values are stored by instruction: the copies of the template hold
-- the keys (dead, as LuaJIT's do), and traces store into those slots directly.
local function f(x) return x end
local function show(t)
  local keys = {}
  for k, v in pairs(t) do keys[#keys + 1] = tostring(k) .. "=" .. tostring(v) end
  table.sort(keys)
  print(table.concat(keys, " "))
end

show({a = f(1), b = 2, c = f(3)})
show({x = f(1), y = f(2), z = f(3), w = 4, [1] = f(5), f(6), 7})
show({a = f(nil), b = f(2)})
local t = {p = f(1), q = f(2), r = f(3)}
t.p = nil
t.s = 4
show(t)
print(next({a = f(nil)}))

-- Hot constructors: vectors made in a loop.
local sum = 0
for i = 1, 300 do -- trace
  local v = {x = i, y = i * 2, z = f(i)}
  sum = sum + v.x + v.y + v.z
  if i % 100 == 0 then show(v) end
end
print(sum)

-- A constructor key left nil, then filled by a later store in the loop.
local filled = 0
for i = 1, 300 do -- trace
  local v = {x = f(nil), y = i}
  if i % 3 == 0 then v.x = i end
  if v.x then filled = filled + v.x end
end
print(filled)

-- Objects with metatables built the same way.
local Vec = {}
Vec.__index = Vec
function Vec.dot(a, b) return a.x * b.x + a.y * b.y + a.z * b.z end
local function vec(x, y, z) return setmetatable({x = x, y = y, z = z}, Vec) end
local acc = 0
for i = 1, 300 do -- trace
  local a, b = vec(i, 1, 2), vec(1, i, 3)
  acc = acc + a:dot(b)
end
print(acc)

-- A metamethod name as a constructor key: a later store must reach the metamethod cache.
local mt = {__index = f(nil), name = f("mt")}
local o = setmetatable({}, mt)
local hits = 0
for i = 1, 100 do -- trace
  if o.missing then hits = hits + 1 end
  if i == 50 then mt.__index = function(_, k) return "via " .. k end end
end
print(hits, o.missing, o.other, mt.name)

-- A constructor key left nil in a table with __newindex: each store must call it.
local calls = 0
local guarded = {__newindex = function(t, k, v) calls = calls + 1; rawset(t, k, v * 10) end}
local total = 0
for i = 1, 200 do -- trace
  local p = setmetatable({x = f(nil), y = i}, guarded)
  p.x = i
  p.y = i
  total = total + p.x + p.y
end
print(calls, total)
