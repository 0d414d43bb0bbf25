-- k-nucleotide: generate a DNA sequence, count every k-mer (k = 1, 2, 3, 4, 6, 12, 18)
-- in a hash table keyed by substrings, and report frequencies in a sorted order.
local n = tonumber(arg and arg[1]) or 200000

local sub, format = string.sub, string.format

-- a weighted pseudo-random sequence (Park-Miller generator)
local seed = 42
local function nextBase()
  seed = (seed * 16807) % 2147483647
  local r = seed % 100
  if r < 30 then return "a" elseif r < 50 then return "c" elseif r < 70 then return "g" end
  return "t"
end
local parts = {}
for i = 1, n do parts[i] = nextBase() end
local seq = string.upper(table.concat(parts))

local function count(s, k)
  local freq = {}
  for i = 1, #s - k + 1 do
    local key = sub(s, i, i + k - 1)
    freq[key] = (freq[key] or 0) + 1
  end
  return freq
end

local function sortedFrequencies(s, k)
  local freq = count(s, k)
  local keys = {}
  for key in pairs(freq) do keys[#keys + 1] = key end
  table.sort(keys, function(a, b)
    local fa, fb = freq[a], freq[b]
    if fa ~= fb then return fa > fb end
    return a < b
  end)
  local total = #s - k + 1
  local out = {}
  for i = 1, #keys do out[i] = format("%s %.3f", keys[i], 100 * freq[keys[i]] / total) end
  return table.concat(out, "\n"), #keys
end

print((sortedFrequencies(seq, 1)))
print((sortedFrequencies(seq, 2)))
for _, probe in ipairs({ "GGT", "GGTA", "GGTATT", "GGTATTTTAATT", "GGTATTTTAATTTATAGT" }) do
  local freq = count(seq, #probe)
  print(format("%d\t%s", freq[probe] or 0, probe))
end
local _, distinct = sortedFrequencies(seq, 12)
print(format("distinct 12-mers: %d", distinct))
