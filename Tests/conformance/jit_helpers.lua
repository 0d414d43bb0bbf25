-- Instructions a trace does not compute itself run inside it as the interpreter runs
-- them: builtins of every library, concatenation, new tables, metamethods (__index and
-- __newindex functions, arithmetic, __len), tail calls from inlined functions, coroutines
-- resumed from a trace and yields from metamethods it calls; errors raised there unwind
-- with luajit's messages. Under `-Ohotloop=1 -Ohotexit=1` each loop marked "-- trace"
-- compiles.

-- Builtins called through the runtime, results read back with their types.
local parts = {}
for i = 1, 200 do parts[#parts + 1] = string.format("%03d", i) .. string.rep("-", i % 3) end -- trace
print(#parts, parts[1], parts[200], table.concat(parts, "", 1, 3))
local words = {}
for i = 1, 150 do words[i] = tostring(i * 7):upper() .. ("x"):rep(2) end -- trace
print(words[1], words[150])

-- New tables and their fields in the loop that makes them.
local points = {}
for i = 1, 200 do points[i] = { x = i, y = -i, tag = "p" .. i } end -- trace
local sx = 0
for i = 1, 200 do sx = sx + points[i].x - points[i].y end -- trace
print(sx, points[200].tag)

-- Objects with methods and constructors that end in a tail call.
local Vec = {}
Vec.__index = Vec
local function new(x, y) return setmetatable({ x = x, y = y }, Vec) end
Vec.__add = function(a, b) return new(a.x + b.x, a.y + b.y) end
Vec.__len = function(v) return v.x * v.x + v.y * v.y end
function Vec:scaled(k) return new(self.x * k, self.y * k) end
local acc = new(0, 0)
for i = 1, 300 do acc = acc + new(i, 1):scaled(2) end -- trace
print(acc.x, acc.y, #new(3, 4))

-- __index and __newindex functions.
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) return k * 3 end,
  __newindex = function(t, k, v) rawset(t, k, v * 10) end,
})
local total = 0
for i = 1, 250 do total = total + proxy[i] end -- trace
for i = 1, 250 do proxy[i] = i end -- trace
print(total, proxy[1], proxy[250], rawget(proxy, 251))

-- A coroutine resumed from a traced loop, and metamethods that yield.
local gen = coroutine.wrap(function() for i = 1, 400 do coroutine.yield(i * i) end end)
local squares = 0
for i = 1, 400 do squares = squares + gen() end -- trace
print(squares)
local Slow = setmetatable({}, { __index = function(_, k) coroutine.yield(k) return k + 1 end })
local co = coroutine.wrap(function()
  local r = 0
  for i = 1, 200 do r = r + Slow[i] end -- trace
  return r
end)
local seen, last = 0, nil
repeat
  last = co()
  seen = seen + 1
until seen == 201
print(seen, last)

-- Errors inside the runtime's work: luajit's messages and positions.
local function fails(n)
  local t = {}
  for i = 1, 300 do -- trace
    t[i] = string.rep("ab", i)
    if i == n then return string.rep(nil, 2) end
  end
end
print(pcall(fails, 250))
print(pcall(function()
  local s = ""
  for i = 1, 300 do s = "v" .. (i < 280 and i or {}) end -- trace
  return s
end))
print(pcall(function()
  local r = 0
  for i = 1, 300 do r = r + (i < 290 and i or "x" .. i) end -- trace
  return r
end))
print("ok")
