-- Generic for over ipairs (compiled code steps the array part itself): holes end the
-- loop, keys in the hash part, a table growing or shrinking during the loop, one or
-- three loop variables, __index ignored as LuaJIT does, a replaced ipairs, bad states.
local function walk(t)
  local out = {}
  for i, v in ipairs(t) do out[#out + 1] = i .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
print(walk({}), "|", walk({10, 20, 30}), "|", walk({1, 2, nil, 4}))

local hashed = {}
hashed[3] = "c"; hashed[1] = "a"; hashed[2] = "b"; hashed[5] = "e"
print(walk(hashed))

local growing = {1}
local n = 0
for i, v in ipairs(growing) do
  n = n + 1
  if i < 50 then growing[i + 1] = v * 2 end
end
print(n, growing[50])

local shrinking = {1, 2, 3, 4, 5, 6}
local seen = {}
for i, v in ipairs(shrinking) do
  seen[#seen + 1] = v
  if i == 2 then shrinking[4] = nil end
end
print(table.concat(seen, ","))

local count = 0
for i in ipairs({5, 6, 7}) do count = count + i end
local three = {}
for i, v, extra in ipairs({"x", "y"}) do three[#three + 1] = tostring(extra) end
print(count, table.concat(three, ","))

local proxy = setmetatable({}, {__index = function(_, k) return k * 10 end})
print(walk(proxy), rawget(proxy, 1))
local partly = setmetatable({1, 2}, {__index = {nil, nil, 3}})
print(walk(partly))

local iter, state, start = ipairs({7, 8})
print(type(iter), start, iter(state, 0), iter(state, 1), iter(state, 2))
print(iter({"a", "b", "c"}, 1.5))
print(pcall(iter, nil, 0))
print(pcall(ipairs))
print(pcall(function() for _ in ipairs(nil) do end end))

local saved = ipairs
ipairs = function(t) return function(_, i) if i < 2 then return i + 1, "fake" end end, t, 0 end
print(walk({1, 2, 3}))
ipairs = saved
print(walk({1, 2, 3}))

local function sum(t)
  local s = 0
  for i = 1, 3 do
    for _, v in ipairs(t) do s = s + v * i end
  end
  return s
end
print(sum({1, 2, 3, 4}), sum({0.5, "2"}))
print(pcall(sum, {1, {}}))
print("ok")
