-- FFI: reading and writing C elements and members in place (the fast paths of indexing):
-- arrays and pointers of structs, nested records, unions, bitfields, anonymous members,
-- negative and out-of-range indexes on pointers, conversions on store and their errors.
local ffi = require("ffi")
ffi.cdef[[
typedef struct vec2 { double x, y; } vec2;
typedef struct body { vec2 pos; vec2 vel; int32_t id; uint8_t flags; bool alive; float w; } body;
typedef union { uint32_t word; uint8_t bytes[4]; float f; } word;
typedef struct { unsigned a : 3; signed b : 5; bool c : 1; unsigned d : 7; } bits;
typedef struct { int kind; union { int i; double d; }; struct { short lo, hi; }; } tagged;
typedef struct { const int fixed; int free; } mixed;
typedef enum { RED, GREEN = 5, BLUE } colour;
typedef struct { colour c; int64_t big; uint64_t ubig; int8_t small; uint16_t half; char *name; } misc;
]]

-- arrays of structs, written and read through element references
local bodies = ffi.new("body[?]", 4)
for i = 0, 3 do
  local b = bodies[i]
  b.pos.x, b.pos.y = i * 1.5, -i
  b.vel.x = i / 4
  b.id = i * 100
  b.flags = 250 + i
  b.alive = i % 2 == 0
  b.w = 0.1 * i
end
for i = 0, 3 do
  local b = bodies[i]
  print(i, b.pos.x, b.pos.y, b.vel.x, b.vel.y, b.id, b.flags, b.alive, string.format("%.6f", b.w))
end
print(bodies[2].pos.x + bodies[3].pos.x, bodies[1].id)

-- pointers to structs: negative indexes, pointer arithmetic, members through the pointer
local p = ffi.cast("body *", bodies) + 2
print(p[-1].id, p[0].id, p[1].id, p.id, (p - 2).id)
p[-2].id = 7
print(bodies[0].id)
local vp = ffi.cast("vec2 *", bodies)
print(vp[0].x, vp[1].x, vp[3].x)

-- element pointers and out-of-range indexes inside a larger array
local big = ffi.new("int32_t[16]")
for i = 0, 15 do big[i] = i * i end
local mid = ffi.cast("int32_t *", big) + 8
print(mid[-8], mid[-1], mid[0], mid[7])
local four = ffi.cast("int32_t (*)[4]", big)
print(four[0][3], four[2][1], four[3][3])

-- conversions on store
local m = ffi.new("misc")
m.small = 200; print(m.small)
m.small = -129; print(m.small)
m.half = -1; print(m.half)
m.half = 70000.9; print(m.half)
m.big = 2^40 + 0.5; print(m.big)
m.ubig = -1; print(m.ubig)
m.c = 6; print(tonumber(m.c), m.c == 6)
m.c = "GREEN"; print(tonumber(m.c))
local d = ffi.new("double[3]")
d[0] = true; d[1] = 3; d[2] = 0/0
print(d[0], d[1], d[2] ~= d[2])
local u = ffi.new("uint32_t[2]")
u[0] = -1; u[1] = 2^32 + 5
print(u[0], u[1])
local fl = ffi.new("bool[3]")
fl[0] = 0; fl[1] = 2; fl[2] = false
print(fl[0], fl[1], fl[2])

-- wrong types on store are errors
print(pcall(function() bodies[0].id = "x" end))
print(pcall(function() bodies[0].pos = 1 end))
print(pcall(function() d[0] = {} end))
print(pcall(function() m.name = 5 end))
print(pcall(function() bodies[0].nope = 1 end))
print(pcall(function() return bodies[0].nope end))
print(pcall(function() return bodies.x end))
print(pcall(function() return d.x end))

-- unions
local w = ffi.new("word")
w.word = 0x01020304
print(w.bytes[0], w.bytes[3], w.word)
w.f = 1
print(string.format("%08x", w.word))

-- bitfields
local bf = ffi.new("bits")
bf.a = 9; bf.b = -3; bf.c = 5; bf.d = 200
print(bf.a, bf.b, bf.c, bf.d)
bf.b = 15; bf.c = false
print(bf.a, bf.b, bf.c, bf.d)

