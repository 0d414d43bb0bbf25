-- Coroutines: a producer/filter/consumer pipeline and a ping-pong pair that
-- resume each other through a scheduler loop.
local n = tonumber(arg and arg[1]) or 4000000

local function producer(count)
  return coroutine.wrap(function()
    for i = 1, count do coroutine.yield(i) end
    coroutine.yield(nil)
  end)
end

local function filter(source, pred)
  return coroutine.wrap(function()
    while true do
      local v = source()
      if v == nil then coroutine.yield(nil) return end
      if pred(v) then coroutine.yield(v) end
    end
  end)
end

local function consume(source)
  local sum, count = 0, 0
  while true do
    local v = source()
    if v == nil then break end
    sum = (sum + v * v) % 1000000007
    count = count + 1
  end
  return sum, count
end

local sum, count = consume(filter(producer(n), function(v) return v % 3 ~= 0 end))
print(string.format("pipeline: count=%d sum=%d", count, sum))

-- ping-pong: two coroutines pass a ball back and forth
local ping = coroutine.create(function(ball)
  while true do ball = coroutine.yield(ball + 1) end
end)
local pong = coroutine.create(function(ball)
  while true do ball = coroutine.yield(ball * 2 % 1000003) end
end)
local ball = 1
for _ = 1, n do
  local ok1, b1 = coroutine.resume(ping, ball)
  local ok2, b2 = coroutine.resume(pong, b1)
  ball = b2
end
print(string.format("ping-pong: ball=%d status=%s", ball, coroutine.status(ping)))
