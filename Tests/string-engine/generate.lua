-- Writes the expected results of the string engines' test cases by running them in luajit:
--   luajit Tests/string-engine/generate.lua Tests/string-engine
-- Each line of patterns.tsv / format.tsv / number.tsv is tab-separated hex-encoded fields.
local dir = arg[1] or "."
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function enc(v)
  if v == nil then return "x" end
  if type(v) == "number" then return "n" .. string.format("%.17g", v) end
  return "s" .. hex(v)
end
local function pack(ok, ...)
  if not ok then return "E" .. hex((...)) end
  local t = {}
  for i = 1, select("#", ...) do t[#t + 1] = enc((select(i, ...))) end
  return "R" .. table.concat(t, ",")
end

-- Patterns ---------------------------------------------------------------
local out = assert(io.open(dir .. "/patterns.tsv", "w"))
local function case(kind, s, p, a, b)
  local res
  if kind == "find" then res = pack(pcall(string.find, s, p, a, b))
  elseif kind == "match" then res = pack(pcall(string.match, s, p, a))
  elseif kind == "gsub" then res = pack(pcall(string.gsub, s, p, a, b))
  elseif kind == "gmatch" then
    local ok, err = pcall(function()
      local all = {}
      local it = string.gmatch(s, p)
      while #all <= 50 do
        local r = { n = 0 }
        local function grab(...) r.n = select("#", ...); for i = 1, r.n do r[i] = (select(i, ...)) end end
        grab(it())
        if r.n == 0 or r[1] == nil then break end
        all[#all + 1] = pack(true, unpack(r, 1, r.n))
      end
      return table.concat(all, "|")
    end)
    res = ok and ("G" .. err) or ("E" .. hex((err:gsub("^[^:]*:%d+: ", ""))))
  end
  out:write(kind, "\t", hex(s), "\t", hex(p), "\t", a == nil and "-" or enc(a), "\t",
            b == nil and "-" or tostring(b), "\t", res, "\n")
end

local subjects = { "", "a", "hello world", "  key = value  ", "x = 10, y = 20", "(foo(bar))baz",
  "THE (quick) fox", "a.b.c", "\0a\0b", "aaa", "abcabc", "f(a(b)c)d)", "[]^$%", "12ab34CD",
  "one two  three", "\t\n\r ", "\128\255\200", "x\0y\0z", "[[x]]", "aXbXc" }
local patterns = { "a", "^a", "a$", "^$", "", ".", "..", "%a+", "%A+", "%d+", "%D", "%l+", "%u+",
  "%s+", "%S+", "%w+", "%W", "%x+", "%X", "%p", "%P+", "%c", "%C+", "%z", "%Z+", "%g+", "%G",
  "[a-c]+", "[^a-c]+", "[%a_][%w_]*", "[]]", "[^]]+", "[a-]", "[-a]", "[%]]", "[%%]", "[a%-z]+",
  "a*", "a+", "a-", "a?", ".-", ".*", ".-b", "a-b", "(a*)", "(a)(b)", "()", "()a()", "(a*(.)%w(%s*))",
  "%b()", "%b[]", "%bxy", "%f[%w]%w+", "%f[%W]", "%f[%z]", "%f[%a]", "(%w+)%s*=%s*(%w+)", "(.)%1",
  "(%a)%1", "%.", "%%", "^(%s*)(.-)(%s*)$", "[%w%.]+", "[%d%-]", "x*$", "^x*", "(()", "(a)%2",
  "%1", "((a)(b))", "[a", "%", "a%", "%f", "%fa", "%b", "%ba", ")", "(a", "a)", "[^", "[%",
  "a\0b", "[\0]", "%z+", "\0", "^^", "a^", "$a", "a$b", "%$", "[$^]", ".-$", "(.-)%s", "%w-%s",
  "[a-z]-c", "(h)(e)(l)(l)(o)", "[%a-z]", "[z-a]", "[a-a]", "[%w-]", "%bab", "%b\0\0" }
for _, s in ipairs(subjects) do
  for _, p in ipairs(patterns) do
    case("find", s, p)
    case("match", s, p)
    case("gmatch", s, p)
    case("gsub", s, p, "<%0>")
  end
end
-- find's init and plain arguments, gsub's max and replacement escapes.
for _, init in ipairs({ -100, -3, -1, 0, 1, 2, 3, 5, 11, 12, 13, 100 }) do
  for _, p in ipairs({ "o", "l+", "", "^w", "o.", "%s", "wor", "xyz", "l", "()" }) do
    case("find", "hello world", p, init)
    case("find", "hello world", p, init, true)
    case("match", "hello world", p, init)
  end
end
for _, p in ipairs({ "a.b", "a+", "(", "%", "[", "a\0b" }) do
  case("find", "xa.b a+ ( % [ a\0b", p, 1, true)
  case("find", "xa.b a+ ( % [ a\0b", p)
end
case("find", "a\0b", "a\0b")
case("find", "xa\0c", "a\0b.")
for _, r in ipairs({ "%1", "%2", "%0%0", "%%", "%x", "%", "a%", "[%1]", "%9", "\0%1\0" }) do
  for _, p in ipairs({ "(o)", "o", "()o", "(o)(r)", "(o", "l+" }) do
    case("gsub", "hello world", p, r)
  end
end
for _, max in ipairs({ -1, 0, 1, 2, 100 }) do
  case("gsub", "abcabc", "b", "X", max)
  case("gsub", "abc", "", "-", max)
  case("gsub", "abc", "^", "-", max)
  case("gsub", "abc", "^a", "-", max)
  case("gsub", "aaa", "a*", "-", max)
end
case("gsub", "", "", "x")
case("gsub", "", "^", "x")
case("gsub", "abc", "$", "!")
case("gsub", "abc", ".-", "!")
case("gsub", "hello world", "o", "0", 1)
-- Depth limits and capture counts around LuaJIT's bounds.
for _, n in ipairs({ 1, 198, 199, 200, 201 }) do
  case("find", string.rep("a", 300), string.rep("a?", n))
  case("find", string.rep("a", 300), string.rep("a*", n))
  case("match", string.rep("a", 300), string.rep("(", math.min(n, 40)) .. string.rep(")", math.min(n, 40)))
end
for _, n in ipairs({ 31, 32, 33 }) do
  case("match", string.rep("a", 40), string.rep("(a)", n))
  case("match", string.rep("a", 40), string.rep("()", n))
end
case("find", string.rep("a", 300), string.rep("()", 32) .. string.rep("a?", 167))
case("find", string.rep("a", 300), string.rep("()", 32) .. string.rep("a?", 168))
-- Fuzz: random short patterns over a small alphabet against short subjects.
math.randomseed(20240601)
local tokens = { "a", "b", ".", "%a", "%d", "%s", "[ab]", "[^a]", "*", "+", "-", "?", "(", ")", "()",
  "%1", "%2", "^", "$", "%b()", "%f[%a]", "%", "[", "]", "1", " " }
local alphabet = { "a", "b", "1", " ", "(", ")", "ab", "ba" }
for _ = 1, 3000 do
  local p = {}
  for _ = 1, math.random(1, 7) do p[#p + 1] = tokens[math.random(#tokens)] end
  local s = {}
  for _ = 1, math.random(0, 7) do s[#s + 1] = alphabet[math.random(#alphabet)] end
  p, s = table.concat(p), table.concat(s)
  case("find", s, p)
  case("gmatch", s, p)
  case("gsub", s, p, "<%0>")
end
out:close()

-- string.format -------------------------------------------------------------
out = assert(io.open(dir .. "/format.tsv", "w"))
local function fcase(fmt, ...)
  local args = {}
  for i = 1, select("#", ...) do args[i] = enc((select(i, ...))) end
  out:write(hex(fmt), "\t", table.concat(args, ","), "\t", pack(pcall(string.format, fmt, ...)), "\n")
end
local values = { 0, -0.0, 1, -1, 7, 255, 0.5, 1.5, 2.5, -2.5, 0.125, 0.25, 0.375, 2.675, 1e-5, 1e-4,
  123.456, -123.456, 1 / 3, 2 / 3, 2 ^ 53, 2 ^ 53 + 1, 2 ^ 63, -2 ^ 63, 2 ^ 64, 2 ^ 63 + 2 ^ 11, 1e300,
  -1e300, 5e-324, 2.2250738585072014e-308, 1e22, 9.5, 99.5, 999999.5, 0.05, 0.015, 1e15, 1e16,
  100000000000005, 100000000000015, 3.7, -3.7, 65, 321, 2 ^ 31, -2 ^ 31, 2 ^ 32 + 67, 1e100, 0.1,
  9.999999, 0.00001234, 1.7976931348623157e308, 0 / 0, 1 / 0, -1 / 0 }
local convs = { "d", "i", "u", "o", "x", "X", "c", "e", "E", "f", "F", "g", "G", "a", "A" }
for _, c in ipairs(convs) do
  for _, v in ipairs(values) do fcase("%" .. c, v) end
end
local flagsets = { "", "-", "+", " ", "#", "0", "-0", "+0", "# ", "#0", "+-", " 0", "-+ #0" }
local widths = { "", "1", "5", "12", "25" }
local precs = { "", ".", ".0", ".1", ".3", ".10", ".17", ".40" }
math.randomseed(7)
for _ = 1, 9000 do
  local spec = "%" .. flagsets[math.random(#flagsets)] .. widths[math.random(#widths)] ..
    precs[math.random(#precs)] .. convs[math.random(#convs)]
  fcase("[" .. spec .. "]", values[math.random(#values)])
end
-- Random doubles in wide ranges, to check exact conversions.
for _ = 1, 2000 do
  local v = (math.random() - 0.5) * 10 ^ math.random(-320, 308)
  local c = ({ "%.14g", "%.17g", "%e", "%.3e", "%f", "%.0f", "%.20g", "%a", "%.5a", "%g", "%.1f" })[math.random(11)]
  fcase(c, v)
end
local strings = { "", "a", "hello", "a\0b", "\0", "quote\"back\\slash\nnl\rcr", "\1\0012\0273\127x\128\255",
  "\0001", "\31\32", "\t9", string.rep("x", 120) }
for _, s in ipairs(strings) do
  for _, spec in ipairs({ "%s", "%5s", "%-5s", "%.2s", "%10.3s", "%.0s", "%010s", "%q", "%-5q", "%.1q", "%05q" }) do
    fcase("<" .. spec .. ">", s)
  end
end
for _, f in ipairs({ "%y", "%123d", "%12.123f", "%.123f", "%--5d|", "%0-+ #0-+ #5d|", "%", "abc%", "%5",
  "%5.", "%.", "%\0d", "%\1", "%ld", "%b", "%5%", "%-5%", "%%", "a%%b%%", "%%%d", "100%% %s", "%\200",
  "%F", "%\255x", "%#", "% ", "%99.99f", "%.99f", "%1.1", "%-", "%D", "%C", "%S" }) do
  fcase(f, 1)
end
out:close()

-- tostring of numbers ---------------------------------------------------------
out = assert(io.open(dir .. "/number.tsv", "w"))
local numbers = { 0, -0.0, 1, -1, 0.1, 1 / 3, 1e100, 2 ^ 53, 1e14, 1e15, 99999999999999, 100000000000000,
  100000000000005, 123456789012345, 1234567890123456, 1e-5, 0.0001, 2 ^ 63, -2 ^ 63, -100.5, 5e-324,
  1e-310, 1e308, 1.7976931348623157e308, 0 / 0, -(0 / 0), 1 / 0, -1 / 0, 3.14159265358979, 1e21, 0.5 }
for _ = 1, 3000 do
  numbers[#numbers + 1] = (math.random() - 0.5) * 10 ^ math.random(-320, 308)
  numbers[#numbers + 1] = math.random(-1e6, 1e6) / 2 ^ math.random(0, 20)
end
for _, v in ipairs(numbers) do out:write(enc(v), "\t", hex(tostring(v)), "\n") end
out:close()
