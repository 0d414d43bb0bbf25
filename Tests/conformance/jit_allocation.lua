-- Tables a trace makes itself (TNEW, TDUP): the collector still runs (the trace leaves
-- when its debt is due), tables kept alive by the trace's registers survive, and memory
-- stays bounded when the allocating path is a side trace that links back to its loop.

local peak = 0
local function note() local c = collectgarbage("count"); if c > peak then peak = c end end

local kept = {}
local sum = 0
for i = 1, 300000 do -- trace
  local t = {i, i + 1, name = "x"}
  local u = {a = t, b = {i}}
  sum = sum + u.a[2] + u.b[1] + #t
  if i % 1000 == 0 then kept[#kept + 1] = u; note() end
end
local check = 0
for _, u in ipairs(kept) do check = check + u.a[1] + u.b[1] end
print("loop", sum, #kept, check, peak < 20000)

-- Allocation on the rarer path only (a side trace), linking back to the loop.
peak = 0
local n = 0
for i = 1, 300000 do -- trace
  if i % 3 == 0 then
    local t = {x = i, y = {i}}
    n = n + t.y[1] - t.x + 1
  else
    n = n + 1
  end
  if i % 5000 == 0 then note() end
end
print("side", n, peak < 20000)

-- Tables built in a trace and stored into a long-lived table, with a full collection
-- in between.
local store = {}
for i = 1, 2000 do -- trace
  store[i] = {i, tostring(i), {i * 2}}
  if i == 1000 then collectgarbage() end
end
local ok = true
for i = 1, 2000 do
  local t = store[i]
  if t[1] ~= i or t[2] ~= tostring(i) or t[3][1] ~= i * 2 then ok = false end
end
print("kept", ok, #store)
