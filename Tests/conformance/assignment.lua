-- Multiple assignment. Lua defines only that every expression is evaluated before any
-- assignment is made; the order of the stores themselves is unspecified. The last print
-- shows the order luajit (and lua5.1) use, right to left, which Perigee also follows.
local a, b = 1, 2
a, b = b, a
assert(a == 2 and b == 1)
local t = { 10, 20, 30 }
local i = 1
i, t[i] = i + 1, "x"          -- t[i] uses i before the assignment
assert(i == 2 and t[1] == "x" and t[2] == 20)
local x, y, z = (function() return 1, 2, 3 end)()
assert(x == 1 and y == 2 and z == 3)
x, y, z = 0
assert(x == 0 and y == nil and z == nil)
local log = {}
local function v(n) log[#log + 1] = n return n end
local p, q = v(1), v(2), v(3)
assert(p == 1 and q == 2 and #log == 3)
-- All right-hand side values are computed from the old state.
local u, w = 1, 2
u, w = w, u + w
assert(u == 2 and w == 3)
-- Swapping table fields.
local s = { a = "A", b = "B" }
s.a, s.b = s.b, s.a
assert(s.a == "B" and s.b == "A")
-- Assignment to the same variable twice.
local r
r, r = 1, 2
print(u, w, s.a, s.b, table.concat(log, ","), r)
print("ok")
