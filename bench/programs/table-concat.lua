-- table.concat of large tables: numbers and strings, with and without separators,
-- and sub-ranges; the result strings are re-split to check them.
local reps = tonumber(arg and arg[1]) or 40

local concat, format = table.concat, string.format

local words, nums = {}, {}
for i = 1, 200000 do
  words[i] = "w" .. (i % 977)
  nums[i] = i % 1000
end

local total, h = 0, 0
for r = 1, reps do
  local a = concat(words)
  local b = concat(words, ",")
  local c = concat(nums, " ", 1000, 150000)
  local rows = {}
  for i = 1, 2000 do rows[i] = concat(words, "\t", i, i + 50) end
  local d = concat(rows, "\n")
  total = total + #a + #b + #c + #d
  local commas = select(2, string.gsub(b, ",", ","))
  h = (h * 31 + commas + string.byte(d, r * 97 % #d + 1)) % 1000000007
end
print(format("reps=%d total=%d hash=%d", reps, total, h))
