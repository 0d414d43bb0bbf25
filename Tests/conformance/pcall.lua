-- error, pcall and xpcall.
-- lua5.1 differs: its xpcall takes no extra arguments (those checks run only under luajit).
local LJ = rawget(_G, "jit") ~= nil
assert(select("#", pcall(function() end)) == 1)
local ok, a, b = pcall(function(x, y) return x + y, "two" end, 1, 2)
assert(ok and a == 3 and b == "two")
ok, a = pcall(error, "e", 0)
assert(not ok and a == "e")
-- The handler of xpcall receives the original error and its result is returned.
local function handler(e) return "handled: " .. tostring(e) end
ok, a = xpcall(function() error("boom", 0) end, handler)
assert(not ok and a == "handled: boom")
ok, a = xpcall(function() return "fine" end, handler)
assert(ok and a == "fine")
if LJ then
  ok, a, b = xpcall(function(x, y) return x * y, x end, handler, 6, 7)
  assert(ok and a == 42 and b == 6)
end
-- The handler runs before the stack unwinds: traceback sees the failing function.
local tb
ok = xpcall(function() local t = nil; return t.x end, function(e) tb = debug.traceback(e, 1) return e end)
assert(not ok and tb:find("attempt to index local 't'", 1, true) and tb:find("stack traceback:", 1, true))
-- An error inside the handler.
ok, a = xpcall(function() error("first") end, function(e) error("second") end)
assert(not ok)
-- Nested pcall; errors do not leak out.
ok, a = pcall(function()
  local ok2, e2 = pcall(error, "inner", 0)
  assert(not ok2 and e2 == "inner")
  error("outer", 0)
end)
assert(not ok and a == "outer")
-- error with a table value keeps identity.
local obj = {}
ok, a = pcall(error, obj)
assert(a == obj)
-- Error objects with __tostring.
local E = setmetatable({}, { __tostring = function() return "custom error" end })
ok, a = pcall(error, E)
assert(a == E and tostring(a) == "custom error")
-- pcall of non-callables.
ok, a = pcall(42)
assert(not ok and a == "attempt to call a number value")
-- Errors thrown by assert.
ok, a = pcall(assert, false)
assert(a == "assertion failed!")
ok, a = pcall(assert, nil, "with message")
assert(a == "with message")
ok, a = pcall(assert, 1 == 1, "unused")
assert(ok and a == true)
-- Stack overflow is a catchable error.
local function rec(n) return 1 + rec(n + 1) end
ok, a = pcall(rec, 1)
assert(not ok and tostring(a):find("stack overflow", 1, true))
-- After an overflow everything still works.
ok, a = pcall(function() return ("x"):rep(3) end)
assert(ok and a == "xxx")
-- Errors while running a __index metamethod propagate through pcall.
local bad = setmetatable({}, { __index = function() error("index failed", 0) end })
ok, a = pcall(function() return bad.x end)
assert(a == "index failed")
print(select(2, xpcall(function() error("boom", 0) end, handler)))
print(pcall(error, "plain", 0))
print(select(2, pcall(assert, false)), select(2, pcall(42)))
print(tostring(a), ok)
print("ok")
