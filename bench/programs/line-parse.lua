-- Parses a generated comma-separated text line by line with string.byte, string.sub,
-- string.len and tonumber; sums fields and counts kinds with type and select.
local n = tonumber(arg and arg[1]) or 60000
local byte, sub, len, char = string.byte, string.sub, string.len, string.char

local seed = 42
local function random(m)
  seed = (seed * 16807) % 2147483647
  return seed % m
end

local names = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
local lines = {}
for i = 1, n do
  lines[i] = i .. "," .. names[random(8) + 1] .. "," .. (random(100000) / 100) .. "," .. random(2)
    .. "," .. (random(3) == 0 and "x" .. random(50) or tostring(random(1000)))
end
local text = table.concat(lines, "\n") .. "\n"

local COMMA, NEWLINE = byte(","), byte("\n")

local function fields(line)
  local out, count, start = {}, 0, 1
  for i = 1, len(line) do
    if byte(line, i) == COMMA then
      count = count + 1
      out[count] = sub(line, start, i - 1)
      start = i + 1
    end
  end
  count = count + 1
  out[count] = sub(line, start)
  return out, count
end

local function tally(...)
  return select("#", ...), type((...))
end

local ids, values, flags, numeric, other, nameLength, fieldCount = 0, 0, 0, 0, 0, 0, 0
for pass = 1, 3 do
  local start = 1
  local size = len(text)
  while start <= size do
    local stop = start
    while byte(text, stop) ~= NEWLINE do stop = stop + 1 end
    local f, count = fields(sub(text, start, stop - 1))
    local k = tally(f[1], f[2], f[3])
    fieldCount = fieldCount + count + k
    ids = ids + tonumber(f[1])
    nameLength = nameLength + len(f[2]) + byte(f[2], 1)
    values = values + tonumber(f[3])
    flags = flags + tonumber(f[4])
    local last = tonumber(f[5])
    if type(last) == "number" then numeric = numeric + last else other = other + tonumber(sub(f[5], 2)) end
    start = stop + 1
  end
end
print(string.format("fields %d ids %d names %d flags %d", fieldCount, ids, nameLength, flags))
print(string.format("values %.2f numeric %d other %d", values, numeric, other))
