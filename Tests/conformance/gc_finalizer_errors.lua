-- Errors raised inside __gc finalizers come out of whatever ran the collection step that
-- called the finalizer (luajit's gc_call_finalizer rethrows them): collectgarbage, an
-- allocating instruction, a builtin's return. The error value is the finalizer's own; the
-- finalizers queued after a failing one run in later steps. Only userdata from newproxy and
-- cdata from ffi.gc have finalizers (a table's __gc is ignored, as in Lua 5.1).
local ffi = require("ffi")

local function failing(value)
  local u = newproxy(true)
  getmetatable(u).__gc = function() error(value, 0) end
end

failing("in __gc")
print(pcall(collectgarbage))
print(pcall(collectgarbage))

-- A table's __gc is no finalizer.
do local t = setmetatable({}, {__gc = function() error("table __gc") end}) end
print(pcall(collectgarbage))

-- An error object that is not a string comes out as it is.
failing({code = 7})
local ok, e = pcall(collectgarbage)
print(ok, type(e), e.code)

-- A __gc that is not a function fails as a call of it does.
do local u = newproxy(true) getmetatable(u).__gc = 42 end
ok, e = pcall(collectgarbage)
print(ok, (tostring(e):gsub("^[^:]*:%d+: ", "")))

-- Three failing finalizers: one error per collection, in luajit's order.
failing("first") failing("second") failing("third")
for _ = 1, 4 do print(pcall(collectgarbage)) end

-- Through xpcall's handler, and in a coroutine.
failing("handled")
print(xpcall(collectgarbage, function(m) return "handler got " .. m end))
failing("in a coroutine")
print(coroutine.resume(coroutine.create(function() collectgarbage() return "not reached" end)))

-- From the collection that allocation in a loop triggers (a loop making closures, which
-- luajit's JIT does not compile, and Perigee's does).
failing("while allocating")
local made = 0
ok, e = pcall(function()
  for i = 1, 100000 do -- trace
    local f = function() return i end
    made = f()
  end
end)
print(ok, e, made > 0 and made < 100000)

-- A cdata finalizer set by ffi.gc.
do local c = ffi.gc(ffi.new("int[4]"), function() error("ffi.gc finalizer", 0) end) end
print(pcall(collectgarbage))

-- Finalizers that run fine leave nothing behind.
local ran = 0
do local u = newproxy(true) getmetatable(u).__gc = function() ran = ran + 1 end end
print(pcall(collectgarbage), ran)
print("ok")
