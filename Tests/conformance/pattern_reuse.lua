-- Patterns used again and again on long subjects: what a search learns about a pattern
-- (the bytes every match needs, the bytes a match can begin with) is kept between calls,
-- and must never carry over to another pattern, even one made at the same address.

local function line(i)
  return string.format("%04d-%02d-%02d [%s] %d.%d.%d.%d \"GET /p/%d\" %d %d", 2020 + i % 5,
    1 + i % 12, 1 + i % 28, ({ "INFO", "WARN", "ERROR" })[1 + i % 3], i % 250, i % 7,
    i % 13, i % 251, i, 200 + 100 * (i % 4), i * 37 % 100000)
end

-- One pattern per line, the same string object each time.
local pattern = '%[(%u+)%] [%d%.]+ "GET ([^"]+)" (%d+) (%d+)'
local tally = {}
for i = 1, 300 do -- trace
  local level, path, status, size = line(i):match(pattern)
  tally[level] = (tally[level] or 0) + tonumber(size) % 7
  if i % 100 == 0 then print(i, level, path, status, size) end
end
print(tally.INFO, tally.WARN, tally.ERROR)

-- Patterns built at run time, dropped and collected, so that new ones may take their
-- addresses: each must find what its own bytes say.
local subject = string.rep("abcdefghij", 20) .. "xyz" .. string.rep("0123456789", 20) .. "Q!"
for round = 1, 60 do
  local p = ({ "x(y)z", "(%d)Q", "j(a)b", "9(Q)", "[!]", "z0(1)" })[1 + round % 6] .. string.rep("", round)
  local found = { subject:find(p) }
  if round <= 6 then print(p, unpack(found)) end
  assert(#found > 0, p)
  if round % 5 == 0 then collectgarbage() end
end
for round = 1, 40 do -- trace
  local p = string.char(97 + round % 26) .. "%a*" .. string.char(48 + round % 10)
  local s, e = subject:find(p)
  if round % 8 == 0 then print(p, s, e) end
  collectgarbage("step", 0)
end

-- A pattern that fails often (its leading bytes are worked out) then finds late matches.
local long = string.rep("-", 500) .. "key=value" .. string.rep(".", 100) .. "k2=v2"
for i = 1, 40 do -- trace
  local k, v = long:match("(%l%w*)=(%w+)", i * 10)
  if i % 10 == 0 or i == 51 then print(i, k, v) end
end

-- gmatch steps and gsub over a long subject with the same pattern string.
local words = 0
for w in string.rep("alpha beta  gamma\tdelta ", 50):gmatch("%a+") do words = words + #w end
print(words)
local text = string.rep("2024-01-31 and 1999-12-01; ", 20)
local swapped, n = text:gsub("(%d%d%d%d)%-(%d%d)%-(%d%d)", "%3/%2/%1")
print(n, swapped:sub(1, 60))
for i = 1, 3 do
  local r, c = text:gsub("(%d+)%-", function(d) return "<" .. d .. ">" end)
  print(c, r:sub(1, 40))
end
-- The same bytes as another string object, then a pattern whose search raises an error.
local p1 = "(%d)" .. "Q"
local p2 = table.concat({ "(%d)", "Q" })
print(subject:find(p1), subject:find(p2))
print(pcall(string.find, subject, "%b"), pcall(string.find, subject, "(%d"))
