-- Metatables of the basic types (debug.setmetatable on a number, a string, a boolean, nil, a
-- builtin, a Lua function) with every operator metamethod, and per-thread environments:
-- debug.setfenv on a coroutine, getfenv(0) inside and outside it, print finding tostring
-- and load finding its environment through the running thread.

local function clean(v)
  return (string.gsub(tostring(v), "0x%x+", "ADDR"))
end

local function show(ok, ...)
  local parts = {ok and "ok" or "err"}
  for i = 1, select("#", ...) do parts[#parts + 1] = clean((select(i, ...))) end
  return table.concat(parts, " ")
end

local samples = {{"number", 0}, {"string", "s"}, {"boolean", true}, {"nil", nil},
                 {"builtin", print}, {"function", function() end}}
local results = {}
for _, sample in ipairs(samples) do
  local name, v = sample[1], sample[2]
  local old = debug.getmetatable(v)
  local mt = {
    __len = function() return "len" end,
    __call = function(self, x) return "call", x end,
    __index = function(_, k) return "index:" .. k end,
    __newindex = function(_, k, x) results[#results + 1] = "newindex " .. k .. " " .. x end,
    __add = function() return "add" end, __sub = function() return "sub" end,
    __mul = function() return "mul" end, __div = function() return "div" end,
    __mod = function() return "mod" end, __pow = function() return "pow" end,
    __unm = function() return "unm" end,
    __eq = function() return true end, __lt = function() return true end,
    __le = function() return false end,
    __concat = function(a, b) return "concat" end,
  }
  debug.setmetatable(v, mt)
  -- The string library's own functions must not be reached through the string metatable
  -- while it is replaced, so each outcome is kept and printed afterwards.
  local lines = {name}
  lines[#lines + 1] = show(pcall(function() return #v end))
  lines[#lines + 1] = show(pcall(function() return v(5) end))
  lines[#lines + 1] = show(pcall(function() return v.field end))
  lines[#lines + 1] = show(pcall(function() v.field = 1 end))
  lines[#lines + 1] = show(pcall(function() return v + 1, 1 + v, v - v, v * 2, v / 2, v % 2, v ^ 2, -v end))
  lines[#lines + 1] = show(pcall(function() return v == v, v < v, v <= v end))
  lines[#lines + 1] = show(pcall(function() return v < 1 end))
  lines[#lines + 1] = show(pcall(function() return v .. "x", "x" .. v, v .. 1 end))
  debug.setmetatable(v, old)
  print(table.concat(lines, "\n"))
end
print(table.concat(results, "\n"))
print(pcall(debug.setmetatable, 1, 5))
assert(debug.getmetatable(1) == nil and getmetatable("").__index == string)

-- A coroutine's environment: getfenv(0) inside it, builtins and load through it.
local env = setmetatable({marker = "thread", tostring = function(v) return "<" .. type(v) .. ">" end},
                         {__index = _G})
local co = coroutine.create(function()
  print(getfenv(0) == _G, getfenv(0).marker)
  print(1, "x", nil)
  print(loadstring("return marker")(), load("return marker")())
  coroutine.yield()
  print(getfenv(0).marker)
end)
print(debug.setfenv(co, env) == co, debug.getfenv(co) == env)
assert(coroutine.resume(co))
print(getfenv(0) == _G, getfenv(0).marker, loadstring("return marker")())
assert(coroutine.resume(co))
-- A coroutine created inside takes the creating thread's environment.
local inner = coroutine.create(function() print(getfenv(0).marker) end)
local outer = coroutine.create(function()
  local c = coroutine.create(function() return getfenv(0).marker end)
  print(coroutine.resume(c))
end)
debug.setfenv(outer, env)
assert(coroutine.resume(outer))
assert(coroutine.resume(inner))
print(pcall(debug.setfenv, co, 1))
print(pcall(debug.setfenv, 1, {}))
-- print calls the environment's tostring; a number result is printed, others are errors.
local main = getfenv(0)
setfenv(0, setmetatable({tostring = function() return 42 end}, {__index = main}))
print("x")
setfenv(0, setmetatable({tostring = function() return {} end}, {__index = main}))
local ok, message = pcall(print, "x")
setfenv(0, main)
print(ok, message)
print("ok")
