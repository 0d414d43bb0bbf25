-- Builtins the interpreter runs as fast functions (bit, math, type, raw accessors,
-- select, tostring/tonumber, string.byte/char/sub/len, metatables, assert, unpack,
-- next): their common cases as calls, calls with multiple results and tail calls; and
-- each case the builtin itself must handle (other types, numeric strings, odd argument
-- counts, metamethods, __metatable, errors) with luajit's messages.
-- lua5.1 has no bit library and differs in the function name of errors from builtins
-- called in tail position.
local function show(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  return table.concat(parts, " ")
end
-- An error from a call at a named call site (CALL), and from a tail call (CALLT).
local function err(f, ...)
  local ok, message = pcall(f, ...)
  return ok and "no error" or message
end

-- bit: every function, folds over many arguments, shifts past 31, large and negative
-- numbers, and the builtin's cases (numeric strings, wrong types, missing arguments).
local band, bor, bxor, bnot, tobit = bit.band, bit.bor, bit.bxor, bit.bnot, bit.tobit
print(band(0xff, 0x0f), bor(1, 2, 4, 8), bxor(5, 3, 1), bnot(0), tobit(2^32 + 7), tobit(-1))
print(bit.lshift(1, 31), bit.lshift(1, 32), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 36))
print(bit.bswap(0x12345678), bit.tohex(255), bit.tohex(-1, -4), bit.tohex(0x1234, 2), bit.tohex(1, 0))
print(band(2^53 + 3, 7), bor(-2^31, 0), bxor(1.5, 0.5), tobit(0/0), tobit(1/0), band(0.99))
print(band("12", 10), bit.lshift("1", "4"), bit.tohex("255"), bit.tohex(255, "2"), tobit("0x10"))
print(err(function() local r = band(1, {}) return r end))
print(err(function() return bor(nil) end))
print(err(function() local r = bit.lshift(1) return r end))
print(err(function() local r = bit.tohex({}) return r end))
print(err(function() local r = bit.bnot() return r end))
print(err(function() local r = bxor(1, 2, "x") return r end))
local function hash(s)
  local h = 0
  for i = 1, #s do h = tobit(bxor(bit.rol(h, 5), s:byte(i)) + i) end
  return bit.tohex(h)
end
print(hash("the quick brown fox"), select("#", band(1, 2)), select("#", bit.tohex(1)))

-- math: unary functions through their C function, two-argument ones, atan, log with and
-- without a base, min/max over several arguments, extra arguments, and what the builtin
-- handles (numeric strings, wrong types, missing arguments).
local fmt = function(x) return string.format("%.10g", x) end
print(fmt(math.asin(0.5)), fmt(math.acos(0.5)), fmt(math.log10(1000)), fmt(math.sinh(1)), fmt(math.cosh(1)), fmt(math.tanh(1)))
print(fmt(math.deg(math.pi)), fmt(math.rad(180)), fmt(math.atan(1)), fmt(math.pow(2, 10)), fmt(math.atan2(1, -1)), math.fmod(7, 3))
print(math.floor(-2.5), math.ceil(-2.5), math.abs(-3), fmt(math.sqrt(2)), fmt(math.log(8, 2)), fmt(math.log(100, 10)), fmt(math.log(27, 3)))
print(math.min(3, 1, 2), math.max(3, 1, 2), math.min(5), math.max(-1, -1), math.floor(1.5, "ignored"), math.pow(2, 3, 4))
print(math.floor("3.7"), math.pow("2", 3), math.atan("0") == 0, math.min(1, "0"), math.log10("100"))
print(err(function() local r = math.floor({}) return r end))
print(err(function() local r = math.asin() return r end))
print(err(function() local r = math.pow(2) return r end))
print(err(function() local r = math.atan2(1, nil) return r end))
print(err(function() local r = math.max(1, 2, false) return r end))
print(err(function() return math.log10(true) end))
print(err(function() local r = math.log(2, {}) return r end))

