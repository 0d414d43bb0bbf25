-- Inner loops that their own recording leaves (they run a round or two at a time) are
-- unrolled into the trace of the loop around them, as luajit does: the outer loop gets a
-- trace, and rounds more or fewer than the recorded ones leave through guards.

local s = 0
for i = 1, 300 do -- trace
  for j = 1, 1 do s = s + j * i end
end
print("one round", s)

-- The same inner loop, later run for more rounds and for none.
local function rounds(n, times)
  local t = 0
  for i = 1, times do
    for j = 1, n do t = t + j end
  end
  return t
end
print("rounds", rounds(1, 200), rounds(3, 200), rounds(0, 200), rounds(1, 200))

-- Nested short loops whose bounds depend on the outer index.
local grid = 0
for i = 1, 200 do
  for j = i % 2, 0 do
    for k = 1, 1 do grid = grid + i * 10 + j + k end
  end
end
print("nested", grid)
