-- Locals that closures assign change whenever Lua code runs: in calls and in metamethods
-- that instructions of the enclosing function trigger.
local count = 0
local total = 0
local counting = setmetatable({}, {
  __index = function(_, k) count = count + 1; return k end,
  __newindex = function(t, k, v) count = count + 10; rawset(t, k, v) end,
  __add = function(a, b) count = count + 100; return 1 end,
})
for i = 1, 50 do
  local _ = counting[i]
  total = total + count
end
print(count, total)
for i = 1, 5 do
  counting["k" .. i] = i
  total = total + count
end
print(count, total)
local sum = counting + counting
print(count, sum)

-- A captured number turned into a string by a metamethod.
local n = 0
local o = setmetatable({}, {__index = function() n = "changed"; return 1 end})
local got = o.missing
print(n, got, type(n))

-- A loop counter read after a call that bumps it through an upvalue.
local ticks = 0
local function tick() ticks = ticks + 1 end
local seen = 0
for _ = 1, 100 do
  tick()
  seen = seen + ticks
end
print(ticks, seen)
