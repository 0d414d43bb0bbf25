-- Series summations calling math builtins: trigonometric, roots, logarithms, rounding,
-- min/max and fmod in tight loops. Measures calls of math.* builtins.
local n = tonumber(arg and arg[1]) or 2000000
local sin, cos, sqrt, floor, abs = math.sin, math.cos, math.sqrt, math.floor, math.abs
local exp, log, min, max, fmod, atan2, pow, ceil = math.exp, math.log, math.min, math.max, math.fmod, math.atan2, math.pow, math.ceil

-- Leibniz and Basel series, alternating harmonics through cos(k*pi).
local leibniz, basel, alternating = 0, 0, 0
for k = 0, n - 1 do
  leibniz = leibniz + pow(-1, k) / (2 * k + 1)
  basel = basel + 1 / pow(k + 1, 2)
  alternating = alternating + floor(cos(k * math.pi) + 0.5) / (k + 1)
end

-- Trigonometric and logarithmic sums, clamped and folded.
local trig, logs, clamp, folds = 0, 0, 0, 0
for k = 1, n do
  local x = k / n
  trig = trig + sin(x) * cos(x) + atan2(x, 1)
  logs = logs + log(k) - sqrt(k) / (1 + abs(sin(k)))
  clamp = clamp + min(max(sin(k) * 2, -1), 1) + ceil(x)
  folds = folds + fmod(k, 7) + exp(-x)
end
print(string.format("leibniz %.6f basel %.6f alternating %.6f", 4 * leibniz, basel, alternating))
print(string.format("trig %.6f logs %.3f clamp %.6f folds %.6f", trig, logs, clamp, folds))
