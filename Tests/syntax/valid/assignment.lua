-- Local declarations and multiple assignment.
local a
assert(a == nil)
local b, c = 1
assert(b == 1 and c == nil)
local d, e = 1, 2, 3
assert(d == 1 and e == 2)
local function three() return 1, 2, 3 end
local f, g, h, i = three()
assert(f == 1 and h == 3 and i == nil)
local j, k, l = three(), 10
assert(j == 1 and k == 10 and l == nil)
-- Swap through multiple assignment.
local x, y = 1, 2
x, y = y, x
assert(x == 2 and y == 1)
-- All right-hand sides are evaluated before any assignment.
local t = { 1, 2, 3 }
local n = 1
n, t[n] = 2, "changed"
assert(n == 2 and t[1] == "changed")
-- Assigning to fields, indexes, globals and upvalues in one statement.
local u = 0
local function setu() u, t.k, t[3], GLOBALVAR = 5, "k", 33, "g" end
setu()
assert(u == 5 and t.k == "k" and t[3] == 33 and GLOBALVAR == "g")
GLOBALVAR = nil
-- Extra values are evaluated and dropped; missing values become nil.
local calls = 0
local function bump() calls = calls + 1 return calls end
local p, q = bump(), bump(), bump()
assert(p == 1 and q == 2 and calls == 3)
local r, s
r, s = 1
assert(r == 1 and s == nil)
-- Local shadowing and a local referring to the outer one of the same name.
local v = 1
local v = v + 1
assert(v == 2)
do local v = v * 10 assert(v == 20) end
assert(v == 2)
-- Nested field assignment with a chain of indexes.
local deep = { a = { b = { c = {} } } }
deep.a.b.c.d, deep["a"].b["c"].e = 1, 2
assert(deep.a.b.c.d == 1 and deep.a.b.c.e == 2)
-- Assignment through a call's result.
local function get() return deep.a end
get().z = 9
get()["w"] = 8
assert(deep.a.z == 9 and deep.a.w == 8)
-- Parenthesised prefix expression as an assignment target base.
;(deep).q = 1
assert(deep.q == 1)
print("ok")
