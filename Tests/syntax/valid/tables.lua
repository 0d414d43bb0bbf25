-- Table constructors: array items, hash items, [k]=v items, separators, nesting.
local t = { 1, 2, 3; x = 1, ["y"] = 2, [3 + 1] = 4, 5, }
assert(t[1] == 1 and t[3] == 3 and t[4] == 5 and t.x == 1 and t.y == 2)
local u = { 1; 2; 3; }
assert(#u == 3)
local e = {}
assert(next(e) == nil)
local nested = { { 1, { 2, { 3 } } }, a = { b = { c = "deep" } } }
assert(nested[1][2][2][1] == 3 and nested.a.b.c == "deep")
-- Keys of every kind.
local f = function() end
local k = { [true] = "t", [false] = "f", [1.5] = "n", [f] = "fn", ["a b"] = "s", [-1] = "m" }
assert(k[true] == "t" and k[false] == "f" and k[1.5] == "n" and k[f] == "fn" and k["a b"] == "s" and k[-1] == "m")
-- Positional items override earlier [n]= items.
local o = { [1] = "a", "b" }
assert(o[1] == "b")
-- A function call as the last item expands; elsewhere it is truncated.
local function three() return 1, 2, 3 end
assert(#{ three() } == 3 and #{ three(), 10 } == 2 and #{ (three()) } == 1)
-- Keywords are valid as field names after a dot only via brackets; plain names work.
local kw = { ["end"] = 1, ["nil"] = 2 }
assert(kw["end"] == 1 and kw["nil"] == 2)
-- Expressions as items, including function and table expressions.
local m = { 1 + 1, "a" .. "b", function() return 7 end, { } , x = { y = 1 } }
assert(m[1] == 2 and m[2] == "ab" and m[3]() == 7 and type(m[4]) == "table" and m.x.y == 1)
-- Nil items leave holes.
local h = { nil, 2 }
assert(h[1] == nil and h[2] == 2)
-- Indexing forms.
t.z = 1; t["w"] = 2; t[#t + 1] = 6
assert(t.z == 1 and t.w == 2 and t[5] == 6)
-- Constructor with only hash items and a trailing semicolon.
local cfg = { name = "n", size = 3; }
assert(cfg.name == "n" and cfg.size == 3)
print("ok")
