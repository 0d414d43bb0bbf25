-- Arithmetic metamethods inlined into traces (the handler's frame above the caller's
-- registers, with the continuation the interpreter would use), setmetatable computed in
-- the trace, builtins tail-called from inlined frames, and side traces that start where
-- an instruction takes all results of the call before it.

local V = {}
V.__index = V
local function vec(x, y, z) return setmetatable({ x = x, y = y, z = z }, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y, a.z + b.z) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y, a.z - b.z) end
V.__mul = function(a, s) return vec(a.x * s, a.y * s, a.z * s) end
V.__unm = function(a) return vec(-a.x, -a.y, -a.z) end
V.__div = function(a, s)
  if s == 0 then error("division of a vector by zero") end
  return vec(a.x / s, a.y / s, a.z / s)
end
V.__mod = function(a, m) return vec(a.x % m, a.y % m, a.z % m) end
V.__pow = function(a, e) return a.x ^ e + a.y ^ e + a.z ^ e end
function V.dot(a, b) return a.x * b.x + a.y * b.y + a.z * b.z end
function V.length(a) return math.sqrt(a:dot(a)) end
function V.kind(a) return type(a.x) end

local acc = vec(0, 0, 0)
for i = 1, 300 do -- trace
  local v = vec(i, 2 * i, 3)
  acc = acc + v * 0.5 - (-v)
  if i % 50 == 0 then acc = acc / 2 end
end
print("vectors", acc.x, acc.y, acc.z, getmetatable(acc) == V)

