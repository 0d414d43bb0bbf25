-- Conway's game of life on a small torus: a glider and a blinker, printed for a few steps.
local width, height = tonumber(arg and arg[1]) or 20, tonumber(arg and arg[2]) or 10

local function newGrid()
  local g = {}
  for y = 1, height do
    local row = {}
    for x = 1, width do row[x] = false end
    g[y] = row
  end
  return g
end

local function place(g, cells, dx, dy)
  for _, c in ipairs(cells) do g[c[2] + dy][c[1] + dx] = true end
end

local function neighbours(g, x, y)
  local n = 0
  for oy = -1, 1 do
    for ox = -1, 1 do
      if ox ~= 0 or oy ~= 0 then
        local row = g[(y + oy - 1) % height + 1]
        if row[(x + ox - 1) % width + 1] then n = n + 1 end
      end
    end
  end
  return n
end

local function step(g)
  local nextGrid = newGrid()
  for y = 1, height do
    for x = 1, width do
      local n = neighbours(g, x, y)
      nextGrid[y][x] = n == 3 or (n == 2 and g[y][x])
    end
  end
  return nextGrid
end

local function show(g, generation)
  local lines = { ("generation %d"):format(generation) }
  for y = 1, height do
    local row = {}
    for x = 1, width do row[x] = g[y][x] and "#" or "." end
    lines[#lines + 1] = table.concat(row)
  end
  print(table.concat(lines, "\n"))
end

local grid = newGrid()
place(grid, { {2, 1}, {3, 2}, {1, 3}, {2, 3}, {3, 3} }, 1, 1)   -- glider
place(grid, { {1, 1}, {2, 1}, {3, 1} }, 12, 5)                   -- blinker
for generation = 0, 4 do
  show(grid, generation)
  grid = step(grid)
end
local alive = 0
for y = 1, height do for x = 1, width do if grid[y][x] then alive = alive + 1 end end end
print("alive after 5 generations: " .. alive)
