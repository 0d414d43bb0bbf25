-- goto and labels: forward, backward, continue-style, nested blocks, labels at block end.
local n = 0
goto forward
n = 100
::forward::
assert(n == 0)

-- Backward jump as a loop.
local i = 1
::top::
n = n + i
i = i + 1
if i <= 10 then goto top end
assert(n == 55)

-- continue-style: label at the end of the loop body, after a local.
local odd = {}
for k = 1, 10 do
  local r = k % 2
  if r == 0 then goto continue end
  odd[#odd + 1] = k
  ::continue::
end
assert(#odd == 5 and odd[5] == 9)

-- Same in while and repeat.
local w = 0
local cnt = 0
while w < 6 do
  w = w + 1
  if w == 3 then goto cont end
  cnt = cnt + 1
  ::cont::
end
assert(cnt == 5)
local r = 0
repeat
  r = r + 1
  if r % 2 == 1 then goto c2 end
  cnt = cnt + 1
  ::c2::
until r >= 4
assert(cnt == 7)

-- Breaking out of nested loops.
local found
for a = 1, 5 do
  for b = 1, 5 do
    if a * b == 12 then found = a * 10 + b goto done end
  end
end
::done::
assert(found == 34)

-- Label at the end of a block where locals are visible: jumping to it is allowed.
do
  goto finish
  local unused = 1
  unused = unused + 1
  ::finish::
end

-- The same label name in different (nested) functions and sibling blocks.
do ::l:: end
do ::l:: end
local function f()
  goto l
  do return 1 end
  ::l::
  return 2
end
assert(f() == 2)

-- goto out of a nested block into the enclosing one, closing upvalues on the way.
local fns = {}
do
  local j = 0
  ::again::
  do
    local captured = j
    fns[#fns + 1] = function() return captured end
  end
  j = j + 1
  if j < 3 then goto again end
end
assert(fns[1]() == 0 and fns[2]() == 1 and fns[3]() == 2)

-- A label followed by a semicolon and labels inside if branches.
if n > 0 then
  goto inner
  n = -1
  ::inner::;
end
assert(n == 55)
-- A label may reuse the name of a visible label of an enclosing block.
do
  local hops = 0
  ::x::
  do
    ::x::
    hops = hops + 1
    if hops < 3 then goto x end  -- the inner x
  end
  assert(hops == 3)
end
-- 'goto' starts a goto statement only when a name follows; elsewhere it is an ordinary
-- name (LuaJIT keeps Lua 5.1 code that uses it working).
local t = { goto = 1 }
t.goto = t.goto + 1
assert(t.goto == 2)
local goto = 3
assert(goto == 3)
print("ok")
