-- Tables made by constructors (TNEW with size hints, TDUP copies of templates) keep their
-- parts with the header while they stay small: copies must iterate in the template's order,
-- be independent of each other, and grow, shrink and be collected like any other table.
-- (String hashes are seeded per run: `order` compares traversals, `keys` prints sorted.)

local function order(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end

local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  table.sort(out)
  return table.concat(out, " ")
end

-- TDUP: templates whose keys collide in small hash parts.
local function template()
  return { a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, [1.5] = "x", [true] = "t", [false] = "f", [-3] = "m" }
end
local first = template()
print(keys(first))
for i = 1, 5 do
  local t = template()
  assert(order(t) == order(first))
  t.a = i; t.z = i; t[1.5] = nil
  assert(first.a == 1 and first.z == nil and first[1.5] == "x")
end
local again = template()
assert(order(again) == order(first))

-- Mixed array and hash templates, and copies that grow out of their room.
local function mixed() return { 10, 20, 30, x = "x", y = "y", [10] = 100, [0] = "zero" } end
local m = mixed()
print(#m, keys(m))
for i = 4, 40 do m[i] = i end
print(#m, m[10], m.x, m.y, m[0])
for i = 40, 2, -1 do m[i] = nil end
m.w = 1; m.v = 2; m.u = 3
print(#m, m[1], m.x, m.w)
assert(order(mixed()) == order(mixed()))

-- TNEW with hints: {a, b} and {x=, y=, z=}.
local function pair(a, b) return { a, b } end
local function vec(x, y, z) return { x = x, y = y, z = z } end
local p = pair(1, 2)
print(#p, keys(p))
for i = 3, 20 do p[i] = i * i end
print(#p, p[20])
p[21] = nil; p.k = "k"
for i = 20, 1, -1 do p[i] = nil end
print(#p, keys(p))
local v = vec(1, 2, 3)
print(keys(v))
v.w = 4; v.q = 5; v.x = nil
print(keys(v))
v.x = 7
print(v.x, v.y, v.z, v.w, v.q)

-- Holes in a hinted array part: the border stays LuaJIT's.
local h = { nil, nil, 3 }
print(#h)
local h2 = { 1, 2, nil, 4 }
print(#h2)

-- Many short-lived tables of every kind through many collections.
local keep = {}
for round = 1, 30 do
  for i = 1, 300 do
    local t = (i % 3 == 0) and template() or (i % 3 == 1) and pair(i, round) or vec(i, round, i + round)
    if i % 50 == 0 then
      if t.a then t.grown = {} for j = 1, 10 do t[j] = j end end
      keep[#keep + 1] = t
    end
  end
  collectgarbage(round % 2 == 0 and "collect" or "step")
end
local sum = 0
for _, t in ipairs(keep) do
  sum = sum + (t.a or 0) + (t[1] or 0) + (t.x or 0) + #t
end
print(#keep, sum)

-- Weak tables over colocated tables through many collections.
local weakKeys = setmetatable({}, { __mode = "k" })
local weakValues = setmetatable({}, { __mode = "v" })
local anchors = {}
for round = 1, 20 do
  for i = 1, 50 do
    local k, val = vec(i, round, 0), pair(round, i)
    weakKeys[k] = val
    weakValues[round * 100 + i] = template()
    if i % 10 == 0 then anchors[#anchors + 1] = k; anchors[#anchors + 1] = weakValues[round * 100 + i] end
  end
  collectgarbage()
end
collectgarbage()
local wk, wv = 0, 0
for k, val in pairs(weakKeys) do wk = wk + 1; assert(k.x % 10 == 0 and val[2] == k.x) end
for _, val in pairs(weakValues) do wv = wv + 1; assert(val.a == 1) end
print(wk, wv)

-- Memory given back: garbage tables of every kind leave the count where it was.
collectgarbage()
local before = collectgarbage("count")
for i = 1, 20000 do local _ = template(); _ = pair(i, i); _ = vec(i, i, i) end
collectgarbage()
collectgarbage()
print(collectgarbage("count") - before < 64)

print("ok")
