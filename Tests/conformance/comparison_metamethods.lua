-- Comparison metamethods: __lt, __le (and its fallback to not __lt), __eq, run in the
-- interpreter loop so they may yield; errors for incomparable values.
local P = {}
P.__lt = function(a, b) return a.v < b.v end
P.__eq = function(a, b) return a.v == b.v end
local mt2 = {__lt = function(a, b) return a.v < b.v end}
local function n(v) return setmetatable({v = v}, P) end
print(n(1) < n(2), n(2) < n(1), n(1) <= n(2), n(2) <= n(1), n(1) > n(2), n(1) >= n(2), n(1) == n(1), n(1) ~= n(1), n(1) == n(2))
local Y = {__lt = function(a, b) return coroutine.yield("lt?") end, __eq = function() return coroutine.yield("eq?") end, __le = function() return coroutine.yield("le?") end}
local co = coroutine.wrap(function()
  local a, b = setmetatable({}, Y), setmetatable({}, Y)
  local r1 = a < b
  local r2 = a <= b
  local r3 = a == b
  local r4 = a > b
  return r1, r2, r3, r4
end)
print(co()); print(co(true)); print(co(false)); print(co(true)); print(co(1))
print(pcall(function() return {} < {} end))
print(pcall(function() return 1 < "x" end))
print(("a" < "b"), ("b" <= "a"))
print("ok")
