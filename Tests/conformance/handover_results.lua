-- Compiled functions whose activation the interpreter finishes (arithmetic met a string, a
-- numeric builtin's name called something else) and that return several values, called
-- from code the interpreter runs (a main chunk that itself met a string in arithmetic) and
-- from compiled code; the results and the callers' frames stay intact.
local function sums(f)
  local sum = 0
  for i = 1, 3 do
    local v = f(i)
    sum = sum + v * 2
  end
  return sum, "two", 3
end
local function shifted(f)
  local out = {}
  for i = 1, 3 do
    local lshift = f
    out[#out + 1] = lshift(i, 1)
  end
  return table.concat(out, ","), #out, "last"
end
local function caller(f, g)
  local a, b, c = sums(f)
  local d, e = shifted(g)
  return a, b, c, d, e
end
local number = function(i) return i end
local text = function(i, j) return tostring(i) .. (j or "") end
print(caller(number, bit.lshift))
print(caller(text, text))
local x = "3" + 1
print(x, sums(number))
print(x, sums(text))
print(shifted(text))
print(caller(text, text))
print(select("#", sums(text)), select("#", shifted(text)))
print("ok")
