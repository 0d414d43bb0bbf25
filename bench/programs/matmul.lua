-- Dense matrix multiplication on nested tables (rows of numbers).
local n = tonumber(arg and arg[1]) or 700

local function matgen(size, seed)
  local m = {}
  local tmp = seed / size / size
  for i = 1, size do
    local row = {}
    for j = 1, size do row[j] = tmp * (i - j) * (i + j - 2) end
    m[i] = row
  end
  return m
end

local function transpose(a)
  local rows, cols = #a, #a[1]
  local t = {}
  for j = 1, cols do
    local row = {}
    for i = 1, rows do row[i] = a[i][j] end
    t[j] = row
  end
  return t
end

local function matmul(a, b)
  local m, p = #a, #b[1]
  local bt = transpose(b)
  local c = {}
  for i = 1, m do
    local ai, ci = a[i], {}
    for j = 1, p do
      local bj, s = bt[j], 0
      for k = 1, #ai do s = s + ai[k] * bj[k] end
      ci[j] = s
    end
    c[i] = ci
  end
  return c
end

local a, b = matgen(n, 1.0), matgen(n, 2.0)
local c = matmul(a, b)
local mid = math.floor(n / 2) + 1
local trace = 0
for i = 1, n do trace = trace + c[i][i] end
print(string.format("c[mid][mid] = %.6f  trace = %.6f", c[mid][mid], trace))
