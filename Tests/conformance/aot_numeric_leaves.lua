-- Known callees that only compute with numbers (straight-line arithmetic on their
-- parameters and constants, one result) are computed in the caller, also inside the fast
-- copies of numeric loops. The fallbacks: another function in the upvalue, arguments that
-- are not numbers (strings coerced, tables with metamethods, nil), missing and extra
-- arguments, results wanted in other numbers, and -0 and NaN kept as the callee makes them.

local function A(i, j)
  local ij = i + j - 1
  return 1.0 / (ij * (ij - 1) * 0.5 + i)
end
local function poly(x) local y = x return -y * 3 + x % 7 - 2 / x end
local function konst(x) return 1.5 end
local function neg(x) return -x end
local function ratio(a, b) return a / b end
local function power(a, b) return a ^ b end -- not a leaf: `^` calls libm
local function unused(a, b) return b * 2 end

local function av(x, y, n)
  for i = 1, n do
    local a = 0
    for j = 1, n do a = a + x[j] * A(i, j) end -- trace
    y[i] = a
  end
end

local x, y = {}, {}
for i = 1, 40 do x[i] = i % 5 + 1 end
av(x, y, 40)
local s = 0
for i = 1, 40 do s = s + y[i] end
print(string.format("%.12f", s))

-- Every kind of step, in a loop and out of one.
local t = 0
for i = 1, 300 do t = t + poly(i) + konst(i) + neg(i) + ratio(i, 3) + unused(nil, i) end
print(string.format("%.9f", t), poly(5), konst(), neg(0), neg(-0), ratio(0, 0) ~= ratio(0, 0))
print(power(2, 10), ratio(1, 0), ratio(-1, 0), 1 / neg(0))

-- Results wanted: none, one, two (the second nil), all.
local function wants()
  poly(1)
  local a = A(1, 2)
  local b, c = A(1, 2)
  return a, b, c, A(2, 3)
end
print(wants())

-- Arguments of other types: strings are coerced by the callee, tables use their
-- metamethods, nil and missing arguments raise the callee's error.
local mt = { __add = function(p, q) return 10 end, __mul = function(p, q) return 4 end,
             __sub = function(p, q) return 2 end }
local obj = setmetatable({}, mt)
print(A("3", "4"), A(obj, 1), ratio("6", "3"))
print(pcall(A, 2))
print(pcall(A, 2, nil))
print(pcall(function() return ratio({}, 2) end))
local function loop(v)
  local acc = 0
  for i = 1, 200 do
    local w = i == 150 and v or i
    acc = acc + ratio(w, 2)
  end
  return acc
end
print(loop(8), loop("8"), pcall(loop, "eight"))

-- A loop whose argument stops being a number half way: the rest runs the real call.
local mixed = {}
for i = 1, 100 do mixed[i] = i end
mixed[60] = "6"
local total = 0
for i = 1, 100 do total = total + ratio(mixed[i], 4) end
print(total)

-- The upvalue replaced: the callee check sends calls to the new function.
local function user(n)
  local acc = 0
  for i = 1, n do acc = acc + neg(i) end
  return acc
end
print(user(10))
local name = debug.setupvalue(user, 1, function(v) return v * 100 end)
print(name, user(10))
debug.setupvalue(user, 1, "not a function")
print(pcall(user, 3))
print("ok")
