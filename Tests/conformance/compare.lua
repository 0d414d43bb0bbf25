-- Comparisons: numbers, strings, mixed types, equality of references.
assert(1 < 2 and not (2 < 1) and 1 <= 1 and 2 >= 1 and 1 ~= 2)
assert(-1 < 0 and -0 == 0 and 1e308 < 1/0 and -1/0 < -1e308)
assert("a" < "b" and "a" < "aa" and "" < "a" and "Z" < "a" and "abc" <= "abc")
assert("a\0b" < "a\0c" and "a\0" > "a")
assert("10" < "9" and 10 > 9)
assert(not ("1" == 1) and "1" ~= 1)
assert(nil == nil and false == false and not (nil == false))
local t1, t2 = {}, {}
assert(t1 ~= t2 and t1 == t1)
local f1 = function() end
assert(f1 == f1 and f1 ~= function() end)
-- Ordering different types is an error.
local ok, err = pcall(function() return 1 < "2" end)
assert(not ok and err:find("attempt to compare number with string", 1, true))
ok, err = pcall(function() return {} < {} end)
assert(not ok and err:find("attempt to compare two table values", 1, true))
ok, err = pcall(function() return nil <= 1 end)
assert(not ok and err:find("attempt to compare nil with number", 1, true))
ok, err = pcall(function() return 1 < nil end)
assert(not ok and err:find("attempt to compare number with nil", 1, true))
ok, err = pcall(function() return true > false end)
assert(not ok and err:find("attempt to compare two boolean values", 1, true))
-- Equality never errors.
assert(({} == 1) == false and (print == print))
-- a > b is b < a; a >= b is b <= a.
local log = {}
local mt = { __lt = function(a, b) log[#log + 1] = a.n .. "<" .. b.n return a.n < b.n end,
             __le = function(a, b) log[#log + 1] = a.n .. "<=" .. b.n return a.n <= b.n end }
local A, B = setmetatable({ n = "A" }, mt), setmetatable({ n = "B" }, mt)
assert(A < B and B > A and A <= B and B >= A)
print(table.concat(log, " "))
print(1 < 2, "a" < "b", 2 <= 1, "x" == "x", 1 == 1.0, 0.1 + 0.2 == 0.3)
print("ok")
