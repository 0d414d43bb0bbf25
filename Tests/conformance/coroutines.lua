-- Coroutines: create, resume, yield, status, wrap, running, errors, dead coroutines.
-- lua5.1 differs: it cannot yield across pcall ("attempt to yield across metamethod/C-call
-- boundary"), so those parts run only under luajit.
local LJ = rawget(_G, "jit") ~= nil
local co = coroutine.create(function(a, b)
  assert(coroutine.status(coroutine.running()) == "running")
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  return d + e, "done"
end)
assert(coroutine.status(co) == "suspended")
local ok, v = coroutine.resume(co, 1, 2)
assert(ok and v == 3)
ok, v = coroutine.resume(co, 10)
assert(ok and v == 20)
local ok2, r1, r2 = coroutine.resume(co, 3, 4)
assert(ok2 and r1 == 7 and r2 == "done")
assert(coroutine.status(co) == "dead")
-- Resuming a dead coroutine.
ok, v = coroutine.resume(co)
assert(not ok and v == "cannot resume dead coroutine")
-- Errors inside a coroutine kill it and are returned by resume.
local bad = coroutine.create(function() error("oops", 0) end)
ok, v = coroutine.resume(bad)
assert(not ok and v == "oops" and coroutine.status(bad) == "dead")
local bad2 = coroutine.create(function() local t = nil; return t.x end)
ok, v = coroutine.resume(bad2)
assert(not ok and v:find("attempt to index local 't'", 1, true))
-- wrap: errors propagate to the caller.
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
assert(gen() == 1 and gen() == 2 and gen() == 3)
gen()                                 -- finishes
ok, v = pcall(gen)
assert(not ok and v:find("cannot resume dead coroutine", 1, true))
local werr = coroutine.wrap(function() error("wrapped", 0) end)
ok, v = pcall(werr)
assert(not ok and v == "wrapped")
-- Generators via wrap in a for loop.
local function range(n) return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end) end
local s = 0
for i in range(10) do s = s + i end
assert(s == 55)
-- Status "normal" for a coroutine that resumed another one.
local outer
outer = coroutine.create(function()
  local inner = coroutine.create(function() return coroutine.status(outer) end)
  local _, st = coroutine.resume(inner)
  coroutine.yield(st)
end)
ok, v = coroutine.resume(outer)
assert(v == "normal")
-- Resuming a running coroutine / yielding from the main thread.
local selfres = coroutine.create(function() return coroutine.resume(coroutine.running()) end)
local okr, okinner, msg = coroutine.resume(selfres)
assert(okr and okinner == false and msg == "cannot resume running coroutine")
ok, v = pcall(coroutine.yield, 1)
assert(not ok)
-- Passing many values in and out.
local echo = coroutine.wrap(function(...)
  local args = { ... }
  while true do args = { coroutine.yield(unpack(args)) } end
end)
assert(select("#", echo(1, 2, 3)) == 3 and select(2, echo("a", "b")) == "b")
-- Coroutines with upvalues shared with the creator.
local shared = 0
local inc = coroutine.wrap(function() while true do shared = shared + 1 coroutine.yield() end end)
inc() inc()
assert(shared == 2)
if LJ then
  -- Yield across pcall inside a coroutine.
  local yp = coroutine.create(function()
    local ok3, e = pcall(function()
      local x = coroutine.yield("in pcall")
      error("after " .. x, 0)
    end)
    coroutine.yield(e)
    return "end"
  end)
  local _, y1 = coroutine.resume(yp)
  local _, y2 = coroutine.resume(yp, "resume")
  local _, y3 = coroutine.resume(yp)
  assert(y1 == "in pcall" and y2 == "after resume" and y3 == "end")
  -- Yield across a metamethod.
  local mt = { __index = function(t, k) return coroutine.yield(k) end }
  local ym = coroutine.wrap(function() local t = setmetatable({}, mt) return "got " .. t.key end)
  assert(ym() == "key" and ym("value") == "got value")
end
-- coroutine.running() is nil in the main thread (Lua 5.1 behaviour, kept by luajit).
assert(coroutine.running() == nil)
local st = {}
local traced = coroutine.create(function() coroutine.yield() end)
st[#st + 1] = coroutine.status(traced)
coroutine.resume(traced)
st[#st + 1] = coroutine.status(traced)
coroutine.resume(traced)
st[#st + 1] = coroutine.status(traced)
print(table.concat(st, " "), s, shared)
print(coroutine.resume(coroutine.create(function(...) return select("#", ...), ... end), "a", nil))
print(coroutine.resume(co))
-- A wrapped coroutine's string error is rethrown with the position of the Lua function
-- that called the wrapper (none when a builtin called it, or after a tail call).
do
  local function failing(v, level)
    return coroutine.wrap(function() error(v, level) end)
  end
  local w = failing("deep")
  local function direct() local r = w() return r end
  print(pcall(direct))
  w = failing("deep")
  print(pcall(w))
  w = failing("deep")
  local function tail() return w() end
  print(pcall(tail))
  w = failing("plain", 0)
  local function direct0() local r = w() return r end
  print(pcall(direct0))
  w = failing({})
  local function tabled() local r = w() return r end
  print(type(select(2, pcall(tabled))))
  w = coroutine.wrap(function() local t = nil; t.x = 1 end)
  local function indexing() local r = w() return r end
  print(pcall(indexing))
end
print("ok")
