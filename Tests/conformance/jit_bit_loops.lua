-- Loops whose slots carry bit operations' results round and round: the 32-bit value
-- travels with the number, so what each round reads must be tobit of what the last one
-- left, and of the number found at entry (not an integer, or beyond 32 bits) in the first.
local bit = require("bit")
local bxor, band, bor, rol, tobit, lshift = bit.bxor, bit.band, bit.bor, bit.rol, bit.tobit, bit.lshift

local function fnv(bytes, h)
  for i = 1, #bytes do
    h = bxor(h, bytes[i])
    h = tobit(h + lshift(h, 1) + lshift(h, 4) + lshift(h, 7) + lshift(h, 8) + lshift(h, 24))
  end
  return h
end

local bytes = {}
for i = 1, 100 do bytes[i] = (i * 37) % 256 end
for _, start in ipairs({ -2128831035, 0.5, 1.5, 2.5, -0.5, 2^32 + 7, 2^40 + 2^31, -2^31 - 1, 123456.75 }) do
  print(start, fnv(bytes, start))
end

-- A slot read through tobit and through arithmetic in the same round, left by an exit
-- half-way (the number the exit writes must be the converted integer).
local function mixed(n, a)
  local s = 0
  for i = 1, n do
    s = s + a
    a = rol(a, 3)
    if i == 37 then return s, a, i end
    a = bor(a, i)
  end
  return s, a
end
for _, start in ipairs({ 1, 0.25, 7.5, 2^33 + 1 }) do print(mixed(50, start)) end
print(mixed(20, 3))

-- Two slots swapped each round, both carried as bits.
local function swap(n)
  local x, y = 0x12345678, 3.75
  for i = 1, n do
    x, y = bxor(y, i), band(x, 0x7fffffff)
  end
  return x, y
end
print(swap(100), swap(101))
