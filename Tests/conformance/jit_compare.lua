-- Order comparisons of strings inside traces (bytes, then length; embedded zeros), in
-- both directions of each guard, and sorting with comparators that traces compile.

local words = {}
for i = 1, 500 do words[i] = string.format("w%03d", (i * 37) % 500) end
words[#words + 1] = "w"
words[#words + 1] = "w0"
words[#words + 1] = ""
words[#words + 1] = "w\0a"
words[#words + 1] = "w\0"
local lt, le, gt, ge = 0, 0, 0, 0
for i = 2, #words do -- trace
  local a, b = words[i - 1], words[i]
  if a < b then lt = lt + 1 end
  if a <= b then le = le + 1 end
  if a > b then gt = gt + 1 end
  if a >= b then ge = ge + 1 end
  if not (a < b) then lt = lt + 10 end
end
print("counts", lt, le, gt, ge)

local same = 0
for i = 1, 200 do -- trace
  local s = "k" .. (i % 10)
  if s <= "k5" then same = same + 1 end
  if s >= "k5" then same = same + 100 end
end
print("constants", same)

table.sort(words)
print("sorted", words[1] == "", words[2], words[3], #words[4], words[#words])
table.sort(words, function(x, y) return x > y end)
print("reversed", words[1], words[#words] == "")

-- Numbers and strings do not compare: the error comes from the interpreter.
local ok, err = pcall(function()
  local r = 0
  for i = 1, 100 do
    local v = i < 90 and "a" or 1
    if v < "b" then r = r + 1 end
  end
  return r
end)
print("mixed", ok, err)
