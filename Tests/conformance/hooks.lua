-- Debug hooks: debug.sethook/gethook, call, return, line and count events, getinfo and
-- getlocal inside a hook, errors raised by a hook, hooks and coroutines.
-- lua5.1 differs: its hooks are per coroutine, builtins fire return events, and a line
-- event fires on every backward jump. LuaJIT's hook is one per state, and compiled traces
-- do not call it, so the JIT is off here.
if jit then jit.off() end

local events = {}
local function record(event, line)
  events[#events + 1] = line and (event .. " " .. line) or event
end
local function take()
  local text = table.concat(events, ", ")
  events = {}
  return text
end

-- No hook set.
print(debug.gethook())
debug.sethook()
assert(select("#", debug.sethook()) == 0)

-- Line events: a new line, and a jump backwards even to the same line.
debug.sethook(record, "l")
local s = 0
for i = 1, 3 do s = s + i end
local i = 0
while i < 3 do i = i + 1 end
repeat i = i - 1 until i == 0
debug.sethook()
print("lines", take())

-- Entering a function and coming back to the caller start a new line.
local function one() return 1 end
local function two()
  return 2
end
debug.sethook(record, "l"); one(); two()
debug.sethook()
print("calls and lines", take())

-- Call and return events, described by getinfo(2) inside the hook.
local function describe(event)
  local info = debug.getinfo(2, "nSl")
  events[#events + 1] = event .. " " .. tostring(info.name) .. " " .. info.what .. " " .. info.currentline
end
local function add(a, b)
  return a + b
end
local function tail() return add(1, 2) end
debug.sethook(describe, "cr")
add(1, 2)
local floor = math.floor(2.5)
tail()
debug.sethook()
print("call return", take())

-- Metamethods, pcall, table.sort's comparator and gsub's replacement function.
local mt = {
  __add = function(a, b) return 7 end,
  __index = function(t, k) return k end,
}
local object = setmetatable({}, mt)
debug.sethook(describe, "cr")
local sum = object + 1
local field = object.key
pcall(add, 1, 2)
table.sort({3, 1, 2}, function(a, b) return a < b end)
local replaced = ("ab"):gsub("a", function(c) return c:upper() end)
debug.sethook()
assert(sum == 7 and field == "key" and replaced == "Ab")
print("indirect", take())

-- The hook's arguments: the event and the line (nil unless a line event).
local arguments = {}
debug.sethook(function(...)
  arguments[#arguments + 1] = select("#", ...) .. ":" .. tostring((select(2, ...)))
end, "crl")
add(1, 2)
debug.sethook()
print("arguments", table.concat(arguments, " "))

-- Count events every n instructions (function headers do not count).
local counted = 0
debug.sethook(function(event)
  assert(event == "count")
  counted = counted + 1
end, "", 1)
local x = 0
for k = 1, 10 do x = x + k end
debug.sethook()
print("count 1", counted)
counted = 0
debug.sethook(function() counted = counted + 1 end, "", 7)
x = 0
for k = 1, 50 do x = x + k end
add(x, x)
debug.sethook()
print("count 7", counted)
debug.sethook(record, "l", 5)
local y = 1
debug.sethook()
print("line and count", take())

-- Locals of the hooked function, read and written from the hook.
local function locals(p, q)
  local r = p + q
  return r
end
local function list(event)
  local names = {}
  local n = 1
  while true do
    local name, value = debug.getlocal(2, n)
    if not name then break end
    names[#names + 1] = name .. "=" .. tostring(value)
    n = n + 1
  end
  events[#events + 1] = event .. "[" .. table.concat(names, ",") .. "]"
end
debug.sethook(list, "cr")
locals(3, 4)
debug.sethook()
print("getlocal", take())
local function changed()
  local v = 1
  v = v + 1
  return v
end
local changeLine = debug.getinfo(changed, "S").linedefined + 2
debug.sethook(function(event, line)
  if line == changeLine then debug.setlocal(2, 1, 100) end
end, "l")
print("setlocal", changed())
debug.sethook()

-- Varargs: the call hook sees the arguments in place.
local function varargs(...) local n = select("#", ...) return n end
debug.sethook(function(event)
  local name, value = debug.getlocal(2, 1)
  events[#events + 1] = event .. " " .. tostring(name) .. " " .. tostring(value)
end, "c")
varargs(5, 6)
debug.sethook()
print("varargs", take())

-- The hook does not fire inside itself.
local depth, deepest = 0, 0
local function helper() return 1 end
debug.sethook(function()
  depth = depth + 1
  if depth > deepest then deepest = depth end
  helper()
  depth = depth - 1
end, "crl")
helper()
debug.sethook()
print("deepest", deepest)

-- The hook's own frame has no name; getinfo(1) describes it.
debug.sethook(function()
  local info = debug.getinfo(1, "nS")
  events[#events + 1] = tostring(info.name) .. " " .. info.namewhat .. " " .. info.what
  debug.sethook()
end, "l")
local z = 1
print("own frame", take())

-- A hook may replace or remove itself.
debug.sethook(function(event, line)
  record("first " .. event, line)
  debug.sethook(function(e, l) record("second " .. e, l); debug.sethook() end, "l")
end, "l")
local w = 1
w = w + 1
w = w + 1
print("replaced", take())

-- Errors raised by a hook propagate; hooks go on firing afterwards.
local fired = 0
local target = debug.getinfo(1, "l").currentline + 6
debug.sethook(function(event, line)
  fired = fired + 1
  if line == target then error("hook failed") end
end, "l")
local ok, message = pcall(function()
  local a = 1
  return a
end)
local before = fired
local b = 1
debug.sethook()
print("error", ok, message, fired > before)
debug.sethook(function(event)
  if debug.getinfo(2, "f").func == add then error({code = 42}) end
end, "c")
ok, message = pcall(add, 1, 2)
debug.sethook()
print("error value", ok, type(message), message.code)

-- gethook reports the function, the mask letters and the count.
local function hook() end
debug.sethook(hook, "lrc", 5)
local f, mask, count = debug.gethook()
print("gethook", f == hook, mask, count)
debug.sethook(hook, "l")
f, mask, count = debug.gethook()
print("gethook", f == hook, mask, count)
debug.sethook(hook, "")
f, mask, count = debug.gethook()
print("gethook without events", f == hook, mask, count)
debug.sethook(hook, "x", 0)
f, mask, count = debug.gethook()
print("gethook unknown letters", f == hook, mask, count)
debug.sethook()
print("gethook after removal", debug.gethook())

-- One hook for every coroutine: set in one, it fires in the others.
local co = coroutine.create(function(a)
  local b = coroutine.yield(a + 1)
  return b * 2
end)
debug.sethook(describe, "cr")
coroutine.resume(co, 1)
coroutine.resume(co, 5)
debug.sethook()
print("coroutine", take())
local wrapped = coroutine.wrap(function()
  debug.sethook(record, "l")
  local v = 1
  coroutine.yield()
end)
wrapped()
local afterYield = 1
debug.sethook()
print("set in a coroutine", take())
local other = coroutine.create(function() end)
debug.sethook(other, hook, "l")
print("thread argument", debug.gethook() == hook, debug.gethook(other) == hook)
debug.sethook(other)
print("thread argument removal", debug.gethook())

-- A hook cannot yield.
local yielder = coroutine.create(function()
  debug.sethook(function() debug.sethook() coroutine.yield() end, "l")
  local v = 1
  return v
end)
print("yield in hook", coroutine.resume(yielder))

-- Finalizers run with the hook off.
local proxy = newproxy(true)
getmetatable(proxy).__gc = function()
  local inside = 1
end
proxy = nil
debug.sethook(record, "l")
collectgarbage()
debug.sethook()
print("finalizer", take())

-- Bad arguments.
print(pcall(function() debug.sethook(hook) end))
print(pcall(function() debug.sethook(1, "l") end))
print(pcall(function() debug.sethook(hook, {}) end))
print(pcall(function() debug.sethook(hook, "l", "many") end))
print(pcall(function() debug.sethook(hook, "l", "3") end))
debug.sethook()
print(pcall(function() debug.sethook(other, 1, "l") end))
print(pcall(debug.sethook, "c"))

print("ok")
