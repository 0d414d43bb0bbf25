-- A small ray tracer: spheres over a checkered plane, one light, shadows and
-- reflections. Every vector is a fresh table with arithmetic metamethods, so the
-- inner loop allocates heavily. The image goes to a buffer table and is checksummed.
local size = tonumber(arg and arg[1]) or 900

local sqrt, floor = math.sqrt, math.floor

---------------------------------------------------------------- vectors
local Vec = {}
Vec.__index = Vec
local function vec(x, y, z) return setmetatable({ x = x, y = y, z = z }, Vec) end
Vec.__add = function(a, b) return vec(a.x + b.x, a.y + b.y, a.z + b.z) end
Vec.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y, a.z - b.z) end
Vec.__mul = function(a, s) return vec(a.x * s, a.y * s, a.z * s) end
Vec.__unm = function(a) return vec(-a.x, -a.y, -a.z) end
function Vec.dot(a, b) return a.x * b.x + a.y * b.y + a.z * b.z end
function Vec.cross(a, b)
  return vec(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
end
function Vec.length(a) return sqrt(a:dot(a)) end
function Vec.norm(a) return a * (1 / a:length()) end
function Vec.mulv(a, b) return vec(a.x * b.x, a.y * b.y, a.z * b.z) end

---------------------------------------------------------------- scene objects
local Sphere = {}
Sphere.__index = Sphere
function Sphere.new(center, radius, color, reflect)
  return setmetatable({ center = center, r2 = radius * radius, color = color, reflect = reflect }, Sphere)
end
function Sphere:intersect(origin, dir)
  local oc = origin - self.center
  local b = oc:dot(dir)
  local c = oc:dot(oc) - self.r2
  local disc = b * b - c
  if disc < 0 then return nil end
  local sq = sqrt(disc)
  local t = -b - sq
  if t < 1e-4 then t = -b + sq end
  if t < 1e-4 then return nil end
  return t
end
function Sphere:normal(p) return (p - self.center):norm() end
function Sphere:colorAt() return self.color end

local Plane = {}
Plane.__index = Plane
function Plane.new(n, offset, reflect)
  return setmetatable({ n = n, offset = offset, reflect = reflect }, Plane)
end
function Plane:intersect(origin, dir)
  local denom = self.n:dot(dir)
  if denom > -1e-6 then return nil end
  local t = -(self.n:dot(origin) + self.offset) / denom
  if t < 1e-4 then return nil end
  return t
end
function Plane:normal() return self.n end
function Plane:colorAt(p)
  if (floor(p.x) + floor(p.z)) % 2 == 0 then return vec(0.9, 0.9, 0.9) end
  return vec(0.1, 0.1, 0.1)
end

local scene = {
  Plane.new(vec(0, 1, 0), 0, 0.3),
  Sphere.new(vec(0, 1, 3), 1, vec(0.9, 0.2, 0.2), 0.4),
  Sphere.new(vec(-2, 0.7, 4), 0.7, vec(0.2, 0.9, 0.2), 0.2),
  Sphere.new(vec(2, 0.5, 2.5), 0.5, vec(0.2, 0.3, 0.9), 0.6),
  Sphere.new(vec(0.8, 0.3, 1.2), 0.3, vec(0.9, 0.9, 0.2), 0.0),
}
local lightPos = vec(-3, 5, -2)
local background = vec(0.3, 0.5, 0.8)

local function closest(origin, dir)
  local best, hit = 1e30, nil
  for i = 1, #scene do
    local t = scene[i]:intersect(origin, dir)
    if t and t < best then best, hit = t, scene[i] end
  end
  return hit, best
end

local function trace(origin, dir, depth)
  local obj, t = closest(origin, dir)
  if not obj then return background end
  local p = origin + dir * t
  local n = obj:normal(p)
  local toLight = lightPos - p
  local dist = toLight:length()
  toLight = toLight * (1 / dist)
  local shade = 0.1
  local blocker, bt = closest(p, toLight)
  if not blocker or bt > dist then
    local d = n:dot(toLight)
    if d > 0 then shade = shade + 0.9 * d end
  end
  local color = obj:colorAt(p) * shade
  if depth < 3 and obj.reflect > 0 then
    local r = dir - n * (2 * n:dot(dir))
    color = color * (1 - obj.reflect) + trace(p, r, depth + 1) * obj.reflect
  end
  return color
end

---------------------------------------------------------------- camera and render
local eye = vec(0, 1.5, -3)
local forward = (vec(0, 1, 3) - eye):norm()
local right = forward:cross(vec(0, 1, 0)):norm() * -1
local up = right:cross(forward)

local pixels, np = {}, 0
for y = 0, size - 1 do
  for x = 0, size - 1 do
    local u = (x + 0.5) / size * 2 - 1
    local v = 1 - (y + 0.5) / size * 2
    local dir = (forward + right * u + up * v):norm()
    local c = trace(eye, dir, 0)
    local function clamp(a) if a > 1 then return 255 end if a < 0 then return 0 end return floor(a * 255 + 0.5) end
    np = np + 1; pixels[np] = clamp(c.x)
    np = np + 1; pixels[np] = clamp(c.y)
    np = np + 1; pixels[np] = clamp(c.z)
  end
end

local sum, h = 0, 0
for i = 1, np do
  sum = sum + pixels[i]
  h = (h * 31 + pixels[i]) % 1000000007
end
print(string.format("%dx%d pixels sum=%d hash=%d", size, size, sum, h))
