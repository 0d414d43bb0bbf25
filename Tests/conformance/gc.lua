-- The collector through the language: finalizers of newproxy userdata run once, weak
-- tables drop collected values, cyclic garbage is reclaimed, collectgarbage options.
local finalized = 0
for i = 1, 100 do
  local p = newproxy(true)
  getmetatable(p).__gc = function() finalized = finalized + 1 end
end
collectgarbage()
collectgarbage()
print("finalized", finalized)
assert(finalized == 100)

local weakValues = setmetatable({}, {__mode = "v"})
weakValues[1] = {}
weakValues[2] = "strings are not collected from weak tables"
local kept = {}
weakValues[3] = kept
collectgarbage()
assert(weakValues[1] == nil and weakValues[2] ~= nil and weakValues[3] == kept)

local weakKeys = setmetatable({}, {__mode = "k"})
weakKeys[{}] = 1
weakKeys[kept] = 2
collectgarbage()
local n = 0
for k, v in pairs(weakKeys) do n = n + 1; assert(k == kept and v == 2) end
assert(n == 1)

local before = collectgarbage("count")
for i = 1, 5000 do
  local a = {}
  local b = {a = a}
  a.b = b
end
collectgarbage()
assert(collectgarbage("count") - before < 100, "cyclic garbage is reclaimed")
assert(type(collectgarbage("count")) == "number")
assert(collectgarbage("step", 0) ~= nil)
collectgarbage("stop")
collectgarbage("restart")
assert(type(collectgarbage("setpause", 200)) == "number")
assert(type(collectgarbage("setstepmul", 200)) == "number")
print("ok")
