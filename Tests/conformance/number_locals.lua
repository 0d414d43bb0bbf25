-- Locals that hold numbers through loops (compiled code keeps them in machine registers):
-- changed by debug.setlocal from a callee, read by the interpreter after a yield or an
-- arithmetic metamethod takes over, loop bounds given as strings, powers, negations and
-- comparisons mixing known numbers with other values.
local function setter(level, index, value) debug.setlocal(level, index, value) end

local function counted()
  local total = 0
  for i = 1, 10 do
    total = total + i
    if i == 5 then setter(2, 1, 1000) end -- level 2 seen from setter: this function
  end
  return total
end
print(counted())

local function yielding(n)
  local acc, scale = 0, 2
  for i = 1, n do
    acc = acc + i * scale
    scale = scale + 0.5
    if i % 3 == 0 then coroutine.yield(acc) end
  end
  return acc, scale
end
local co = coroutine.wrap(yielding)
print(co(10), co(), co(), co())

local V = setmetatable({}, {__add = function(a, b) return 100 end, __unm = function() return "neg" end})
local function takeover(x)
  local s = 1
  for i = 1, 4 do
    s = s * 2
    if i == 3 then s = s + x end
  end
  return s
end
print(takeover(1), takeover(V))

local function bounds(a, b, c)
  local n, last = 0, nil
  for i = a, b, c do n = n + 1; last = i end
  return n, last
end
print(bounds(1, 2, 0.25), bounds(5, 1, -2), bounds(1, 0, 1), bounds(3, 3, 1))
print(pcall(bounds, 1, "x", 1))
print(pcall(bounds, "1", "10", "3"))

local function powers(x)
  local p, q = x ^ 2, -x
  local r = 0
  for i = 1, 3 do r = r + p ^ 0.5 + q end
  return p, q, r, -(-q)
end
print(powers(3))
print(pcall(powers, {}))

local function compare(x, y)
  local a, b = 1, 2
  local out = {}
  for i = 1, 2 do
    a = a + i
    out[#out + 1] = tostring(a < b) .. tostring(a == x) .. tostring(b <= y)
  end
  return table.concat(out, " ")
end
print(compare(2, 2), compare("2", 3), pcall(compare, 2, "y"))

local function moved()
  local a = 1.5
  local b = a
  local c
  for i = 1, 3 do c = b; b = a + i; a = c end
  return a, b, c, -0.0 == 0, 1 / (-0.0 * 1) < 0
end
print(moved())
print("ok")
