-- `#t` on arrays that grow and shrink, with and without holes: the border a table keeps while
-- its array part has no holes, and luajit's search once it has some. Every loop is hot enough
-- to trace; each case prints what luajit prints.

-- Appending and popping.
local t = {}
for i = 1, 200 do t[#t + 1] = i * 2 end -- trace
print(#t, t[#t])
for i = 1, 50 do t[#t] = nil end -- trace
print(#t, t[#t], t[151])
for i = 1, 30 do table.insert(t, i) end -- trace
print(#t, t[#t])
for i = 1, 20 do table.remove(t) end -- trace
print(#t, t[#t])
table.insert(t, 1, "first")
print(#t, t[1], table.remove(t, 1), #t)

-- Holes: luajit's search decides, and keeps deciding after later stores.
local function holes(n, hole)
  local h = {}
  for i = 1, n do h[i] = i end -- trace
  h[hole] = nil
  local before = #h
  h[n] = nil
  local after = #h
  h[hole] = hole
  return before, after, #h
end
for _, case in ipairs({{8, 3}, {16, 15}, {16, 1}, {100, 50}, {100, 99}, {1000, 700}, {64, 33}}) do
  print(case[1], case[2], holes(case[1], case[2]))
end

-- A value stored past the end: a hole in between, until it is filled.
local g = {}
for i = 1, 10 do g[i] = i end -- trace
g[12] = 12
print(#g)
g[11] = 11
print(#g)
for i = 12, 1, -1 do g[i] = nil end -- trace
print(#g, next(g))

-- Key 0 and negative keys do not count.
local z = {}
for i = 1, 5 do z[i] = i end
z[0] = 0
print(#z)
z[0] = nil
print(#z)
z[-1] = 1
print(#z)

-- Constructors, with nils and with a call's results at the end.
local function three() return 1, nil, 3 end
local function none() end
print(#{1, 2, 3}, #{1, nil, 3}, #{nil, nil, 3}, #{three()}, #{1, three()}, #{none()}, #{n = 1, 2, 3})
local built = {}
for i = 1, 100 do -- trace
  local c = {i, i + 1, i + 2}
  built[#built + 1] = #c
  c[#c + 1] = 0
  built[#built + 1] = #c
end
print(#built, built[1], built[2], built[#built])

-- Arrays grown through the hash part and moved into the array part by a resize.
local r = {}
for i = 40, 1, -1 do r[i] = i end -- trace
print(#r)
r[20] = nil
print(#r)
local s = {}
for i = 1, 40, 2 do s[i] = i end -- trace
print(#s)
for i = 2, 40, 2 do s[i] = i end -- trace
print(#s)

-- Overwrites keep the border; nil stored beyond it changes nothing.
local o = {}
for i = 1, 64 do o[i] = true end
for round = 1, 3 do
  for i = 1, 64 do o[i] = round end -- trace
  o[100] = nil
  print(#o, o[64])
end

-- Weak values cleared by the collector.
local weak = setmetatable({}, {__mode = "v"})
local keep = {}
for i = 1, 20 do
  local v = {}
  weak[i] = v
  if i <= 10 or i % 2 == 0 then keep[i] = v end
end
collectgarbage()
collectgarbage()
print(#weak == 10 or #weak == 20 or #weak)
keep = nil
collectgarbage()
collectgarbage()
print(#weak)

-- rawset, table.sort and unpack.
local q = {}
for i = 1, 30 do rawset(q, i, 31 - i) end -- trace
table.sort(q)
print(#q, q[1], q[30], select("#", unpack(q)))
rawset(q, 30, nil)
print(#q)
