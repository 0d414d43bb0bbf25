-- #t on arrays that grow and shrink one element at a time, and jump (an array without
-- holes has one border, whatever the search).
local t = {}
local lengths = {}
for i = 1, 300 do t[#t + 1] = i * 2 end -- trace
lengths[#lengths + 1] = #t
for _ = 1, 120 do t[#t] = nil end -- trace
lengths[#lengths + 1] = #t
for i = 1, 50 do t[#t + 1] = i end
lengths[#lengths + 1] = #t
t[#t + 1] = 1; t[#t + 1] = 2; t[#t + 1] = 3
lengths[#lengths + 1] = #t
for i = #t, 1, -1 do t[i] = nil end
lengths[#lengths + 1] = #t
t[1] = "one"
lengths[#lengths + 1] = #t
for i = 2, 64 do t[i] = i end
lengths[#lengths + 1] = #t
for i = 64, 33, -1 do t[i] = nil end
lengths[#lengths + 1] = #t
-- A stack used up and down many times.
local stack, depth, most = {}, 0, 0
for round = 1, 2000 do -- trace
  if round % 7 < 4 then stack[#stack + 1] = round else stack[#stack] = nil end
  depth = #stack
  if depth > most then most = depth end
end
lengths[#lengths + 1] = depth
lengths[#lengths + 1] = most
-- table.insert and table.remove use #t too.
local q = {}
for i = 1, 100 do table.insert(q, i) end
for _ = 1, 30 do table.remove(q) end
table.insert(q, 1, 0)
lengths[#lengths + 1] = #q
lengths[#lengths + 1] = q[#q]
print(table.concat(lengths, " "))
