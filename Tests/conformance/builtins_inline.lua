-- Builtins that compiled code computes inline behind a check of the callee (bit, string.len
-- and string.byte, type, select('#'), tonumber of a number, rawget), called in loops from
-- functions under their own names (locals, upvalues, fields, methods); the same names bound
-- to other functions; and every argument the inline form leaves to the builtin (other
-- types, numeric strings, positions outside the string, odd counts), errors included.
-- lua5.1 has no bit library and differs in the function name of errors from builtins
-- called in tail position.
local band, bor, bxor, bnot, tobit, bswap = bit.band, bit.bor, bit.bxor, bit.bnot, bit.tobit, bit.bswap
local lshift, rshift, arshift, rol, ror = bit.lshift, bit.rshift, bit.arshift, bit.rol, bit.ror
local byte, len, sub = string.byte, string.len, string.sub

local function err(f, ...)
  local ok, message = pcall(f, ...)
  return ok and "no error" or message
end

-- bit: every operation over numbers of every range, in a loop.
local function bits(n)
  local h = 0
  for i = 1, n do
    local x = i * 2654435761 - 2^31
    h = bxor(h, band(x, 0xffff), bor(i, 3), bnot(i), tobit(x + 2^40), bswap(i))
    h = h + lshift(i, i) + rshift(x, i % 40) + arshift(-x, i) + rol(x, i) + ror(x, 37 - i)
    h = tobit(h)
  end
  return h