-- type, rawequal, rawget, rawset (through __index/__newindex, nil and NaN keys).
print(type(nil), type(1), type("s"), type({}), type(print), type(true), select("#", type(nil)))
print(err(function() local r = type() return r end))
local mt = {__index = function() return "via index" end, __newindex = function() error("no writes") end}
local obj = setmetatable({}, mt)
print(obj.x, rawget(obj, "x"), rawequal(obj, obj), rawequal(obj, {}), rawequal(1, 1), rawequal("a", "a"))
print(rawset(obj, "x", 1) == obj, rawget(obj, "x"), obj.x, rawget(obj, 1), rawset(obj, 2.5, "f")[2.5])
print(err(function() local r = rawset(obj, nil, 1) return r end))
print(err(function() local r = rawset(obj, 0/0, 1) return r end))
print(err(function() local r = rawget("s", 1) return r end))
print(err(function() local r = rawget({}) return r end))
print(err(function() local r = rawset({}, 1) return r end))
print(err(function() local r = rawequal(1) return r end))
print(err(function() return rawset(obj, nil, 1) end))

-- select: counts, positive and negative indices, the range errors.
print(select("#"), select("#", nil, nil), select(2, "a", "b", "c"), select(-1, "a", "b", "c"))
print(select(5, "a", "b"), select("#", select(3, 1, 2)), select(-3, 1, 2, 3), select(2.7, "a", "b", "c"))
print(select("2", "a", "b"), (select(1, "first", "second")))
print(err(function() local r = select(0, 1) return r end))
print(err(function() local r = select(-3, 1, 2) return r end))
print(err(function() local r = select("x", 1) return r end))
print(err(function() local r = select() return r end))
print(err(function() return select(-5) end))
local function count(...) return select("#", ...) end
local function tailSelect(...) return select(2, ...) end
print(count(select(2, 1, 2, 3, 4)), tailSelect(1, 2, 3), count(tailSelect(1, nil, nil)))

-- tostring and tonumber of numbers and strings; __tostring, bases, other values.
print(tostring(1.5), tostring(-0), tostring(1e100), tostring(0/0) == tostring(0/0), tostring(2^53), tostring("s"))
print(tonumber("0x1F"), tonumber("  12  "), tonumber("1e2"), tonumber("z"), tonumber(7), tonumber({}), tonumber(nil))
print(tonumber("ff", 16), tonumber("777", 8), tonumber("z", 36), tonumber(10, 2), tonumber("12", nil))
local named = setmetatable({}, {__tostring = function() return "named object" end})
print(tostring(named), tostring(nil), tostring(true))
print(err(function() local r = tostring() return r end))
print(err(function() local r = tonumber() return r end))
print(err(function() local r = tonumber("10", 99) return r end))
print(err(function() local r = tonumber("10", {}) return r end))
print(err(function() local r = tostring(setmetatable({}, {__tostring = function() error("in tostring") end})) return r end))

