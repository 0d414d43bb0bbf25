-- Calls whose results are all passed on: f(a, g()) and return f(a, g()) with g giving
-- none, one or many results, in deep recursion (the tail calls must not grow the stack),
-- through builtins, varargs and errors.
local function none() end
local function one(x) return x end
local function many(n) local t = {} for i = 1, n do t[i] = i end return unpack(t) end
local function count(...) return select("#", ...), ... end

print(count(0, none()))
print(count(0, one(7)))
print(count(0, many(5)))
local function pass(n) return count(n, many(n)) end
print(pass(0))
print(pass(3))
print(pass(40) == 40, select(42, pass(40)))

local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
print(ack(2, 3), ack(3, 3))

-- A long chain of tail calls with all results passed on runs in constant stack space.
local function down(n, ...)
  if n == 0 then return select("#", ...), ... end
  return down(n - 1, one(n))
end
print(down(200000))

local function collect(...) return {...} end
local function build(n) if n == 0 then return end return n, build(n - 1) end
print(#collect(build(50)), table.concat(collect(build(5)), ","))
print(select("#", math.max(one(3), many(4))), math.max(many(9)))
print(pcall(function() return one(nil)(1) end))
print(pcall(function() return count(error("inside", 0)) end))
local co = coroutine.wrap(function(...) return count(coroutine.yield(...)) end)
print(co(1, 2))
print(co("a", "b", "c"))
print("ok")
