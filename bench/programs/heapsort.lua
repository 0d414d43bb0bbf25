-- Heapsort of pseudo-random doubles (a Park-Miller generator keeps every engine in step).
local n = tonumber(arg and arg[1]) or 1000000

local seed = 42
local function random(max)
  seed = (seed * 16807) % 2147483647
  return max * seed / 2147483647
end

local function heapsort(a, count)
  local function sift(start, stop)
    local root = start
    while true do
      local child = root * 2
      if child > stop then return end
      if child + 1 <= stop and a[child] < a[child + 1] then child = child + 1 end
      if a[root] < a[child] then
        a[root], a[child] = a[child], a[root]
        root = child
      else
        return
      end
    end
  end
  for start = math.floor(count / 2), 1, -1 do sift(start, count) end
  for stop = count, 2, -1 do
    a[1], a[stop] = a[stop], a[1]
    sift(1, stop - 1)
  end
end

local a = {}
for i = 1, n do a[i] = random(1.0) end
heapsort(a, n)
for i = 1, n - 1 do
  if a[i] > a[i + 1] then error("not sorted at " .. i) end
end
print(string.format("n=%d first=%.10f median=%.10f last=%.10f", n, a[1], a[math.floor(n / 2)], a[n]))
