-- Numeric for loops.
local function collect(a, b, c)
  local out = {}
  if c then for i = a, b, c do out[#out + 1] = i end
  else for i = a, b do out[#out + 1] = i end end
  return table.concat(out, ",")
end
assert(collect(1, 5) == "1,2,3,4,5")
assert(collect(5, 1) == "")
assert(collect(5, 1, -1) == "5,4,3,2,1")
assert(collect(1, 10, 3) == "1,4,7,10")
assert(collect(10, 1, -4) == "10,6,2")
assert(collect(0, 1, 0.25) == "0,0.25,0.5,0.75,1")
assert(collect(1, 0, 0.5) == "")
assert(collect(1, 1) == "1" and collect(1, 1, -1) == "1")
assert(collect(0.1, 0.35, 0.1) == "0.1,0.2,0.3")
assert(collect(-1, -3, -1) == "-1,-2,-3")
assert(collect("1", "3") == "1,2,3")              -- strings are coerced
-- The loop variable is a copy; assigning it does not affect the iteration.
local iters = 0
for i = 1, 5 do i = i * 100 iters = iters + 1 end
assert(iters == 5)
-- Bounds and step are evaluated once.
local calls = 0
local function lim() calls = calls + 1 return 3 end
for i = 1, lim() do end
assert(calls == 1)
local stop = 3
local ran = 0
for i = 1, stop do stop = 10 ran = ran + 1 end
assert(ran == 3)
-- Large counts and huge bounds.
local cnt = 0
for i = 1, 100000 do cnt = cnt + 1 end
assert(cnt == 100000)
local last
for i = 2^52 - 2, 2^52 do last = i end
assert(last == 2^52)
cnt = 0
for i = 1, math.huge do cnt = cnt + 1 if cnt == 10 then break end end
assert(cnt == 10)
for i = 1, 0/0 do error("nan limit runs nothing") end
-- Errors for non-numbers (luajit's message; lua5.1 says "'for' limit must be a number").
local ok, err = pcall(function() for i = 1, "x" do end end)
assert(not ok)
ok, err = pcall(function() for i = nil, 2 do end end)
assert(not ok)
-- A zero step: luajit loops forever (checked with a break); lua5.1 runs no iteration
-- when start < limit. The printed count is luajit's.
local zs = 0
for i = 1, 2, 0 do zs = zs + 1 if zs == 5 then break end end
assert(zs == 5 or (rawget(_G, "jit") == nil and zs == 0))
-- Float accumulation: the loop count follows the accumulated index.
local fc = 0
for x = 0, 1, 0.1 do fc = fc + 1 end
print(collect(1, 10, 3), collect(10, 1, -4), collect(0, 1, 0.25), collect(0.1, 0.35, 0.1))
print(iters, ran, last, fc, zs)
print("ok")
