-- The index and variable of integer loops where their fast copies leave: a table read
-- that misses (the slow copy goes on from there), a metamethod, a non-number element, an
-- error, and a break, each checked against the variable's value afterwards; a -0 start.

local function sumUntilHole(t, n)
  local s, last = 0, 0
  for i = 1, n do -- trace
    local v = t[i]
    if v == nil then v = -i end
    s = s + v
    last = i
  end
  return s, last
end
local t = {}
for i = 1, 50 do t[i] = i * 2 end
t[20] = nil
print("holes", sumUntilHole(t, 50))

local proxy = setmetatable({}, { __index = function(_, k) return k * 100 end })
local function mixed(a, n)
  local s = 0
  for i = 1, n, 3 do s = s + a[i] * i end -- trace
  return s
end
local m = {}
for i = 1, 30 do m[i] = i end
print("mixed", mixed(m, 30), mixed(proxy, 30))
m[7] = "8"
print("string element", mixed(m, 30))
m[10] = {}
print("error", pcall(mixed, m, 30))

local function findFirst(a, x)
  local found
  for i = 1, #a do -- trace
    if a[i] == x then found = i break end
  end
  return found
end
print("break", findFirst(m, 22), findFirst(m, 99))

local function down(a)
  local s = 0
  for i = 50, 1, -1 do s = s * 0.5 + (a[i] or i) end -- trace
  return s
end
print("down", down(t))

for i = -0, 2 do io.write(tostring(i), " ") end
print()
local function fromMinusZero(n)
  local s = {}
  for i = -0, n do s[#s + 1] = 1 / i end
  return s[1], s[2]
end
print("minus zero", fromMinusZero(3))
