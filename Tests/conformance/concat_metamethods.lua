-- __concat metamethods: mixed operands joined right to left, results used by later joins,
-- a yield inside __concat, errors from concatenation and from inside the metamethod.
local C = {}
C.__concat = function(a, b)
  local as = type(a) == "table" and "[" .. a.s .. "]" or a
  local bs = type(b) == "table" and "[" .. b.s .. "]" or b
  return as .. bs
end
local function o(s) return setmetatable({s = s}, C) end
print("x" .. o("a") .. "y" .. o("b") .. 1 .. 2)
print(o("p") .. o("q"), 1 .. o("r"), o("s") .. 2.5)
local Y = {__concat = function(a, b) return coroutine.yield("cat") end}
local co = coroutine.wrap(function()
  local t = setmetatable({}, Y)
  return "a" .. t .. "b" .. "c"
end)
print(co()); print(co("X"))
print(pcall(co))
print(pcall(function() return "a" .. {} end))
print(pcall(function() local t = {} return t .. "b" end))
print(pcall(function() local t = setmetatable({}, {__concat = function() error("inner") end}) return "a" .. t end))
print("ok")
