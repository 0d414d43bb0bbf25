-- Numeric for loops whose index the trace counts in 32-bit integers (integer start and
-- step, small bound), and loops that must not be: fractional steps and bounds, bounds near
-- and past 2^31, huge steps, loop variables the body changes, bounds that change between
-- runs of the same trace.

local t = {}
for i = 1, 1000 do t[i] = i * 2 end -- trace
local s = 0
for i = 1, #t do s = s + t[i] end -- trace
for i = #t, 1, -3 do s = s + t[i] end -- trace
print("arrays", s)

local f = 0
for i = 1, 10.5 do f = f + i end
for i = 10.5, 1, -1 do f = f + i end
for x = 0, 1, 0.125 do f = f + x end
print("fractions", f)

local changed = 0
for i = 1, 100 do local j = i; i = i * 2; changed = changed + i + j end -- trace
print("changed", changed)

local edge = 0
for i = 2147483600, 2147483647 do edge = edge + 1 end -- trace
for i = -2147483647, -2147483600 do edge = edge + 1 end
for i = 1, 3 do for j = 1, 2 ^ 40, 2 ^ 39 do edge = edge + j end end
print("edges", edge)

-- The same loop entered with bounds that are integers, then not, then huge.
local function sum(a, b, step)
  local r = 0
  for i = a, b, step do r = r + i end
  return r
end
local results = {}
for k = 1, 60 do results[#results + 1] = sum(1, k, 1) end
results[#results + 1] = sum(0.5, 10, 1)
results[#results + 1] = sum(1, 10, 0.5)
results[#results + 1] = sum(1, 2 ^ 31 + 5, 2 ^ 30)
results[#results + 1] = sum(10, 1, -2)
results[#results + 1] = sum(1, 0 / 0, 1)
results[#results + 1] = sum(2 ^ 29, 2 ^ 31, 2 ^ 29)
print("entries", #results, results[60], results[61], results[62], results[63], results[64], results[65])

-- Array indexes the narrowed index plus or minus a constant: inside the array, past its
-- end (the guard leaves), and below 1 (the hash part).
local shifted = {}
for i = 1, 100 do shifted[i] = i end
shifted[0] = 1000
local near = 0
for i = 1, 99 do near = near + shifted[i + 1] - shifted[i - 1 + 1] end -- trace
for i = 1, 100 do near = near + (shifted[i + 1] or -1) end -- trace
for i = 1, 100 do near = near + shifted[i - 1] end -- trace
print("offsets", near)

-- The narrowed index modulo a positive constant: integer remainders, non-negative for
-- negative indexes too (Lua's a - floor(a/b)*b), a divisor of 1, and results used as
-- numbers and as array indexes.
local buckets = {0, 0, 0, 0, 0, 0, 0}
local mixed = 0
for i = 1, 700 do local m = i % 7; buckets[m + 1] = buckets[m + 1] + 1 end -- trace
for i = -50, 50 do mixed = mixed + i % 3 + (i % 1) * 1000 + i % 4 / 2 end -- trace
for i = 100, 1, -1 do if i % 5 == 0 then mixed = mixed + 1 end end -- trace
print("modulo", table.concat(buckets, " "), mixed)

-- bit.tobit (and bit operations) of sums of 32-bit integers: 32-bit sums that wrap, as
-- the exact number sums would truncate; sums with a fraction, a large constant or a
-- number that is not from an integer keep the number arithmetic.
local bxor, lshift, tobit, band = bit.bxor, bit.lshift, bit.tobit, bit.band
local h = -2128831035
for i = 1, 300 do -- trace
  h = bxor(h, i)
  h = tobit(h + lshift(h, 1) + lshift(h, 4) + lshift(h, 7) + lshift(h, 8) + lshift(h, 24))
end
local d = 0
for i = 1, 300 do d = tobit(lshift(i, 30) - lshift(i, 29) - 7 + lshift(d, 3)) end -- trace
local f = 0
for i = 1, 300 do f = f + tobit(lshift(i, 20) + 0.5) + band(lshift(i, 28) + 2 ^ 40 + 3, -1) end -- trace
local g, x = 0, 1.25
for i = 1, 300 do g = bxor(g, tobit(x * i + lshift(i, 3))) end -- trace
print("wrapping sums", h, d, f, g)
