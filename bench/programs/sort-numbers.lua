-- table.sort of 1,000,000 pseudo-random numbers with the default comparison,
-- then of the same numbers in descending order with a comparator.
local n = tonumber(arg and arg[1]) or 1000000

local seed = 2024
local a = {}
for i = 1, n do
  seed = (seed * 16807) % 2147483647
  a[i] = seed / 2147483647
end
local b = {}
for i = 1, n do b[i] = a[i] end

table.sort(a)
for i = 2, n do if a[i - 1] > a[i] then error("not sorted") end end
table.sort(b, function(x, y) return x > y end)
for i = 2, n do if b[i - 1] < b[i] then error("not sorted descending") end end

local sum = 0
for i = 1, n, 1000 do sum = sum + a[i] end
print(string.format("n=%d min=%.9f max=%.9f median=%.9f sample=%.6f",
  n, a[1], b[1], a[math.floor(n / 2) + 1], sum))
