-- Line comment.
--[[ Long comment
spanning lines ]]
--[==[ level-2 long comment with ]] and ]=] inside ]==]
--[=[]=]
local x = 1 --[[ inline ]] + 2
assert(x == 3)
local y = --[[ before the value ]] 5 -- trailing comment
assert(y == 5)
--[ this is a line comment, not a long one
--[= neither is this
---[[ a line comment starting with a third dash
local z = 7
--]]
assert(z == 7)
--[[
local w = 1
--]]
assert(w == nil)
local s = "--[[ not a comment ]]"
assert(#s == 21)
--[==[
--[[ nested-looking ]]
]==] assert(true)
print("ok") -- final comment without newline at end of file
-- no newline at end of file