-- Generic `for` loops in traces: ipairs computed in the trace, pairs stepped through
-- `next` from the position the interpreter keeps, Lua iterators inlined, and loops that
-- end, change type or change their table after the trace formed. Under `-Ohotloop=1
-- -Ohotexit=1` each loop marked "-- trace" compiles.

local list = {}
for i = 1, 200 do list[i] = i * 3 end
local s = 0
for round = 1, 5 do
  for i, v in ipairs(list) do s = s + i * v end -- trace
end
print(s)

-- pairs over string keys, numbers and mixed values; results sorted to be deterministic.
local map = {}
for i = 1, 60 do map["key" .. i] = i end
local total, chars = 0, 0
for round = 1, 10 do
  for k, v in pairs(map) do total = total + v; chars = chars + #k end -- trace
end
print(total, chars)
local mixed = { 10, 20, 30, x = "a", y = true, [100] = 5, [2.5] = "half" }
local seen = {}
for round = 1, 40 do
  for k, v in pairs(mixed) do seen[#seen + 1] = type(k) .. ":" .. tostring(v) end -- trace
end
table.sort(seen)
print(#seen, seen[1], seen[#seen])

-- A Lua iterator (a closure over its state), inlined into the loop's trace.
local function range(n, step)
  local i = 0
  return function()
    i = i + step
    if i <= n then return i end
  end
end
local r = 0
for x in range(3000, 3) do r = r + x end -- trace
print(r)

-- A stateless Lua iterator and its state.
local function evens(t, i)
  i = i + 2
  local v = t[i]
  if v then return i, v end
end
local e = 0
for i, v in evens, list, 0 do e = e + v - i end -- trace
print(e)

-- The table changes type of values and gains keys between runs of the same loop.
local grow = {}
for i = 1, 30 do grow[i] = i end
local function sum(t)
  local acc = 0
  for _, v in ipairs(t) do acc = acc + (type(v) == "number" and v or #v) end -- trace
  return acc
end
print(sum(grow))
grow[15] = "fifteen"
grow[31] = 31
print(sum(grow))

-- Stopping early, and nested generic loops. The compiled loop stops after a count of keys,
-- not at a key, so that it runs the same number of times in any traversal order.
local seen, last = 0, nil
for k, v in pairs(map) do -- trace
  seen = seen + 1
  if seen == 40 then last = k break end
end
print(seen, map[last] ~= nil)
local found
for k, v in pairs(map) do
  if v == 42 then found = k break end
end
print(found)
local pairsum = 0
for _, a in ipairs({ 1, 2, 3, 4, 5, 6, 7, 8 }) do
  for _, b in ipairs(list) do pairsum = pairsum + a * b end -- trace
end
print(pairsum)

-- Tables compared by identity (no __eq), and an __eq that arrives after compiling; tables,
-- booleans and functions as keys.
local Obj = {}
Obj.__index = Obj
local a, b = setmetatable({}, Obj), setmetatable({}, Obj)
local same, other = 0, 0
for i = 1, 300 do -- trace
  local x = (i % 3 == 0) and a or b
  if x == a then same = same + 1 else other = other + 1 end
end
print(same, other)
local late = 0
for i = 1, 300 do -- trace
  if a == b then late = late + 1 end
  if i == 150 then Obj.__eq = function() return true end end
end
print(late)
local set, keys = {}, { {}, {}, true, false, print }
for i = 1, 300 do local k = keys[i % 5 + 1]; set[k] = (set[k] or 0) + i end -- trace
print(set[keys[1]], set[keys[3]], set[print])
print("ok")
