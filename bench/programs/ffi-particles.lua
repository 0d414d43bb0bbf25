-- FFI: an array of structs (position, velocity, mass) updated in place step after step:
-- gravity toward the centre, a damped bounce at the walls, and the total energy at the end.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { double x, y, vx, vy, mass; int32_t bounces; } particle;
]]
local steps = tonumber(arg and arg[1]) or 10000

local count = 4000
local ps = ffi.new("particle[?]", count)
local seed = 7
local function random()
  seed = (seed * 16807) % 2147483647
  return seed / 2147483647
end
for i = 0, count - 1 do
  local p = ps[i]
  p.x, p.y = random() * 100 - 50, random() * 100 - 50
  p.vx, p.vy = random() - 0.5, random() - 0.5
  p.mass = 1 + random() * 4
end

local dt = 0.05
for _ = 1, steps do
  for i = 0, count - 1 do
    local p = ps[i]
    local x, y = p.x, p.y
    local d2 = x * x + y * y + 1
    local f = -10 / (d2 * p.mass)
    local vx, vy = p.vx + f * x * dt, p.vy + f * y * dt
    x, y = x + vx * dt, y + vy * dt
    if x < -30 or x > 30 then x = x < 0 and -30 or 30; vx = -vx * 0.9; p.bounces = p.bounces + 1 end
    if y < -30 or y > 30 then y = y < 0 and -30 or 30; vy = -vy * 0.9; p.bounces = p.bounces + 1 end
    p.x, p.y, p.vx, p.vy = x, y, vx, vy
  end
end

local energy, bounces = 0, 0
for i = 0, count - 1 do
  local p = ps[i]
  energy = energy + 0.5 * p.mass * (p.vx * p.vx + p.vy * p.vy)
  bounces = bounces + p.bounces
end
print(string.format("%.6f %d", energy, bounces))
