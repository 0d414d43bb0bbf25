-- Loops whose trace was recorded on a round that is rare afterwards (the first rounds take
-- another branch): each later round leaves the trace through the same exit and comes back
-- through the same side trace, until the loop is recorded again on the common path. The
-- results are the same whichever traces run.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { double x, v; int32_t hits; } body; ]]

local xs = {}
for i = 1, 3000 do xs[i] = (i <= 3 or i % 700 == 0) and 100 or i % 37 end
local bounced = 0
local function run()
  local total = 0
  for i = 1, #xs do -- trace
    local x = xs[i]
    if x > 50 then
      bounced = bounced + 1
      x = x - 50
    end
    total = total + x
  end
  return total
end
print(run(), run(), bounced)

-- The same with C data: bodies far out bounce in the first rounds only.
local n = 400
local bodies = ffi.new("body[?]", n)
for i = 0, n - 1 do bodies[i].x = i < 4 and 80 or (i % 21) - 10; bodies[i].v = (i % 7) - 3 end
for step = 1, 6 do
  for i = 0, n - 1 do -- trace
    local b = bodies[i]
    local x = b.x + b.v * 0.5
    if x > 30 or x < -30 then
      x = x > 0 and 30 or -30
      b.v = -b.v
      b.hits = b.hits + 1
    end
    b.x = x
  end
end
local sum, hits = 0, 0
for i = 0, n - 1 do sum = sum + bodies[i].x; hits = hits + bodies[i].hits end
print(sum, hits)
print("ok")