end
print(bits(100), bits(1))
print(band(-1), pcall(bor))
print(bit.band(2^53 + 5, 0xff), bit.bor(-0.5, 0), bxor(0/0, 1), tobit(1/0), lshift(1, -1), rshift(-1, 64.9))
print(band(1, 2, 3, 4, 5, 6, 7, 8), bor(1, 2, 4, 8, 16, 32, 64, 128, 256), bxor(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
print(band("7", 3), lshift(1, "3"), bnot("0x10"), tobit(" 12 "))
print(err(function() local r = band(1, "x") return r end))
print(err(function() local r = lshift({}, 1) return r end))
print(err(function() local r = bnot(nil) return r end))
print(err(function() local r = rol(1) return r end))
print(err(function() return tobit(true) end))

-- Math functions called through their C function: in a loop, with numeric strings and
-- other types (the builtin's errors), and under other names.
local pow, atan2, asin, log10, deg = math.pow, math.atan2, math.asin, math.log10, math.deg
local function cmath(n)
  local s = 0
  for i = 1, n do
    s = s + pow(-1, i) / i + atan2(i, 2) + asin(1 / i) + log10(i) + deg(i) + math.sinh(i / n) + math.rad(i)
  end
  return string.format("%.10f", s)
end
print(cmath(50), pow(2, 0.5), pow(0, -1), atan2(-0, -1), asin(2) ~= asin(2), math.tanh(1e300))
print(pow("2", 3), asin("1") == math.pi / 2, math.cosh(0), math.acos(1))
print(err(function() local r = pow(2) return r end))
print(err(function() local r = atan2(1, {}) return r end))
print(err(function() local r = log10("x") return r end))
print(err(function() local pow = function(a, b) return a .. b end; local r = pow(2, 3) return r end))

-- string.len and string.byte: plain, negative and fractional positions, outside the string,
-- the empty string, several results, numbers as strings, and other types.
local function bytes(s)
  local sum = 0
  for i = 1, len(s) do sum = sum + byte(s, i) * i + byte(s, -i) + s:byte(i) + string.byte(s) end
  return sum, len(s), s:len()
end
print(bytes("hello, world"))
print(bytes(""))
print(byte("abc", 0), byte("abc", 4), byte("abc", -4), byte("abc", 1.5), byte("abc", -1.5), byte("abc", 2^53))
print(byte("abc", 1, 3), byte("abc", "2"), byte(""), select("#", byte("")), select("#", byte("abc", 9)))
print(byte(123, 2), len(12345), byte("abc", nil), (byte("\255\0")))
print(err(function() local r = byte({}) return r end))
print(err(function() local r = byte("abc", {}) return r end))
print(err(function() local r = len(nil) return r end))
print(err(function() local r = len() return r end))

-- type, select('#'), tonumber, rawget in loops.
local function counts(...)
  local n, kinds = 0, {}
  for i = 1, 10 do
    n = n + select("#", ...) + select('#', i, ...)
    kinds[type(i)] = (kinds[type(i)] or 0) + 1
    n = n + tonumber(i) + (tonumber("0x" .. i) or 0)
  end
  return n, kinds.number, select("#", ...)
end
print(counts())
print(counts(nil, nil, nil))
print(select("#"), select("#", nil), select(2, "a", "b", "c"), select(-1, "a", "b"))
print(err(function() local r = select("x", 1) return r end))
print(select("##", 1), select("#x", 1, 2), err(function() local r = select("", 1) return r end))
print(err(function() local r = select() return r end))
print(err(function() local r = select(0, 1) return r end))
print(tonumber(" 10 "), tonumber("z", 36), tonumber(nil), tonumber({}), tonumber(1/0), tonumber(-0))
print(err(function() local r = tonumber() return r end))

local t = setmetatable({10, 20, 30, [0] = "zero", [-1] = "neg", [1.5] = "frac", x = "ex", [true] = "yes"},
                       {__index = function() return "meta" end})
local function raws(t)
  local out = {}
  for i = -1, 4 do out[#out + 1] = tostring(rawget(t, i)) end
  out[#out + 1] = rawget(t, 1.5)
  out[#out + 1] = rawget(t, "x")
  out[#out + 1] = tostring(rawget(t, "y"))
  out[#out + 1] = rawget(t, true)
  out[#out + 1] = tostring(rawget(t, 0/0))
  out[#out + 1] = t[4]
  return table.concat(out, " ")
end
print(raws(t))
print(err(function() local r = rawget("x", 1) return r end))
print(err(function() local r = rawget(t) return r end))
print(err(function() local r = rawget() return r end))

-- A previous call's results as the last arguments: one, none, several.
local function none() end
local function two() return 6, 5 end
local function trailing(i)
  return bor(i, lshift(i, 4)), bxor(i, two()), band(7, byte("\3\5", 1, 2)), len(sub("abc", i)),
         select("#", two()), err(function() return bnot(none()) end), bor(i, none())
end
print(trailing(1))
print(trailing(2))

-- Tail calls of the same builtins.
local function tails(s) return byte(s, 2) end
local function tailBit(x) return band(x, 3) end
local function tailCount(...) return select("#", ...) end
print(tails("xyz"), tailBit(7), tailCount(1, 2), tails(""), err(tails, 5), err(tailBit, "q"))

-- The same names bound to other functions: the call, not the builtin.
do
  local band = function(a, b) return "band " .. a .. b end
  local byte = function(s, i) return "byte " .. s .. i end
  local select = function(...) return "select", ... end
  local rawget = function(t, k) return "rawget " .. k end
  local function other(i)
    return band(i, 1), byte("s", i), select("#", i), rawget({}, i)
  end
  for i = 1, 2 do print(other(i)) end
end
-- A numeric builtin's name bound to a function answering something else, in a loop: the
-- rest of that activation goes on with the string, and the next one calls the builtin again.
local function mixed(f)
  local out, sum = {}, 0
  for i = 1, 3 do
    local lshift, floor = f, f
    local v = lshift(i, 1)
    out[#out + 1] = tostring(v)
    sum = sum + floor(i, 2) * 2
  end
  return table.concat(out, ","), sum
end
print(mixed(bit.lshift))
print(mixed(function(a, b) return a .. b end))
print(pcall(mixed, function(a, b) return a .. ":" .. b end))
print(mixed(math.max))
local shadow = {len = function() return "not len" end, byte = function() return "not byte" end}
print(shadow.len("abc"), shadow.byte("abc", 1))
local s = setmetatable({}, {__index = {byte = function(self, i) return "method " .. i end}})
print(s:byte(2))

-- Results wanted: none, several, all.
local function wanted(x)
  band(x, 1)
  local a, b2, c = band(x, 1), byte("ab", 2)
  local t2 = {bor(x, 8), len("four")}
  return a, b2, c, #t2, t2[1], t2[2], select("#", band(x, 1)), select("#", bnot(x), len("x"))
end
print(wanted(5))
print("ok")
