-- next(t, k) loops: interleaved traversals of two tables, keys cleared while traversing,
-- the same key asked twice, a key from the array part and from the hash part, -0 and
-- float keys, and keys that are not in the table. Sums and counts only: the order of
-- pairs is not part of the language.
local function traverse(t)
  local n, s = 0, 0
  local k, v = next(t)
  while k ~= nil do -- trace
    n = n + 1
    s = s + v
    k, v = next(t, k)
  end
  return n, s
end

local a, b = {}, {}
for i = 1, 200 do a["k" .. i] = i; b[i * 0.5] = i; a[i] = 1 end
print("plain", traverse(a))
print("floats", traverse(b))

-- Two traversals taking turns.
local ka, kb = next(a), next(b)
local na, nb = 0, 0
while ka ~= nil or kb ~= nil do -- trace
  if ka ~= nil then na = na + 1; ka = next(a, ka) end
  if kb ~= nil then nb = nb + 1; kb = next(b, kb) end
end
print("interleaved", na, nb)

-- Clearing every field as it is visited.
local c = {}
for i = 1, 100 do c["x" .. i] = i end
local k = next(c)
local cleared = 0
while k ~= nil do -- trace
  c[k] = nil
  cleared = cleared + 1
  k = next(c, k)
end
print("cleared", cleared, next(c))

-- The same key twice, and a key of one table given to another.
local d = { p = 1, q = 2, r = 3 }
local first = next(d)
local second = next(d, first)
print("again", next(d, first) == second, select("#", next(d, first)))
print("foreign", pcall(next, { z = 1 }, first))

-- -0 stands for 0; keys that are gone or never were.
local e = { [0] = "zero", [1.5] = "x" }
print("minus zero", next(e, -0) ~= 0, pcall(next, e, 2.5))
local f = { only = true }
print("end", next(f, "only"), pcall(next, f, "missing"))
