-- Locals, upvalues and closures.
-- Closures of one scope share their upvalues.
local function pair()
  local n = 0
  return function() n = n + 1 return n end, function() return n end
end
local inc, get = pair()
inc() inc() inc()
assert(get() == 3)
local inc2, get2 = pair()
inc2()
assert(get2() == 1 and get() == 3)
-- Each loop iteration has a fresh local.
local fs = {}
for i = 1, 5 do fs[i] = function() return i end end
assert(fs[1]() == 1 and fs[5]() == 5)
local ws, k = {}, 0
while k < 3 do k = k + 1 local j = k ws[k] = function() j = j * 10 return j end end
assert(ws[1]() == 10 and ws[1]() == 100 and ws[2]() == 20)
local rs, m = {}, 0
repeat local v = m rs[#rs + 1] = function() return v end m = m + 1 until v >= 2
assert(#rs == 3 and rs[3]() == 2)
for key, val in pairs({ a = 1 }) do fs.kv = function() return key .. val end end
assert(fs.kv() == "a1")
-- The loop variable copy: modifying it does not change the iteration.
local seen = {}
for i = 1, 3 do seen[#seen + 1] = i i = i * 10 end
assert(#seen == 3 and seen[3] == 3)
-- Upvalue of an upvalue, and a closure outliving its frame.
local function make(a)
  return function(b)
    return function(c) a = a + 1 return a + b + c end
  end
end
local f = make(1)(10)
assert(f(100) == 112 and f(100) == 113)
-- A closure capturing a variable after it is closed keeps the last value.
local later
do
  local x = 1
  later = function() return x end
  x = 2
end
assert(later() == 2)
-- Closures in a loop that writes the captured variable after creating the closure.
local cl = {}
for i = 1, 3 do
  local acc = i
  cl[i] = function() return acc end
  acc = acc * 100
end
assert(cl[2]() == 200)
-- Recursion through an upvalue.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
assert(fib(20) == 6765)
-- Upvalues shared across sibling closures created in the same iteration only.
local getters, setters = {}, {}
for i = 1, 2 do
  local v = i
  getters[i] = function() return v end
  setters[i] = function(x) v = x end
end
setters[1](50)
assert(getters[1]() == 50 and getters[2]() == 2)
print(fs[1](), fs[3](), get(), f(0), later(), cl[3](), getters[1]())
print("ok")
