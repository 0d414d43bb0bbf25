-- string.gsub with patterns, captures, table and function replacements.
local reps = tonumber(arg and arg[1]) or 60

local gsub, format = string.gsub, string.format

local sentence = "The quick brown fox jumps over the lazy dog; 42 foxes, 7 dogs and 1999 birds. "
local text = string.rep(sentence, 2000)
local vars = string.rep("Hello $name, your order $order ships on $day. ", 1000)
local subst = { name = "Ada", order = "#1815", day = "Monday" }

local total, h = 0, 0
for r = 1, reps do
  local a, n1 = gsub(text, "%a+", function(w) return #w > 4 and w:upper() or nil end)
  local b, n2 = gsub(a, "(%d+)", function(d) return tostring(tonumber(d) * 2 + r) end)
  local c, n3 = gsub(b, "(%w+) (%w+)", "%2 %1")
  local d, n4 = gsub(vars, "%$(%w+)", subst)
  local e, n5 = gsub(c, "%s+", " ")
  local f, n6 = gsub(e, "[aeiou]", "")
  total = total + n1 + n2 + n3 + n4 + n5 + n6 + #f + #d
  h = (h * 31 + #f + string.byte(f, r % #f + 1)) % 1000000007
end
print(format("reps=%d total=%d hash=%d", reps, total, h))
