-- Function definitions, methods, self, nested functions, upvalues and closures.
local function add(a, b) return a + b end
assert(add(1, 2) == 3)
local anon = function(...) return select("#", ...) end
assert(anon(1, 2) == 2)
-- Global, dotted and method definitions.
obj = { inner = { } }
function obj.f(x) return x end
function obj.inner.g(x) return x * 2 end
function obj:m(x) return self, x end
function obj.inner:m2() return self end
assert(obj.f(3) == 3 and obj.inner.g(3) == 6)
local s, x = obj:m(4)
assert(s == obj and x == 4)
assert(obj.inner:m2() == obj.inner)
assert(obj.m(obj, 5) == obj)
function globalfn() return "global" end
assert(globalfn() == "global")
obj, globalfn = nil, nil
-- local function can call itself; local x = function cannot see itself.
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
assert(fact(10) == 3628800)
local fib
fib = function(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
assert(fib(15) == 610)
-- Mutual recursion through forward-declared locals.
local isodd
local function iseven(n) if n == 0 then return true end return isodd(n - 1) end
function isodd(n) if n == 0 then return false end return iseven(n - 1) end
assert(iseven(10) and isodd(7))
-- Upvalues are shared between closures of the same scope.
local function counter()
  local c = 0
  return function() c = c + 1 return c end, function() return c end
end
local inc, get = counter()
inc() inc()
assert(get() == 2)
-- Three levels of nesting.
local function l1()
  local a = 1
  return function()
    local b = 2
    return function() a = a + 1 return a + b end
  end
end
local l3 = l1()()
assert(l3() == 4 and l3() == 5)
-- Loops create a fresh local per iteration.
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
assert(fs[1]() == 1 and fs[3]() == 3)
local ws = {}
local k = 0
while k < 3 do k = k + 1 local kk = k ws[k] = function() return kk end end
assert(ws[1]() == 1 and ws[3]() == 3)
local gs = {}
for key, val in pairs({ a = 1 }) do gs[1] = function() return key, val end end
assert(select(2, gs[1]()) == 1)
-- Empty functions, and functions with only a return.
local function empty() end
assert(empty() == nil and select("#", empty()) == 0)
local function justreturn() return end
assert(select("#", justreturn()) == 0)
-- Function expression as an immediate call and as a table field.
assert((function(a) return a * 2 end)(21) == 42)
local t = { f = function(self) return self end }
assert(t:f() == t)
-- A method call on a string, number result of a parenthesised function.
assert((function() return "abc" end)():len() == 3)
print("ok")
