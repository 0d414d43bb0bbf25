-- table.sort of strings with a comparator (case-insensitive, then by length,
-- then raw), and a default sort of the same strings.
local n = tonumber(arg and arg[1]) or 120000

local seed = 99
local function rand(k)
  seed = (seed * 16807) % 2147483647
  return seed % k
end
local letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
local strs = {}
for i = 1, n do
  local len = 3 + rand(10)
  local cs = {}
  for j = 1, len do
    local p = 1 + rand(#letters)
    cs[j] = letters:sub(p, p)
  end
  strs[i] = table.concat(cs)
end

local lowerCache = {}
local function lower(s)
  local l = lowerCache[s]
  if not l then l = s:lower(); lowerCache[s] = l end
  return l
end

local a = {}
for i = 1, n do a[i] = strs[i] end
table.sort(a, function(x, y)
  local lx, ly = lower(x), lower(y)
  if lx ~= ly then return lx < ly end
  if #x ~= #y then return #x < #y end
  return x < y
end)
table.sort(strs)

local h = 0
for i = 1, n, 97 do
  h = (h * 31 + string.byte(a[i], 1) + string.byte(strs[i], #strs[i])) % 1000000007
end
print(string.format("n=%d first=%s last=%s rawfirst=%s rawlast=%s hash=%d",
  n, a[1], a[n], strs[1], strs[n], h))
