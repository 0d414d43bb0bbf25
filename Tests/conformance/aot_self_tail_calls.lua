-- A function tail-calling itself runs as a loop in built code when the callee is the
-- running closure; anything else takes the ordinary tail call. Covered: argument counts
-- (missing parameters nil, extra arguments dropped), another closure of the same
-- prototype (its own upvalues), a reassigned function variable, closures made in the
-- loop (upvalues closed each round), a hook set in the middle, deep self tail recursion
-- that must not grow the stack, and errors raised from inside the loop.

local function ack(m, n) -- trace
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
local s = 0
for k = 1, 6 do s = s + ack(2, k) + ack(3, k % 4) end
print("ack", s, ack(3, 5))

-- Missing and extra arguments.
local function count(n, acc, extra)
  if n == 0 then return acc, extra end
  if n % 3 == 0 then return count(n - 1, (acc or 0) + 1) end
  return count(n - 1, (acc or 0) + 2, "x", "dropped")
end
print("count", count(10), count(9), count(0, nil, 5))

-- Deep self tail recursion: a loop, as in every engine.
local function down(n, acc) -- trace
  if n == 0 then return acc end
  return down(n - 1, acc + n % 7)
end
print("down", down(1000000, 0))

-- Another closure of the same prototype: its own upvalue.
local function maker(step)
  local function walk(n, acc) -- trace
    if n <= 0 then return acc end
    return walk(n - step, acc + step)
  end
  return walk
end
local w1, w2 = maker(1), maker(5)
print("closures", w1(20, 0), w2(20, 0))

-- The variable holding the function reassigned while it runs.
local function first(n) return n end
local hop
hop = function(n, log)
  log[#log + 1] = n
  if n == 3 then hop = first end
  if n == 0 then return "end" end
  return hop(n - 1, log)
end
local log = {}
print("reassigned", hop(6, log), table.concat(log, ","))

-- Closures made in the loop each round capture that round's values.
local function collect(n, fs)
  if n == 0 then return fs end
  local v = n * 10
  fs[#fs + 1] = function() return v end
  return collect(n - 1, fs)
end
local fs = collect(4, {})
print("captured", fs[1](), fs[2](), fs[3](), fs[4]())

-- A count hook set in the middle still sees calls.
local calls = 0
local function spin(n)
  if n == 50 then debug.sethook(function() calls = calls + 1 end, "c") end
  if n == 0 then debug.sethook() return "spun" end
  return spin(n - 1)
end
print("hooked", spin(100), calls > 0)

-- Errors from inside the loop keep their message and position.
local function fail(n)
  if n == 0 then error("reached zero") end
  return fail(n - 1)
end
print("error", pcall(fail, 5))
local function badarith(n, x)
  if n == 0 then return x + 1 end
  return badarith(n - 1, n == 1 and {} or x)
end
print("arith", pcall(badarith, 3, 1))

-- Strings as arguments: coerced where arithmetic meets them.
local function sum(n, acc)
  if n == "0" or n == 0 then return acc end
  return sum(n - 1, acc .. n)
end
print("strings", sum("4", ""))
