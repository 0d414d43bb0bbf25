-- __index chains through tables (classes and their bases), ending in a function or in
-- nothing; __newindex skipped for keys that exist and for metatables without it, and
-- consulted again once a metatable gains it; a chain that loops.
local Base = {kind = "base"}
Base.__index = Base
function Base.hello(self) return "hello from " .. self.name end
local Mid = setmetatable({kind = "mid"}, Base)
Mid.__index = Mid
local Leaf = setmetatable({}, Mid)
Leaf.__index = Leaf
local obj = setmetatable({name = "obj"}, Leaf)
print(obj.kind, obj:hello(), obj.missing, rawget(obj, "kind"))
Base.__index = function(t, k) return "computed " .. k end
print(obj.kind, obj.missing, Leaf.other)
Base.__index = Base

local log = {}
local mt = {}
local t = setmetatable({present = 1}, mt)
for i = 1, 3 do t.present = i; t["k" .. i] = i end
mt.__newindex = function(tab, k, v) log[#log + 1] = k; rawset(tab, k, v * 10) end
for i = 1, 3 do t.present = i + 10; t["n" .. i] = i end
t.k1 = 100
print(t.present, t.k3, t.n2, t.k1, table.concat(log, ","))
mt.__newindex = nil
t.fresh = 5
print(t.fresh, #log)
local sink = {}
mt.__newindex = sink
t.routed = 7
print(rawget(t, "routed"), sink.routed)

local counted = setmetatable({}, {__index = setmetatable({a = 1}, {__index = function(_, k) return #k end})})
local total = 0
for i = 1, 10 do total = total + counted.a + counted.abcd end
print(total)

local loop1, loop2 = {}, {}
setmetatable(loop1, {__index = loop2})
setmetatable(loop2, {__index = loop1})
print(pcall(function() return loop1.x end))
print(pcall(function() loop1.x = 1 end), rawget(loop1, "x"))
local n1, n2 = {}, {}
setmetatable(n1, {__newindex = n2})
setmetatable(n2, {__newindex = n1})
print(pcall(function() n1.y = 1 end))
print("ok")
