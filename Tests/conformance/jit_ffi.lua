-- cdata elements and members in compiled loops: every scalar type read and written with
-- C's conversions, arrays, pointers, nested structs, references made only where needed,
-- guards on the C type failing, and the collector running while traces use cdata.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { double x, y; float f; int8_t a; uint8_t b; int16_t c; uint16_t d; int32_t e; uint32_t g; bool ok; } rec;
typedef struct { int32_t id; struct { double v; int16_t w[4]; } inner; } outer;
typedef struct { double x; int32_t n; } pa;
typedef struct { int32_t n; double x; } pb;
typedef union { uint32_t u; uint8_t bytes[4]; float f; } word;
typedef struct { int64_t big; uint64_t ubig; } wide;
typedef enum { RED, GREEN = 5, BLUE } colour;
typedef struct { colour c; } painted;
typedef struct node { int32_t v; struct node *next; } node;
double sqrt(double); int abs(int); double ldexp(double, int); double floor(double); float sqrtf(float);
double log(double); double pow(double, double); unsigned int htonl(unsigned int); long long llabs(long long);
size_t strlen(const char *); double fabs(double);
]]

-- Stores of every scalar type, converted as C converts a double.
local n = 200
local rs = ffi.new("rec[?]", n)
for i = 0, n - 1 do -- trace
  local r = rs[i]
  r.x = i * 1.5
  r.y = -i
  r.f = i / 3
  r.a = i * 3
  r.b = i * 7 - 300
  r.c = i * 1000
  r.d = -i
  r.e = i * 1.5e7
  r.g = -i - 0.5
  r.ok = i % 3 == 0
end
-- Loads of every scalar type.
local s, count = 0, 0
for i = 0, n - 1 do -- trace
  local r = rs[i]
  s = s + r.x + r.y + r.f + r.a + r.b + r.c + r.d + r.e + r.g
  if r.ok then count = count + 1 end
end
print("scalars", s, count)
for _, i in ipairs({0, 1, 2, 99, 150, 199}) do
  local r = rs[i]
  print(i, r.x, r.y, string.format("%.6f", r.f), r.a, r.b, r.c, r.d, r.e, r.g, r.ok)
end

-- Numbers to bool and booleans to numbers.
for i = 0, 9 do -- trace
  local r = rs[i]
  r.ok = i - 4
  r.e = i > 4
  r.x = i % 2 == 0
end
for i = 0, 9 do io.write(tostring(rs[i].ok), " ", rs[i].e, " ", rs[i].x, ";") end
print()

-- Out-of-range stores.
local edge = ffi.new("rec[4]")
local values = {300, -1, 1e10, -1e10, 65537.9, -0.9, 2^31, 2^32 + 5}
for i = 1, #values do -- trace
  local r = edge[i % 4]
  local v = values[i]
  r.a = v
  r.b = v
  r.c = v
  r.d = v
  r.e = v
  r.g = v
  r.f = v
  print(i, r.a, r.b, r.c, r.d, r.e, r.g, r.f)
end

-- A byte buffer: elements read and written by index.
local size = 4096
local buf = ffi.new("uint8_t[?]", size)
for i = 0, size - 1 do -- trace
  buf[i] = i * 37 + 11
end
local adler_a, adler_b = 1, 0
for pass = 1, 3 do
  for i = 0, size - 1 do -- trace
    adler_a = (adler_a + buf[i]) % 65521
    adler_b = (adler_b + adler_a) % 65521
  end
  for i = pass % 5, size - 1, 5 do
    buf[i] = (buf[i] + pass) % 256
  end
end
print("bytes", adler_a, adler_b)
local h = 0
for i = 0, size - 1, 4 do -- trace
  h = (h * 31 + buf[i] + buf[i + 1] * 3 + buf[i + 2] * 5 + buf[i + 3] * 7) % 4294967296
end
print("hash", h)

-- Fixed arrays, constant indexes, other element types.
local d3 = ffi.new("double[3]")
local i16 = ffi.new("int16_t[8]")
local u16 = ffi.new("uint16_t[8]")
local i32 = ffi.new("int32_t[8]")
local f32 = ffi.new("float[8]")
for i = 1, 100 do -- trace
  d3[0] = d3[0] + i
  d3[2] = d3[1] - i * 0.25
  d3[1] = d3[2] + 1
  i16[i % 8] = i16[i % 8] - i * 300
  u16[i % 8] = u16[i % 8] - i * 300
  i32[i % 8] = i32[i % 8] * 3 + i
  f32[i % 8] = f32[i % 8] + 0.1