-- string.len, sub, byte, char: ranges, negative indices, numbers as strings, methods.
local s = "hello, world"
print(string.len(s), s:len(), string.sub(s, 1, 5), s:sub(-5), s:sub(3), s:sub(0), s:sub(8, 100), s:sub(5, 2) == "")
print(string.byte(s), s:byte(-1), s:byte(1, 3), s:byte(100), select("#", s:byte(5, 2)), s:byte(2.9))
print(string.char(104, 105), string.char(), string.char(65.7), #string.char(0, 255), string.sub(12345, 2, 3))
print(string.len(123), string.byte(42), string.sub(s, "2", "4"), string.byte(s, "1"), string.char("65"))
print(select("#", s:byte(1, -1)), s:byte(-3, -1))
print(err(function() local r = string.len() return r end))
print(err(function() local r = string.sub(s, {}) return r end))
print(err(function() local r = s:sub(1, "x") return r end))
print(err(function() local r = string.byte({}) return r end))
print(err(function() local r = string.char(256) return r end))
print(err(function() local r = string.char(-1) return r end))
print(err(function() local r = string.char(65, "x") return r end))
print(err(function() return s.len(nil) end))

-- setmetatable and getmetatable: __metatable protects and is what getmetatable returns.
local plain = {}
local meta = {}
print(setmetatable(plain, meta) == plain, getmetatable(plain) == meta, getmetatable({}), getmetatable(1))
print(getmetatable("s").__index == string, setmetatable(plain, nil) == plain, getmetatable(plain))
local locked = setmetatable({}, {__metatable = "locked"})
print(getmetatable(locked), err(function() local r = setmetatable(locked, {}) return r end))
print(err(function() local r = setmetatable(1, {}) return r end))
print(err(function() local r = setmetatable({}, 1) return r end))
print(err(function() local r = setmetatable({}) return r end))
print(err(function() local r = getmetatable() return r end))

-- assert: all arguments back; errors with and without a message, and a non-string one.
print(assert(1, 2, 3), select("#", assert(true, nil, nil)), (assert("only")))
print(err(function() local r = assert(false) return r end))
print(err(function() local r = assert(nil, "custom message") return r end))
print(err(function() local r = assert() return r end))
local ok, value = pcall(function() local r = assert(false, {code = 7}) return r end)
print(ok, type(value), value.code)

-- unpack: ranges, holes, explicit bounds, empty ranges, many results, errors.
local list = {1, 2, 3, nil, 5}
print(unpack({1, 2, 3}), unpack({1, 2, 3}, 2), unpack({1, 2, 3}, 2, 3), unpack(list, 4, 5), select("#", unpack({}, 1, 0)))
print(select("#", unpack({}, 1, 3)), unpack({"a", "b"}, -1, 1), unpack({1, 2}, 1.9, 2.2))
local big = {}
for i = 1, 40 do big[i] = i end
print(select("#", unpack(big)), (select(40, unpack(big))), count(unpack(big, 3, 20)))
print(unpack({1, 2, 3}, "2"), unpack({1, 2}, nil, 1))
print(err(function() local r = unpack("s") return r end))
print(err(function() local r = unpack({}, 1, 1e8) return r end))
local function tailUnpack(t) return unpack(t) end
print(tailUnpack({7, 8, 9}))

-- next: empty tables, array and hash parts, invalid keys.
print(next({}), next({10}), next({10}, 1), select("#", next({})))
local keys = {}
local k, v = next({x = 1})
print(k, v)
local t = {1, 2, 3}
local total = 0
local key, val = next(t)
while key do total = total + val; key, val = next(t, key) end
print(total)
print(err(function() local r = next({}, "missing") return r end))
print(err(function() local r = next(1) return r end))
print(err(function() local r = next() return r end))

-- A replaced builtin is an ordinary function; a builtin under another name still fast.
local savedType = type
type = function() return "replaced" end
print(type(1))
type = savedType
local myfloor = math.floor
print(myfloor(2.5), show(myfloor(2.5)), show(string.byte("abc", 1, 3)))

-- A debug hook set: the builtins run through their frames and the hook sees them.
local calls = 0
debug.sethook(function() calls = calls + 1 end, "c")
local hooked = band(6, 3) + math.floor(1.5) + string.len("abc") + select("#", 1, 2)
debug.sethook()
print(hooked, calls > 0)

-- The ipairs iterator and next as the iterator of a generic for (ITERC), called directly,
-- over holes, fractional and huge controls, and with state or control of other types.
local arr = {10, 20, nil, 40}
local seen = {}
for i, v in ipairs(arr) do seen[#seen + 1] = i .. "=" .. v end
for i in ipairs({7, 8}) do seen[#seen + 1] = i end
print(table.concat(seen, " "))
local iter, state, start = ipairs({5, 6})
print(iter(state, start), iter(state, 1), select("#", iter(state, 2)), iter(state, 0.5), iter(state, "1"))
print(select("#", iter(state, 2^60)), select("#", iter({}, -1)))
local keyCount = 0
for k in next, {a = 1, b = 2, 3} do keyCount = keyCount + 1 end
local step = next
for k, v in step, {x = 1} do keyCount = keyCount + v end
print(keyCount)
print(err(function() for i, v in iter, "not a table", 0 do end end))
print(err(function() for i, v in iter, {}, {} do end end))
print(err(function() for k, v in next, 1 do end end))
local proxied = setmetatable({1}, {__index = function(_, k) return k < 4 and k * 2 or nil end})
local proxiedCount = 0
for i, v in ipairs(proxied) do proxiedCount = proxiedCount + 1 end
print(proxiedCount)
local calls = 0
debug.sethook(function() calls = calls + 1 end, "c")
for i, v in ipairs({1, 2, 3}) do end
debug.sethook()
print(calls > 3)

-- Results into every kind of destination: table constructors, call arguments, returns.
local packed = {select(2, "a", "b", "c")}
print(#packed, packed[1], packed[2], show(string.byte("xyz", 1, -1)), #{unpack({1, 2, 3, 4})})
local function three() return string.byte("abc", 1, 3) end
local x1, x2, x3, x4 = three()
print(x1, x2, x3, x4)
print(ok)
print("ok")

-- Numeric fast functions answered by the call instruction itself: more results wanted than
-- they give, none wanted, arguments from a multiple-result call (CALLM), an unpacked list.
local function pair() return 12, 10 end
local s1, s2, s3 = math.sin(0), bit.band(pair())
local m1, m2 = math.max(unpack({ 3, 9, 4 })), bit.bor(1, pair())
math.sqrt(4); bit.bxor(1, 2)
print(s1, s2, s3, m1, m2, math.min(pair()), math.fmod(pair()), bit.lshift(pair()))
local nums = {}
for i = 1, 40 do nums[#nums + 1] = bit.rol(i, i) + math.floor(i / 3) + math.abs(-i) end
print(table.concat(nums, " ", 1, 10), nums[40])
print(err(function() local r = math.max(pair(), "x") return r end))

-- Every bit operation from a call instruction with number arguments: large and negative
-- values, shift counts past 31, extra arguments, results wanted twice, and arguments that
-- leave the fast path (numeric strings, too few, a table).
local ops = { "tobit", "bnot", "bswap", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror" }
local values = { 0, 1, -1, 255, 2^31, 2^32 + 5, -2^31 - 1, 2^40 + 2^33 + 7, 1.5, -2.5, 0x7fffffff, 33 }
local lines = {}
for _, name in ipairs(ops) do
  local f = bit[name]
  local acc = {}
  for i = 1, #values do
    local x, y = values[i], values[#values + 1 - i]
    local r1, r2 = f(x, y)
    acc[#acc + 1] = tostring(r1) .. (r2 == nil and "" or "?")
    acc[#acc + 1] = tostring(f(x, y, 3, 12))
  end
  lines[#lines + 1] = name .. " " .. table.concat(acc, ",")
end
print(table.concat(lines, "\n"))
print(bit.band(7, "3"), bit.lshift("2", 3), bit.bxor(1, 2, "4"), err(function() return bit.rol(1) end))
print(err(function() return bit.bor(1, {}) end), err(function() return bit.band() end))

-- The math fast functions from a call instruction: signed zeros and NaN through min and max
-- (luajit's order), many arguments, results wanted twice, and arguments that leave the fast
-- path (numeric strings, none, a table).
local nan, mz = 0 / 0, -0.0
local function show(x) return x ~= x and "nan" or (x == 0 and 1 / x < 0) and "-0" or tostring(x) end
local out = {}
for _, x in ipairs({ 0, mz, 1.5, -2.5, 1e300, -1e-300, 3 }) do
  local s, t = math.sqrt(x), math.abs(x)
  local f1, f2 = math.floor(x)
  out[#out + 1] = table.concat({ show(s), show(t), show(f1), tostring(f2), show(math.ceil(x)), show(math.sin(x)),
    show(math.cos(x)), show(math.tan(x)), show(math.exp(x)) }, " ")
end
print(table.concat(out, "\n"))
print(show(math.min(0, mz)), show(math.min(mz, 0)), show(math.max(0, mz)), show(math.max(mz, 0)),
  show(math.min(nan, 1)), show(math.min(1, nan)), show(math.max(nan, 1, 2)), show(math.min(5, 3, 9, -1, 4)))
print(math.floor("2.5"), math.max(1, "7"), math.sqrt("16"), err(function() return math.abs() end),
  err(function() return math.min(1, {}) end))
