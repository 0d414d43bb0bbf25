-- The debug library: getinfo (all options), getlocal/setlocal (varargs, temporaries,
-- parameter names), getupvalue/setupvalue, upvalueid/upvaluejoin, setmetatable,
-- getfenv/setfenv, gethook with no hook set (hooks.lua has the hooks); not debug.debug (reads stdin).
-- lua5.1 has no varargs in getlocal, no nparams/isvararg, no upvalueid/upvaluejoin, and
-- returns nothing where luajit returns nil.

local function keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

-- The fields of a getinfo table, sorted, with functions and tables shown by type only.
local function show(t)
  local out = {}
  for _, k in ipairs(keys(t)) do
    local v = t[k]
    if type(v) == "table" or type(v) == "function" then v = type(v) end
    out[#out + 1] = k .. "=" .. tostring(v)
  end
  return table.concat(out, " ")
end

-- getinfo on levels: the running function, its caller, the main chunk.
local function f(a, b, ...)
  local x = 1
  local info = debug.getinfo(1)
  assert(info.func == f and info.currentline == 28 and info.what == "Lua")
  print(show(info))
  print(show(debug.getinfo(2, "nSl")))
  print(show(debug.getinfo(1, "u")))
  return x
end
f(1, 2, 3)

local main = debug.getinfo(1, "S")
assert(main.what == "main" and main.linedefined == 0 and main.source == "@debug.lua")
print(show(main))
print(show(debug.getinfo(print, "Slnf")))
print(show(debug.getinfo(f, "Sl")))
print(debug.getinfo(0, "n").name, debug.getinfo(0, "S").what)
assert(debug.getinfo(100) == nil and debug.getinfo(-1) == nil)
assert(debug.getinfo("1", "l").currentline == 44)
assert(debug.getinfo(1, "f").func ~= nil)
assert(next(debug.getinfo(1, "")) == nil)

-- activelines: every line with code, the header excluded.
local function lines(t)
  local ks = keys(t.activelines)
  for _, k in ipairs(ks) do assert(t.activelines[k] == true) end
  return table.concat(ks, " ")
end
local function spread(n)
  local s = 0
  for i = 1, n do
    s = s + i
  end
  return s
end
print("activelines", lines(debug.getinfo(spread, "L")))
print("activelines of f", lines(debug.getinfo(f, "L")))
assert(debug.getinfo(print, "L").activelines == nil)
local mainlines = debug.getinfo(1, "L").activelines
assert(mainlines[44] and mainlines[62] and not mainlines[56] and not mainlines[1])

-- Names from the caller's call instruction.
local function named() local t = debug.getinfo(2, "n") == nil and {} or debug.getinfo(1, "n") return t.namewhat, t.name end
print("local", named())
local obj = { m = function(self) local t = debug.getinfo(1, "n") return t.namewhat, t.name end }
print("method", obj:m())
print("field", obj.m(obj))
gfun = function() local t = debug.getinfo(1, "n") return t.namewhat, t.name end
print("global", gfun())
local function viaupvalue() return named() end
print("upvalue", (function() local a, b = named() return a, b end)())
print("through pcall", select(2, pcall(function() local t = debug.getinfo(1, "n") return t.namewhat, tostring(t.name) end)))
local function iter()
  return function(_, i)
    if i < 1 then
      local t = debug.getinfo(1, "n")
      print("for iterator", t.namewhat, t.name)
      return i + 1
    end
  end, nil, 0
end
for _ in iter() do end

-- Errors.
local function err(...)
  local ok, msg = pcall(...)
  assert(not ok)
  print(msg)
end
err(debug.getinfo, 1, "x")
err(debug.getinfo, 1, ">S")
err(debug.getinfo, f, ">S")
err(debug.getinfo, "x")
err(debug.getinfo)
err(debug.getinfo, 1, {})
print(select(2, pcall(function() local r = debug.getinfo(1, "q") return r end)))
print(select(2, pcall(function() local r = debug.getinfo({}) return r end)))

-- getlocal: named locals, temporaries, varargs, parameter names.
local function locals(p, q, ...)
  local r = p + q
  do
    local inner = "in"
    assert(debug.getlocal(1, 4) == "inner")
  end
  local names = {}
  local i = 1
  while true do
    local name, value = debug.getlocal(1, i)
    if name == nil or name == "names" then break end
    names[#names + 1] = name .. "=" .. tostring(value)
    i = i + 1
  end
  print(table.concat(names, " "))
  print(debug.getlocal(1, -1))
  print(debug.getlocal(1, -2))
  print(debug.getlocal(1, -3))
  print(select("#", debug.getlocal(1, -4)))
  print(debug.getlocal(1, 0))
  print((debug.getlocal(2, 1)))
  return r
end
locals(10, 20, "v1", nil, "v3")
local function novarargs(a)
  print(debug.getlocal(1, -1))
  print(debug.getlocal(1, 1))
end
novarargs("only")
print(debug.getlocal(locals, 1), debug.getlocal(locals, 2), debug.getlocal(locals, 3))
print(debug.getlocal(print, 1))
print(debug.getlocal(function(...) end, 1))
err(debug.getlocal, 50, 1)
err(debug.getlocal, 1)
err(debug.getlocal, "x", 1)
print(select(2, pcall(function() local r = debug.getlocal(1000, 1) return r end)))

-- A temporary: the function being called sits in a slot above the locals.
local function temp()
  local t = {}
  for n = 1, 9 do
    local name, v = debug.getlocal(1, n)
    t[#t + 1] = tostring(name) .. ":" .. type(v)
  end
  print(table.concat(t, " "))
  local name, value = debug.getlocal(1, 1)
  print(name, type(value))
  print(1, "two", (debug.getlocal(1, 4)), (debug.getlocal(1, 6)), (debug.getlocal(1, 7)), (debug.getlocal(1, 9)))
  print(1, "two", select(2, debug.getlocal(1, 4)) == print, select(2, debug.getlocal(1, 7)))
  print((debug.getlocal(0, 1)), (debug.getlocal(0, 3)))
end
temp()

-- setlocal.
local function setter()
  local a, b = 1, 2
  assert(debug.setlocal(1, 2, "changed") == "b")
  assert(debug.setlocal(1, 9, 0) == nil)
  print("setlocal", a, b)
  local function inner() assert(debug.setlocal(2, 1, 100) == "a") end
  inner()
  print("setlocal level 2", a)
end
setter()
local function setvararg(...)
  assert(debug.setlocal(1, -2, "two") == "(*vararg)")
  print("setlocal vararg", ...)
end
setvararg(1, 2, 3)
err(debug.setlocal, 1, 1)
err(debug.setlocal, 100, 1, 1)
err(debug.setlocal, 1, "x", 1)

-- Upvalues of Lua closures.
local u1, u2 = "one", 2
local function closure() return u1, u2 end
print(debug.getupvalue(closure, 1))
print(debug.getupvalue(closure, 2))
print(select("#", debug.getupvalue(closure, 3)), select("#", debug.getupvalue(closure, 0)))
print(debug.setupvalue(closure, 2, "two"))
print(closure())
print(u2)
print(select("#", debug.setupvalue(closure, 5, 1)))
print(debug.getinfo(closure, "u").nups)
err(debug.getupvalue, 1, 1)
err(debug.getupvalue, closure)
err(debug.setupvalue, closure, 1)
print(select("#", debug.getupvalue(print, 5)))

-- upvalueid and upvaluejoin.
local function other() return u1 end
local function third() return u2 end
assert(debug.upvalueid(closure, 1) == debug.upvalueid(other, 1))
assert(debug.upvalueid(closure, 1) ~= debug.upvalueid(closure, 2))
print(type(debug.upvalueid(closure, 1)))
debug.upvaluejoin(other, 1, third, 1)
assert(debug.upvalueid(other, 1) == debug.upvalueid(third, 1))
print("joined", other())
u2 = "shared"
print("joined", other(), third())
err(debug.upvalueid, closure, 3)
err(debug.upvalueid, 1, 1)
err(debug.upvaluejoin, print, 1, closure, 1)
err(debug.upvaluejoin, closure, 1, print, 1)
err(debug.upvaluejoin, closure, 5, other, 1)
err(debug.upvaluejoin, closure, 1, other, 7)

-- setmetatable for any type, protected metatables included.
local t = setmetatable({}, { __metatable = "locked" })
assert(debug.setmetatable(t, { __index = function(_, k) return k .. "!" end }) == true)
print(t.key, getmetatable(t) == nil)
assert(debug.setmetatable(t, nil) == true and getmetatable(t) == nil)
debug.setmetatable(10, { __index = function(n, k) return n * 2 end })
print((5).double, getmetatable(1) ~= nil)
debug.setmetatable(10, nil)
assert(getmetatable(1) == nil)
debug.setmetatable(true, { __index = { yes = "indexed" } })
print((false).yes, (true).yes)
debug.setmetatable(false, nil)
assert(getmetatable(true) == nil)
debug.setmetatable(print, { __index = { kind = "function" } })
print(print.kind, f.kind)
assert(debug.getmetatable(print).__index.kind == "function")
debug.setmetatable(print, nil)
debug.setmetatable(nil, { __index = function() return "from nil" end })
local none
print(none.anything)
debug.setmetatable(nil, nil)
err(debug.setmetatable, {}, 1)
err(debug.setmetatable, {})

-- getfenv and setfenv.
local function envuser() return value end
local env = { value = "from env" }
assert(debug.getfenv(envuser) == _G)
assert(debug.setfenv(envuser, env) == envuser)
print(envuser(), debug.getfenv(envuser) == env)
assert(debug.getfenv(1) == nil and debug.getfenv("s") == nil and debug.getfenv(nil) == nil)
assert(debug.getfenv(coroutine.running() or coroutine.create(print)) ~= nil)
assert(debug.setfenv(print, env) == print and debug.getfenv(print) == env)
debug.setfenv(print, _G)
err(debug.getfenv)
err(debug.setfenv, envuser, 1)
err(debug.setfenv, 1, {})
print(select(2, pcall(function() local r = debug.setfenv("s", {}) return r end)))

-- Builtins: math.sin has no upvalues.
print(select("#", debug.getupvalue(math.sin, 1)), debug.getinfo(math.sin, "u").nups)

-- Another thread: a suspended coroutine's levels and locals.
local co = coroutine.create(function(a, b)
  local inside = "yes"
  coroutine.yield(a + b)
end)
print(debug.getinfo(co, 0), debug.getinfo(co, 1))
coroutine.resume(co, 7, 8)
for level = 0, 2 do
  local i = debug.getinfo(co, level, "Sln")
  print(level, i and i.what, i and i.currentline, i and i.name)
end
print(debug.getlocal(co, 1, 1))
print(debug.getlocal(co, 1, 3))
print(debug.setlocal(co, 1, 3, "no"))
print(debug.getlocal(co, 1, 3))
err(debug.getlocal, co, 5, 1)
print(debug.traceback(co))

-- Functions called by an operator are named after their metamethod.
do
  local named = setmetatable({}, {
    __index = string.rep,
    __lt = function() local i = debug.getinfo(1, "n") print(i.namewhat, i.name) return true end,
    __add = function() return (debug.traceback("tb", 1):gsub("\n[^\n]*in main chunk.*", "")) end,
    __concat = function() error("in concat") end,
  })
  print(pcall(function() return named.y end))
  print(named < named)
  print(named + 1)
  print(select(2, xpcall(function() return named .. "x" end, debug.traceback)):match("[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*"))
end

-- Hooks: none is set.
print(debug.gethook())
debug.sethook()
debug.sethook(nil)
print(debug.gethook())

-- Below the main chunk luajit shows the native code that started it, as a C frame.
do
  local host = debug.getinfo(2, "Sln")
  print(host.what, host.short_src, host.source, host.currentline, host.linedefined, host.namewhat)
  print(type(debug.getinfo(2, "f").func), debug.getinfo(3))
  print((debug.traceback("tb"):gsub("0x%x+", "0x...")))
end
print("ok")
