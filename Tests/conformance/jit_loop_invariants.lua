-- Loop-invariant code runs once before a compiled loop: what the loop reads but never writes
-- (globals, fields, upvalues, array slots at a fixed index) and the guards on it. Each case
-- changes that memory between runs of the loop, or writes it from inside the loop through
-- another name, and the results must stay the interpreter's.

-- A global function replaced between runs of the same loop.
local function norms(n)
  local s = 0
  for i = 1, n do s = s + math.sqrt(i) end -- trace
  return s
end
local first = norms(100)
local sqrt = math.sqrt
math.sqrt = function(x) return x end
local second = norms(100)
math.sqrt = sqrt
print("global", string.format("%.6f", first), second, string.format("%.6f", norms(100)))

-- A field read in the loop changes type between runs.
local cfg = {scale = 2}
local function scaled(n)
  local s = 0
  for i = 1, n do s = s + i * cfg.scale end -- trace
  return s
end
print("field", scaled(100))
cfg.scale = 0.5
print("field", scaled(100))
cfg.scale = "3"
print("field", pcall(scaled, 100))

-- The same key written through another table that is sometimes this one.
local function through(t, u, n)
  local s = 0
  for i = 1, n do -- trace
    s = s + t.x
    u.x = i
  end
  return s
end
local a, b = {x = 1}, {x = 1}
print("alias", through(a, b, 100), through(a, a, 100), a.x, b.x)

-- An array slot at a fixed index, while the loop writes slots at a moving one.
local function slots(t, k, n)
  local s = 0
  for i = 1, n do -- trace
    s = s + t[k]
    t[i] = i * 2
  end
  return s
end
local arr = {}
for i = 1, 100 do arr[i] = 1 end
print("array", slots(arr, 50, 100), slots(arr, 1, 100))

-- An upvalue read by one closure and written by another inside the loop.
local level = 1
local function get() return level end
local function raise() level = level + 1 end
local total = 0
for i = 1, 100 do -- trace
  total = total + get()
  if i % 10 == 0 then raise() end
end
print("upvalue", total, level)

-- A metatable's __index chain changed between runs.
local Base = {}
Base.__index = Base
function Base.value() return 1 end
local obj = setmetatable({}, Base)
local function sum(n)
  local s = 0
  for i = 1, n do s = s + obj.value() end -- trace
  return s
end
print("method", sum(100))
function Base.value() return 2 end
print("method", sum(100))
rawset(obj, "value", function() return 3 end)
print("method", sum(100))

-- An invariant guard that fails the first time round a loop entered again and again.
local kinds = {1, 2, "x", 4, 5.5}
local count = 0
for r = 1, 5 do
  local v = kinds[r]
  for i = 1, 50 do -- trace
    if type(v) == "number" then count = count + v else count = count + 1 end
  end
end
print("kinds", count)