end
print("arrays", d3[0], d3[1], d3[2])
for i = 0, 7 do io.write(i16[i], " ", u16[i], " ", i32[i], " ", string.format("%.5f", f32[i]), ";") end
print()

-- Pointers: indexing, members through a pointer, pointer to an array of structs.
local ints = ffi.new("int32_t[64]")
local p = ffi.cast("int32_t *", ints)
for i = 0, 63 do -- trace
  p[i] = i * i - 100
end
local sum = 0
for i = 0, 63 do -- trace
  sum = sum + ints[i] + p[63 - i]
end
print("pointer", sum)
local pr = ffi.cast("rec *", rs)
local total = 0
for i = 0, n - 1 do -- trace
  total = total + pr[i].x + pr[i].a
end
local first = ffi.cast("rec *", rs + 5)
for i = 1, 50 do -- trace
  first.y = first.y + i
end
print("struct pointer", total, first.y, rs[5].y)

-- Nested structs and arrays inside structs.
local os = ffi.new("outer[10]")
for i = 0, 99 do -- trace
  local o = os[i % 10]
  o.id = i
  o.inner.v = o.inner.v + i / 2
  o.inner.w[i % 4] = o.inner.w[i % 4] + i
end
for i = 0, 9 do
  local o = os[i]
  io.write(o.id, " ", o.inner.v, " ", o.inner.w[0], " ", o.inner.w[1], " ", o.inner.w[2], " ", o.inner.w[3], ";")
end
print()

-- Unions, 64-bit stores (read back outside the trace), enums.
local w = ffi.new("word[16]")
for i = 0, 15 do -- trace
  w[i].u = 0x01020304 * (i + 1)
end
for i = 0, 15 do -- trace
  w[i].bytes[0] = w[i].bytes[3] + w[i].bytes[1]
end
for i = 0, 15 do io.write(w[i].u, " ") end
print()
local ws = ffi.new("wide[4]")
for i = 0, 3 do -- trace
  ws[i].big = -2^40 - i * 3.7
  ws[i].ubig = 2^53 + i * 2
end
for i = 0, 3 do print(tostring(ws[i].big), tostring(ws[i].ubig)) end
local ps = ffi.new("painted[5]")
for i = 0, 4 do -- trace
  ps[i].c = i * 2.5
end
print("enum", tonumber(ps[1].c), tonumber(ps[2].c), tonumber(ps[4].c))

-- A loop that meets cdata of another C type: the type guard fails, a side trace follows.
local mixed = {}
for i = 1, 40 do
  if i % 4 == 0 then mixed[i] = ffi.new("pb", i, i * 2) else mixed[i] = ffi.new("pa", i * 2, i) end
end
local mx, mn = 0, 0
for i = 1, 40 do -- trace
  local m = mixed[i]
  mx = mx + m.x
  mn = mn + m.n
  m.n = m.n + 1
end
print("mixed", mx, mn, mixed[4].n, mixed[5].n)
-- The same field read on cdata and on tables.
local shapes = {}
for i = 1, 30 do shapes[i] = i % 3 == 0 and {x = i} or ffi.new("pa", i) end
local sx = 0
for i = 1, 30 do -- trace
  sx = sx + shapes[i].x
end
print("shapes", sx)

-- C functions called by the trace itself, errno kept as ffi.errno() sees it, and calls the
-- runtime makes (64-bit results, string arguments, constructors).
local C = ffi.C
local cs = 0
for i = 1, 500 do -- trace
  cs = cs + C.sqrt(i) + C.abs(-i * 3) + C.ldexp(i, 3) + C.floor(i / 7) + C.sqrtf(i) + C.htonl(i) % 1000
end
print("C", cs)
local fabs = C.fabs
local fs = 0
for i = -50, 50 do -- trace
  fs = fs + fabs(i * 0.5)
end
print("fabs", fs)
local e0 = ffi.errno()
for i = 1, 100 do -- trace
  C.log(-i)
end
print("errno", ffi.errno(), ffi.errno() == e0)
ffi.errno(0)
local ps2 = 0
for i = 1, 100 do -- trace
  ps2 = ps2 + C.pow(1.0001, i)
