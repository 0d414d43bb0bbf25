-- Calls inlined into traces, side traces from hot exits, and traces that lead into
-- other traces. Under `-jon -Ohotloop=1 -Ohotexit=1` every loop marked "-- trace" forms
-- a trace; exits inside an inlined function rebuild its frame for the interpreter, a side
-- trace returning from the function it started in goes on in the caller, and the results
-- are luajit's.

-- A Lua function called in a loop: inlined, with a guard on the callee.
local function scale(x, k) return x * k + 1 end
local s = 0
for i = 1, 300 do s = s + scale(i, 3) end -- trace
print(s)

-- Missing arguments are nil, extra ones ignored, missing results nil.
local function pick(a, b, c) if c == nil then return a else return b end end
local function two() return 1, 2 end
local p, q, r = 0, 0, 0
for i = 1, 200 do -- trace
  p = p + pick(i, 2 * i)
  q = q + pick(i, 2 * i, true, "extra")
  local x, y, z = two()
  if z == nil then r = r + x + y end
end
print(p, q, r)

-- A branch inside the callee: the side that was not recorded exits inside the inlined
-- frame; its side trace returns into the loop and leads back into the loop's trace.
local function classify(n)
  if n % 3 == 0 then return "fizz" end
  if n % 5 == 0 then return "buzz" end
  return n
end
local fizz, buzz, other = 0, 0, 0
for i = 1, 600 do -- trace
  local c = classify(i)
  if c == "fizz" then fizz = fizz + 1 elseif c == "buzz" then buzz = buzz + 1 else other = other + c end
end
print(fizz, buzz, other)

-- Calls two deep, and a global function looked up each time.
function deep_add(a, b) return a + b end
local function middle(a) return deep_add(a, 1) * 2 end
local m = 0
for i = 1, 400 do m = m + middle(i) end -- trace
print(m)

-- The callee changes after the trace formed: the guard on it sends the call to the
-- interpreter, which calls the new one.
local calls = 0
for round = 1, 3 do
  for i = 1, 100 do calls = calls + deep_add(i, round) end -- trace
  if round == 2 then deep_add = function(a, b) return a - b end end
end
print(calls)

-- An error inside an inlined function, after the trace formed: the frame it is raised
-- in is the function's, with its line and a traceback through the caller.
local function checked(t, i) return t[i] + 1 end
local data = {}
for i = 1, 100 do data[i] = i end
data[80] = false
local ok, err = pcall(function()
  local total = 0
  for i = 1, 100 do total = total + checked(data, i) end -- trace
  return total
end)
print(ok, err)

-- Nested loops: the inner loop's trace, a side trace from its end that goes around the
-- outer loop and back into the inner loop's trace.
local grid = 0
for i = 1, 60 do
  for j = 1, 30 do grid = grid + i * j % 7 end -- trace
end
print(grid)
local tri = 0
for i = 1, 80 do
  for j = 1, i do tri = tri + j end -- trace
end
print(tri)

-- while and repeat loops around a compiled inner loop.
local w, n = 0, 0
while n < 50 do
  n = n + 1
  local k = 0
  while k < 20 do k = k + 1; w = w + k * n end
end
print(w, n)
local rep = 0
local outer = 0
repeat
  outer = outer + 1
  for j = 1, 25 do rep = rep + (j + outer) % 4 end -- trace
until outer >= 40
print(rep)

-- A hot exit whose side trace itself branches: several generations of side traces.
local buckets = { 0, 0, 0, 0 }
for i = 1, 2000 do -- trace
  local b
  if i % 4 == 0 then b = 1 elseif i % 4 == 1 then b = 2 elseif i % 4 == 2 then b = 3 else b = 4 end
  buckets[b] = buckets[b] + i
end
print(buckets[1], buckets[2], buckets[3], buckets[4])

-- Functions with upvalues, read and written inside the inlined call.
local counter = 0
local function bump(by) counter = counter + by; return counter end
local last = 0
for i = 1, 300 do last = bump(i % 3) end -- trace
print(counter, last)

-- A callee with a loop of its own: its loop gets a trace; the caller's loop does not
-- record through it and still gives luajit's results.
local function sum_to(n) local t = 0 for j = 1, n do t = t + j end return t end -- trace
local acc = 0
for i = 1, 100 do acc = acc + sum_to(i % 10 + 5) end
print(acc)

-- A method call whose receiver's class changes: the side trace from the callee guard
-- starts at the tail call in the dispatcher and goes on in the other method.
local A, B = {}, {}
A.__index = A; B.__index = B
function A:run(x) return x + 1 end
function B:run(x) return x * 2 end
local objs = {}
for i = 1, 10 do objs[i] = setmetatable({}, i % 3 == 0 and B or A) end
local function dispatch(o, x) return o:run(x) end
local poly = 0
for i = 1, 3000 do poly = poly + dispatch(objs[i % 10 + 1], i) end -- trace
print(poly)

-- jit.flush between runs: everything runs again from the interpreter.
jit.flush()
local again = 0
for i = 1, 300 do again = again + scale(i, 2) end -- trace
print(again)
print("ok")