-- anonymous members
local t = ffi.new("tagged")
t.kind = 2; t.d = 2.5; t.lo = -2; t.hi = 3
print(t.kind, t.d, t.lo, t.hi)
t.i = 7
print(t.i, t.kind)

-- const members
local mx = ffi.new("mixed", 4, 5)
print(mx.fixed, mx.free)
print(pcall(function() mx.fixed = 1 end))
mx.free = 6
print(mx.free)
local cp = ffi.cast("const vec2 *", bodies)
print(cp.x, pcall(function() cp.x = 1 end))

-- 64-bit and pointer members are boxed
m.big = 5
local b1 = m.big
m.big = 6
print(b1, m.big, type(b1))
m.name = nil
print(m.name == nil, m.name)

-- a metatype's __index is consulted only for names that are no members
local point = ffi.metatype("vec2", { __index = { len = function(v) return math.sqrt(v.x * v.x + v.y * v.y) end } })
local pt = point(3, 4)
print(pt.x, pt.y, pt:len())
local ptr = ffi.cast("vec2 *", pt)
print(ptr.x, ptr:len())

-- keys made at run time find the same members
local name = table.concat({ "p", "o", "s" })
print(bodies[3][name].x, bodies[3][name .. ""].y)
for round = 1, 3 do
  local keys = {}
  for i = 1, 200 do keys[i] = "k" .. i .. "_" .. round end
  local missing = 0
  for i = 1, 200 do if not pcall(function() return pt[keys[i]] end) then missing = missing + 1 end end
  print(missing)
  keys = nil
  collectgarbage()
  print(bodies[round][string.rep("i", 1) .. "d"])
end

-- a struct declared first, completed later
ffi.cdef[[ struct later; ]]
ffi.cdef[[ struct later { int a; double b; }; ]]
local l = ffi.new("struct later")
l.a, l.b = 3, 4.5
print(l.a, l.b)

-- the same places read and written again and again (compiled code caches each instruction's place)
ffi.cdef[[ typedef struct { int8_t i8; uint8_t u8; int16_t i16; uint16_t u16; int32_t i32; uint32_t u32; bool b; double d; } scalars; ]]
local values = { 0, 1, -1, 200, -129, 255.9, -0.5, 70000.9, 2^31, -2^31 - 1, 2^32 + 5, 1e300, -1e300, 0/0, 1/0 }
local s = ffi.new("scalars")
local sp = ffi.cast("scalars *", s)
for _, v in ipairs(values) do
  s.i8, s.u8, s.i16, s.u16, s.i32, s.u32, s.b = v, v, v, v, v, v, v
  sp.d = v
  local d = sp.d
  print(s.i8, s.u8, s.i16, s.u16, s.i32, s.u32, s.b, d ~= d and "nan" or d)
end
local many = ffi.new("scalars[3]")
for round = 1, 3 do
  for i = 0, 2 do
    local e = many[i]
    e.i32 = e.i32 + i * round
    e.d = e.d - round / 4
    e.b = not e.b
  end
end
for i = 0, 2 do print(many[i].i32, many[i].d, many[i].b) end
local bytes = ffi.new("uint8_t[8]")
local words = ffi.cast("int16_t *", bytes) + 2
for i = -2, 1 do words[i] = i * 1000 - 1 end
for i = 0, 7 do io.write(bytes[i], i < 7 and " " or "\n") end
for i = -2, 1 do io.write(words[i], i < 1 and " " or "\n") end
local flags = ffi.new("bool[4]")
for i = 0, 3 do flags[i] = i % 2 end
for i = 0, 3 do io.write(tostring(flags[i]), i < 3 and " " or "\n") end
-- one instruction meeting different C types, and tables, in turn
local function getx(o) return o.x end
local function setx(o, v) o.x = v end
local things = { ffi.new("vec2", 1, 2), { x = "table" }, ffi.new("struct { int32_t pad; int32_t x; }", 0, 7),
  ffi.cast("vec2 *", bodies), ffi.new("struct { uint8_t x; }", 9) }
for round = 1, 2 do
  for _, o in ipairs(things) do
    setx(o, round == 1 and getx(o) or 3)
    io.write(tostring(getx(o)), " ")
  end
  print()
end
print(pcall(setx, ffi.new("vec2"), "no"))
print(pcall(setx, ffi.new("const vec2"), 1))
