-- The interpreter's fast stubs and the cases they hand to the instruction handlers: method
-- reads through __index chains of every depth and kind, metatables changed after reads,
-- string keys through variables, stores that meet __newindex, loops whose control values
-- are not plain numbers, modulo, returns of adjusted result counts, and calls that grow the
-- stack.

-- __index chains: one and two tables deep (answered by the stub), three deep, a function at
-- the end, a metatable without __index, and nil found along the way.
local Base = { kind = "base", greet = function(self) return "hello from " .. self.name end }
Base.__index = Base
local Mid = setmetatable({ kind = "mid" }, Base)
Mid.__index = Mid
local Leaf = setmetatable({}, Mid)
Leaf.__index = Leaf
local a = setmetatable({ name = "a" }, Base)
local b = setmetatable({ name = "b" }, Mid)
local c = setmetatable({ name = "c" }, Leaf)
local fn = setmetatable({}, { __index = function(t, k) return "computed " .. k end })
local bare = setmetatable({}, {})
local out = {}
for i = 1, 3 do
  out[#out + 1] = a:greet() .. " " .. b:greet() .. " " .. c:greet()
  out[#out + 1] = tostring(a.kind) .. " " .. tostring(b.kind) .. " " .. tostring(c.kind)
  out[#out + 1] = tostring(fn.x) .. " " .. tostring(bare.x) .. " " .. tostring(c.missing)
end
print(table.concat(out, "\n"))

-- A metatable that gains __index after reads found none, and one whose __index changes.
local mt = {}
local obj = setmetatable({}, mt)
for i = 1, 3 do io.write(tostring(obj.field), " ") end
mt.__index = { field = "now here" }
for i = 1, 2 do io.write(tostring(obj.field), " ") end
mt.__index = function() return "from a function" end
print(obj.field)
rawset(mt, "__index", { field = "rawset" })
print(obj.field)

-- String keys through variables: reads, stores into existing keys, stores of new keys,
-- __index and __newindex for absent ones, a metatable's own fields set by key.
local keys = { "alpha", "beta", "gamma" }
local t = { alpha = 1, beta = 2 }
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) return "default " .. k end,
  __newindex = function(self, k, v) log[#log + 1] = k .. "=" .. tostring(v); rawset(self, k, v) end,
})
for round = 1, 2 do
  for _, k in ipairs(keys) do
    t[k] = (t[k] or 0) + round
    io.write(k, ":", tostring(t[k]), " ", tostring(proxy[k]), " ")
    proxy[k] = round
  end
end
print()
print(table.concat(log, " "))
local meta = {}
local inst = setmetatable({}, meta)
local name = "__index"
meta[name] = { viaKey = true }
print(inst.viaKey)

-- Array stores and reads: holes, a table with __newindex on a nil slot, key 0 and negative
-- and fractional keys, growing past the array part.
local arr = { 1, 2, nil, 4 }
local guarded = setmetatable({ 1, nil, 3 }, { __newindex = function(self, k, v) rawset(self, k, v * 100) end,
  __index = function(_, k) return -k end })
for i = 0, 6 do arr[i] = (arr[i] or 0) + i; guarded[i] = i end
arr[1.5] = "half"; arr[-1] = "minus"
print(arr[0], arr[1], arr[3], arr[6], arr[1.5], arr[-1], #arr)
print(guarded[0], guarded[1], guarded[2], guarded[3], guarded[4], guarded[7])

-- Loops: string control values converted by FORI, fractional steps, negative steps, while
-- loops with breaks; modulo of every sign.
local sum = 0
for i = "1", "4" do sum = sum + i end
for x = 1, 2, 0.25 do sum = sum + x end
for x = 10, 1, -3 do sum = sum + x end
local w = 0
while true do w = w + 1; if w > 5 then break end end
print(sum, w)
local mods = {}
for _, p in ipairs({ { 7, 3 }, { -7, 3 }, { 7, -3 }, { -7, -3 }, { 5.5, 2 }, { 1, 0 }, { 0, 0 } }) do
  local x, y = p[1], p[2]
  mods[#mods + 1] = tostring(x % y) .. "/" .. tostring(x % 3) .. "/" .. tostring(10 % y)
end
print(table.concat(mods, " "))
print(pcall(function() local s = {} return s % 2 end))
print(("10" % 3), (7 % "4"))

-- Returns: fewer and more results than wanted, all of them into a call, a vararg caller,
-- and recursion deep enough to grow the stack.
local function two() return 1, 2 end
local function none() end
local function many() return 1, 2, 3, 4, 5 end
local x1, x2, x3 = two()
local y1 = many()
local z1, z2 = none()
print(x1, x2, x3, y1, z1, z2, select("#", many()), select("#", two(), two()))
local function vsum(...) local s = 0 for i = 1, select("#", ...) do s = s + select(i, ...) end return s end
print(vsum(many()), vsum(two(), many()))
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(15000))
local function count(n, acc) if n == 0 then return acc end return count(n - 1, acc + 1) end
print(count(100000, 0))

-- Comparisons and equality with constants, on numbers, strings and other values.
local seen = {}
for _, v in ipairs({ 1, 2.5, "x", true, false }) do
  seen[#seen + 1] = tostring(v == 1) .. tostring(v ~= "x") .. tostring(v == true) .. tostring(v == nil)
end
print(table.concat(seen, " "))
print(pcall(function() return {} < 1 end))
print(1 < 2, 2 <= 2, "a" < "b", "b" >= "a", -0.0 == 0, 0 / 0 ~= 0 / 0)
