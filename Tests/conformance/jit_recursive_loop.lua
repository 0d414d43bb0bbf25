-- A loop in a recursive function: the recursive call, inlined into the loop's trace, reaches
-- the same loop instruction in a deeper frame, which is not the trace's own loop (it must
-- not close the trace there, nor be unrolled as an inner loop). N-queens by backtracking,
-- with the thresholds under which this once counted wrong.
jit.opt.start("hotloop=56", "hotexit=2")
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
local counts = {}
for n = 4, 9 do counts[#counts + 1] = solve(n) end
print("queens", table.concat(counts, " "))
