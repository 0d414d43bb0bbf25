-- Integer arithmetic on bit results: sums, differences and products of bit.* results and
-- integer constants feed further bit operations; compiled code computes them on integers
-- where the double result is exact, and must give the same answers as doubles.
local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, arshift, rol, tobit = bit.lshift, bit.rshift, bit.arshift, bit.rol, bit.tobit

local bytes = {}
local state = 12345
for i = 1, 512 do
  state = bxor(state, lshift(state, 13)); state = bxor(state, rshift(state, 17)); state = bxor(state, lshift(state, 5))
  bytes[i] = band(state, 255)
end

-- FNV-1a with the multiplication spelled as shifts and adds.
local function fnv(data, n)
  local h = -2128831035
  for i = 1, n do
    h = bxor(h, data[i])
    h = tobit(h + lshift(h, 1) + lshift(h, 4) + lshift(h, 7) + lshift(h, 8) + lshift(h, 24))
  end
  return h
end
print("fnv", fnv(bytes, 512), fnv(bytes, 17))

-- MD5-style rounds: calls whose last argument is another call's result.
local function mix(data, n)
  local a, b, c, d = 1732584193, -271733879, -1732584194, 271733878
  for i = 1, n - 3, 4 do
    local w = bor(data[i], lshift(data[i + 1], 8), lshift(data[i + 2], 16), lshift(data[i + 3], 24))
    local r = band(rshift(i, 2), 3)
    local f
    if r == 0 then f = bor(band(b, c), band(bnot(b), d))
    elseif r == 1 then f = bor(band(b, d), band(c, bnot(d)))
    elseif r == 2 then f = bxor(b, c, d)
    else f = bxor(c, bor(b, bnot(d))) end
    local t = tobit(a + f + w - 7 * r)
    a, d, c = d, c, b
    b = tobit(b + rol(t, 7 + r * 5))
  end
  return bxor(a, b, c, arshift(d, 3))
end
print("mix", mix(bytes, 512), mix(bytes, 64))

-- Magnitudes past 2^51: the doubles round, and bit operations see the rounded value.
local big = lshift(1, 30)
local results = {}
for i = 1, 4 do
  local x = big * big * 8 + i          -- 2^63 + i: not exact in doubles
  local y = big * 4096 + band(i, 3)    -- 2^42 + small: exact
  local z = (big + i) * (big - i) * 3  -- beyond 2^53
  local w = big * 4194304 + i         -- 2^52 + i: exact, but tobit's rounding shows
  local v = lshift(i, 20) * 2048 + 1   -- 2^31 * i + 1: exact, and tobit as the integer's low bits
  results[#results + 1] = tobit(x) .. " " .. tobit(y) .. " " .. tobit(z) .. " " .. band(y - big * 4096, 7)
    .. " " .. tobit(w) .. " " .. tobit(v) .. " " .. bor(w - 1, 0)
end
print(table.concat(results, " | "))

-- The double result stays the value: a product that is -0 prints as such.
local zero = band(0, 1) * -1
print("negative zero", 1 / zero, tobit(zero))
local m = -band(5, 4)
print("unm", m, tobit(m + 1))

-- A loop whose builtin is replaced on the way: the rest runs the replacement.
local function rolling(n)
  local acc = 0
  local ops = { band = band }
  for i = 1, n do
    acc = bor(acc + i, ops.band(i, 7))
    if i == 50 then ops.band = function(x, y) return x * y end end
  end
  return acc
end
print("rolling", pcall(rolling, 100))

-- A `bit` call whose last argument is a Lua call with several results.
local function two() return 3, 5 end
local total = 0
for i = 1, 40 do
  total = tobit(total + bor(i, two()) + lshift(i, 3) - band(total, 255))
  if i == 20 then two = function() return 1 end end
end
print("multi", total)

-- Hash of a string's bytes, with a constant multiplier below 2^31.
local function djb(s)
  local h = 5381
  for i = 1, #s do h = band(h * 33 + s:byte(i), 0xffffffff) end
  return h
end
print("djb", djb("the quick brown fox jumps over the lazy dog"), djb(""))
