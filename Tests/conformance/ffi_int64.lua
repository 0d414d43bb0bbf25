-- 64-bit integer cdata (int64_t, uint64_t) with luajit's rules, in straight-line code and in
-- loops a built executable computes unboxed: arithmetic that wraps around, division by zero
-- and the smallest int64_t divided by -1, numbers and integers mixed (uint64_t when either
-- operand is one), comparisons signed and unsigned, tostring and tonumber, bit operations,
-- members and elements, values that escape into tables, closures and calls, and errors.
local ffi = require("ffi")
local bit = require("bit")

local function show(...)
  local t = {}
  for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
  print(table.concat(t, " "))
end

-- Constants and tostring.
show(123LL, 123ULL, -123LL, 0LL, 0xffffffffffffffffULL, 0x7fffffffffffffffLL, -0x8000000000000000LL)
show(type(1LL), ffi.istype("int64_t", 1LL), ffi.istype("uint64_t", 1ULL), ffi.istype("int64_t", 1ULL))

-- Wrapping arithmetic.
local max, min = 0x7fffffffffffffffLL, -0x7fffffffffffffffLL - 1
show(max + 1, min - 1, max * 2, -min, 0ULL - 1, 0xffffffffffffffffULL + 2, 0xffffffffffffffffULL * 0xffffffffffffffffULL)
-- Division and modulo: truncated toward zero, by zero 2^63, min / -1 itself and min % -1 zero.
show(7LL / 2, -7LL / 2, 7LL % 3, -7LL % 3, 7LL % -3, 7LL / 0, -7LL / 0, 7LL % 0, min / -1, min % -1)
show(7ULL / 0, 7ULL % 0, 0xffffffffffffffffULL / 3, 0xffffffffffffffffULL % 1000, 10ULL / 4)
-- Powers, unary minus.
show(2LL ^ 10, 2LL ^ 63, 2LL ^ 64, 3ULL ^ 41, 2LL ^ -1, 1LL ^ -5, (-1LL) ^ -3, (-1LL) ^ -4, -(5ULL), -(-5LL))

-- Numbers mixed in: truncated to the operation's type; uint64_t wins over int64_t.
show(1LL + 2.9, 1LL - 2.9, 10LL * 0.5, 10 / 3LL, 2.5 % 2LL, 5 - 1ULL, 1ULL + -5, -1LL + 0ULL, 3LL * -1ULL)
show(0ULL + 2^63, 0LL + 2^63, 0ULL + 2^64, 0LL + -2^63, 0ULL - 0.5, 0LL + 0/0)

-- Comparisons: signed, unsigned when either is uint64_t, numbers converted.
show(-1LL < 1LL, -1LL < 1ULL, 1ULL < -1LL, -1LL <= 0xffffffffffffffffULL, 1LL < 1.5, 1LL <= 1.5, 2LL > 1.5)
show(1LL == 1, 1LL == 1ULL, -1LL == 0xffffffffffffffffULL, 1LL == 1.5, 1LL ~= 2, 1LL == "1", 1LL == nil)
show(5LL >= 5, 5ULL > 4LL, min < max, min < 0ULL, max + 1 < 0)

-- tonumber and the bit library on 64-bit values.
show(tonumber(123LL), tonumber(-5LL), tonumber(0xffffffffffffffffULL), tonumber(2^53 + 1LL), type(tonumber(1LL)))
show(bit.band(0xff00ff00ff00ff00ULL, 0xffff0000LL), bit.bor(1LL, 2), bit.bxor(-1LL, 0xf0), bit.bnot(0LL))
show(bit.lshift(1LL, 40), bit.rshift(-1LL, 60), bit.arshift(-256LL, 4), bit.rol(1ULL, 63), bit.tohex(-1LL), bit.tobit(0x100000001LL))

show(bit.tohex(255LL), bit.tohex(255LL, 4), bit.tohex(-1LL, -20), bit.tohex(0xabcULL, 2), bit.tohex(-1, 12))
show(bit.bswap(0x0102030405060708LL), bit.lshift(1, 40LL), bit.lshift(1LL, 64), bit.rshift(0x8000000000000000ULL, 63))
show(bit.ror(1LL, 1), bit.rol(3ULL, 65), bit.tobit(-1LL), bit.tobit(0xffffffffULL), bit.bnot(5ULL), bit.band(1LL))
show(bit.bxor(1LL, 2ULL, 4), bit.bor(1LL, -1), bit.band(ffi.new("int32_t", -1), 0xff), bit.band(ffi.new("double", 3.7), 7))
local hashed = 0ULL
for i = 1, 40 do hashed = bit.bxor(bit.rol(hashed, 5), i * 0x9e3779b97f4a7c15ULL) end
show(hashed, bit.band(hashed, 0xffff), bit.rshift(hashed, 48))