end
print("errno", ffi.errno(), string.format("%.6f", ps2))
local big, lens = 0, 0
local words = {"a", "bb", "ccc", "dddd"}
local pat = ffi.typeof("pa")
for i = 1, 200 do -- trace
  big = big + C.llabs(-i)
  lens = lens + C.strlen(words[i % 4 + 1]) + pat(i).x
end
print("runtime calls", tostring(big), tostring(lens))
-- A C call's result passed on as the last argument of another call (all its results:
-- one, or none from a void function), made by the trace and by the runtime.
local nested, counted = 0, 0
local function count(...) return select("#", ...) end
for i = 1, 300 do -- trace
  nested = nested + C.floor(C.pow(i % 10, 1.5)) + tonumber(C.strlen(words[i % 4 + 1])) + math.abs(C.fabs(-i))
  counted = counted + count(C.sqrt(i)) + count(C.abs(-i), C.llabs(i))
end
print("passed on", nested, counted)
-- Strings passed as `const char *` and 64-bit results (cdata, unboxed until needed) in
-- calls the trace makes itself.
ffi.cdef[[ int strcmp(const char *a, const char *b); int atoi(const char *s); int64_t labs(int64_t); ]]
local texts = { "the", "quick brown", "", "fox", "12345" }
local chars, order, digits, last, wide64 = 0, 0, 0, nil, 0
for i = 1, 300 do -- trace
  local w = texts[i % 5 + 1]
  local len = C.strlen(w)
  chars = chars + tonumber(len)
  order = order + (C.strcmp(w, "fox") < 0 and 1 or 0)
  digits = digits + C.atoi(w)
  last = len
  wide64 = wide64 + C.labs(-i) + tonumber(C.llabs(-i * 1000000007)) % 7
end
print("text", chars, order, digits, type(last), tostring(last), tostring(wide64))

-- Pointers compared with nil (NULL equals nil), a linked list walked.
local nodes = ffi.new("node[100]")
for i = 0, 98 do nodes[i].next = nodes + i + 1; nodes[i].v = i end
nodes[99].v = 99
local walked, nulls = 0, 0
for rep = 1, 20 do
  local node = nodes + rep
  while node ~= nil do -- trace
    walked = walked + node.v
    node = node.next
  end
end
local maybe = {ffi.cast("int32_t *", ints), ffi.cast("int32_t *", nil), ffi.new("int32_t *")}
for i = 1, 90 do -- trace
  if maybe[i % 3 + 1] == nil then nulls = nulls + 1 end
end
print("nil", walked, nulls)
-- Pointer arithmetic in the trace: pointers and arrays plus and minus numbers.
local moved = 0
local last4 = ints + 60
for i = 1, 60 do -- trace
  local q = p + i
  local r = 2 + q
  moved = moved + q[0] + r[-1] + (last4 - i % 4)[0] + (ints + 3)[i % 8]
end
local arr = os[3].inner.w + 1
for i = 0, 29 do -- trace
  moved = moved + (os[i % 10].inner.w + 1)[i % 3] + arr[0]
end
print("moved", moved)

-- References the trace never made, made when the loop leaves.
local last
for i = 0, n - 1 do -- trace
  last = rs[i]
  if last.x > 100 then break end
end
print("break", last.x, last.y, ffi.istype("rec &", last), tostring(last) == tostring(last))
local current
for i = 0, n - 1 do -- trace
  if i == 77 then break end
  current = rs[i]
  current.y = current.y + 0.5
end
print("carried", current.x, current.y)
local refs = {}
for i = 0, 9 do -- trace
  refs[#refs + 1] = rs[i * 3]
end
local rx = 0
for i = 1, #refs do rx = rx + refs[i].x end
print("stored", #refs, rx)

-- The collector runs while traces hold cdata and references.
local kept = {}
local gsum = 0
for i = 1, 20000 do -- trace
  local a = ffi.new("int32_t[4]", i, i + 1, i + 2, i + 3)
  kept[i % 7 + 1] = a
  local r = rs[i % n]
  local pair = {r, a, {i}}
  gsum = gsum + pair[2][3] + pair[1].a + kept[i % 7 + 1][0] * 0
  if i % 5000 == 0 then collectgarbage() end
end
collectgarbage()
print("gc", gsum, kept[1][1])
local gbuf = ffi.new("double[?]", 1000)
local garbage = 0
for i = 1, 100000 do -- trace
  local t = {i, i + 1}
  gbuf[i % 1000] = gbuf[i % 1000] + t[2]
  garbage = garbage + #t
end
collectgarbage()
print("gc2", gbuf[0], gbuf[999], garbage)
