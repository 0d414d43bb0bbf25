-- Varargs and select.
local function n(...) return select("#", ...) end
local function pack(...) return { n = select("#", ...), ... } end
assert(n() == 0 and n(nil) == 1 and n(nil, nil, nil) == 3)
assert(select(2, "a", "b", "c") == "b" and n(select(2, "a", "b", "c")) == 2)
assert(select(-1, "a", "b", "c") == "c" and n(select(-2, "a", "b", "c")) == 2)
assert(n(select(4, "a", "b", "c")) == 0)
assert(not pcall(select, 0, "a"))
assert(not pcall(select, -4, "a", "b", "c"))
local function mr() return 1, 2, 3 end
assert(n(mr()) == 3 and n(mr(), mr()) == 4 and n((mr())) == 1)
local t = pack(mr())
assert(t.n == 3 and t[3] == 3)
local t2 = { mr(), mr() }
assert(#t2 == 4)
local a, b, c, d = mr()
assert(a == 1 and c == 3 and d == nil)
local function fwd(...) return ... end
assert(n(fwd(nil, nil)) == 2)
local function holes(...) local t = { ... } return #t, select("#", ...) end
local _, cnt = holes(1, nil, 3)
assert(cnt == 3)
assert(n(unpack({ 1, 2, 3 })) == 3 and n(unpack({ 1, 2, 3 }, 2)) == 2 and n(unpack({}, 1, 3)) == 3)
assert(select("#", unpack({ 1, nil, 3 }, 1, 3)) == 3)
-- Varargs in the main chunk are the script arguments.
local main = { ... }
assert(type(main) == "table")
-- string.format / print with many arguments.
local many = {}
for i = 1, 200 do many[i] = i end
assert(n(unpack(many)) == 200 and select(200, unpack(many)) == 200)
local function sum(...) local s = 0 for i = 1, select("#", ...) do s = s + select(i, ...) end return s end
assert(sum(unpack(many)) == 20100)
print(n(), n(nil), n(mr()), select("#", unpack(many)), sum(1, 2, 3))
print(select(2, "a", "b", "c"))
print(select(-1, "a", "b", "c"))
print((mr()))
print(mr())
print("ok")
