-- Numeric literal forms: decimal, exponent, leading/trailing dot, hex, hex floats,
-- and LuaJIT's 64-bit integer and imaginary suffixes (FFI cdata).
assert(0x1p4 == 16)
assert(0X1P-2 == 0.25)
assert(0x.8p1 == 1)
assert(0x1.8p1 == 3)
assert(0xA == 10 and 0Xa == 10 and 0xff == 255 and 0XFF == 255)
assert(0x10 == 16 and 0x0 == 0)
assert(1e-2 == 0.01)
assert(1E+10 == 10000000000)
assert(1e10 == 1E10 and 2.5e3 == 2500 and 2.5E-3 == 0.0025)
assert(.5 == 0.5 and .5e1 == 5)
assert(3. == 3 and 3.e2 == 300)
assert(0 == 0.0 and 00 == 0 and 007 == 7)
assert(1/0 > 1e308 and -1/0 < -1e308)
assert(0xffffffff == 4294967295)
assert(0x7fffffffffffffff == 2^63)
assert(123456789012 == 1.23456789012e11)
assert(1e309 == math.huge)
assert(0x1P+4 == 16 and 0x1p-0 == 1)
assert(0x.1 == 1/16 and 0xA. == 10)

-- 64-bit integer suffixes produce int64_t / uint64_t cdata.
local ffi = require("ffi")
local a, b = 12LL, 0x10ULL
assert(type(a) == "cdata" and type(b) == "cdata")
assert(tostring(a) == "12LL" and tostring(b) == "16ULL")
assert(ffi.istype("int64_t", a) and ffi.istype("uint64_t", b))
assert(tostring(12ll) == "12LL" and tostring(12ull) == "12ULL")
assert(tostring(12uLL) == "12ULL" and tostring(0xffULL) == "255ULL")
assert(tostring(-1LL) == "-1LL")
assert(tostring(0xffffffffffffffffULL) == "18446744073709551615ULL")
assert(a + 1 == 13LL)
-- Imaginary suffix produces a complex number.
local c = 3i
assert(type(c) == "cdata" and ffi.istype("complex", c))
assert(c.re == 0 and c.im == 3)
assert(tostring(2.5I) == "0+2.5i")
assert(tostring(0x10i) == "0+16i")

-- Unary minus is an operator, not part of the literal.
local x = - 1
assert(x == -1 and -0x10 == -16 and - -2 == 2)
print("ok")
