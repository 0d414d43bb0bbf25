-- String escapes, long strings and the core string library.
-- lua5.1 differs: string.rep has no separator argument and string.format("%s") does not
-- call tostring on non-strings; those checks run only under luajit.
local function bytes(s) return table.concat({ s:byte(1, -1) }, ",") end
assert(bytes("\a\b\f\n\r\t\v\\\"\'") == "7,8,12,10,13,9,11,92,34,39")
assert(bytes("\0\1\0012\255") == "0,1,1,50,255")
assert(#"\0\0\0" == 3 and ("a\0b"):len() == 3)
assert([[
x]] == "x" and [==[a]]b]==] == "a]]b")
local LJ = rawget(_G, "jit") ~= nil
if LJ then
  -- LuaJIT escapes (loadstring keeps this file parseable by lua5.1).
  local s = loadstring([[return "\x41\u{42}\z
                          C"]])()
  assert(s == "ABC")
end
-- Strings are interned values: equal contents are equal.
assert("abc" == "a" .. "bc")
-- string library.
assert(("hello"):upper() == "HELLO" and ("HeLLo"):lower() == "hello")
assert(("abc"):rep(3, nil) == "abcabcabc" and ("x"):rep(0) == "" and ("x"):rep(-1) == "")
assert(("hello"):sub(2) == "ello" and ("hello"):sub(-3) == "llo" and ("hello"):sub(2, -2) == "ell")
assert(("hello"):sub(0) == "hello" and ("hello"):sub(10) == "" and ("hello"):sub(3, 2) == "")
assert(("abc"):reverse() == "cba" and ("abc"):len() == 3)
assert(string.char(72, 105) == "Hi" and string.char() == "")
assert(("abc"):byte(-1) == 99 and select("#", ("abc"):byte(1, -1)) == 3 and ("abc"):byte(10) == nil)
assert(("hello world"):find("o w") == 5 and ("a.b"):find(".", 1, true) == 2)
assert(("hello"):find("l+") == 3 and select(2, ("hello"):find("l+")) == 4)
assert(("key=val"):match("(%w+)=(%w+)") == "key" and select(2, ("key=val"):match("(%w+)=(%w+)")) == "val")
assert(("abc"):match("()b()") == 2)
local words = {}
for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
assert(#words == 3 and words[3] == "three")
local r, n = ("hello"):gsub("l", "L")
assert(r == "heLLo" and n == 2)
assert(("abc"):gsub("%w", "%0%0") == "aabbcc")
assert(("hello world"):gsub("(%w+)", "<%1>") == "<hello> <world>")
assert(("$x $y"):gsub("%$(%w)", { x = 1, y = "Y" }) == "1 Y")
assert(("abc"):gsub(".", function(c) return c:byte() end) == "979899")
assert(("abc"):gsub("", "-") == "-a-b-c-")
assert(("  trim  "):match("^%s*(.-)%s*$") == "trim")
assert(("[%]"):find("%]", 1) == 3)
assert(("f(a(b)c)"):match("%b()") == "(a(b)c)")
assert(("THE (quick) fox"):find("%f[%a]%a+", 5) == 6)
assert(string.format("%s %s", 1, "x") == "1 x")
if LJ then
  assert(string.format("%s %s", 1, true) == "1 true")
  assert(("x"):rep(3, ",") == "x,x,x")
end
assert(string.format("%5.1f|%-3d|%03d", 3.14159, 7, 7) == "  3.1|7  |007")
assert(string.format("%%") == "%" and string.format("%c", 65) == "A")
assert(tostring(nil) == "nil" and tostring(true) == "true")
-- Long strings keep bytes verbatim (no escapes) and normalize nothing but the first newline.
local long = [[a\tb
c]]
assert(long == "a\\tb\nc")
print(("x"):rep(3), ("%d items"):format(3), ("Hello"):upper(), #"\0\0")
print(string.format("%q", "tab\there"), ("abc"):byte(1, 3))
print(("one two"):gsub("o", "0"))
print("ok")
