-- string.find: plain searches and pattern searches over a large haystack,
-- plus string.match with captures and anchored patterns.
local reps = tonumber(arg and arg[1]) or 160

local find, match, format = string.find, string.match, string.format

local parts = {}
for i = 1, 20000 do
  parts[i] = format("key%d=value%d;", i, (i * 7919) % 10007)
end
parts[15000] = "needle-in-the-haystack;"
local hay = table.concat(parts)

local plainHits, patHits, matched, sum = 0, 0, 0, 0
for r = 1, reps do
  -- plain search, moving forward through the string
  local pos = 1
  while true do
    local s, e = find(hay, "value1", pos, true)
    if not s then break end
    plainHits = plainHits + 1
    pos = e + 1
  end
  local s = find(hay, "needle-in-the-haystack", 1, true)
  sum = sum + s
  -- pattern search with captures
  pos = 1
  local limit = 2000 + r * 10
  for _ = 1, limit do
    local a, b, k, v = find(hay, "key(%d+)=value(%d+);", pos)
    if not a then break end
    patHits = patHits + 1
    sum = sum + tonumber(k) % 7 + tonumber(v) % 11
    pos = b + 1
  end
  -- anchored matches on short strings
  for i = 1, 2000 do
    local k, v = match(parts[i], "^key(%d+)=value(%d+);$")
    if k then matched = matched + 1; sum = sum + #v end
  end
  -- a failing pattern search scans the whole string
  if find(hay, "key%d+=value%a", 1) then error("unexpected match") end
end
print(format("reps=%d plain=%d pattern=%d matched=%d sum=%d", reps, plainHits, patHits, matched, sum))
