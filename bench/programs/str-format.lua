-- string.format in a loop: integers, padded fields, floats, strings and %q.
local n = tonumber(arg and arg[1]) or 3000000

local format, byte = string.format, string.byte
local names = { "alpha", "beta", "gamma", "delta", "epsilon" }

local len, h = 0, 0
for i = 1, n do
  local s = format("%6d|%-8s|%08.3f|%x|%5.1f%%|%s", i, names[i % 5 + 1], i / 7, i, (i % 1000) / 10, "ok")
  if i % 10 == 0 then s = s .. format("%q", "line\n" .. i) end
  len = len + #s
  h = (h * 31 + byte(s, i % #s + 1)) % 1000000007
end
print(format("n=%d length=%d hash=%d last=%s", n,
  len, h, format("%6d|%-8s|%08.3f", n, names[n % 5 + 1], n / 7)))