local lengths, kinds = 0, {}
for i = 1, 200 do -- trace
  local v = vec(i % 7, 1, i % 3)
  lengths = lengths + v:length() + (v % 2):dot(v) + v ^ 2
  kinds[#kinds + 1] = v:kind()
end
print("lengths", string.format("%.6f", lengths), #kinds, kinds[1], kinds[200])

-- A handler replaced after the trace formed: the guard on the metatable's field fails.
local counter = setmetatable({}, { __add = function(a, b) return 1 end })
local s = 0
for i = 1, 100 do -- trace
  s = s + (counter + i)
  if i == 60 then getmetatable(counter).__add = function(a, b) return b end end
end
print("replaced", s)

-- A table whose metatable changes, and one without the metamethod (second operand's).
local A = setmetatable({}, { __sub = function(a, b) return "A" end })
local B = setmetatable({}, { __sub = function(a, b) return "B" end })
local seen = {}
for i = 1, 100 do -- trace
  local left = i % 3 == 0 and B or A
  seen[#seen + 1] = left - i
end
print("dispatch", table.concat(seen, "", 1, 12), #seen)
local plain = {}
local right = setmetatable({}, { __mul = function(a, b) return "right" end })
local r
for i = 1, 50 do r = plain * right end
print("second operand", r)

-- Errors raised inside an inlined handler.
local ok, err = pcall(function()
  local t = vec(1, 1, 1)
  for i = 1, 100 do t = t / (i < 90 and 1 or 0) end
end)
print("error", ok, err)
local ok2, err2 = pcall(function()
  local bad = setmetatable({}, { __add = function(a, b) return a.missing.field end })
  for i = 1, 100 do local _ = bad + i end
end)
print("error", ok2, err2)

-- setmetatable on a table that already has one goes through the library (protected
-- metatables refuse).
local protected = setmetatable({}, { __metatable = "locked" })
local refused = 0
for i = 1, 100 do
  if not pcall(setmetatable, protected, {}) then refused = refused + 1 end
end
print("protected", refused, getmetatable(protected))
local again = {}
for i = 1, 100 do setmetatable(again, i % 2 == 0 and V or nil) end
print("reset", getmetatable(again) == V)

-- Methods found through chains of __index tables, read inline; the chain changing after
-- the trace formed (a method added to a class, a method replaced, a metatable swapped).
local Base = {}
Base.__index = Base
function Base.new(x) return setmetatable({ x = x }, Base) end
function Base:get() return self.x end
function Base:twice() return self:get() * 2 end
local Derived = setmetatable({}, { __index = Base })
Derived.__index = Derived
function Derived.new(x) return setmetatable(Base.new(x), Derived) end
function Derived:get() return self.x + 1 end
local total = 0
for i = 1, 300 do -- trace
  local o = (i % 2 == 0) and Base.new(i) or Derived.new(i)
  total = total + o:twice() + (o.missing == nil and 1 or 0)
  if i == 200 then Base.extra = 5 end
  if i > 250 then total = total + (o.extra or 0) end
  if i == 280 then function Base:get() return 0 end end
end
print("inherited", total)
local Other = { get = function() return -1 end }
Other.__index = Other
local obj = Derived.new(1)
local got = {}
for i = 1, 100 do
  if i == 50 then setmetatable(obj, Other) end
  got[#got + 1] = obj:get()
end
print("swapped", got[1], got[49], got[50], got[100])
-- Fields absent from an object and from every class of its chain read nil inline; the
-- answer changes when the object, a class or the last class's metatable gains the key.
local Node = {}
Node.__index = Node
local Top = {}
setmetatable(Node, { __index = Top })
local head
for i = 1, 5 do head = setmetatable({ v = i, next = head }, Node) end
local walked, tails = 0, 0
for round = 1, 400 do
  local n = head
  while n do walked = walked + n.v; n = n.next end -- trace
  if head.label == nil then tails = tails + 1 end
  if round == 150 then Top.label = "top" end
  if round == 250 then Top.label = nil; setmetatable(Top, { __index = { label = "deep" } }) end
  if round == 350 then head.label = false end
end
print("absent", walked, tails, head.label, Node.label)

-- Order comparisons through __lt and __le of tables sharing a metatable, inlined; tables
-- with different metatables, and __le missing, go through the runtime.
local Num = {}
Num.__index = Num
Num.__lt = function(a, b) return a.v < b.v end
Num.__le = function(a, b) return a.v <= b.v end
local function num(v) return setmetatable({ v = v }, Num) end
local below, atMost, above, notBelow = 0, 0, 0, 0
for i = 1, 300 do -- trace
  local a, b = num(i % 17), num(i % 5)
  if a < b then below = below + 1 end
  if a <= b then atMost = atMost + 1 end
  if a > b then above = above + 1 end
  if not (a >= b) then notBelow = notBelow + 1 end
end
print("ordered", below, atMost, above, notBelow)
local OnlyLt = { __lt = function(a, b) return a.v < b.v end }
local p, q = setmetatable({ v = 1 }, OnlyLt), setmetatable({ v = 2 }, OnlyLt)
local viaLt = 0
for i = 1, 100 do if p <= q then viaLt = viaLt + 1 end end
print("le through lt", viaLt)
local okCompare, compareError = pcall(function()
  local r = 0
  local other = setmetatable({ v = 3 }, { __lt = function() return true end })
  for i = 1, 100 do if num(i) < (i < 90 and num(0) or other) then r = r + 1 end end
  return r
end)
print("different handlers", okCompare, compareError)

-- __index and __newindex functions, inlined: a proxy that counts reads and writes, keys
-- that appear in the table later (no call then), and errors raised by a handler.
local reads, writes = 0, 0
local store = {}
local proxy = setmetatable({}, {
  __index = function(t, k) reads = reads + 1; return store[k] end,
  __newindex = function(t, k, v) writes = writes + 1; store[k] = v end,
})
local acc2 = 0
for i = 1, 300 do -- trace
  proxy.count = i
  acc2 = acc2 + proxy.count + (proxy.absent or 0)
  if i == 200 then rawset(proxy, "absent", 1) end
end
print("proxy", reads, writes, acc2, rawget(proxy, "count"))
local strict = setmetatable({}, { __index = function(t, k) error("undefined field " .. k, 2) end })
local okStrict, strictError = pcall(function()
  local n = 0
  for i = 1, 100 do
    if i < 95 then rawset(strict, "value", i) else rawset(strict, "value", nil) end
    n = n + strict.value
  end
  return n
end)
print("strict", okStrict, strictError)

-- __eq of two tables sharing a metatable, inlined; the same table never calls it.
local Point = {}
Point.__eq = function(a, b) return a.x == b.x and a.y == b.y end
local function point(x, y) return setmetatable({ x = x, y = y }, Point) end
local equal, unequal = 0, 0
local origin = point(0, 0)
for i = 1, 300 do -- trace
  local p = point(i % 3, 0)
  local q = (i % 7 == 0) and p or point(i % 2, 0)
  if p == q then equal = equal + 1 end
  if p ~= origin then unequal = unequal + 1 end
end
print("equality", equal, unequal)
