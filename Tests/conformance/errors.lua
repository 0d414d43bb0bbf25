-- Runtime error messages, with variable names, and error positions.
-- The texts are luajit's; lua5.1 words some of them differently (e.g. it names upvalues
-- and fields the same way but says "attempt to compare two nil values" in other cases),
-- so under lua5.1 only the failure itself is checked.
local LJ = rawget(_G, "jit") ~= nil
-- expect(msg, f): f must fail with msg; a "@" in msg stands for "errors.lua:N:" where N is
-- the line on which f is defined (every f here fails on its first line).
local function expect(msg, f, ...)
  local line = debug.getinfo(f, "S").linedefined
  msg = msg:gsub("^@", "errors.lua:" .. line .. ":")
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error: " .. msg)
  if LJ and err ~= msg then
    error("got [" .. tostring(err) .. "] want [" .. msg .. "]", 2)
  end
  print(err)
end
expect("@ attempt to index local 't' (a nil value)", function() local t; return t.x end)
expect("@ attempt to call global 'f' (a nil value)", function() return f() end)
expect("@ attempt to call method 'm' (a nil value)", function() local o = {} return o:m() end)
expect("@ attempt to perform arithmetic on field 'x' (a string value)",
  function() local o = { x = "s" } return o.x + 1 end)
expect("@ attempt to compare number with nil", function() return 1 < nil end)
expect("@ attempt to concatenate a table value", function() return "a" .. {} end)
expect("@ attempt to index field 'y' (a nil value)", function() local o = {} return o.y.z end)
expect("@ attempt to index global 'nothere' (a nil value)", function() return nothere.x end)
local up
expect("@ attempt to index upvalue 'up' (a nil value)", function() return up.x end)
expect("@ attempt to call a number value", function() local n = 1 return (n + 1)() end)
expect("@ attempt to perform arithmetic on local 'b' (a boolean value)",
  function() local b = true return -b end)
expect("@ attempt to get length of local 'n' (a number value)", function() local n = 1 return #n end)
expect("@ attempt to concatenate local 'x' (a nil value)", function() local x return "a" .. x end)
expect("@ attempt to compare two table values", function() return {} < {} end)
expect("@ attempt to compare string with number", function() return "a" < 1 end)
expect("@ attempt to call field 'nofn' (a nil value)", function() return string.nofn() end)
expect("@ attempt to index a nil value", function() return (nil)[1] end)
expect("@ attempt to perform arithmetic on a nil value", function() local t = {} return t[1] + 1 end)
expect("@ table index is nil", function() local t = {} t[nil] = 1 end)
expect("@ table index is NaN", function() local t = {} t[0/0] = 1 end)
-- Library argument errors.
expect("@ bad argument #1 to 'ipairs' (value expected)", function() local r = ipairs() return r end)
expect("@ bad argument #2 to 'insert' (number expected, got string)", function() table.insert({}, "x", 1) end)
expect("@ bad argument #1 to 'setmetatable' (table expected, got number)", function() setmetatable(1, {}) end)
expect("@ bad argument #1 to 'rep' (string expected, got no value)", function() local r = ("x").rep() return r end)
expect("@ bad argument #1 to 'tostring' (value expected)", function() local r = tostring() return r end)
-- Called directly by pcall, the function has no name to report.
expect("bad argument #1 to '?' (value expected)", tostring)
-- error with non-string values and levels.
local ok, e = pcall(error, { code = 1 })
assert(not ok and type(e) == "table" and e.code == 1)
ok, e = pcall(error)
assert(not ok and e == nil)
ok, e = pcall(error, "plain", 0)
assert(e == "plain")
local function lvl1() error("one", 1) end
local function lvl2() error("two", 2) end
local function calls2() lvl2() end            -- level 2 points here
ok, e = pcall(lvl1)
assert(e == "errors.lua:" .. debug.getinfo(lvl1, "S").linedefined .. ": one")
ok, e = pcall(calls2)
assert(e == "errors.lua:" .. debug.getinfo(calls2, "S").linedefined .. ": two")
ok, e = pcall(error, 42)
assert(e == "42")                              -- numbers are strings to error: position (none) is prepended
ok, e = pcall(function() error(42, 0) end)
assert(e == 42)
ok, e = pcall(error, "msg", 2)               -- level 2 is the caller of pcall: this line
print(e)
print(select(2, pcall(lvl1)), select(2, pcall(calls2)))
-- The position goes before the message's bytes, whatever they are.
print(pcall(function() error("\xff\xfe\0z") end))
print(pcall(function() error(1.5) end), type(select(2, pcall(error, 42))))
print("ok")
