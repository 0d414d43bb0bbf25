-- Tables: constructors, length, keys, errors, and the table library.
-- The border of a table with holes is implementation-defined: the last lines print
-- luajit's borders; lua5.1 prints others ("5 3" where luajit prints "3 3").
local t = { 1, 2, 3, n = 3, [10] = 10, ["k"] = "v"; 4 }
assert(#t == 4 and t.n == 3 and t[10] == 10 and t.k == "v")
-- The length of a sequence is its last index; a table with holes has some border.
assert(#{} == 0 and #{ nil } == 0 and #{ 1, 2, nil } == 2 and #{ n = 1 } == 0)
local seq = {}
for i = 1, 100 do seq[i] = i end
assert(#seq == 100)
seq[100] = nil
assert(#seq == 99)
local h = { 1, 2, nil, 4 }
local border = #h
assert(border == 4 or border == 2)
-- Number keys are normalized: 1 and 1.0 are the same key; -0 and 0 too.
local nk = {}
nk[1] = "a"
assert(nk[1.0] == "a")
nk[2^53] = "big"
assert(nk[2^53] == "big")
local zero = tonumber("0")
nk[-zero] = "z"
assert(nk[0] == "z")
-- nil and NaN keys are errors on store, fine on load.
local ok, err = pcall(function() local q = {} q[nil] = 1 end)
assert(not ok and err:find("table index is nil", 1, true))
ok, err = pcall(function() local q = {} q[0/0] = 1 end)
assert(not ok and err:find("table index is NaN", 1, true))
assert(({})[nil] == nil and ({})[0/0] == nil)
ok, err = pcall(rawset, {}, nil, 1)
assert(not ok)
-- Constructor errors.
ok, err = pcall(function() return { [nil] = 1 } end)
assert(not ok and err:find("table index is nil", 1, true))
-- next and pairs visit every key once.
local keys = 0
for k, v in pairs({ 1, 2, a = 1, b = 2, [1.5] = 3 }) do keys = keys + 1 end
assert(keys == 5)
assert(next({}) == nil)
-- Removing fields during traversal is allowed.
local big = {}
for i = 1, 50 do big["k" .. i] = i end
for k in pairs(big) do big[k] = nil end
assert(next(big) == nil)
-- table library.
local l = { 3, 1, 2 }
table.sort(l)
assert(table.concat(l, ",") == "1,2,3")
table.sort(l, function(a, b) return a > b end)
assert(table.concat(l, ",") == "3,2,1")
table.insert(l, 0)
table.insert(l, 1, 9)
assert(table.concat(l, ",") == "9,3,2,1,0")
assert(table.remove(l) == 0 and table.remove(l, 1) == 9 and table.concat(l, ",") == "3,2,1")
assert(table.concat({}, ",") == "" and table.concat({ 1, "a", 2.5 }, "-") == "1-a-2.5")
assert(table.concat({ 1, 2, 3, 4 }, ",", 2, 3) == "2,3")
assert(table.maxn({ 1, 2, [10] = 1, [5.5] = 1 }) == 10)
ok, err = pcall(table.concat, { 1, {}, 3 })
assert(not ok)
local words = { "pear", "apple", "fig" }
table.sort(words)
assert(words[1] == "apple" and words[3] == "pear")
-- Tables as keys.
local kt = {}
local key = {}
kt[key] = "tk"
assert(kt[key] == "tk" and kt[{}] == nil)
print(#t, #seq, table.concat(l, " "), table.concat(words, " "), kt[key], nk[0])
print(#{ 1, 2, 3, nil, 5 }, #{ nil, nil, 3 })
-- More borders as LuaJIT finds them: constructors size their array part as LuaJIT's parser
-- does, trailing calls extend it, and later keys rehash it with LuaJIT's rule.
local function three() return 1, nil, 3 end
local none = nil
print(#{ 1, nil, 3 }, #{ nil, 2 }, #{ none, none, 3 }, #{ 1, none, 3 }, #{ 1, nil, 3, nil })
print(#{ three() }, #{ three(), nil }, #{ nil, nil, three() }, #{ n = 1, nil, nil, 3 })
local grown = {}
grown[3] = 1 grown[41] = 2 grown[1] = 3 grown[8] = 4
local filled = {}
for i = 1, 10 do filled[i * 2] = i end
print(#grown, #filled)
print("ok")
