-- Loops that allocate far more than they keep: strings made from numbers (tostring,
-- string.format, file:write), concatenation, string.rep, string.sub, string.gsub,
-- table.concat, string buffers, coroutines, closures and tables. Every allocation counts
-- towards the collector's debt, whoever makes it, so the memory in use stays far below what
-- such a loop allocates in all. collectgarbage("count") is sampled every 1000 iterations
-- only: the sampling call must not be what keeps the collector going.
local bound = 1024 -- kilobytes above the start of each loop; each loop allocates 5 to 25 MB
local pad = string.rep("x", 1000)

local function bounded(name, iterations, body)
  collectgarbage()
  local start = collectgarbage("count")
  local peak = 0
  for i = 1, iterations do
    body(i)
    if i % 1000 == 0 then
      local used = collectgarbage("count") - start
      if used > peak then peak = used end
    end
  end
  assert(peak < bound, name .. " kept " .. peak .. " KB")
  print(name, "bounded")
end

local s
bounded("tostring", 150000, function(i) s = tostring(i) end)
bounded("tostring of fractions", 50000, function(i) s = tostring(i + 0.25) end)
bounded("string.format %d", 100000, function(i) s = string.format("%d", i) end)
bounded("string.format with padding", 20000, function(i) s = string.format("%s%d", pad, i) end)
local null = assert(io.open("/dev/null", "w"))
bounded("file:write", 60000, function(i) null:write(i, " ", i + 0.5, "\n") end)
null:close()
bounded("concatenation", 20000, function(i) s = pad .. i end)
bounded("string.rep", 20000, function(i) s = string.rep(tostring(i), 200) end)
bounded("string.sub", 20000, function(i) s = string.sub(pad .. i, 2) end)
bounded("string.gsub", 20000, function(i) s = string.gsub(pad, "^", i) end)
local parts = {pad, 0, pad}
bounded("table.concat", 20000, function(i) parts[2] = i; s = table.concat(parts, ",") end)
local buffer = require("string.buffer")
local b = buffer.new()
bounded("string.buffer:get", 20000, function(i) b:put(pad, i); s = b:get() end)
bounded("string.buffer:tostring", 20000, function(i) b:reset(); b:putf("%s%d", pad, i); s = b:tostring() end)
local f
bounded("closures", 100000, function(i) f = function() return i end end)
bounded("coroutine.wrap", 20000, function(i) f = coroutine.wrap(function() return i end) end)
bounded("tables", 30000, function(i) f = {i, pad, {}} end)
bounded("setmetatable", 30000, function(i) f = setmetatable({}, {__index = function() return i end}) end)
print("ok")
