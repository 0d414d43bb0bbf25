-- pcall and xpcall as a coroutine's body (coroutine.wrap(pcall), coroutine.create(xpcall))
-- and in tail position (return pcall(f)): the function they protect may yield, and its
-- results, errors and handler's results come back as luajit gives them.

-- pcall as the body of coroutine.wrap, protecting a Lua function that yields twice.
local w = coroutine.wrap(pcall)
print(w(function(a) local b = coroutine.yield(a + 1); local c = coroutine.yield(b .. "!"); return a, b, c end, 10))
print(w("second"))
print(w("third"))
print(pcall(w))

-- The protected function fails after a yield: pcall's false and message.
w = coroutine.wrap(pcall)
print(w(function() coroutine.yield("before"); error("after yield") end))
print(w())
w = coroutine.wrap(pcall)
print(w(function() coroutine.yield(1); error({code = 7}) end))
local ok, e = w()
print(ok, type(e), e.code)

-- xpcall as the body: the handler sees the error raised after the yield.
w = coroutine.wrap(xpcall)
print(w(function(x) local y = coroutine.yield(x * 2); error("bad " .. y, 0) end,
        function(m) return "handled: " .. m end, 21))
print(w("value"))
w = coroutine.wrap(xpcall)
print(w(function(...) return select("#", ...), coroutine.yield(...) end, print, "a", nil, "c"))
print(w("d", "e"))

-- A builtin as the protected function: coroutine.yield itself, and builtins that fail.
w = coroutine.wrap(pcall)
print(w(coroutine.yield, 1, 2))
print(w(3, 4))
print(coroutine.wrap(pcall)(error, "plain", 0))
print(coroutine.wrap(pcall)(string.rep))
print(coroutine.wrap(xpcall)(error, function(m) return "caught " .. tostring(m) end, "boom", 0))
print(coroutine.wrap(pcall)(7))
print(pcall(coroutine.wrap(pcall)))
print(pcall(coroutine.wrap(xpcall), print))

-- coroutine.create with pcall: status and resume as with a Lua body.
local co = coroutine.create(pcall)
print(coroutine.resume(co, function(a, b) return coroutine.yield(a + b) * 2 end, 3, 4))
print(coroutine.status(co))
print(coroutine.resume(co, 50))
print(coroutine.status(co), coroutine.resume(co))

-- pcall and xpcall in tail position inside a coroutine.
local function tail(...) return pcall(...) end
w = coroutine.wrap(tail)
print(w(function(v) return "got", coroutine.yield(v) end, "out"))
print(w("in"))
local function tailx(f, ...) return xpcall(f, function(m) return "tail handler: " .. m end, ...) end
w = coroutine.wrap(tailx)
print(w(function() local v = coroutine.yield("x"); error(v, 0) end))
print(w("raised"))
w = coroutine.wrap(function(...) return pcall(coroutine.yield, ...) end)
print(w("p", "q"))
print(w("r"))

-- Nested: a body pcall whose function calls pcall around a yield, and loops long enough to trace.
w = coroutine.wrap(pcall)
print(w(function()
  local sum = 0
  for i = 1, 100 do
    local ok, v = pcall(coroutine.yield, i)
    sum = sum + v
  end
  return sum
end))
local last
for i = 1, 100 do last = {w(i * 2)} end
print(last[1], last[2])
-- pcall in tail position recursing to the stack limit: the innermost fails, every other
-- returns true and the results below it.
local function deep() return pcall(deep) end
local results = {deep()}
print(#results > 30000, results[1], (results[#results]:match("stack overflow$")))

-- pcall's and xpcall's argument checks, named '?' where no Lua call site names them.
print(pcall(pcall))
print(pcall(xpcall, print))
print(pcall(function() return xpcall(print) end))
print(pcall(function() local r = xpcall(print) return r end))
print(pcall(function() local r = xpcall(print, 1) return r end))
print(pcall(function() local r = pcall() return r end))
print("ok")
