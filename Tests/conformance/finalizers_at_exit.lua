-- Finalizers when the program ends: as luajit's lua_close, the finalizers of userdata
-- (newproxy with __gc) and cdata (ffi.gc) that have not run yet run after the main chunk
-- returns, reached or not: the cdata ones first (in an order luajit leaves to its hash
-- table, so they only count here), then the userdata ones, newest first. A finalizer's
-- error is dropped; userdata a finalizer makes get finalized in a further round; a table's
-- __gc does nothing (Lua 5.1).
local ffi = require("ffi")

local cdataFinalized = 0
local function proxy(gc)
  local p = newproxy(true)
  getmetatable(p).__gc = gc
  return p
end

-- Finalized during the run already: not again at the end.
do
  local once = 0
  local p = proxy(function() once = once + 1 end)
  p = nil
  collectgarbage()
  collectgarbage()
  assert(once == 1)
end

-- Kept in a global, a local of the main chunk and a table: all finalized at the end.
first = proxy(function()
  -- The last one of the first round: it makes a userdata the next round finalizes.
  print("first proxy, cdata finalized: " .. cdataFinalized)
  keepAlive = proxy(function() print("ok") end)
end)
local kept = {}
for i = 1, 3 do
  kept[i] = ffi.gc(ffi.new("int[1]", i), function(cd)
    cdataFinalized = cdataFinalized + cd[0]
  end)
end
local second = proxy(function()
  print("second proxy: the error it raises is dropped")
  error("dropped")
end)
local third = proxy(function()
  -- A full collection inside runs the finalizers queued behind this one (second's error
  -- then ends this finalizer too).
  print("third proxy, before a full collection")
  collectgarbage()
  print("not reached")
end)
setmetatable({}, {__gc = function() print("a table's __gc never runs") end})

local sum = 0
for i = 1, 100 do sum = sum + i end -- trace
print("main chunk ends", sum)
