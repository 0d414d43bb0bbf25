-- Tables a trace makes and uses only within itself are sunk: the trace does not make them,
-- and an exit that needs one makes it there, with the stores made before the exit. Every
-- loop below leaves its trace while such a table is live.
local Vec = {}
Vec.__index = Vec
local function vec(x, y, z) return setmetatable({x = x, y = y, z = z}, Vec) end
function Vec.dot(a, b) return a.x * b.x + a.y * b.y + a.z * b.z end
Vec.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y, a.z - b.z) end
local function show(t)
  local keys = {}
  for k, v in pairs(t) do keys[#keys + 1] = tostring(k) .. "=" .. tostring(v) end
  table.sort(keys)
  return table.concat(keys, " ")
end

-- A temporary whose exit keeps it: the exit makes it, with its fields and metatable.
local kept, sum = nil, 0
for i = 1, 400 do -- trace
  local v = vec(i, i * 2, i * 3)
  if i == 350 then kept = v end
  sum = sum + v:dot(v)
end
print(sum, show(kept), getmetatable(kept) == Vec, kept:dot(kept))

-- Temporaries from metamethods, left behind on many iterations.
local o, c = vec(1, 2, 3), vec(0.5, 0.25, 0.125)
local total, seen = 0, {}
for i = 1, 400 do -- trace
  local d = o - c
  if i % 97 == 0 then seen[#seen + 1] = d end
  total = total + d:dot(d)
end
print(total, #seen, show(seen[1]), show(seen[4]), seen[1] ~= seen[2])

-- An exit between the stores of one constructor: the later fields come from the interpreter.
local function pick(i) if i > 300 then return "big" end return i end
local made = {}
for i = 1, 400 do -- trace
  local t = {a = i, b = pick(i), c = i + 1}
  if i % 50 == 0 then made[#made + 1] = show(t) end
end
print(table.concat(made, " | "))

-- A table in a table, both sunk; one stored into itself.
local nested = {}
for i = 1, 400 do -- trace
  local p = {pos = {x = i, y = -i}, name = "p"}
  p.self = p
  if i % 100 == 0 then nested[#nested + 1] = p end
  if p.pos.x ~= i then error("wrong field") end
end
for _, p in ipairs(nested) do
  print(p.pos.x, p.pos.y, p.self == p, p.name, show(p.pos))
end

-- A function trace (it writes its slots as it goes) whose exits need its temporary.
local function spread(i)
  local t = {lo = i - 1, hi = i + 1}
  if i % 64 == 0 then return t end
  return t.hi - t.lo
end
local spreads, tables = 0, 0
for i = 1, 500 do -- trace
  local r = spread(i)
  if type(r) == "table" then tables = tables + 1; spreads = spreads + r.hi else spreads = spreads + r end
end
print(spreads, tables)

-- Loops that also call builtins (their state lives on the stack): a table made before a
-- call is handed to it and stays made; one made after a call is sunk.
local lines = {}
for i = 1, 300 do -- trace
  local t = {n = i, s = tostring(i)}
  if i % 75 == 0 then lines[#lines + 1] = t end
  lines.last = t.s
end
print(#lines, lines[2].n, lines[2].s, lines.last)
local words, count = {}, 0
for i = 1, 300 do -- trace
  local s = tostring(i)
  do
    local t = {n = i, s = s}
    if i % 60 == 0 then words[#words + 1] = t end
    count = count + t.n
  end
  words.last = tostring(i + 1)
end
print(#words, words[3].n, words[3].s, words.last, count)

-- Tables that escape stay made: stored elsewhere, compared, passed on, returned by the loop.
local store, last = {}, nil
for i = 1, 300 do -- trace
  local t = {v = i}
  store[i % 7 + 1] = t
  if t == last then error("same table") end
  last = t
end
print(store[1].v, store[7].v, last.v, rawequal(last, store[300 % 7 + 1]))

-- Objects built by stores into an empty table, the usual constructor: sunk as well, and
-- made by the exits with the keys stored so far, in the order the interpreter stores them.
local Point = {}
Point.__index = Point
local function point(x, y)
  local self = setmetatable({}, Point)
  self.x = x
  if x % 91 == 0 then return self, "early" end
  self.y = y
  return self
end
function Point:len2() return self.x * self.x + self.y * self.y end
local early, late, acc = {}, {}, 0
for i = 1, 400 do -- trace
  local p, how = point(i, 2)
  if how then early[#early + 1] = p
  elseif i % 97 == 0 then late[#late + 1] = p
  else acc = acc + p:len2() end
end
print(acc, #early, #late, show(early[1]), show(late[2]), getmetatable(late[1]) == Point, late[1]:len2())

-- A key chosen at run time, a table stored into itself and into another one.
local names, linked = {"left", "right"}, {}
for i = 1, 300 do -- trace
  local node = {}
  node[names[i % 2 + 1]] = i
  node.me = node
  local box = {}
  box.node = node
  if i % 99 == 0 then linked[#linked + 1] = box end
end
for _, box in ipairs(linked) do print(box.node.left, box.node.right, box.node.me == box.node) end

-- A metatable that gains __newindex while the loop runs: the stores must call it.
local Watched = {}
local calls = 0
for i = 1, 300 do -- trace
  local w = setmetatable({}, Watched)
  w.v = i
  if i == 200 then Watched.__newindex = function(t, k, v) calls = calls + 1; rawset(t, k, v) end end
end
print(calls)

-- Positional constructors: array slots (key 0 among them) and the template's constants.
local arrays, asum = {}, 0
for i = 1, 300 do -- trace
  local v = {i, i * 2, 3, [0] = -i}
  if i % 77 == 0 then arrays[#arrays + 1] = v end
  asum = asum + v[1] + v[2] + v[3] + v[0]
end
print(asum, #arrays, arrays[1][0], arrays[1][1], arrays[1][2], arrays[1][3], #arrays[3])