-- Members and elements of 64-bit type.
ffi.cdef[[ typedef struct { int64_t key; uint64_t sum; int32_t small; double d; } int64_slot; ]]
local slots = ffi.new("int64_slot[4]")
local wide = ffi.new("uint64_t[4]", 1, 2, 3, 4)
slots[0].key = -3; slots[0].sum = -1; slots[0].small = 7; slots[0].d = 2.5
slots[1].key = 2^62; slots[1].sum = 0xffffffffffffffffULL; slots[1].d = 3LL
slots[2].key = 0xffffffffffffffffULL; slots[2].sum = -2LL
show(slots[0].key, slots[0].sum, slots[1].key, slots[1].sum, slots[1].d, slots[2].key, slots[2].sum)
show(wide[0] + wide[3], wide[1] - wide[2], wide[0] * slots[0].key, slots[0].key * slots[0].small)

-- Loops: integers carried around, updated in members, compared, passed on.
local h, x = 1469598103934665603ULL, 1LL
local buf = ffi.new("uint8_t[64]")
for i = 0, 63 do buf[i] = (i * 37 + 11) % 256 end
for pass = 1, 3 do
  for i = 0, 63 do
    h = (h + buf[i]) * 1099511628211ULL
  end
  for i = 0, 63, 4 do
    x = x * 6364136223846793005LL + 1442695040888963407LL
    local s = slots[buf[i] % 4]
    s.key = s.key + x / 65536
    s.sum = s.sum + h % 1000003
    if s.key < 0 then s.key = -s.key end
  end
end
show(h, x, slots[0].key, slots[1].sum, slots[2].key, slots[3].sum)

-- Values that escape: into tables (the same object each time), through calls and returns,
-- captured by closures, and moved between locals on different paths.
local function twice(v) return v * 2 end
local seen, keys = {}, {}
local acc, copy = 0LL, nil
for i = 1, 20 do
  acc = acc + i
  if i % 5 == 0 then seen[#seen + 1] = acc end
  keys[acc] = i
  copy = acc
  acc = twice(acc) - acc
end
show(acc, copy, #seen, seen[1], seen[4], keys[acc], rawequal(seen[4], keys[seen[4]] and seen[4]))
local counter = 10LL
local function bump() counter = counter + 1; return counter end
for _ = 1, 5 do bump() end
show(counter, bump())
local mixed
for i = 1, 6 do
  if i % 2 == 0 then mixed = i * 1LL else mixed = i end
  mixed = mixed + 1
end
show(mixed, type(mixed))

-- One computed value stays one object: stored in a table, used as a key, moved.
local list, marks, x2 = {}, {}, 1LL
for i = 1, 5 do
  x2 = x2 * 3 + i
  list[i] = x2
  marks[x2] = i
  local y2 = x2
  if not rawequal(y2, x2) then print("a moved integer is another object") end
end
local found = 0
for i = 1, 5 do if marks[list[i]] == i then found = found + 1 end end
show(found, rawequal(list[5], x2), marks[x2])
-- Yielding from a loop that computes integers.
local co = coroutine.wrap(function()
  local v = 5ULL
  for i = 1, 3 do v = v * v + i; coroutine.yield(v) end
  return v
end)
show(co(), co(), co(), co())

-- A loop whose integer meets another type: uint64_t, a number, a table with __add.
local function sum(list)
  local total = 0LL
  for i = 1, #list do total = total + list[i] end
  return total
end
local adder = setmetatable({}, {__add = function(a, b) return 42 end})
show(sum({1, 2, 3}), sum({1LL, 2ULL, 3LL}), sum({5, -1LL, 2.5}), adder + 1LL, pcall(sum, {1, adder}))

-- Errors with luajit's messages.
local function fails(f, ...)
  local ok, err = pcall(f, ...)
  print(ok, (tostring(err):gsub("^[^:]*:%d+: ", "")))
end
fails(function() return 1LL + {} end)
fails(function() return 1LL + nil end)
fails(function() return "x" + 1ULL end)
fails(function() return 1LL < "x" end)
fails(function() return 1LL <= {} end)
fails(function() return {} < 1ULL end)
fails(function() return 1LL .. "x" end)
fails(function() return #1LL end)
fails(function() return bit.band(ffi.new("int[2]"), 1) end)
fails(function() return bit.lshift(1LL) end)
fails(function() return bit.bor(1ULL, {}) end)
fails(function() local v = 1LL; for i = 1, 3 do v = v * i; if i == 3 then v = v + true end end; return v end)
print("ok")

-- string.format's integer conversions print 64-bit integer cdata's bits; others refuse them.
print(string.format("%d|%x|%X|%o|%i|%u|%5d|%-5d|", 12345678901234LL, -1LL, 255ULL, 8LL, -3LL, -1LL, 7LL, 7LL))
print(string.format("%d %i %u %x %o", 18446744073709551615ULL, 9223372036854775808ULL, -5LL, -5LL, 8ULL))
print(pcall(string.format, "%c", 65LL))
print(pcall(string.format, "%f", 1LL))
print(pcall(string.format, "%d", require("ffi").new("int", 5)))
