-- 32-bit hashing with the bit library: FNV-1a, an MD5-style round function and a
-- xorshift generator over a generated buffer of bytes. Measures calls of bit.* builtins.
local bit = bit or require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, arshift, rol, tobit = bit.lshift, bit.rshift, bit.arshift, bit.rol, bit.tobit
local n = tonumber(arg and arg[1]) or 400

-- xorshift32: the data to hash, as a table of bytes.
local state = 2463534242
local function xorshift()
  state = bxor(state, lshift(state, 13))
  state = bxor(state, rshift(state, 17))
  state = bxor(state, lshift(state, 5))
  return state
end
local data = {}
for i = 1, 16384 do data[i] = band(xorshift(), 255) end

local function fnv1a(bytes, len)
  local h = -2128831035 -- 2166136261 as a signed 32-bit number
  for i = 1, len do
    h = bxor(h, bytes[i])
    -- h * 16777619 in 32 bits, as shifts and adds
    h = tobit(h + lshift(h, 1) + lshift(h, 4) + lshift(h, 7) + lshift(h, 8) + lshift(h, 24))
  end
  return h
end

-- MD5's four round functions over 16-word blocks.
local function mix(bytes, len)
  local a, b, c, d = 1732584193, -271733879, -1732584194, 271733878
  for i = 1, len - 3, 4 do
    local w = bor(bytes[i], lshift(bytes[i + 1], 8), lshift(bytes[i + 2], 16), lshift(bytes[i + 3], 24))
    local f
    local r = band(rshift(i, 2), 3)
    if r == 0 then f = bor(band(b, c), band(bnot(b), d))
    elseif r == 1 then f = bor(band(b, d), band(c, bnot(d)))
    elseif r == 2 then f = bxor(b, c, d)
    else f = bxor(c, bor(b, bnot(d))) end
    local t = tobit(a + f + w)
    a, d, c = d, c, b
    b = tobit(b + rol(t, 7 + r * 5))
  end
  return bxor(a, b, c, arshift(d, 3))
end

local total = 0
for round = 1, n do
  data[band(round, 16383) + 1] = band(round * 7, 255)
  total = bxor(total, fnv1a(data, #data), mix(data, #data))
end
print(string.format("hash %d rounds: %s", n, bit.tohex(total)))
