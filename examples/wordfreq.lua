-- Text processing over a file: word frequencies, the longest line, and a gsub rewrite.
-- Usage: perigee wordfreq.lua [file]   (defaults to this script's own source)
local path = arg and arg[1] or (arg and arg[0]) or "wordfreq.lua"
local f = assert(io.open(path, "r"))
local counts, total, longest, lineNo, longestNo = {}, 0, "", 0, 0
for line in f:lines() do
  lineNo = lineNo + 1
  if #line > #longest then longest, longestNo = line, lineNo end
  for word in line:gmatch("%a+") do
    word = word:lower()
    counts[word] = (counts[word] or 0) + 1
    total = total + 1
  end
end
f:close()
local words = {}
for w in pairs(counts) do words[#words + 1] = w end
table.sort(words, function(a, b)
  if counts[a] ~= counts[b] then return counts[a] > counts[b] end
  return a < b
end)
print(("%d lines, %d words, %d distinct"):format(lineNo, total, #words))
for i = 1, math.min(5, #words) do print(("%-10s %3d"):format(words[i], counts[words[i]])) end
print(("longest line (%d): %d characters"):format(longestNo, #longest))
local shouted = ("the quick brown fox"):gsub("(%a)(%a*)", function(first, rest) return first:upper() .. rest end)
print(shouted)
