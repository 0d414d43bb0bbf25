-- Math builtins that compiled code computes inline (sqrt, floor, ceil, abs, sin, cos,
-- tan, exp, log, min, max, fmod), reached as fields, locals and upvalues; the same names
-- bound to other functions; arguments that are not numbers; odd argument and result
-- counts; and tables whose number keys live in the hash part (0, negatives, fractions).
-- lua5.1 differs from luajit in math.min/max with NaN or -0 operands, and
-- in the function name of errors from builtins called in tail position.
local sqrt, floor, ceil, abs = math.sqrt, math.floor, math.ceil, math.abs
local fmt = function(x) return string.format("%.14g", x) end

local function kernel(n)
  local s = 0
  for i = 1, n do
    s = s + math.sqrt(i) + floor(i / 3) + ceil(i / 7) + abs(-i) + math.min(i, 5) + math.max(i, 5)
    s = s + math.fmod(i, 3) + math.sin(i) + math.cos(i) + math.tan(i / 100) + math.exp(i / 50) + math.log(i)
  end
  return s
end
print(fmt(kernel(100)))

-- Signs, NaN and infinities: the builtin's answers.
local nan, inf = 0 / 0, math.huge
print(floor(-0.5), ceil(-0.5), abs(-0), math.fmod(-7, 3), math.fmod(7, -3), math.fmod(5.5, 2))
print(math.min(nan, 1) ~= math.min(nan, 1), math.min(1, nan), math.max(nan, 1) ~= math.max(nan, 1), math.max(1, nan))
print(math.min(-0, 0), math.min(0, -0), math.max(-0, 0), math.max(0, -0))
print(sqrt(-1) ~= sqrt(-1), sqrt(inf), floor(inf), ceil(-inf), math.log(0), math.exp(-inf))
print(math.fmod(1, 0) ~= math.fmod(1, 0), math.fmod(inf, 1) ~= math.fmod(inf, 1), math.fmod(1, inf))

-- Result counts: none, one, several, all, and through a tail call.
local function counts(x)
  math.sqrt(x)
  local a, b, c = math.floor(x)
  local t = {math.abs(-x)}
  return a, b, c, #t, t[1], select("#", math.ceil(x))
end
print(counts(2.5))
local function tail(x) return math.floor(x) end
local function tailLocal(x) return sqrt(x) end
print(tail(3.7), tailLocal(16), select("#", tail(1)))

-- Numeric strings are coerced by the builtin; other values are its errors.
print(sqrt("16"), floor("2.5"), math.max("3", 2))
print(pcall(math.sqrt, "x"))
print(pcall(function() return floor({}) end))
print(pcall(function() local r = math.min(1, nil) return r end))
print(pcall(function() return math.fmod(1) end))

-- Extra or missing arguments go to the builtin.
print(sqrt(4, 99), math.max(1, 5, 3), math.min(4, 2, 8), pcall(math.abs))

-- The same names bound to other functions.
local function shadowed()
  local math = {sqrt = function(x) return "not sqrt " .. x end, floor = print}
  local sqrt = function(x, y) return x, y end
  return math.sqrt(9), sqrt(9), math.floor == print
end
print(shadowed())
local saved = math.sqrt
math.sqrt = function(x) return -x end
print(kernel(3) ~= nil, math.sqrt(4))
math.sqrt = saved
print(math.sqrt(4))

-- Number keys in the hash part: reads, writes, -0 folded to 0, NaN misses.
local t = {}
for i = -3, 3 do t[i] = i * 10 end
t[0.5] = "half"; t[-0] = "zero"
print(t[-3], t[0], t[-0], t[0.5], t[1], t[3], t[4], t[nan], t[2^53])
for i = -3, 3 do t[i] = t[i] ~= nil and i or nil end
local keys = 0
for _ in pairs(t) do keys = keys + 1 end
print(keys, t[-1], t[0])
local perm = {}
for i = 0, 9 do perm[i] = 9 - i end
for i = 0, 4 do perm[i], perm[9 - i] = perm[9 - i], perm[i] end
print(table.concat({perm[0], perm[1], perm[5], perm[9]}, " "))
print(pcall(function() t[nan] = 1 end))

-- __index and __newindex on absent number keys of the hash part.
local log = {}
local proxy = setmetatable({[0] = "present"}, {
  __index = function(_, k) return "default " .. k end,
  __newindex = function(tt, k, v) log[#log + 1] = k; rawset(tt, k, v) end,
})
print(proxy[0], proxy[-1], proxy[0.25])
proxy[0] = "changed"; proxy[-2] = "new"; proxy[-2] = "again"
print(proxy[0], proxy[-2], table.concat(log, ","))
-- type() and the length operator, inline in compiled code.
local kinds = {nil, true, 1.5, "s", {}, print, coroutine.create(print), newproxy()}
local names = {}
for i = 1, 8 do names[i] = type(kinds[i]) end
print(table.concat(names, " "))
local localType = type
local function kindOf(v) return localType(v) end
print(kindOf(kindOf), kindOf(nil), select("#", type(1)), pcall(type))
local savedType = type
type = function() return "replaced" end
print(type(1), kindOf(2))
type = savedType
local proxy = newproxy(true)
getmetatable(proxy).__len = function() return 42 end
local holes = {1, 2, nil, 4}
print(#"", #"abc\0def", #{}, #{1, 2, 3}, #holes == 4 or #holes == 2, #proxy)
local grow = {}
for i = 1, 100 do grow[#grow + 1] = i * 2 end
print(#grow, grow[#grow], pcall(function() return #5 end))
print(pcall(function() local n = nil; return #n end))
-- Numeric builtins whose every result is wanted (the last argument of another call, of a
-- table constructor, of a return), in loops hot enough to trace.
local band, bor, lshift, floor, max = bit.band, bit.bor, bit.lshift, math.floor, math.max
local function count(...) return select("#", ...) end
local acc = 0
for i = 1, 300 do -- trace
  acc = bor(band(acc, 0xffff), lshift(band(i, 15), 4)) + count(floor(i / 2)) + count(max(i, 7), max(1, i))
  local t = {floor(i / 3), max(i, 100)}
  acc = acc + #t + t[1]
end
local function lastResult(x) return floor(x) end
print(acc, count(floor(2.5)), select("#", max(1, 2)), lastResult(7.5), ({math.sin(0)})[1])
print(pcall(function() return count(floor("x")) end))
print(count(lshift("4", 1)), count(bor(1, floor(2.5))))
print("ok")
