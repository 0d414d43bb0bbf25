-- Numeric for loops with integer steps (compiled code counts them in integers) must keep
-- Lua's double semantics in every corner: fractional starts, huge and NaN limits, -0,
-- assignments to the loop variable, table indexing with the variable, yields inside.
local function show(...) print(...) end

-- Ordinary loops, both directions, several steps.
local function collect(a, b, c)
  local out = {}
  if c == 2 then for i = a, b, 2 do out[#out + 1] = i end
  elseif c == -3 then for i = a, b, -3 do out[#out + 1] = i end
  elseif c == -1 then for i = a, b, -1 do out[#out + 1] = i end
  else for i = a, b do out[#out + 1] = i end end
  return table.concat(out, ",")
end
show(collect(1, 5), collect(5, 1), collect(5, 1, -1), collect(1, 10, 2), collect(10, 1, -3))
show(collect(-2, 2), collect(3, 3), collect(3, 3, -1), collect(0, -1))
-- A fractional start, fractional and string limits, a string start.
show(collect(0.5, 3), collect(1, 3.7), collect(3, 0.2, -1), collect(2.5, -1, -1))
show(collect("2", "4"), collect(1, "3"), collect(-0.5, 1))
-- Limits beyond 2^53 and infinite ones: the loop goes on in doubles past the edge.
local function edge(start, limit, step, n)
  local out, count = {}, 0
  if step == 1 then
    for i = start, limit do count = count + 1 out[count] = string.format("%.0f", i) if count == n then break end end
  else
    for i = start, limit, -1 do count = count + 1 out[count] = string.format("%.0f", i) if count == n then break end end
  end
  return table.concat(out, " ")
end
show(edge(2^53 - 2, math.huge, 1, 5))
show(edge(2^53 - 2, 2^60, 1, 6))
show(edge(-2^53 + 2, -math.huge, -1, 5))
show(edge(2^53 - 1, 2^53, 1, 5))
show(edge(2^53, 2^53 + 10, 1, 3))
show(edge(2^60, math.huge, 1, 3))
show(edge(1, 0/0, 1, 3), edge(0/0, 1, 1, 3), edge(1, -0/0, -1, 3))
show(edge(1, -math.huge, 1, 3), edge(1, math.huge, -1, 3))
-- -0 as a start stays -0 for the first iteration.
local z = -0
for i = z, 1 do show(i, 1 / i) end
for i = z, -1, -1 do show(i) end
-- Assigning the loop variable does not change the iteration.
local seen = {}
for i = 1, 4 do i = i * 10 seen[#seen + 1] = i end
show(table.concat(seen, ","))
for i = 1, 3 do local j = i i = j + 0.5 seen[i] = j end
show(seen[1.5], seen[2.5], seen[3.5])
-- Indexing tables with the variable: array part, hash part, beyond, zero and negative
-- keys, and __index / __newindex metamethods.
local t = {}
for i = 1, 10 do t[i] = i * i end
for i = -2, 0 do t[i] = i end
for i = 11, 14 do t[i] = -i end
local sum = 0
for i = -2, 20 do sum = sum + (t[i] or 1000) end
show(sum, #t)
local sparse = {}
for i = 1000, 1003 do sparse[i] = i end
for i = 1003, 1000, -1 do io.write(sparse[i], " ") end
print()
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) return k * 2 end,
  __newindex = function(self, k, v) log[#log + 1] = k .. "=" .. v rawset(self, k, v) end,
})
for i = 1, 3 do proxy[i] = i + 100 end
for i = 1, 5 do io.write(proxy[i], " ") end
print(table.concat(log, " "))
-- Nested loops and loops sharing registers one after another.
local m = {}
for i = 1, 3 do
  m[i] = {}
  for j = 1, 3 do m[i][j] = i * 10 + j end
end
for i = 3, 1, -1 do io.write(table.concat(m[i], " "), "; ") end
print()
local acc = 0
for i = 1, 3 do acc = acc + i end
for k = 10, 30, 10 do acc = acc + k end
for i = 1.5, 3 do acc = acc + i end
show(acc)
-- goto continue and break inside the body; closures capture each iteration's copy.
local fs, odd = {}, {}
for i = 1, 8 do
  if i % 2 == 0 then goto continue end
  odd[#odd + 1] = i
  fs[#fs + 1] = function() return i end
  if i > 6 then break end
  ::continue::
end
show(table.concat(odd, ","), fs[1](), fs[2](), fs[#fs]())
-- A yield inside an integer loop: the rest of the loop runs after resume.
local co = coroutine.wrap(function(n)
  local total = 0
  for i = 1, n do
    total = total + i
    if i % 3 == 0 then coroutine.yield(total) end
  end
  return "done", total
end)
show(co(10)) show(co()) show(co()) show(co())
-- The variable in arithmetic, comparisons and as an argument.
local function f(x) return x / 2 end
local r = {}
for i = -3, 3 do r[#r + 1] = f(i) + (i < 0 and 100 or 0) + i % 2 end
show(table.concat(r, ","))
-- Large counts.
local c = 0
for i = 1, 200000 do c = c + 1 end
for i = 200000, 1, -2 do c = c - 1 end
show(c)
-- Errors keep their wording.
show(pcall(function() for i = 1, {} do end end))
show(pcall(function() for i = nil, 2 do end end))
show(pcall(function() for i = 1, 2 do local x = nil + i end end))
