-- Mandelbrot set as a 1-bit bitmap: rows are packed into bytes in a buffer table,
-- then the buffer is checksummed (no binary output, so every engine prints the same).
local N = tonumber(arg and arg[1]) or 3000

local buf, nb = {}, 0
local iter, limit2 = 50, 4.0
for y = 0, N - 1 do
  local ci = 2.0 * y / N - 1.0
  local bits, bitnum = 0, 0
  for x = 0, N - 1 do
    local cr = 2.0 * x / N - 1.5
    local zr, zi, zr2, zi2 = 0.0, 0.0, 0.0, 0.0
    local inside = 1
    for _ = 1, iter do
      zi = 2.0 * zr * zi + ci
      zr = zr2 - zi2 + cr
      zr2 = zr * zr
      zi2 = zi * zi
      if zr2 + zi2 > limit2 then inside = 0; break end
    end
    bits = bits * 2 + inside
    bitnum = bitnum + 1
    if bitnum == 8 then
      nb = nb + 1; buf[nb] = bits
      bits, bitnum = 0, 0
    end
  end
  if bitnum > 0 then
    nb = nb + 1; buf[nb] = bits * 2 ^ (8 - bitnum)
  end
end

local sum, set = 0, 0
for i = 1, nb do
  local b = buf[i]
  sum = (sum * 31 + b) % 1000000007
  while b > 0 do
    if b % 2 == 1 then set = set + 1 end
    b = (b - b % 2) / 2
  end
end
print(string.format("bytes=%d set=%d hash=%d", nb, set, sum))
