-- 64-bit integer cdata in compiled loops: + - * / % and unary minus with luajit's
-- wrap-around (int64_t, or uint64_t when either operand is one), numbers converted as
-- luajit converts them, comparisons of 64-bit integers and of pointers, pointer
-- differences, and int64_t/uint64_t members and elements loaded and stored unboxed.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { int64_t a; uint64_t b; int32_t n; double d; } acc;
]]

-- A multiplicative hash that wraps around 2^64.
local h = 1469598103934665603ULL
for i = 1, 300 do -- trace
  h = h * 1099511628211ULL + i
end
print(h, type(h), ffi.istype("uint64_t", h))

-- Signed arithmetic with every operator, negative values and numbers mixed in.
local s, q, r, m = 7LL, 0LL, 0LL, 0LL
for i = 1, 200 do -- trace
  s = s * 3 - i
  q = s / (i - 100)
  r = s % 17
  m = -s + 2.75
end
print(s, q, r, m)

-- Division and modulo by zero, the smallest value divided by -1, unsigned division.
local lows, zeros = {}, {}
local low = -9223372036854775807LL - 1
for i = 1, 40 do -- trace
  local d = i % 2
  zeros[i] = tostring(i * 1LL / d) .. " " .. tostring(i * 1LL % d) .. " " .. tostring((0ULL + i) / d)
  lows[i] = tostring(low / (d - 2 + d)) .. " " .. tostring(low % -1) .. " " .. tostring(0xFFFFFFFFFFFFFFFFULL / (i + 1) % 1000)
end
print(zeros[1], zeros[2], zeros[40])
print(lows[1], lows[2], lows[39])

-- Numbers converted: fractions truncated, negative numbers to uint64_t, huge ones.
local u, v = 0ULL, 0LL
for i = 1, 100 do -- trace
  u = u + (-1.5 * i)
  v = v + 2^40 * i + 0.5
end
print(u, v)
-- Near and beyond 2^64: uint64_t wraps from 2^63 to 2^64 + 2^63, else 2^63.
local big = {2^63, 2^64 - 2^11, 2^64, 2^64 + 2^12, 2^64 + 2^63 - 2^12, 2^64 + 2^63, 2^65, -0.5, -1, -2^62, 0/0}
local wraps, stores = {}, ffi.new("uint64_t[11]")
for i = 1, #big * 4 do -- trace
  local k = (i - 1) % #big + 1
  local d = big[k]
  wraps[k] = tostring(0ULL + d) .. "/" .. tostring(0LL + d)
  stores[k - 1] = d
end
print(table.concat(wraps, " "))
print(stores[0], stores[2], stores[3], stores[5], stores[7], stores[8])

-- Comparisons: signed, unsigned when either is uint64_t, against numbers, equality.
local counts = {0, 0, 0, 0, 0, 0}
local x, y = -5LL, 3ULL
for i = 1, 120 do -- trace
  local a = i * 1LL - 60
  if a < 0 then counts[1] = counts[1] + 1 end
  if a <= x then counts[2] = counts[2] + 1 end
  if a < y then counts[3] = counts[3] + 1 end
  if a == 7 then counts[4] = counts[4] + 1 end
  if a ~= 7LL then counts[5] = counts[5] + 1 end
  if 10 >= a then counts[6] = counts[6] + 1 end
end
print(table.concat(counts, " "))

-- Members and elements: loaded, computed and stored without boxing.
local accs = ffi.new("acc[4]")
local wide = ffi.new("int64_t[64]")
wide[0] = 1
for i = 1, 63 do -- trace
  local c = accs[i % 4]
  c.a = c.a + i * 1000000007LL
  c.b = c.b - i
  c.n = c.a % 1000
  c.d = c.a
  wide[i] = wide[i - 1] * 3 + c.b
end
for k = 0, 3 do print(accs[k].a, accs[k].b, accs[k].n, accs[k].d) end
print(wide[1], wide[40], wide[63])

-- Pointers: comparisons and differences (a number of elements).
local buf = ffi.new("double[100]")
local first, last = buf + 0, buf + 99
local below, diffs = 0, 0
for i = 0, 99 do -- trace
  local p = buf + i
  if p < last then below = below + 1 end
  if p <= first then below = below + 100 end
  if p == first + 50 then below = below + 10000 end
  diffs = diffs + (p - first) - (last - p)
end
print(below, diffs, type(last - first), last - first)

-- An integer the loop reads, stored unchanged, is the same object (also as a table key).
local key, stored, marks = 12345LL, {}, {}
for i = 1, 50 do -- trace
  if key > i then stored[i] = key end
  marks[key] = i
end
local same = 0
for i = 1, 50 do if rawequal(stored[i], key) then same = same + 1 end end
print(same, marks[key])

-- A slot read as a cdata (copied first) that the loop then gives a computed integer.
local c1, c2 = 1LL, 2LL
for i = 1, 30 do -- trace
  c1 = c2
  c2 = c2 * 3 + i
end
print(c1, c2)

-- A slot that changes type under the trace: int64_t, then uint64_t, then a number.
local function step(z, n)
  for i = 1, n do -- trace
    z = z + i
  end
  return z
end
print(step(1LL, 50), step(1ULL, 50), step(1, 50), step(-1LL, 50))
print("ok")
