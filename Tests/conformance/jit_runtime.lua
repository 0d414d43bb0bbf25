-- Traced loops and the rest of the runtime: loops inside coroutines that yield between them,
-- and stores of collectable values from a trace while the collector runs incrementally
-- (the table barrier), with a full collection between traced loops.

local function worker(n)
  local acc = 0
  for round = 1, 3 do
    for i = 1, n do acc = acc + i % 7 end -- trace
    coroutine.yield(acc)
  end
  return acc
end
local co = coroutine.wrap(worker)
print(co(100), co(100), co(100), co(100))

local a, b = coroutine.create(worker), coroutine.create(worker)
local results = {}
for step = 1, 3 do
  local _, x = coroutine.resume(a, 50)
  local _, y = coroutine.resume(b, 70)
  results[#results + 1] = x .. "/" .. y
end
print(table.concat(results, " "))

collectgarbage("setstepmul", 50)
local keep = {}
for i = 1, 64 do keep[i] = false end
local strs = {}
for i = 1, 200 do strs[i] = "s" .. i end
local tables = {}
for i = 1, 200 do tables[i] = { i } end
for r = 1, 60 do
  for i = 1, 64 do keep[i] = strs[(i + r) % 200 + 1] end -- trace
  for i = 1, 64 do keep[i] = tables[(i * r) % 200 + 1] end -- trace
  local garbage = {}
  for j = 1, 50 do garbage[j] = { j } end
  collectgarbage("step", 1)
  if r % 20 == 0 then collectgarbage() end
end
local sum = 0
for i = 1, 64 do sum = sum + keep[i][1] end -- trace
print(sum, collectgarbage("count") > 0)
print("ok")
