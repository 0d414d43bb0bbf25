-- Control structures: if/elseif/else, while, repeat, numeric and generic for, do, break.
local function classify(n)
  if n < 0 then return "neg"
  elseif n == 0 then return "zero"
  elseif n < 10 then return "small"
  else return "big" end
end
assert(classify(-1) == "neg" and classify(0) == "zero" and classify(5) == "small" and classify(50) == "big")
if false then error("no") end
if nil then else assert(true) end
-- while with break as the last statement of a block.
local i = 0
while true do
  i = i + 1
  if i == 5 then break end
end
assert(i == 5)
while false do end
-- repeat-until: the condition sees locals of the body.
local n = 0
repeat
  local done = n >= 3
  n = n + 1
until done
assert(n == 4)
repeat local x = 1 until x == 1
-- Numeric for: default step, explicit steps, negative, float, zero iterations.
local sum = 0
for k = 1, 10 do sum = sum + k end
assert(sum == 55)
sum = 0
for k = 10, 1, -2 do sum = sum + k end
assert(sum == 30)
local c = 0
for k = 0, 1, 0.25 do c = c + 1 end
assert(c == 5)
for k = 1, 0 do error("not run") end
for k = 1, 3 do local k = k * 2 assert(k % 2 == 0) end
-- Generic for over pairs, ipairs, next and a custom stateless iterator.
local t = { 10, 20, 30, x = 1 }
local cnt = 0
for _ in pairs(t) do cnt = cnt + 1 end
assert(cnt == 4)
sum = 0
for _, v in ipairs(t) do sum = sum + v end
assert(sum == 60)
cnt = 0
for k, v in next, t do cnt = cnt + 1 end
assert(cnt == 4)
local function range(max)
  return function(m, cur) if cur < m then return cur + 1 end end, max, 0
end
sum = 0
for v in range(4) do sum = sum + v end
assert(sum == 10)
-- Nested loops with break only leaving the inner loop.
local hits = 0
for a = 1, 3 do
  for b = 1, 3 do
    if b == 2 then break end
    hits = hits + 1
  end
end
assert(hits == 3)
-- do blocks limit scope.
local v = 1
do local v = 2 assert(v == 2) end
assert(v == 1)
do end
do do do end end end
-- return in the middle of a function needs a do ... end.
local function early()
  do return 1 end
  return 2
end
assert(early() == 1)
print("ok")
