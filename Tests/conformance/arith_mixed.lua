-- Arithmetic whose operands change type mid-function: numbers, numeric strings and
-- tables with metamethods in the same loops, in vararg functions, with results, errors
-- and yields after the change. (Compiled code specializes arithmetic on numbers.)
local V = {}
V.__index = V
V.__add = function(a, b)
  local x = (type(a) == "table" and a.x or a) + (type(b) == "table" and b.x or b)
  return setmetatable({x = x}, V)
end
V.__unm = function(a) return setmetatable({x = -a.x}, V) end
V.__mod = function(a, b) return "mod" end
local function vec(x) return setmetatable({x = x}, V) end

local function sum(list)
  local s = 0
  for i = 1, #list do s = s + list[i] end
  local t = {}
  for i = 1, 3 do t[i] = i * 2 end
  return s, t[1] + t[2] + t[3]
end
print(sum({1, 2, 3}))
print(sum({1, "2", 3}))
local s, n = sum({1, vec(10), 3})
print(s.x, n)

local function varargs(...)
  local a, b = ...
  local r = a * 2
  local rest = select("#", ...)
  return r, b, rest, ...
end
print(varargs(3, 4, 5))
print(varargs("3", 4))
print(pcall(varargs, {}, 1))

local function negate(x) local y = -x; return y, y end
print(negate(2))
print(negate("2"))
print((negate(vec(5))).x)
print(vec(1) % 2, 7 % "4", "7" % 4)

-- An error after the switch names the right line and variable.
local function late(a)
  local b = a + 1
  local c = nil
  return b + c
end
print(pcall(late, 1))
print(pcall(late, "1"))

-- A yield after the switch.
local co = coroutine.wrap(function(x)
  local y = x + 1
  coroutine.yield(y)
  local z = y * 2
  coroutine.yield(z)
  return "done"
end)
print(co(1), co(), co())
local co2 = coroutine.wrap(function(x)
  local y = x + 1
  coroutine.yield(y)
  return y * 2
end)
print(co2("1"), co2())

-- Loops that keep going after the switch.
local function count(limit, step)
  local total = 0
  for i = 1, limit do
    total = total + step
  end
  return total
end
print(count(5, 1), count(5, "2"), count(3, vec(1)).x)
print("ok")
