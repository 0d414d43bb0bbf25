-- Metatables and every Lua 5.1 metamethod.
local log = {}
local function L(s) log[#log + 1] = s end
-- __index chain: table -> table -> function.
local base = setmetatable({ b = "base" }, { __index = function(t, k) L("fn:" .. k) return k .. "!" end })
local mid = setmetatable({ m = "mid" }, { __index = base })
local obj = setmetatable({}, { __index = mid })
assert(obj.m == "mid" and obj.b == "base" and obj.zz == "zz!")
assert(rawget(obj, "m") == nil)
-- __newindex: table target and function.
local store = {}
local w = setmetatable({}, { __newindex = store })
w.x = 1
assert(rawget(w, "x") == nil and store.x == 1)
local w2 = setmetatable({}, { __newindex = function(t, k, v) rawset(t, k, v * 2) end })
w2.y = 5
assert(w2.y == 10)
w2.y = 7                       -- existing key: no metamethod
assert(w2.y == 7)
-- __newindex chain through a table that itself has __newindex.
local sink = {}
local inner = setmetatable({}, { __newindex = function(t, k, v) sink[k] = v end })
local outer = setmetatable({}, { __newindex = inner })
outer.q = 3
assert(sink.q == 3 and rawget(inner, "q") == nil)
-- __call with arguments.
local callable = setmetatable({}, { __call = function(self, a, b) return self, a + b end })
local s, r = callable(2, 3)
assert(s == callable and r == 5)
-- Arithmetic metamethods.
local V = {}
V.__index = V
local function vec(x) return setmetatable({ x = x }, V) end
V.__add = function(a, b) return vec((type(a) == "table" and a.x or a) + (type(b) == "table" and b.x or b)) end
V.__sub = function(a, b) return vec(a.x - b.x) end
V.__mul = function(a, b) return vec(a.x * (type(b) == "table" and b.x or b)) end
V.__div = function(a, b) return vec(a.x / b.x) end
V.__mod = function(a, b) return vec(a.x % b.x) end
V.__pow = function(a, b) return vec(a.x ^ b.x) end
V.__unm = function(a) return vec(-a.x) end
V.__concat = function(a, b)
  local as = type(a) == "table" and "V" .. a.x or tostring(a)
  local bs = type(b) == "table" and "V" .. b.x or tostring(b)
  return as .. bs
end
V.__eq = function(a, b) L("eq") return a.x == b.x end
V.__lt = function(a, b) L("lt") return a.x < b.x end
V.__tostring = function(a) return "vec(" .. a.x .. ")" end
V.__len = function(a) return 99 end   -- not used for tables in 5.1
local a, b = vec(6), vec(4)
assert((a + b).x == 10 and (a - b).x == 2 and (a * b).x == 24 and (a / b).x == 1.5)
assert((a % b).x == 2 and (vec(2) ^ vec(3)).x == 8 and (-a).x == -6)
assert((1 + a).x == 7 and (a + 1).x == 7 and (a * 2).x == 12)
assert(a .. b == "V6V4" and "s" .. a == "sV6" and a .. 1 == "V61")
assert("x" .. a .. "y" == "xV6y")
-- __eq only for two tables (or two userdata) with the same metamethod; never for rawequal.
assert(vec(1) == vec(1) and vec(1) ~= vec(2) and not rawequal(vec(1), vec(1)))
assert(vec(1) ~= 1)
-- __lt, and __le falls back to not (b < a) when there is no __le.
assert(b < a and not (a < b) and b <= a and a >= b and not (a <= b))
-- #t on tables ignores __len in 5.1 / LuaJIT (without 5.2 compat).
assert(#a == 0)
assert(tostring(a) == "vec(6)")
-- __len, __index, __call, __eq etc. on userdata via newproxy.
local u = newproxy(true)
local umt = getmetatable(u)
umt.__len = function() return 42 end
umt.__index = function(_, k) return "u." .. k end
umt.__call = function(_, x) return x * 3 end
umt.__tostring = function() return "userdata!" end
umt.__concat = function(l, r) return "ucat" end
assert(#u == 42 and u.foo == "u.foo" and u(5) == 15 and tostring(u) == "userdata!" and u .. "x" == "ucat")
local u2 = newproxy(u)                 -- shares the metatable
assert(getmetatable(u2) == umt and #u2 == 42)
assert(getmetatable(newproxy(false)) == nil and type(newproxy()) == "userdata")
-- __eq on userdata.
umt.__eq = function() return true end
assert(u == u2)
-- __metatable protects the metatable.
local prot = setmetatable({}, { __metatable = "locked" })
assert(getmetatable(prot) == "locked")
local ok, err = pcall(setmetatable, prot, {})
assert(not ok and err:find("cannot change a protected metatable", 1, true))
-- __tostring is used by print and tostring; __name is not a 5.1 feature.
-- __index on strings: the string metatable.
assert(("abc").len == string.len and getmetatable("").__index == string)
-- __le used when present.
local P = { __le = function(x, y) L("le") return true end, __lt = function() L("lt2") return false end }
local p1, p2 = setmetatable({}, P), setmetatable({}, P)
assert(p1 <= p2 and p2 >= p1 and not (p1 < p2))
-- __gc on userdata (newproxy) runs at collection.
local collected = false
do
  local g = newproxy(true)
  getmetatable(g).__gc = function() collected = true end
end
collectgarbage() collectgarbage()
assert(collected)
-- __mode weak tables.
local weak = setmetatable({}, { __mode = "k" })
weak[{}] = 1
collectgarbage() collectgarbage()
assert(next(weak) == nil)
-- rawequal/rawlen-like functions bypass metamethods.
assert(rawget(setmetatable({}, { __index = function() return 1 end }), "x") == nil)
local rs = setmetatable({}, { __newindex = function() error("no") end })
rawset(rs, "k", 1)
assert(rs.k == 1)
print(tostring(a), tostring(a + b), a .. b, #u, u.bar, tostring(u))
print(table.concat(log, " "))
print("ok")
