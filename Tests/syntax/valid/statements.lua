-- Statement separators and return forms. LuaJIT 2.1 (like Lua 5.1) allows a single
-- optional ';' after each statement but no empty statement: ';;' or a leading ';'
-- is a syntax error (see ../invalid).
local a = 1; local b = 2;
a = a + b; b = a - b;
assert(a == 3 and b == 1);
local function r0() return end
local function r1() return; end
local function r2() return 1; end
local function r3() return 1, 2 end
local function r4() if true then return 4 end end
local function r5() while true do return 5 end end
local function r6() do return 6; end end
local function r7()
  return
end
assert(select("#", r0()) == 0 and select("#", r1()) == 0 and r2() == 1)
assert(select("#", r3()) == 2 and r4() == 4 and r5() == 5 and r6() == 6)
assert(select("#", r7()) == 0)
for i = 1, 2 do break; end
while true do break end
repeat break; until false
-- A return at the end of the main chunk comes after the last statement.
print("ok")
return;
