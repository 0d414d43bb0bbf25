-- Tail calls of builtins (`return setmetatable(o, mt)`): results, all of them, none, errors.
local mt = { __index = function(t, k) return k .. "!" end }
local function make(x) return setmetatable({ x = x }, mt) end
local function count(...) return select("#", ...) end
local function pick(...) return select(2, ...) end
local function spread(t) return unpack(t) end
local function str(x) return tostring(x) end
local function num(x) return tonumber(x) end
local function bad(x) return setmetatable(x, mt) end
local function typ(x) return type(x) end
local function up(x) local function g() return x end return rawget({ g = g }, "g"), setmetatable({}, { __call = g }) end
local function closing(x) local f = function() return x end return select("#", f(), f()) end
local s = 0
for i = 1, 300 do
  local o = make(i)
  s = s + o.x + count(i, nil, i) + (pick(1, i, 3)) + #str(i) + num(tostring(i)) + #typ(o)
  local a, b, c = spread({ i, i + 1 })
  s = s + a + b + (c or 0) + closing(i)
end
print(s, make(1).hello, count(), pick(1), spread({}), str(nil), num("x"), typ(nil))
print(select("#", spread({ 1, 2, 3, nil, 5 })), up(5)(), (select(2, up(6)))())
print(pcall(bad, 1))
print(pcall(bad, setmetatable({}, { __metatable = "locked" })))
local function deep(n) if n == 0 then return error("bottom") end return deep(n - 1) end
print(pcall(deep, 3))
print(select(2, xpcall(function() return bad(nil) end, debug.traceback)):gsub("\n.*", ""))
