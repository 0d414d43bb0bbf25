-- Generic for with standard and custom iterators.
-- Stateless iterator.
local function evens(max)
  return function(m, i) i = i + 2 if i <= m then return i end end, max, 0
end
local out = {}
for e in evens(10) do out[#out + 1] = e end
assert(table.concat(out, ",") == "2,4,6,8,10")
-- Stateful closure iterator.
local function counter(n)
  local i = 0
  return function() i = i + 1 if i <= n then return i, i * i end end
end
local sq = {}
for i, s in counter(4) do sq[#sq + 1] = i .. ":" .. s end
assert(table.concat(sq, " ") == "1:1 2:4 3:9 4:16")
-- ipairs stops at the first nil.
local n = 0
for i, v in ipairs({ 1, 2, nil, 4 }) do n = n + 1 end
assert(n == 2)
-- The control variable is passed back to the iterator; extra values are ignored.
local seen = {}
local function iter(state, ctl)
  seen[#seen + 1] = tostring(state) .. "/" .. tostring(ctl)
  if ctl < 3 then return ctl + 1 end
end
for v in iter, "S", 0, "ignored" do end
assert(table.concat(seen, " ") == "S/0 S/1 S/2 S/3")
-- An iterator returning nil as the first value ends the loop even with more values.
local function stops() return nil, 1 end
for a, b in stops do error("not reached") end
-- Loop variables are fresh per iteration.
local fns = {}
for k, v in ipairs({ "a", "b" }) do fns[k] = function() return k .. v end end
assert(fns[1]() == "1a" and fns[2]() == "2b")
-- A table with __call as iterator.
local callable = setmetatable({}, { __call = function(self, s, c)
  c = c + 1 if c <= 2 then return c end end })
local cc = 0
for v in callable, nil, 0 do cc = cc + v end
assert(cc == 3)
-- string.gmatch as iterator with captures.
local kv = {}
for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do kv[#kv + 1] = k .. v end
assert(table.concat(kv) == "a1b2")
-- pairs over a table in sorted order of keys.
local t = { z = 1, a = 2, m = 3 }
local keys = {}
for k in pairs(t) do keys[#keys + 1] = k end
table.sort(keys)
assert(table.concat(keys) == "amz")
-- Calling a non-function iterator is an error.
local ok, err = pcall(function() for x in 42 do end end)
assert(not ok and err:find("attempt to call", 1, true))
print(table.concat(out, ","), table.concat(sq, " "), table.concat(seen, " "))
print(table.concat(keys), cc, table.concat(kv, ","))
print("ok")
