-- More metamethods inlined into traces: __call (a table called like a function, the table
-- its handler's first argument), __concat of two operands, and __le answered by __lt;
-- then the same after their metatables change, and errors raised inside the handlers.

local Counter = {}
Counter.__call = function(self, step, ...)
  self.n = self.n + (step or 1) + select('#', ...)
  return self.n
end
local c = setmetatable({ n = 0 }, Counter)
local last = 0
for i = 1, 200 do -- trace
  last = c(i) + c() + c(1, 2, 3)
end
print("call", c.n, last)

-- __call through CALLM and from an inlined function's tail call.
local function viaTail(f, ...) return f(...) end
local function args(...) return ... end
local sum = 0
for i = 1, 200 do -- trace
  sum = sum + c(args(i, i)) + viaTail(c, 2)
end
print("callm", sum, c.n)

-- A metatable whose __call changes after the trace formed, and a table without one.
local swapped = setmetatable({}, { __call = function(self, x) return x end })
local got = 0
for i = 1, 100 do -- trace
  got = got + swapped(i)
  if i == 60 then getmetatable(swapped).__call = function(self, x) return -x end end
end
print("swapped", got)
local ok, err = pcall(function()
  local t = setmetatable({}, { __call = function(self, x) return x end })
  local s = 0
  for i = 1, 100 do -- trace
    if i == 90 then setmetatable(t, nil) end
    s = s + t(i)
  end
  return s
end)
print("not callable", ok, err)
local ok2, err2 = pcall(function()
  local t = setmetatable({}, { __call = function(self, x)
    if x > 95 then error("called with " .. x) end
    return x
  end })
  local s = 0
  for i = 1, 100 do s = s + t(i) end -- trace
  return s
end)
print("call error", ok2, err2)

-- __concat of a table and a string or number (either side), and longer chains.
local Name = {}
Name.__concat = function(a, b)
  local x = type(a) == "table" and a.name or a
  local y = type(b) == "table" and b.name or b
  return x .. "+" .. y
end
local n = setmetatable({ name = "n" }, Name)
local parts = {}
for i = 1, 100 do -- trace
  parts[#parts + 1] = n .. i
  parts[#parts + 1] = i .. n
  parts[#parts + 1] = "<" .. n .. ">"
end
print("concat", parts[1], parts[2], parts[3], parts[298], parts[299], #parts)
local prefixed = {}
for i = 1, 100 do -- trace
  prefixed[#prefixed + 1] = "s" .. n
  if i == 80 then getmetatable("").__concat = function(a, b) return "string's" end end
end
getmetatable("").__concat = nil
print("string first", prefixed[1], prefixed[80], prefixed[81], prefixed[100])
local replaced = {} -- 2000 rounds: hot even after a penalty on a hot counter the loop shares
for i = 1, 2000 do -- trace
  replaced[#replaced + 1] = n .. "x"
  if i == 50 then Name.__concat = function(a, b) return "new" end end
end
print("replaced", replaced[50], replaced[51], replaced[100])
Name.__concat = function(a, b)
  if b == "bad" then error("bad concat") end
  return "ok"
end
local ok3, err3 = pcall(function()
  local r
  for i = 1, 100 do r = n .. (i < 90 and "good" or "bad") end -- trace
  return r
end)
print("concat error", ok3, err3)
local ok4, err4 = pcall(function()
  local r
  for i = 1, 100 do r = (i < 90 and n or {}) .. "x" end -- trace
  return r
end)
print("concat error", ok4, err4)

-- __le answered by __lt (not (b < a)), and then a __le of its own.
local V = {}
V.__lt = function(a, b) return a.v < b.v end
local function v(x) return setmetatable({ v = x }, V) end
local les, gts = 0, 0
local pivot = v(50)
for i = 1, 100 do -- trace
  if v(i) <= pivot then les = les + 1 end
  if v(i) > pivot then gts = gts + 1 end
end
print("le by lt", les, gts)
local flips = 0
for i = 1, 100 do -- trace
  if v(i) <= pivot then flips = flips + 1 end
  if i == 70 then V.__le = function(a, b) return true end end
end
print("le added", flips)

-- __len of a table is not consulted (Lua 5.1).
local sized = setmetatable({ 1, 2, 3 }, { __len = function() return 99 end })
local lens = 0
for i = 1, 100 do lens = lens + #sized end -- trace
print("len", lens)
print("ok")
