-- Names: letters, digits, underscores; names that contain keywords; the self name.
-- LuaJIT treats every byte >= 0x80 as a letter, so UTF-8 names are valid (lua5.1 rejects
-- them under the C locale).
local _ = 1
local __ = 2
local _x1, x_1, X1_ = 3, 4, 5
local endx, ifs, nil_, true1, gotox, format = 1, 2, 3, 4, 5, 6
assert(_ + __ + _x1 + x_1 + X1_ == 15)
assert(endx + ifs + nil_ + true1 + gotox + format == 21)
local café = "é"
local Δx = 2
local 名前 = "name"
assert(café == "é" and Δx * 2 == 4 and 名前 == "name")
local t = { café = 1 }
assert(t.café == 1)
local self = "not special outside methods"
assert(self)
local and_or_not = true
assert(and_or_not)
-- 'goto' is a name unless a name follows it (see goto.lua).
local function goto_(x) return x end
goto = goto_
assert(goto(5) == 5)
goto = nil
print("ok")
