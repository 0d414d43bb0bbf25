-- debug.getinfo in every frame kind (main chunk, Lua function, builtin-called, metamethod,
-- coroutine, on builtins and bad levels), line/call/return/count hooks at top level, in
-- tail calls and in coroutines (no line event for the line that set the hook), and the
-- recursion limits: Lua calls, __index chains, nested pcall and comparators in table.sort.
-- (luajit -joff reports the first two overflows without a position; luajit's default mode,
-- which the .out records, and Perigee in every mode give the line.)
local function where(level)
  local i = debug.getinfo(level + 1, "Slnu")
  if not i then return "none" end
  return string.format("%s %s %s line=%s def=%s-%s name=%s/%s", i.what, i.short_src, i.source:sub(1, 1),
    tostring(i.currentline), tostring(i.linedefined), tostring(i.lastlinedefined), tostring(i.name), i.namewhat)
end
print(where(1))
local function f() return where(1), where(2) end
print(f())
print(pcall(where, 1))
print(pcall(where, 2))
local t = setmetatable({}, {__index = function(t, k) return where(1) .. " | " .. where(2) end})
print(t.x)
local co = coroutine.create(function(a) print(where(1)); print(where(2)); coroutine.yield(); print(where(1)) end)
coroutine.resume(co)
print(debug.getinfo(co, 1, "l") and debug.getinfo(co, 1, "l").currentline)
coroutine.resume(co)
for _, fn in ipairs({print, string.format, pairs, coroutine.wrap(function() end), math.sin}) do
  local i = debug.getinfo(fn)
  print(i.what, i.short_src, i.currentline, i.linedefined, i.lastlinedefined, i.source, i.func == fn)
end
print(pcall(debug.getinfo, 100))
print(debug.getinfo(100))
print(pcall(debug.getinfo, "x"))
print(pcall(debug.getinfo, 1, "!"))
-- hooks
local events = {}
local function hook(ev, line) events[#events + 1] = ev .. (line and (":" .. line) or "") end
debug.sethook(hook, "l")
local a = 1
local b = 2
debug.sethook()
print(table.concat(events, " "))
events = {}
local function g(x) return x + 1 end
debug.sethook(hook, "cr")
g(1)
local s = tostring(1)
debug.sethook()
print(table.concat(events, " "))
events = {}
debug.sethook(hook, "lcr")
local function tail(n) if n == 0 then return 0 end return tail(n - 1) end
tail(2)
debug.sethook()
print(table.concat(events, " "))
local co2 = coroutine.create(function()
  local l = {}
  debug.sethook(function(ev, line) l[#l + 1] = ev .. ":" .. tostring(line) end, "l")
  local x = 1
  coroutine.yield()
  x = x + 1
  debug.sethook()
  print("co2", table.concat(l, " "))
end)
coroutine.resume(co2)
local after = 1
coroutine.resume(co2)
print(debug.gethook())
local n = 0
debug.sethook(function() n = n + 1 end, "", 1)
for i = 1, 10 do end
debug.sethook()
print("count", n > 5)
print(debug.gethook())
-- recursion limits
local function rec(k) return 1 + rec(k + 1) end
print(pcall(rec, 1))
local mt = {}
mt.__index = function(t, k) return t[k] end
print(pcall(function() return setmetatable({}, mt).x end))
local function deep(k) if k == 0 then return 0 end return select(2, pcall(deep, k - 1)) end
print(pcall(deep, 150))
print(pcall(deep, 100000))
local function sorter() return table.sort({1, 2, 3}, function() return sorter() end) end
print(pcall(sorter))
print("ok")
