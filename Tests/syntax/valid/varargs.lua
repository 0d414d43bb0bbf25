-- Varargs in every position.
local function pack(...) return { n = select("#", ...), ... } end
local function id(...) return ... end
local function first(...) local a = ... return a end
local function count(...) return select("#", ...) end

assert(count() == 0 and count(nil) == 1 and count(nil, nil) == 2)
assert(count(id(1, 2, 3)) == 3)
assert(count(id(1, 2, 3), 4) == 2)        -- truncated when not last
assert(count((id(1, 2, 3))) == 1)         -- parentheses truncate
assert(first(5, 6) == 5)
local t = pack(1, nil, 3)
assert(t.n == 3 and t[1] == 1 and t[3] == 3)
local function mid(...) return 0, ..., 9 end
assert(count(mid(1, 2)) == 3)
local function tail(...) return 0, ... end
assert(count(tail(1, 2)) == 3)
local function intable(...) return { ... } end
assert(#intable(1, 2, 3) == 3)
local function inhash(...) return { a = ..., ... } end
local h = inhash(7, 8)
assert(h.a == 7 and h[1] == 7 and h[2] == 8)
local function mixedtable(...) return { ..., 10 } end
assert(#mixedtable(1, 2, 3) == 2)
local function assignall(...) local a, b, c = ... return a, b, c end
assert(select(3, assignall(1, 2, 3)) == 3)
local function assignmore(...) local a, b, c = ..., "x" return a, b, c end
local p, q, r = assignmore(1, 2)
assert(p == 1 and q == "x" and r == nil)
local function args(...) return select("#", ...), select(2, ...) end
local n, second = args("a", "b", "c")
assert(n == 3 and second == "b")
local function named(a, b, ...) return a, b, count(...) end
local x, y, z = named(1)
assert(x == 1 and y == nil and z == 0)
x, y, z = named(1, 2, 3, 4, 5)
assert(z == 3)
local function outer(...)
  local function inner(...) return ... end
  return inner(...)
end
assert(count(outer(1, 2, 3, 4)) == 4)
local function vcall(f, ...) return f(...) end
assert(vcall(math.max, 3, 9, 2) == 9)
local function vmeth(o, ...) return o:m(...) end
assert(vmeth({ m = function(self, ...) return count(...) end }, 1, 2) == 2)
local function opvar(...) return ... + 1, -..., not ..., ... .. "" end
local o1, o2, o3, o4 = opvar(2, 100)
assert(o1 == 3 and o2 == -2 and o3 == false and o4 == "2")
local function lenvar(...) return #... end
assert(lenvar("abc") == 3)
local function cmpvar(...) return ... == 1, (...) end
assert(cmpvar(1) == true)
local main = ...
assert(main == nil)
assert(count(...) == 0)
print("ok")
