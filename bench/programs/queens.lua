-- N-queens: count all placements by backtracking with column/diagonal occupancy tables.
local N = tonumber(arg and arg[1]) or 13

local function solve(n)
  local cols, diag1, diag2 = {}, {}, {}
  local count = 0
  local function place(row)
    if row > n then count = count + 1; return end
    for c = 1, n do
      local d1, d2 = row + c, row - c + n
      if not cols[c] and not diag1[d1] and not diag2[d2] then
        cols[c], diag1[d1], diag2[d2] = true, true, true
        place(row + 1)
        cols[c], diag1[d1], diag2[d2] = false, false, false
      end
    end
  end
  place(1)
  return count
end

for n = 4, N do
  print(string.format("queens(%d) = %d", n, solve(n)))
end
