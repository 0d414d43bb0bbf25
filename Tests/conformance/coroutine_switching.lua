-- Coroutine switches as call instructions make them: resume, yield and wrap functions
-- called from Lua with every result count a call can want, values both ways, the states a
-- coroutine goes through, and the errors a switch raises or hands back.
-- lua5.1 differs: it cannot yield across pcall, has no coroutine.isyieldable, and gives
-- a resumed dead wrap function's error no position.

local function show(...)
  local t = { select("#", ...), ... }
  for i = 2, #t + 0 do t[i] = tostring(t[i]) end
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  return n .. ": " .. table.concat(parts, " ")
end

-- Zero, one and many values each way.
local co = coroutine.create(function(...)
  print("started with", show(...))
  local a = coroutine.yield()
  print("got", show(a))
  local b, c, d = coroutine.yield(1)
  print("got", show(b, c, d))
  local all = { coroutine.yield(1, 2, 3, 4, 5) }
  print("got", #all)
  coroutine.yield(nil, nil)
  return "done", 42
end)
print(show(coroutine.resume(co)))
print(show(coroutine.resume(co, "x")))
print(show(coroutine.resume(co, "p", "q", "r")))
print(show(coroutine.resume(co, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)))
print(show(coroutine.resume(co)))
print(show(coroutine.resume(co)))
print(coroutine.status(co))

-- Results adjusted to what each call wants.
local gen = coroutine.create(function()
  for i = 1, 6 do coroutine.yield(i, i * 10, i * 100) end
end)
local ok = coroutine.resume(gen)
print("one result", ok)
local ok2, x = coroutine.resume(gen)
print("two results", ok2, x)
local ok3, y, z, w, extra = coroutine.resume(gen)
print("five results", ok3, y, z, w, extra)
local t = { coroutine.resume(gen) }
print("all results", #t, t[1], t[2], t[3], t[4])
print("as arguments", select("#", coroutine.resume(gen)), (select(2, coroutine.resume(gen))))

-- wrap: values both ways, in expressions, as an iterator.
local acc = coroutine.wrap(function(first)
  local sum = first
  while true do sum = sum + coroutine.yield(sum) end
end)
print(acc(1), acc(2), acc(3), acc(4))
local function range(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end)
end
local s = 0
for i in range(10) do s = s + i end
print("range sum", s)
local w3 = coroutine.wrap(function() coroutine.yield() coroutine.yield(1, 2, 3) return "last" end)
print(show(w3()))
print(show(w3()))
print(show(w3()))
print(pcall(w3))

-- Every state.
local outer
local inner = coroutine.create(function()
  print("inner sees outer as", coroutine.status(outer))
  print("inner sees itself as", coroutine.status(coroutine.running()))
  coroutine.yield()
end)
outer = coroutine.create(function()
  print("outer running", coroutine.status(outer))
  coroutine.resume(inner)
  print("inner after yield", coroutine.status(inner))
  coroutine.yield()
end)
print("fresh", coroutine.status(outer))
coroutine.resume(outer)
print("suspended", coroutine.status(outer))
coroutine.resume(outer)
print("dead", coroutine.status(outer))
print("main running", coroutine.running())

-- Resumes that cannot be made.
print(coroutine.resume(outer))
local selfish
selfish = coroutine.create(function() return coroutine.resume(selfish) end)
print(coroutine.resume(selfish))
print(pcall(coroutine.resume))
print(pcall(coroutine.resume, 42))
print(pcall(coroutine.resume, {}))
local finished = coroutine.wrap(function() return 1 end)
finished()
print(pcall(finished))
print(pcall(function() return finished() end))

-- Errors inside coroutines: messages with positions, non-string values, wrap rethrowing
-- with the caller's position.
local bad = coroutine.create(function() local x = nil; return x.field end)
print(coroutine.resume(bad))
print(coroutine.status(bad))
print(coroutine.resume(coroutine.create(function() error("plain") end)))
print(coroutine.resume(coroutine.create(function() error("no position", 0) end)))
local okt, et = coroutine.resume(coroutine.create(function() error({ code = 7 }) end))
print(okt, type(et), et.code)
print(select(2, coroutine.resume(coroutine.create(function() error(setmetatable({}, { __tostring = function() return "object" end })) end))))
local failing = coroutine.wrap(function() coroutine.yield(1) error("wrapped failure") end)
print(failing())
print(pcall(failing))
local okw, ew = pcall(coroutine.wrap(function() error({ code = 8 }) end))
print(okw, type(ew), ew.code)
print(pcall(coroutine.wrap(function() error("level two", 2) end)))
print(pcall(coroutine.wrap(function() local t = {} return t.a.b end)))

-- Yield across pcall, from nested Lua calls, and across a native call (refused).
local guarded = coroutine.create(function()
  local ok, v = pcall(function()
    local got = coroutine.yield("inside pcall")
    error("after " .. got)
  end)
  coroutine.yield(ok, v)
  local ok2, a, b = pcall(coroutine.yield, "yield itself protected")
  return ok2, a, b
end)
print(coroutine.resume(guarded))
print(coroutine.resume(guarded, "resume"))
print(coroutine.resume(guarded))
print(coroutine.resume(guarded, "p", "q"))
local function depth(n) if n == 0 then return coroutine.yield("bottom") end return depth(n - 1) + 1 end
local deep = coroutine.create(function() return depth(20) end)
print(coroutine.resume(deep))
print(coroutine.resume(deep, 100))
local function level3() local v = coroutine.yield("level3") return v * 2 end
local function level2() return level3() + 1 end
local nested = coroutine.wrap(function() local r = level2() coroutine.yield(r) end)
print(nested(), nested(20))
print(coroutine.resume(coroutine.create(function()
  table.sort({ 3, 2, 1 }, function(a, b) coroutine.yield() return a < b end)
end)))
print(pcall(coroutine.yield, 1))
print(coroutine.isyieldable())
print(coroutine.resume(coroutine.create(function() return coroutine.isyieldable() end)))

-- Many switches: a pipeline of wrapped generators and a ping-pong pair.
local function producer(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end coroutine.yield(nil) end)
end
local function evens(source)
  return coroutine.wrap(function()
    while true do
      local v = source()
      if v == nil then coroutine.yield(nil) return end
      if v % 2 == 0 then coroutine.yield(v) end
    end
  end)
end
local sum, count = 0, 0
local source = evens(producer(1000))
while true do
  local v = source()
  if v == nil then break end
  sum, count = sum + v, count + 1
end
print("pipeline", sum, count)
local ping = coroutine.create(function(b) while true do b = coroutine.yield(b + 1) end end)
local pong = coroutine.create(function(b) while true do b = coroutine.yield(b * 2 % 1009) end end)
local ball = 1
for _ = 1, 1000 do
  local _, b1 = coroutine.resume(ping, ball)
  local _, b2 = coroutine.resume(pong, b1)
  ball = b2
end
print("ping-pong", ball, coroutine.status(ping), coroutine.status(pong))

-- Upvalues open in a suspended coroutine's frames survive the switches.
local counter = coroutine.wrap(function()
  local n = 0
  local function bump() n = n + 1 return n end
  while true do coroutine.yield(bump) end
end)
local b1 = counter()
b1(); b1()
print("upvalue", counter()(), b1())
print("ok")

-- Resuming a coroutine in the normal state (it resumed the one running): luajit calls it running.
local outer
outer = coroutine.create(function()
  local inner = coroutine.create(function() return coroutine.resume(outer) end)
  return coroutine.resume(inner)
end)
print("normal", coroutine.resume(outer))

-- A traced loop holding coroutines in its slots: compared, typed, resumed, and one that dies
-- on the way (its status and the resume's failure read inside the loop).
local workers = {}
for i = 1, 3 do
  workers[i] = coroutine.create(function(x)
    for r = 1, 40 * i do x = coroutine.yield(x + r) end
    return "done" .. i
  end)
end
local log, total = {}, 0
for round = 1, 150 do -- trace
  local co = workers[round % 3 + 1]
  local same = co == workers[1]
  local ok, v = coroutine.resume(co, round)
  if type(v) == "number" then total = total + v elseif ok ~= nil then log[#log + 1] = tostring(ok) .. ":" .. tostring(v) end
  if same and type(co) ~= "thread" then error("type") end
end
print("slots", total, table.concat(log, " "), coroutine.status(workers[1]), coroutine.status(workers[3]))
