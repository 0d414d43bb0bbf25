-- The collector's corners: finalizers (__gc of newproxy userdata) that resurrect their object
-- into a weak table or a global, store new objects, collect and step from inside; weak
-- tables changed and traversed while collections run (from finalizers, from a count hook,
-- between the steps of a pairs loop); weak keys whose value refers to the key (not
-- ephemerons in Lua 5.1: they stay). Errors inside __gc are in gc_finalizer_errors.lua.

local function proxy(gc)
  local u = newproxy(true)
  getmetatable(u).__gc = gc
  return u
end

-- A finalizer resurrects its object into a weak-valued and a weak-keyed table and a global.
local weakValues = setmetatable({}, {__mode = "v"})
local weakKeys = setmetatable({}, {__mode = "k"})
local saved = {}
local finalized = 0
do
  for i = 1, 10 do
    local u
    u = proxy(function(self)
      finalized = finalized + 1
      weakValues[i] = self
      weakKeys[self] = i
      if i % 2 == 0 then saved[#saved + 1] = self end
    end)
  end
end
collectgarbage()
collectgarbage()
local strong = 0
for _, v in pairs(weakValues) do strong = strong + 1 end
print("finalized", finalized, "kept by saved", #saved, "in the weak-valued table", strong)
-- Finalizers run once: dropping the resurrected objects frees them without a second run.
saved = nil
collectgarbage()
collectgarbage()
print("finalized after drop", finalized)
collectgarbage()
local left = 0
for _ in pairs(weakKeys) do left = left + 1 end
print("weak keys left", left)

-- Finalizers that allocate, fill weak tables and collect while a collection runs.
local cache = setmetatable({}, {__mode = "kv"})
local made = 0
do
  for i = 1, 50 do
    proxy(function()
      for k = 1, 20 do cache[{k}] = {i, k}; made = made + 1 end
      if i % 10 == 0 then collectgarbage("step", 10) end
      if i % 25 == 0 then collectgarbage() end
    end)
  end
end
collectgarbage()
collectgarbage()
collectgarbage()
print("made in finalizers", made)
collectgarbage()
print("cache emptied", next(cache) == nil)

-- Traversing weak tables with pairs while the collector steps: entries kept alive by a
-- strong table are all seen, dead ones may or may not be (only the kept are counted).
local keep = {}
local wv = setmetatable({}, {__mode = "v"})
local wk = setmetatable({}, {__mode = "k"})
for i = 1, 2000 do
  local t = {i}
  if i % 3 == 0 then keep[#keep + 1] = t end
  wv[i] = t
  wk[t] = i
end
local seenV, seenK = 0, 0
for k, v in pairs(wv) do
  if v[1] % 3 == 0 then seenV = seenV + 1 end
  collectgarbage("step", 1)
  local garbage = {k, {}, tostring(k)}
end
for k, v in pairs(wk) do
  if v % 3 == 0 then seenK = seenK + 1 end
  collectgarbage("step", 1)
end
print("kept seen", seenV, seenK, #keep)
collectgarbage()
local n = 0
for _ in pairs(wv) do n = n + 1 end
print("weak values after collection", n)

-- Collections from a count hook while a loop changes weak tables.
local hooked = 0
local churn = setmetatable({}, {__mode = "k"})
debug.sethook(function()
  hooked = hooked + 1
  if hooked % 20 == 0 then collectgarbage() end
  if hooked % 7 == 0 then collectgarbage("step", 5) end
end, "", 100)
for i = 1, 20000 do
  churn[{}] = i
  if i % 100 == 0 then churn[keep[i / 100]] = i end
end
debug.sethook()
collectgarbage()
local kept = 0
for k, v in pairs(churn) do kept = kept + 1 end
print("hook collected", hooked > 0, "weak keys kept", kept)

-- Weak keys whose value refers to the key stay (Lua 5.1 has no ephemerons).
local cyclic = setmetatable({}, {__mode = "k"})
do
  for i = 1, 5 do local key = {} cyclic[key] = {key} end
end
collectgarbage()
collectgarbage()
local cycles = 0
for _ in pairs(cyclic) do cycles = cycles + 1 end
print("self-referring weak keys", cycles)

-- Every finalizer of a collection runs, each calling collectgarbage itself.
local order = {}
do
  for i = 1, 6 do proxy(function() order[#order + 1] = i; collectgarbage("count") end) end
end
collectgarbage()
table.sort(order)
print("finalizer order", table.concat(order, " "))
print("ok")
