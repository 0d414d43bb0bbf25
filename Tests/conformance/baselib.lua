-- The base library: type, tostring/tonumber, rawget/rawset/rawequal, next/pairs/ipairs,
-- select, unpack, assert, loadstring/load, collectgarbage, _G, _VERSION, gcinfo.
-- lua5.1 differs: it has no mode/env arguments to load (that part runs only under luajit)
-- and it truncates long chunk names later (the printed name is luajit's).
local LJ = rawget(_G, "jit") ~= nil
assert(type(nil) == "nil" and type(1) == "number" and type("") == "string" and type({}) == "table")
assert(type(print) == "function" and type(true) == "boolean" and type(coroutine.create(function() end)) == "thread")
assert(type(newproxy()) == "userdata")
assert(not pcall(type))
assert(_G._G == _G and _VERSION == "Lua 5.1")
assert(rawequal(1, 1) and not rawequal({}, {}) and rawequal("a", "a"))
local t = setmetatable({}, { __index = function() return "meta" end })
assert(t.x == "meta" and rawget(t, "x") == nil)
rawset(t, "x", 1)
assert(t.x == 1)
assert(next({}, nil) == nil and next({ 5 }) == 1)
assert(not pcall(next, {}, "nokey"))
local a, b, c = unpack({ 1, 2, 3 })
assert(a == 1 and c == 3)
assert(select("#", unpack({ 1, 2 }, 1, 4)) == 4)
-- loadstring and load.
local f = loadstring("local a, b = ... return a * b")
assert(f(6, 7) == 42)
local g, err = loadstring("return +")
assert(g == nil and err == [[[string "return +"]:1: unexpected symbol near '+']])
local parts, i = { "return ", "1 ", "+ 41" }, 0
local h = load(function() i = i + 1 return parts[i] end)
assert(h() == 42)
local named = loadstring("error('x')", "=mychunk")
local ok, e = pcall(named)
assert(e == "mychunk:1: x")
ok, e = pcall(loadstring("error('y')", "@file.lua"))
assert(e == "file.lua:1: y")
ok, e = pcall(loadstring("error('z')"))
assert(e == [[[string "error('z')"]:1: z]])
-- Long or multi-line chunks are shortened in the chunk name.
local _, long = loadstring("local x = 1\nreturn +")
assert(long == [[[string "local x = 1..."]:2: unexpected symbol near '+']])
local _, verylong = loadstring(("x = 1 "):rep(20) .. "+")
print(verylong)
if LJ then
  local env = { y = 5 }
  local m = load("return y", "chunk", "t", env)
  assert(m() == 5)
  local bin = string.dump(function() return 7 end)
  assert(load(bin, "b", "b")() == 7)
  local nob, berr = load("return 1", "t-only", "b")
  assert(nob == nil and berr == "attempt to load chunk with wrong mode")
end
-- string.dump round trip through loadstring.
local dumped = string.dump(function(x) return x + 1 end)
assert(loadstring(dumped)(1) == 2)
-- tostring of various values.
assert(tostring(nil) == "nil" and tostring(false) == "false" and tostring(12) == "12")
assert(tostring({}):match("^table: ") and tostring(print):match("^function: "))
-- collectgarbage options.
assert(type(collectgarbage("count")) == "number")
assert(collectgarbage() == 0 and collectgarbage("collect") == 0)
collectgarbage("stop") collectgarbage("restart")
assert(type(collectgarbage("step")) == "boolean")
assert(type(gcinfo()) == "number")
-- ipairs/pairs return their iterator triple.
local it, st, ctl = ipairs({})
assert(type(it) == "function" and ctl == 0)
local pn, ps, pc = pairs({})
assert(type(pn) == "function" and pc == nil)
-- select with '#' and negative indexes.
assert(select("#") == 0 and select(-1, 1, 2) == 2)
-- assert returns all its arguments.
assert(select("#", assert(1, 2, 3)) == 3)
-- print uses tostring from the globals.
local saved = tostring
local seen = {}
tostring = function(v) seen[#seen + 1] = v return saved(v) end
print("via", "tostring")
tostring = saved
assert(#seen == 2 or #seen == 0)       -- luajit calls the global tostring only if redefined
print(type(nil), type(1), _VERSION, select("#", unpack({ 1, 2 }, 1, 4)), f(6, 7), err)
print(e, long)
print("ok")
