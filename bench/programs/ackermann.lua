-- Ackermann function: deep, irregular recursion.
-- The size is the number of ack(3, k) evaluations; k cycles through 1..8 so the
-- recursion depth stays within every engine's stack limit.
local calls = tonumber(arg and arg[1]) or 400

local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end

local sum = 0
for i = 1, calls do
  local k = 1 + (i - 1) % 8
  sum = sum + ack(3, k)
end
print(string.format("ack(2,%d) = %d", calls, ack(2, calls)))
print(string.format("sum of ack(3,k) = %d", sum))
