-- string.format's %f %e %g, tostring's %.14g and integer conversions on numbers drawn with a
-- fixed seed: binary fractions k/2^j (exact ties, which luajit rounds half up), decimals ending
-- in 5 (next to a tie), random doubles, powers of ten and runs of nines; and the same numbers
-- through io.write, concatenation and string.buffer. Each group prints a few of its strings
-- and a hash of them all.
-- lua5.1 differs: its printf rounds exact ties to even, and it has no string.buffer.
local format, byte = string.format, string.byte

local seed = 20261207
--- An integer in [0, n): Park and Miller's generator, exact in doubles.
local function rand(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end

local function group(name, count, make)
  local h, shown = 0, {}
  for i = 1, count do
    local s = make(i)
    for k = 1, #s do h = (h * 31 + byte(s, k)) % 2147483647 end
    if i <= 4 then shown[#shown + 1] = s end
  end
  print(name, h, table.concat(shown, " "))
end

local floatFormats = { "%.0f", "%.1f", "%.2f", "%.3f", "%.6f", "%f", "%.10f", "%.17f", "%.1e", "%.3e", "%e",
  "%.14e", "%g", "%.1g", "%.3g", "%.10g", "%.14g", "%.17g", "%#g", "%#.3g", "%10.3f", "%-12.4e", "%+08.2f",
  "% .5g", "%012.3e", "%.20f", "%.25e", "%.40g", "%5.1f%%" }

local function allFormats(x)
  local parts = {}
  for k = 1, #floatFormats do parts[k] = format(floatFormats[k], x) end
  parts[#parts + 1] = tostring(x)
  return table.concat(parts, "|")
end

group("binary fractions", 3000, function()
  local x = rand(16777216) / 2 ^ rand(40)
  if rand(2) == 0 then x = -x end
  return allFormats(x)
end)

group("decimals ending in 5", 3000, function()
  local d = rand(12)
  return allFormats((rand(1000000) * 10 + 5) / 10 ^ (d + 1))
end)

group("random doubles", 3000, function()
  local m = rand(67108864) * 134217728 + rand(134217728)
  return allFormats(math.ldexp(m, rand(200) - 130))
end)

group("wide exponents", 1000, function()
  local m = rand(67108864) * 134217728 + rand(134217728)
  return allFormats(math.ldexp(m, rand(2000) - 1100))
end)

group("powers of ten", 81, function(i)
  local p = 10 ^ (i - 41)
  return allFormats(p) .. allFormats(p * 0.95) .. allFormats(p * 0.995) .. allFormats(p * 9.5)
    .. allFormats(p * 0.9999999) .. allFormats(p * 9.99999999999999) .. allFormats(p + p * 2 ^ -52)
end)

group("specials", 1, function()
  return allFormats(0) .. allFormats(-0) .. allFormats(1 / 0) .. allFormats(-1 / 0) .. allFormats(0 / 0)
    .. allFormats(5e-324) .. allFormats(2.2250738585072014e-308) .. allFormats(1.7976931348623157e308)
    .. allFormats(2 ^ 53) .. allFormats(2 ^ 63) .. allFormats(2 ^ 64) .. allFormats(1e15) .. allFormats(123456789012345678)
end)

local integerFormats = { "%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%8.3d", "%-8.3d|", "%.0d", "%x",
  "%#x", "%X", "%#10X", "%08x", "%o", "%#o", "%#.5o", "%u", "%i", "%c" }

group("integers", 3000, function(i)
  local n = rand(2) == 0 and rand(1000) or rand(2147483647) * 4096 + rand(4096)
  if i % 3 == 0 then n = -n end
  if i % 7 == 0 then n = 0 end
  local parts = {}
  for k = 1, #integerFormats do parts[k] = format(integerFormats[k], n) end
  parts[#parts + 1] = tostring(n)
  parts[#parts + 1] = format("%s|%10s|%-10s|%.3s", n, n, n, n)
  return table.concat(parts, "|")
end)

group("integers out of range", 1, function()
  local parts = {}
  for _, n in ipairs({ 2 ^ 63, -2 ^ 63, 2 ^ 64, -1, 0 / 0, 1 / 0, 1e300, 3.7, -3.7, 2 ^ 53 + 1 }) do
    parts[#parts + 1] = format("%d %x %o %u %i", n, n, n, n, n)
  end
  return table.concat(parts, "|")
end)

local buffer = require("string.buffer")
group("concatenation and buffers", 2000, function(i)
  local x = rand(2) == 0 and rand(100000) or rand(16777216) / 2 ^ rand(30)
  if i % 5 == 0 then x = -x end
  local b = buffer.new()
  b:put(x, " ", i, " ", x / 3)
  b:putf("%d %.3f %s %g", i, x, x, x)
  return "v" .. x .. "|" .. (x / 7) .. "|" .. b:tostring() .. "|" .. table.concat({ x, i, x * 1e10, "s" }, ",")
end)

io.write(1, " ", -2, " ", 0.1, " ", 1 / 3, " ", 1e100, " ", -0, " ", 2 ^ 53, " ", 12345678901234, "\n")
print("ok")
