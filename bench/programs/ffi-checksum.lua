-- FFI: a uint8_t buffer filled by a Park-Miller generator, then checksummed (Adler-32 and a
-- rotating xor hash) pass after pass, each pass mutating the buffer in place.
local ffi = require("ffi")
local n = tonumber(arg and arg[1]) or 300

local size = 65536
local buf = ffi.new("uint8_t[?]", size)
local seed = 42
for i = 0, size - 1 do
  seed = (seed * 16807) % 2147483647
  buf[i] = seed % 256
end

local adler, hash = 1, 0
for pass = 1, n do
  local a, b = 1, 0
  for i = 0, size - 1 do
    a = (a + buf[i]) % 65521
    b = (b + a) % 65521
  end
  adler = (b * 65536 + a) % 4294967296
  local h = hash
  for i = 0, size - 1, 4 do
    h = (h * 31 + buf[i] + buf[i + 1] * 3 + buf[i + 2] * 5 + buf[i + 3] * 7) % 4294967296
  end
  hash = h
  -- mutate: every byte shifts by the pass number
  for i = pass % 7, size - 1, 7 do
    buf[i] = (buf[i] + pass) % 256
  end
end
print(string.format("%d %d", adler, hash))
