-- Loops the tracing JIT compiles, and the ways a trace is left again. Under
-- `-jon -Ohotloop=1` every loop marked "-- trace" forms a trace (the test reads the
-- marks and checks -jv's report); guards that fail after compilation (a value's type, a
-- table's shape or metatable, a comparison going the other way, the loop's end) exit
-- with the frame written back, and the results are luajit's.

-- Numbers and the array part.
local a = {}
for i = 1, 200 do a[i] = i * 0.5 end -- trace
local s = 0
for i = 1, #a do s = s + a[i] % 7 - i / 3 + 2 ^ (i % 4) end -- trace
print(string.format("%.6f", s))

-- Comparisons that go both ways: the side that was not recorded exits.
local evens, odds = 0, 0
for i = 1, 300 do -- trace
  if i % 2 == 0 then evens = evens + i else odds = odds + 1 end
end
print(evens, odds)
local below, above = 0, 0
for i = 1, 300 do -- trace
  if i < 150 then below = below + 1 elseif i >= 250 then above = above + 1 end
end
print(below, above)

-- A value's type changes after the trace formed.
local v = {}
for i = 1, 100 do v[i] = i end -- trace
v[60] = "sixty"
local sum, seen = 0, 0
for i = 1, 100 do -- trace
  local x = v[i]
  if x == "sixty" then seen = seen + 1 else sum = sum + x end
end
print(sum, seen)

-- A metatable arrives after the loop compiled: a store into a nil slot must call __newindex.
local m = {}
local function fill(t, n, k) for i = 1, n do t[i] = i * k end end -- trace
fill(m, 100, 1)
setmetatable(m, { __newindex = function(t, key, value) rawset(t, key, value * 10) end })
m[50] = nil
fill(m, 100, 2)
print(m[49], m[50], m[51])

-- Another table through the same trace: its array part is shorter.
local short = { 1, 2, 3 }
local function total(t, n) local r = 0 for i = 1, n do r = r + t[i] end return r end -- trace
print(total(a, 150), total(short, 3))

-- Upvalues, open and closed.
local counter = 0
local function bump(n) for i = 1, n do counter = counter + i end end -- trace
bump(100)
print(counter)
local function make()
  local hidden = 0
  return function(n) for i = 1, n do hidden = hidden + 2 end return hidden end -- trace
end
local closed = make()
print(closed(50), closed(50))

-- Globals, and fields with constant keys.
G_total = 0
for i = 1, 100 do G_total = G_total + i end -- trace
print(G_total)
local point = { x = 0, y = 0 }
for i = 1, 100 do point.x = point.x + i; point.y = point.y - 1 end -- trace
print(point.x, point.y)

-- Strings: lengths, equality, values stored in tables (with the table barrier).
local words = { "alpha", "beta", "gamma", "delta" }
local len, betas = 0, 0
for i = 1, 400 do -- trace
  local w = words[i % 4 + 1]
  len = len + #w
  if w == "beta" then betas = betas + 1 end
end
print(len, betas)
local copy = {}
for i = 1, 4 do copy[i] = 0 end
for i = 1, 40 do copy[i % 4 + 1] = words[i % 4 + 1] end -- trace
print(table.concat(copy, ","))

-- Steps down and fractional steps; the loop ends through its own guard.
local down = 0
for i = 100, 1, -3 do down = down + i end -- trace
local frac = 0
for i = 0, 10, 0.25 do frac = frac + i end -- trace
print(down, frac)

-- The same loop run again with the step's sign flipped enters the trace and leaves at once.
local function span(from, to, step) local n = 0 for i = from, to, step do n = n + i end return n end -- trace
print(span(1, 50, 1), span(50, 1, -1), span(1, 50, 2))

-- Entered later with a slot of another type, the trace leaves before its first iteration
-- and the interpreter coerces; entered with a table instead of a number, the same.
local function add(r, n) for i = 1, n do r = r + i end return r end -- trace
print(add(0, 100), add("10", 100), add(0.5, 10))
local function scale(t, n) local k = t for i = 1, n do k = k * 2 end return k end -- trace
local vec = setmetatable({}, { __mul = function(a, b) return a end })
print(scale(1, 10), scale(vec, 3) == vec, scale(3, 4))

-- Booleans and nil in registers, `not`, and `and`/`or`.
local flags = {}
for i = 1, 60 do flags[i] = (i % 3 == 0) end -- trace
local trues, mixed = 0, 0
for i = 1, 60 do -- trace
  local f = flags[i]
  if not f then trues = trues + 0 else trues = trues + 1 end
  mixed = mixed + ((f and 1) or 2)
end
print(trues, mixed)

-- Division and modulo keep Lua's answers for zeros and signs.
local weird = {}
for i = 1, 20 do weird[i] = (i - i) / (i - i) end -- trace
local mods = 0
for i = -20, 20 do mods = mods + i % 3 + (-i) % 4 end -- trace
print(tostring(weird[1]) == tostring(0/0), mods, 1 / (0 * -1))
print("ok")
