-- Builds strings from pieces: string.char from computed bytes, tostring of numbers,
-- string.sub and string.byte over the results, unpack and select on small tables.
local n = tonumber(arg and arg[1]) or 1000000
local char, byte, sub, len = string.char, string.byte, string.sub, string.len
local unpack = unpack or table.unpack

local checksum, total = 0, 0
local parts = {}
for i = 1, n do
  local a, b, c = 97 + i % 26, 65 + i % 13, 48 + i % 10
  local word = char(a, b, c) .. tostring(i % 1000)
  local first, last = byte(word, 1), byte(word, -1)
  local middle = sub(word, 2, 3)
  local t = {a, b, c, first, last}
  local x, y, z = unpack(t)
  checksum = (checksum + x + y * 3 + z * 7 + select("#", unpack(t)) + byte(middle, 2)) % 1000003
  total = total + len(word) + len(tostring(i * 0.5))
  parts[i % 64 + 1] = word
  if i % 64 == 0 then
    local joined = table.concat(parts)
    checksum = (checksum + byte(joined, len(joined)) + len(sub(joined, 5, 40))) % 1000003
  end
end
print(string.format("checksum %d total %d", checksum, total))
