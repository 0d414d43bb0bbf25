-- Varargs in traces: vararg functions called inlined (their frame moves above the
-- arguments as FUNCV moves it), VARG with fixed and all results, select, {...}, calls and
-- returns passing ... on, loops inside vararg functions (the trace specializes on the
-- vararg count, guarded), and errors raised inside inlined vararg functions.

local function first2(...)
  local a, b = ...
  return a, b
end
local function count(...) return select('#', ...) end
local function pass(...) return ... end
local function pack(...) return { ... } end
local function second(...) return (select(2, ...)) end
local function last(...) return (select(-1, ...)) end
local function withFixed(x, y, ...)
  local n = select('#', ...)
  local z = ...
  return x + (y or 0) + n + (z or 0)
end

local total, counted, packed, seconds, lasts, fixed = 0, 0, 0, 0, 0, 0
for i = 1, 200 do -- trace
  local a, b = first2(i, i + 1, i + 2)
  total = total + a + b
  counted = counted + count(i, nil, i) + count() + count(nil)
  local t = pack(i, i * 2, i * 3)
  packed = packed + #t + t[3]
  seconds = seconds + second(i, i + 10, i + 20)
  lasts = lasts + last(i, i + 5)
  fixed = fixed + withFixed(i) + withFixed(i, 1) + withFixed(i, 2, 3, 4)
  local p, q, r = pass(i, i + 1)
  total = total + p + q + (r or 0)
end
print("inlined", total, counted, packed, seconds, lasts, fixed)

-- f(...) and return f(...): CALLM and CALLMT after VARG, RETM after a call.
local function add3(a, b, c) return a + b + (c or 0) end
local function forward(...) return add3(...) end
local function forwardAll(...) return pass(...) end
local function tailCount(...) return count(1, ...) end
local fwd, all, tails = 0, 0, 0
for i = 1, 200 do -- trace
  fwd = fwd + forward(i, 1) + forward(i, 2, 3)
  local x, y, z = forwardAll(i, i, i)
  all = all + x + y + z
  tails = tails + tailCount(i, i) + tailCount()
end
print("forwarded", fwd, all, tails)

-- A loop inside a vararg function reads its varargs: the trace guards their count, and
-- a call with another count leaves it (a side trace or the interpreter goes on).
local function sumArgs(...)
  local s = 0
  for i = 1, 100 do -- trace
    local a, b, c = ...
    s = s + a + (b or 0) + (c or 0) + select('#', ...)
  end
  return s
end
print("counts", sumArgs(1), sumArgs(1, 2), sumArgs(1, 2, 3), sumArgs(1), sumArgs(4, 5))

local function collect(...)
  local out = {}
  for i = 1, 60 do -- trace
    local t = { ... }
    out[#out + 1] = #t
  end
  return out[1], out[60], #out
end
print("collect", collect(), collect(1, 2, 3), collect(nil, nil))

-- select with a variable index, through the loop.
local function pick(...)
  local s = 0
  for i = 1, select('#', ...) do s = s + select(i, ...) end
  return s
end
local picked = 0
for i = 1, 100 do picked = picked + pick(i, 2, 3) + pick() + pick(i) end
print("pick", picked)

-- Call sites with different argument counts, and a function called with fewer
-- arguments than its fixed parameters.
local function shape(a, b, c, ...)
  return tostring(a) .. tostring(b) .. tostring(c) .. select('#', ...)
end
local shapes = {}
for i = 1, 90 do -- trace
  local k = i % 3
  if k == 0 then shapes[#shapes + 1] = shape(1)
  elseif k == 1 then shapes[#shapes + 1] = shape(1, 2, 3, 4, 5)
  else shapes[#shapes + 1] = shape(1, 2) end
end
print("shapes", shapes[1], shapes[2], shapes[3], #shapes)

-- A vararg metamethod handler.
local proxy = setmetatable({}, { __index = function(...) return select('#', ...) end })
local idx = 0
for i = 1, 100 do idx = idx + proxy.key end -- trace
print("handler", idx)

-- Errors inside inlined vararg functions: the message and the frames are the
-- interpreter's.
local function explode(...)
  local n = select('#', ...)
  if n > 2 then error("too many: " .. n) end
  return n
end
local ok, err = pcall(function()
  local s = 0
  for i = 1, 100 do -- trace
    if i < 90 then s = s + explode(i, i) else s = s + explode(i, i, i) end
  end
  return s
end)
print("error", ok, err)
local function badArith(...)
  local a, b = ...
  return a + b
end
local ok2, err2 = pcall(function()
  local s = 0
  for i = 1, 100 do s = s + badArith(i, i < 80 and i or nil) end -- trace
  return s
end)
print("error", ok2, err2)
-- A vararg iterator, many varargs at once, nil holes, and varargs that grow through
-- tail calls.
local function step(t, i, ...)
  i = i + 1
  if t[i] then return i, t[i], select('#', ...) end
end
local iterated = 0
for round = 1, 30 do
  for i, v, extra in step, { 4, 5, 6 }, 0 do iterated = iterated + i * v + extra end -- trace
end
print("iterator", iterated)
local function many(...) local t = { ... } return #t, t[20], select('#', ...) end
local wide = 0
for i = 1, 100 do -- trace
  local n, last, count = many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, i)
  wide = wide + n + last + count
end
print("wide", wide)
local holes = 0
for i = 1, 100 do holes = holes + count(nil, nil) + count(nil, i, nil) end -- trace
print("holes", holes)
local function grow(n, ...)
  if n == 0 then return select('#', ...) end
  return grow(n - 1, n, ...)
end
local grown = 0
for i = 1, 100 do grown = grown + grow(i % 4) end -- trace
print("grow", grown)

-- The main chunk's own varargs (none here).
local mainCount = 0
for i = 1, 50 do mainCount = mainCount + select('#', ...) end -- trace
print("main", mainCount, ...)
-- unpack(t) with all its results passed on, computed by the trace: the length guarded as
-- seen (it changes: shorter, longer, a hole at the end), nil elements, an empty table, and
-- elements in the hash part.
local up = {1, 2, 3, 4}
local packed, firsts = 0, 0
local function count(...) return select("#", ...) end
for i = 1, 400 do -- trace
  packed = packed + count(unpack(up)) + select("#", unpack({}))
  firsts = firsts + (select(2, unpack(up)) or 0)
  if i == 100 then up[5] = 5 end
  if i == 200 then up[5] = nil; up[4] = nil end
  if i == 300 then up = {10, nil, 30} end
end
print("unpack", packed, firsts)
local sparse = {}
sparse[1], sparse[2], sparse[100] = "a", "b", "c"
local seen = 0
for i = 1, 200 do seen = seen + count(unpack(sparse)) end
print("unpack sparse", seen)
print("ok")
