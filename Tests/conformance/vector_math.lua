-- Arithmetic on tables with metamethods whose results are indexed (vector math): the same
-- functions run on numbers, then on vectors, then on numbers again, with numeric strings,
-- errors naming the operands, and yields inside the metamethods. (Compiled code has a
-- version of such functions without number speculation, which takes over.)
-- lua5.1 cannot yield from inside a metamethod, which luajit can.
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
V.__mul = function(a, s)
  if type(a) == "number" then a, s = s, a end
  return vec(a.x * s, a.y * s)
end
V.__unm = function(a) return vec(-a.x, -a.y) end
function V:len2() return self.x * self.x + self.y * self.y end
function V:str() return "(" .. self.x .. "," .. self.y .. ")" end

local function describe(v) return type(v) == "table" and v:str() or tostring(v) end

local function step(p, d, t)
  local q = p + d * t
  local r = -(q - p)
  if type(q) == "table" then return q:str(), r.x, (q - p):len2() end
  return q, r
end

print(step(1, 2, 3))
print(step(vec(1, 2), vec(3, 4), 2))
print(step(vec(0, 0), vec(1, 1), 0.5))
print(step(1, 2, 3))
print(step("1", "2", 3))
print(pcall(step, vec(1, 1), nil, 1))
print(pcall(step, {x = 1}, vec(1, 1), 2))

local function sum(list)
  local acc = list[1]
  for i = 2, #list do acc = acc + list[i] end
  return type(acc) == "table" and acc.x + acc.y or acc
end
print(sum({1, 2, 3}), sum({vec(1, 2), vec(3, 4), vec(5, 6)}), sum({4, 5}))

local slow = setmetatable({}, {__add = function(a, b)
  local got = coroutine.yield("adding")
  return vec(got, got)
end})
local function mix(a)
  local r = a + 1
  return r.x + r.y
end
local co = coroutine.wrap(function() return mix(slow) end)
print(co(), co(21))
print(pcall(mix, vec(1, 2)))
print(pcall(mix, 5))
print("ok")
