-- Aggregate elements and members read as references (`local p = ps[i]`), in loops that
-- get hot: arrays of structs, nested structs and arrays, pointers to structs, unions, and
-- one read site meeting several C types (scalars and aggregates).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { double x, y; int32_t n; } point;
typedef struct { point a, b; int32_t tag[3]; } segment;
typedef union { double d; struct { uint32_t lo, hi; } w; } word;
]]

local ps = ffi.new("point[?]", 100)
for i = 0, 99 do
  local p = ps[i]
  p.x, p.y, p.n = i * 0.5, 100 - i, i % 7
end
local sx, sy, sn = 0, 0, 0
for round = 1, 3 do
  for i = 0, 99 do
    local p = ps[i]
    sx = sx + p.x
    sy = sy + p.y * round
    sn = sn + p.n
    p.n = p.n + 1
  end
end
print(sx, sy, sn, ps[99].n)

-- Nested aggregates: a struct member, an array member, its elements.
local segs = ffi.new("segment[10]")
for i = 0, 9 do
  local s = segs[i]
  local a, b = s.a, s.b
  a.x, a.y, b.x, b.y = i, -i, i * 2, i * 3
  local tag = s.tag
  for j = 0, 2 do tag[j] = i * 10 + j end
end
local total = 0
for r = 1, 60 do
  for i = 0, 9 do
    local s = segs[i]
    total = total + s.b.x - s.a.y + s.tag[r % 3]
  end
end
print(total)

-- Through a pointer, and a 2-D array's rows.
local pp = ffi.cast("point *", ps)
local m = ffi.new("double[4][5]")
local acc = 0
for i = 0, 199 do
  local q = pp[i % 100]
  local row = m[i % 4]
  row[i % 5] = row[i % 5] + q.x
  acc = acc + q.n
end
print(acc, m[0][0], m[1][1], m[3][4])

-- A union member that is a struct.
local ws = ffi.new("word[4]")
for i = 0, 3 do ws[i].d = 2 ^ (i + 1) end
local his = 0
for r = 1, 80 do
  for i = 0, 3 do
    local w = ws[i].w
    his = his + w.hi % 100000 + w.lo
  end
end
print(his)

-- One site, several types: numbers from a double array, references from structs.
local function get(a, i) return a[i] end
local ds = ffi.new("double[3]", 1.5, 2.5, 3.5)
local mixed = 0
for r = 1, 100 do
  local v = get(ds, r % 3)
  local p = get(ps, r % 100)
  local s = get(segs, r % 10)
  mixed = mixed + v + p.x + s.a.x
end
print(mixed)

-- References are new objects each time, equal by address.
local r1, r2 = ps[5], ps[5]
print(rawequal(r1, r2), r1 == r2, ffi.sizeof(r1), r1.x == ps[5].x)
local keep = {}
for i = 1, 200 do keep[#keep + 1] = ps[i % 100] end
local same = 0
for i = 1, 200 do if keep[i] == ps[i % 100] then same = same + 1 end end
print(same, tonumber(ffi.cast("intptr_t", ffi.cast("point *", keep[3])) - ffi.cast("intptr_t", pp)))
