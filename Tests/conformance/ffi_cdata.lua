-- cdata: boxed scalars, 64-bit integers, pointers, arrays, structs, conversions, metatypes.
local ffi = require("ffi")

-- 64-bit integer literals and arithmetic
print(1LL, 2ULL, -3LL, 0x10LL, 3i, type(1LL), tostring(5LL), tonumber(7LL))
print(1LL + 2, 5ULL - 7, 3LL * 4LL, 7LL / 2, -7LL / 2LL, -7LL % 3LL, 2LL ^ 10, 2LL ^ -1, -5LL)
print(1LL / 0LL, 7ULL / 0ULL, 7ULL % 0ULL, 2^63 + 0LL, 1LL + 0.7, 0xffffffffffffffffULL)
print(1LL == 1, 1LL < 2, 2 < 3LL, -1LL < 1ULL, 3LL <= 3, 1LL ~= 2LL, 1LL == 1LL, 1LL == "1")
print(ffi.new("uint32_t", 5) + 1, ffi.new("double", 1.5) + 1, -ffi.new("int", 3), 3ULL * -1)
print(pcall(function() return 1LL + {} end))
print(pcall(function() return 1LL .. "" end))
print(pcall(function() return 1LL < {} end))
print(pcall(function() return 1 + 2i end))

-- number conversions on stores
for _, v in ipairs{-1, -2.5, 2^31, 2^32 + 5, -2^31 - 1, 1e300, 300, -0.5, 2^63} do
  print(v, ffi.new("int64_t", v), ffi.new("uint64_t", v), tonumber(ffi.new("uint32_t", v)),
    tonumber(ffi.new("int32_t", v)), tonumber(ffi.new("uint8_t", v)), tonumber(ffi.new("int16_t", v)),
    tonumber(ffi.new("bool", v)), tonumber(ffi.new("float", v)))
end
print(ffi.new("bool", true) == true, tonumber(ffi.new("bool", false)), ffi.new("char", 65) == 65)
print(pcall(ffi.new, "int", "x"))
print(pcall(ffi.new, "int *", 1))
print(ffi.cast("int64_t", 3.5), ffi.cast("uint64_t", -1LL), tonumber(ffi.cast("int32_t", 2^40 + 3)))
print(tonumber(ffi.cast("uint8_t", 257)), tonumber(ffi.cast("int", -1LL)), tonumber(ffi.cast("double", 3LL)))

