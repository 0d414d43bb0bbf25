-- Builtins kept in upvalues are guarded to be the ones the recording saw. When an upvalue
-- then holds something else (another function, a callable table, a number), the guard
-- fails and the interpreter must find in the frame exactly what the upvalue holds.
local bxor, band, floor = bit.bxor, bit.band, math.floor

local function run(n, every)
  local h = 0
  for i = 1, n do
    if i % every == 0 then h = h + floor(i / 3) end
    h = bxor(h, band(i, 255))
  end
  return h
end

print(run(200, 7))
local saved = bxor
bxor = function(a, b) return a + b end
print(run(200, 7))
bxor = setmetatable({}, { __call = function(_, a, b) return a - b end })
print(run(200, 7))
bxor = saved
print(run(200, 7))
floor = setmetatable({}, { __call = function(_, x) return -x end })
print(run(200, 7))
floor = 12
print(pcall(run, 200, 7))
floor = math.ceil
print(run(200, 7))

-- The same in a loop whose rounds take turns through side traces.
local function turns(n)
  local a, b = 1, 2
  for i = 1, n do
    local r = i % 3
    if r == 0 then a = bxor(a, i) elseif r == 1 then b = band(b + i, 1023) else a = floor(a / 2) + b end
  end
  return a, b
end
print(turns(300))
band = function(x, y) return x % (y + 1) end
print(turns(300))
band = bit.band
print(turns(300))
