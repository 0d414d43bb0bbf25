-- Table iteration: ipairs over arrays, pairs and next over hash tables.
-- Results never depend on the traversal order of pairs (sums and counts only).
local reps = tonumber(arg and arg[1]) or 1000

local arr, hash = {}, {}
for i = 1, 10000 do
  arr[i] = i * 3 % 101
  hash["k" .. i] = i
  hash[i * 7.5] = i % 13
end

local function sumIpairs(t)
  local s = 0
  for i, v in ipairs(t) do s = s + v * (i % 3) end
  return s
end

local function sumPairs(t)
  local s, cnt = 0, 0
  for k, v in pairs(t) do
    cnt = cnt + 1
    if type(k) == "string" then s = s + v else s = s + v * 2 end
  end
  return s, cnt
end

local function sumNext(t)
  local s = 0
  local k, v = next(t)
  while k ~= nil do
    s = s + v
    k, v = next(t, k)
  end
  return s
end

local function sumNumericFor(t)
  local s = 0
  for i = 1, #t do s = s + t[i] end
  return s
end

local a, b, c, d, cnt = 0, 0, 0, 0, 0
for _ = 1, reps do
  a = a + sumIpairs(arr)
  local s, n = sumPairs(hash)
  b = b + s; cnt = cnt + n
  c = c + sumNext(hash)
  d = d + sumNumericFor(arr)
end
print(string.format("ipairs=%d pairs=%d entries=%d next=%d for=%d", a, b, cnt, c, d))
