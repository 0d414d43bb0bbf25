-- Calls of local functions through upvalues never assigned again: called directly, small
-- ones inlined. The fallbacks: the upvalue changed by debug.setupvalue, arguments of other
-- types (arithmetic on strings, tables with metamethods), missing and extra arguments,
-- errors raised inside the callee, tail calls and several results.

local function A(i, j)
  local ij = i + j - 1
  return 1.0 / (ij * (ij - 1) * 0.5 + i)
end

local function pair(x) return x, x * 2 end
local function none() end
local function tail(x) return pair(x + 1) end
local function fails(x) if x > 2 then error("too big: " .. x) end return x end
local function count(...) return select("#", ...) end

local function sum(n)
  local s = 0
  for i = 1, n do
    for j = 1, n do s = s + A(i, j) end
  end
  return s
end

local function mixed()
  local a, b = pair(3)
  local c = none()
  local d, e = tail(4)
  local f = pcall(A, 2, nil)
  return a, b, c, d, e, pcall(A, 2), count(pair(1))
end

print(string.format("%.9f", sum(50)))
print(mixed())
print(A("3", "4"), A(setmetatable({}, { __add = function() return 5 end }), 1))
print(pcall(function() return A({}, 1) end))
for i = 1, 4 do print(pcall(function() return fails(i) end)) end

-- The upvalue replaced: the direct call's guard sends calls to the new function.
local function user(i) return A(i, i) end
print(user(3))
local name = debug.setupvalue(user, 1, function(i, j) return i * 100 + j end)
print(name, user(3))

-- A slot shared by two locals in different blocks: no guess, both calls right.
local r1, r2
do local function f() return "first" end r1 = function() return f() end end
do local function g() return "second" end r2 = function() return g() end end
print(r1(), r2())

-- Recursion through the function's own upvalue.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(20))