-- arrays and pointers
local a = ffi.new("int[4]", 1, 2, 3)
print(a[0], a[1], a[2], a[3], ffi.sizeof(a), type(a))
local b = ffi.new("int[3]", 7)
print(b[0], b[1], b[2])
local c = ffi.new("int[3]", {10, 20})
print(c[0], c[1], c[2])
local c0 = ffi.new("int[3]", {[0] = 5, 6, 7})
print(c0[0], c0[1], c0[2])
local v = ffi.new("double[?]", 5, 1.5)
print(ffi.sizeof(v), v[0], v[4])
local p = a + 1
print(p[0], p[1], p - a, type(p - a), p == a + 1, p > a, a < p, (p + 2) - 1 == a + 2)
p[1] = 99
print(a[2], ffi.cast("int *", a)[2])
local null = ffi.new("int *")
print(null == nil, p == nil, null ~= nil, ffi.cast("void *", 0) == nil, tostring(null))
print(tostring(ffi.cast("void *", 0x1234)), tonumber(ffi.cast("void *", 5)))
print(pcall(function() return a < 1 end))
print(pcall(function() return #a end))
print(pcall(function() local x = ffi.new("int[2]"); x.foo = 1 end))
local s = ffi.new("char[8]", "hi")
print(ffi.string(s), ffi.string(s, 3) == "hi\0", ffi.string("abc", 2), #ffi.string(s, 0))

-- structs
ffi.cdef[[
typedef struct { double x, y; } vec2;
struct rec { int id; vec2 pos; int tags[3]; struct rec *next; const char *name; };
struct bits2 { unsigned a:3; unsigned b:5; int c:4; uint8_t d; bool e:1; };
union pun { uint32_t u; float f; uint8_t b[4]; };
enum level { LOW, MID = 10, HIGH };
]]
local r = ffi.new("struct rec", {id = 7, pos = {1.5, 2.5}, tags = {1, 2, 3}})
print(r.id, r.pos.x, r.pos.y, r.tags[0], r.tags[2], r.next == nil)
r.pos.x = 10
r.tags[1] = 20
local pos = r.pos
pos.y = -1
print(r.pos.x, r.pos.y, r.tags[1], ffi.sizeof(r), ffi.sizeof("struct rec"))
local r2 = ffi.new("struct rec", 1, {3, 4})
print(r2.id, r2.pos.x, r2.pos.y)
r.next = r2
print(r.next.id, r.next.pos.y, ffi.cast("struct rec *", r2).id)
local rp = ffi.new("struct rec[2]")
rp[1].id = 5
print(rp[1].id, rp[0].id, (rp + 1).id)
print(pcall(function() return r.nope end))
print(pcall(function() r.id = "x" end))
local bf = ffi.new("struct bits2")
bf.a = 9; bf.b = 31; bf.c = -3; bf.d = 7; bf.e = true
print(bf.a, bf.b, bf.c, bf.d, bf.e, ffi.sizeof(bf))
local u = ffi.new("union pun")
u.f = 1.0
print(u.u, u.b[3], ffi.sizeof(u))
local e = ffi.new("enum level", "HIGH")
print(tonumber(e), e == ffi.C.HIGH, e == "HIGH", e == "LOW", ffi.C.MID)
print(pcall(ffi.new, "enum level", "NONE"))
local z = ffi.new("complex", 1, 2)
print(z, z.re, z.im, tonumber(z))
local cv = ffi.new("const int[2]", 1, 2)
print(pcall(function() cv[0] = 5 end))

-- istype, copy, fill, typeof of cdata, abi
print(ffi.istype("vec2", r.pos), ffi.istype("int", 1), ffi.istype("struct rec", r), ffi.istype("int[4]", a))
print(tostring(ffi.typeof(r)), tostring(ffi.typeof(1LL)), tostring(ffi.typeof(r.tags)))
local buf = ffi.new("uint8_t[8]")
ffi.fill(buf, 8, 0x41)
ffi.copy(buf, "xyz")
print(ffi.string(buf, 8))
ffi.copy(buf + 4, "abcdef", 2)
print(ffi.string(buf, 8))
ffi.fill(buf, 3)
print(buf[0], buf[3], buf[4])
print(ffi.abi("64bit"), ffi.abi("le"), ffi.abi("be"), ffi.abi("win"), ffi.os, ffi.arch)
print(getmetatable(1LL), type(ffi.C))

-- metatypes
local Vec = ffi.metatype("vec2", {
  __add = function(a, b) return ffi.new("vec2", a.x + b.x, a.y + b.y) end,
  __eq = function(a, b) return a.x == b.x and a.y == b.y end,
  __len = function(v) return math.sqrt(v.x * v.x + v.y * v.y) end,
  __tostring = function(v) return "vec2(" .. v.x .. ", " .. v.y .. ")" end,
  __index = {dot = function(a, b) return a.x * b.x + a.y * b.y end},
  __call = function(v, k) return v.x * k end,
})
local v1, v2 = Vec(1, 2), Vec(3, 4)
print(tostring(v1 + v2), v1 == Vec(1, 2), v1 == v2, #v2, v1:dot(v2), v1(10), tostring(v1))
local pv = ffi.new("vec2[1]", {{5, 6}})
print(pv[0]:dot(v1), tostring(pv[0]))
print(pcall(ffi.metatype, "vec2", {}))
local Counter = ffi.metatype("struct { int n; }", {
  __new = function(ct, n) local o = ffi.new(ct); o.n = n * 2; return o end,
  __index = function(o, k) return k .. "!" end,
  __newindex = function(o, k, v) rawset(_G, "last_store", k .. "=" .. tostring(v)) end,
})
local cnt = Counter(21)
print(cnt.n, cnt.what, pcall(function() cnt.other = 3 end), last_store)

-- finalizers
local collected = 0
do
  for i = 1, 10 do ffi.gc(ffi.new("int[4]"), function() collected = collected + 1 end) end
end
collectgarbage(); collectgarbage()
print(collected)
local keep = ffi.gc(ffi.new("int[1]"), function() collected = collected + 100 end)
ffi.gc(keep, nil)
keep = nil
collectgarbage(); collectgarbage()
print(collected)

-- common idioms
ffi.cdef[[ typedef struct { int x, y; } pt_t; ]]
local p = ffi.new("int[4]")
local q = ffi.cast("int *", p)
print(q == 0, ffi.cast("void*", 0) == 0, q ~= nil)
print(tonumber(ffi.cast("intptr_t", ffi.cast("void *", 4096))), ffi.cast("uintptr_t", 4100) % 16)
local a = ffi.new("pt_t[2]", {{1, 2}, {3, 4}})
a[0] = a[1]
print(a[0].x, a[0].y)
local s = ffi.new("pt_t")
s = a[1]
print(s.x, ffi.istype("pt_t", s), ffi.istype("pt_t &", s))
print(ffi.sizeof(a[0]), ffi.sizeof(a), #tostring(a) > 0)
local u64 = 0xffffffffffffffffULL
print(u64, u64 + 1, u64 / 2, tonumber(u64), u64 == -1, -1LL == u64)
print(5LL > 3, 5LL >= 5, math.max(1, tonumber(3LL)), 2^53 + 1LL)
print(string.format("%d %s", tonumber(7LL), tostring(7LL)))
local t = {}
t[1LL] = "a"
print(t[1], t[1LL])
print(ffi.new("bool", 0) and "truthy", not ffi.new("int", 0))
print(pcall(string.rep, "x", 3LL))
print(ffi.string(ffi.new("const char *", "hello"), 3))
local n = ffi.new("int", 5)
print(n + 1, n * 2LL, ffi.new("float", 1.5) * 2)
print(ffi.typeof("int *")(), ffi.typeof("int[3]")({1,2,3})[2])
print(ffi.new("int[2][3]", {{1,2,3},{4,5,6}})[1][2])
local vp = ffi.new("int *[2]")
vp[0] = p
print(vp[0] == q, vp[1] == nil)
print(ffi.alignof("double"), ffi.alignof("struct { char c; double d; }"))
print("ok")
