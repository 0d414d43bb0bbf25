-- Proper tail calls run in constant stack space; deep non-tail recursion overflows
-- catchably.
local function count(n, acc) if n == 0 then return acc end return count(n - 1, acc + 1) end
assert(count(1000000, 0) == 1000000)
-- Mutual tail recursion.
local iseven, isodd
function iseven(n) if n == 0 then return true end return isodd(n - 1) end
function isodd(n) if n == 0 then return false end return iseven(n - 1) end
assert(iseven(1000000) and isodd(999999))
-- Tail call through a method and through varargs.
local obj = {}
function obj:loop(n) if n == 0 then return "done" end return self:loop(n - 1) end
assert(obj:loop(1000000) == "done")
local function vloop(n, ...) if n == 0 then return select("#", ...) end return vloop(n - 1, ...) end
assert(vloop(1000000, 1, 2, 3) == 3)
-- Tail call to a callable table (__call).
local ct = setmetatable({}, { __call = function(self, n) if n == 0 then return "ct" end return self(n - 1) end })
assert(ct(100000) == "ct")
-- A tail call returns all results.
local function three() return 1, 2, 3 end
local function tail3() return three() end
assert(select("#", tail3()) == 3)
-- Non-tail recursion overflows with a catchable error.
local function deep(n) return 1 + deep(n + 1) end
local ok, err = pcall(deep, 1)
assert(not ok and err:find("stack overflow", 1, true))
-- (f(x)) is not a tail call: it truncates to one result.
local function notail() return (three()) end
assert(select("#", notail()) == 1)
-- Deep recursion that fits is fine.
local function sum(n) if n == 0 then return 0 end return n + sum(n - 1) end
assert(sum(10000) == 50005000)
print(count(1000000, 0), iseven(1000000), obj:loop(1000000), vloop(1000000, 1, 2, 3), ct(100000))
print(select("#", tail3()), select("#", notail()), sum(10000))
print("ok")
