-- FFI: 64-bit integer hashing over a uint8_t buffer: a multiply-and-add hash in uint64_t
-- wrapping around 2^64, a linear congruential generator in int64_t, and int64_t/uint64_t
-- members of an array of structs updated from both, pass after pass.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { int64_t key; uint64_t sum; } slot; ]]
local n = tonumber(arg and arg[1]) or 300

local size = 65536
local buf = ffi.new("uint8_t[?]", size)
local seed = 42
for i = 0, size - 1 do
  seed = (seed * 16807) % 2147483647
  buf[i] = seed % 256
end

local slots = ffi.new("slot[256]")
local h, x = 1469598103934665603ULL, 1LL
for _ = 1, n do
  for i = 0, size - 1 do
    h = (h + buf[i]) * 1099511628211ULL
  end
  for i = 0, size - 1, 16 do
    x = x * 6364136223846793005LL + 1442695040888963407LL
    local s = slots[buf[i]]
    s.key = s.key + x / 65536
    s.sum = s.sum + h % 1000003
    if s.key < 0 then s.key = -s.key end
  end
end

local total, keys = 0ULL, 0LL
for i = 0, 255 do
  total = total + slots[i].sum
  keys = keys + slots[i].key % 1000
end
print(tostring(h), tostring(x), tostring(total), tostring(keys))
