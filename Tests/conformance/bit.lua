-- LuaJIT's bit library: 32-bit results as signed numbers, shifts use the low 5 bits,
-- tohex widths (negative for upper case), argument errors.
local bit = require and bit or bit
print(bit.tobit(0xffffffff), bit.tobit(2^32 + 5), bit.tobit(-1), bit.tobit(1.5), bit.tobit(-2^31))
print(bit.bnot(0), bit.bnot(-1), bit.bswap(0x12345678), bit.bswap(-1))
print(bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4, 8), bit.bxor(0xff, 0x0f), bit.band(-1))
print(bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.rshift(-1, 28), bit.arshift(-256, 4))
print(bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.rol(1, 0), bit.ror(1, 32))
print(bit.tohex(-1, 12), bit.tohex(-1, 20), bit.tohex(1, -20), bit.tohex(255), bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(0x12345678, 12))
print(pcall(bit.band))
print(pcall(bit.tohex, "x"))
print(bit.band("0x10", 0x30))
print("ok")
