-- Library messages as luajit words them: table.concat's argument and element checks,
-- bit.tohex, load with reader functions that fail, return non-strings or stop early, every
-- collectgarbage option luajit accepts, and table.new/table.clear after require.

local function show(ok, ...)
  local parts = {ok and "ok" or "err"}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    parts[#parts + 1] = type(v) == "string" and (v:gsub("0x%x+", "ADDR")) or
      (type(v) == "number" or type(v) == "boolean" or v == nil) and tostring(v) or type(v)
  end
  print(table.concat(parts, " "))
end

-- table.concat
show(pcall(table.concat, {1, 2}, {}))
show(pcall(table.concat, {1, {}, 3}))
show(pcall(table.concat, {1, 2, 3}, ",", 1, 5))
show(pcall(table.concat, {1, 2, 3}, ",", 2, 1))
show(pcall(table.concat, {}, ",", "x"))
show(pcall(table.concat, {}, ",", 1, "y"))
show(pcall(table.concat, {"a", true}))
show(pcall(table.concat))
show(pcall(function() return table.concat({1, print}, "-") end))
show(pcall(table.concat, {1, 2.5, "x"}, 7))

-- bit.tohex
show(pcall(bit.tohex, "x"))
show(pcall(bit.tohex, 1, "x"))
show(pcall(bit.tohex, 255, -4))
show(pcall(bit.tohex, 255, 0))
show(pcall(bit.tohex, 255, 100))
show(pcall(bit.tohex, {}))
show(pcall(bit.tohex))
show(pcall(function() return bit.tohex(nil) end))

-- error objects
show(pcall(error, {}))
show(pcall(error))
show(pcall(error, nil))
show(pcall(error, "msg", 0))
show(xpcall(error, function(m) return type(m) end, setmetatable({}, {__tostring = function() return "TS" end})))

-- load with reader functions
show(pcall(load, function() error("reader failed") end))
show(pcall(load, function() error({}) end))
show(pcall(load, function() return {} end))
show(pcall(load, function() return true end))
local parts = {"return ", "1", " + 1", nil, "ignored"}
local i = 0
local f = load(function() i = i + 1 return parts[i] end)
show(pcall(f))
i = 0
parts = {"return ", "", "2"}
show(load(function() i = i + 1 return parts[i] end)())
parts = {"x = ", "("}
i = 0
show(load(function() i = i + 1 return parts[i] end, "=pieces"))
show(load(function() return nil end))
show(pcall(load, 5))
show(pcall(load))
show(pcall(load, nil, "name"))
show(pcall(load, "return 1", true))
show(pcall(load, "return 1", "n", {}))
show(pcall(load("return x", "n", "t", 5)))
show(load("return 1", "chunk", "b"))
show(load(string.dump(function() return 1 end), "chunk", "t"))
show(load("x x", "=name"))

-- collectgarbage
show(collectgarbage("isrunning"))
show(collectgarbage("stop"))
show(collectgarbage("isrunning"))
show(collectgarbage("restart"))
show(collectgarbage("isrunning"))
print(type(collectgarbage("count")), collectgarbage("count") > 0, select("#", collectgarbage("count")))
show(collectgarbage("collect"))
show(collectgarbage())
show(collectgarbage("step", 0))
local finished = false
for _ = 1, 1000 do if collectgarbage("step", 100) then finished = true break end end
print("step finishes a cycle", finished)
show(collectgarbage("setpause", 150))
show(collectgarbage("setpause", 200))
show(collectgarbage("setstepmul", 300))
show(collectgarbage("setstepmul", 200))
show(pcall(collectgarbage, "bogus"))
show(pcall(collectgarbage, "incremental"))
show(pcall(collectgarbage, "generational"))
show(pcall(collectgarbage, 5))
show(pcall(collectgarbage, {}))

-- table.new and table.clear
print(table.new, table.clear, package.loaded["table.new"], type(package.preload["table.new"]))
local new = require("table.new")
print(new == table.new, package.loaded["table.new"] == new, type(new))
local t = table.new(10, 4)
print(#t, next(t))
show(pcall(table.new))
show(pcall(table.new, "x"))
show(pcall(table.new, 1))
show(pcall(table.new, -1, -1))
local clear = require("table.clear")
t = {1, 2, x = 3}
clear(t)
print(clear == table.clear, next(t), #t)
show(pcall(table.clear))
show(pcall(table.clear, 1))

-- string.format's %q quotes what tostring gives for any value (found by the differential
-- fuzzer), and a missing argument is 'value expected'.
show(pcall(string.format, "%q|%q|%q|%q", 1 / 3, true, nil, -0))
show(pcall(string.format, "%q", {}))
show(pcall(string.format, "%q"))
show(pcall(string.format, "%s %q", 1))
print("ok")
