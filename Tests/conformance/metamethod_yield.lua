-- Metamethods written in Lua run in the interpreter loop: they can yield, raise errors that
-- pcall catches with the right position, and survive the stack growing under them.
local V = {}
V.__add = function(a, b) return setmetatable({x = a.x + b.x + coroutine.yield("add")}, V) end
V.__index = function(t, k) return coroutine.yield("index " .. k) end
V.__newindex = function(t, k, v) rawset(t, k, coroutine.yield("newindex " .. k) + v) end
V.__unm = function(a) return coroutine.yield("unm") end
V.__len = function(a) return 0 end
local co = coroutine.wrap(function()
  local a, b = setmetatable({x = 1}, V), setmetatable({x = 2}, V)
  local c = a + b
  local got = a.missing
  a.field = 5
  local n = -a
  return c.x, got, rawget(a, "field"), n
end)
print(co())
print(co(10))
print(co("looked up"))
print(co(100))
print(co("negated"))

-- Errors inside metamethods: caught by pcall, positions from the metamethod.
local E = setmetatable({}, {__index = function(t, k) error("no field " .. k) end})
print(pcall(function() return E.x end))
local A = setmetatable({}, {__add = function() local t = nil; return t.y end})
print(pcall(function() return A + 1 end))

-- A metamethod called deep in recursion, so the stack grows while it runs.
local D = setmetatable({}, {__index = function(t, k)
  local function deep(n) if n == 0 then return k end return deep(n - 1) .. "" end
  return deep(3000)
end})
local function recurse(n) if n == 0 then return D.key end return recurse(n - 1) end
print(recurse(2000))
print("ok")
