-- Closures made and called inside traces: FNEW, upvalues closed at the end of a loop
-- body (UCLO), calls of functions whose closures are made again and again (guarded on
-- the prototype, not the closure), and upvalues shared between closures.

local function makeAdder(k) return function(x) return x + k end end
local function compose(f, g) return function(x) return f(g(x)) end end
local total = 0
for i = 1, 300 do -- trace
  local add = makeAdder(i % 7)
  local f = compose(add, makeAdder(1))
  total = total + f(i % 10)
end
print("composed", total)

-- Each iteration's local is a fresh upvalue, closed when the body ends.
local getters = {}
for i = 1, 100 do -- trace
  local captured = i * 2
  getters[i] = function() return captured end
  captured = captured + 1
end
local sum = 0
for i = 1, 100 do sum = sum + getters[i]() end -- trace
print("getters", sum, getters[1](), getters[100]())

-- Counters sharing one upvalue; the closure is made in a loop and called at once.
local function counterPair()
  local n = 0
  return function(d) n = n + d return n end, function() return n end
end
local acc = 0
for i = 1, 200 do -- trace
  local inc, get = counterPair()
  inc(i) inc(1)
  acc = acc + get()
end
print("pairs", acc)

-- A while loop whose body makes a closure over a local declared inside it.
local fs, j = {}, 0
while j < 150 do
  j = j + 1
  local v = j
  fs[#fs + 1] = function() v = v + 1 return v end
end
local s = 0
for k = 1, #fs do s = s + fs[k]() + fs[k]() end
print("while", s)

-- Closures of different prototypes through the same call site.
local kinds = {
  function(x) return x + 1 end,
  function(x) return x * 2 end,
}
local mixed = 0
for i = 1, 300 do -- trace
  local f = kinds[i % 2 + 1]
  local g = function(y) return f(y) - 1 end
  mixed = mixed + g(i)
end
print("mixed", mixed)
print("ok")
