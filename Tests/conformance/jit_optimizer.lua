-- What the trace optimizer changes must keep every result: constant folding (bit operations,
-- -0, NaN), loads forwarded from stores and earlier loads, and the aliasing that must stop
-- forwarding (one table under two names, index i and i + 1, upvalues two closures share,
-- new keys that grow a table under addresses the trace computed).

-- FOLD: constants, conversions and identities.
local bit = require("bit")
local acc = 0
for i = 1, 200 do -- trace
  local k = bit.bxor(bit.lshift(1, 4), 3)         -- constant: 19
  local x = bit.tobit(i * 3)
  acc = bit.bxor(acc, bit.band(x, -1), bit.bor(x, 0), bit.lshift(x, 32), k, bit.rol(0x80000001, 1))
  acc = bit.tobit(acc + bit.band(x, 0))
end
print("fold bits", acc)
local z = {}
for i = 1, 100 do -- trace
  local m = -0 * 1
  z[1] = 1 / (m - 0)                               -- -0 stays -0: -inf
  z[2] = 1 / (m + 0)                               -- -0 + 0 is +0: +inf
  z[3] = tostring(0 / 0) == tostring(0 / 0)
  z[4] = (i * 1) / 1 - 0
end
print("fold numbers", z[1], z[2], z[3], z[4])

-- FWD: a store forwarded to the load after it; one table under two names.
local t, u = {a = 1, b = 2}, {}
local alias = t
local s = 0
for i = 1, 300 do -- trace
  t.a = i
  alias.a = t.a + 1            -- the same slot: t.a is i + 1 now
  u.a = 100                    -- another table, same key: may be t, must not forward past it
  s = s + t.a + t.b
end
print("alias", s, t.a, u.a)
local w = t
for i = 1, 300 do -- trace
  t.b = i
  w.b = -i
  s = s + t.b
end
print("same table", s)

-- Array slots: i and i + 1 differ; an unrelated index may be either.
local arr = {}
for i = 1, 20 do arr[i] = i end
local total = 0
for i = 1, 18 do -- trace
  local a = arr[i]
  arr[i + 1] = a * 2           -- not arr[i]: a load of arr[i] is still a
  local j = (i * 7) % 19 + 1
  arr[j] = arr[j] + 1          -- may be arr[i]
  total = total + arr[i] + a
end
print("arrays", total, arr[5], arr[19], arr[20])

-- Upvalues: two closures sharing one, and one closure's two upvalues.
local function counter()
  local n, m = 0, 0
  local function bump() n = n + 1; m = m + 2; return n + m end
  local function peek() return n end
  local function poke(v) n = v end
  return bump, peek, poke
end
local bump, peek, poke = counter()
local seen = 0
for i = 1, 200 do -- trace
  seen = seen + bump()
  poke(peek() * 2 % 1000)      -- written through another closure's upvalue
  seen = seen + peek()
end
print("upvalues", seen, peek())

-- A new key may grow a table: slots computed before it are not reused after it.
local keep = {}
for i = 1, 300 do -- trace
  local g = {1, 2}
  g[1] = 10
  g[3] = 3; g[4] = 4; g[5] = 5; g[6] = 6; g[7] = 7; g[8] = 8; g[9] = 9
  g[1] = 20
  local h = {x = 1}
  h.x = 5
  h.y = i; h.z = i; h.w = i; h.v = i; h.q = i
  h.x = h.x + 1
  keep[i] = g[1] + h.x
end
local sum = 0
for i = 1, 300 do sum = sum + keep[i] end
print("growth", sum)

-- Metatables and string lengths read twice, around stores.
local mt = {__index = function(_, k) return k .. "!" end}
local obj = setmetatable({}, mt)
local len = 0
for i = 1, 100 do -- trace
  local str = "abc" .. (i % 3)
  len = len + #str + #str
  if i == 50 then setmetatable(obj, nil); obj.k = "raw"; setmetatable(obj, mt) end
  len = len + #obj.k
end
print("lengths", len)
