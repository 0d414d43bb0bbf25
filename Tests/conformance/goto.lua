-- goto and labels (LuaJIT 2.1; lua5.1 cannot parse this file).
local out = {}
-- continue
for i = 1, 6 do
  if i % 3 == 0 then goto continue end
  out[#out + 1] = i
  ::continue::
end
assert(table.concat(out, ",") == "1,2,4,5")
-- backward goto loop
local n, s = 0, 0
::loop::
n = n + 1
s = s + n
if n < 100 then goto loop end
assert(s == 5050)
-- leaving nested loops
local hit
for a = 1, 10 do
  for b = 1, 10 do
    if a * b == 42 then hit = a .. "x" .. b goto found end
  end
end
::found::
assert(hit == "6x7")
-- goto back to a label re-creates the locals declared after it, so closures see fresh ones.
local made = {}
do
  local k = 1
  ::again::
  local captured = k
  made[k] = function() return captured end
  k = k + 1
  if k <= 3 then goto again end
end
assert(made[1]() == 1 and made[2]() == 2 and made[3]() == 3)
-- goto inside a while with closures capturing the loop local
local fns, i = {}, 0
while i < 3 do
  i = i + 1
  local v = i * 2
  fns[i] = function() return v end
  if i == 2 then goto skip end
  v = v + 1
  ::skip::
end
assert(fns[1]() == 3 and fns[2]() == 4 and fns[3]() == 7)
-- a goto that jumps over a nested function definition
local function state_machine(input)
  local pos, acc = 1, {}
  ::start::
  if pos > #input then goto done end
  do
    local ch = input:sub(pos, pos)
    pos = pos + 1
    if ch == " " then goto start end
    acc[#acc + 1] = ch:upper()
  end
  goto start
  ::done::
  return table.concat(acc)
end
assert(state_machine("a b  c") == "ABC")
-- goto to a label at the end of a block, after locals
do
  local x = 1
  if x == 1 then goto tail end
  local y = 2
  x = y
  ::tail::
end
print(table.concat(out, ","), s, hit, made[3](), fns[3](), state_machine("l j"))
print("ok")
