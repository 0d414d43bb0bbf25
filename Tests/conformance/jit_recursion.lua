-- Recursive functions: function traces that call themselves (up-recursion), tail-call
-- themselves (tail-recursion), side traces that return into their callers, and what
-- can change under a compiled recursive function.

local function fib(n) -- trace
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end
local fibs = {}
for n = 0, 24 do fibs[#fibs + 1] = fib(n) end
print("fib", table.concat(fibs, " "))

local function ack(m, n) -- trace
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
print("ack", ack(2, 200), ack(3, 4))

local function sum(n, acc) -- trace
  if n == 0 then return acc end
  return sum(n - 1, acc + n)
end
print("sum", sum(50000, 0))

local even, odd
function even(n) if n == 0 then return true end return odd(n - 1) end
function odd(n) if n == 0 then return false end return even(n - 1) end
print("even/odd", even(10001), odd(10001), even(4000))

-- Deep recursion: the stack grows under the trace.
local function depth(n)
  if n == 0 then return 0 end
  return 1 + depth(n - 1)
end
print("depth", depth(8000), depth(15000))

-- Endless recursion ends in a stack overflow, caught.
local function endless(n) return 1 + endless(n + 1) end
local ok, err = pcall(endless, 1)
print("endless", ok, (string.gsub(tostring(err), "^.-:%d+: ", "")))

-- Trees built and walked recursively (allocation and collection inside the traces).
local function build(d)
  if d == 0 then return { value = 1 } end
  return { left = build(d - 1), right = build(d - 1), value = d }
end
local function count(t)
  if not t.left then return t.value end
  return t.value + count(t.left) + count(t.right)
end
local total = 0
for _ = 1, 30 do total = total + count(build(8)) end
collectgarbage()
print("trees", total)

-- The argument's type changes under a compiled recursive function.
local function describe(x, n)
  if n == 0 then return x .. "!" end
  return describe(x, n - 1)
end
print("describe", describe("a", 30), describe(5, 30), describe("b", 3))

-- An error deep in the recursion, with its position.
local function fail(n)
  if n == 0 then error("bottom reached") end
  return 1 + fail(n - 1)
end
for _ = 1, 3 do
  local okf, e = pcall(fail, 200)
  print("fail", okf, e)
end

-- A recursive generator: yields from deep inside compiled recursion.
local function walk(t)
  if not t.left then coroutine.yield(t.value) return end
  walk(t.left)
  coroutine.yield(t.value)
  walk(t.right)
end
local seen = 0
for v in coroutine.wrap(function() walk(build(6)) end) do seen = seen + v end
print("walk", seen)

-- A global recursive function redefined after it compiled.
function gfact(n) if n <= 1 then return 1 end return n * gfact(n - 1) end
local before = gfact(20)
local old = gfact
function gfact(n) return -1 end
print("gfact", before, old(5), gfact(5))
print("ok")
