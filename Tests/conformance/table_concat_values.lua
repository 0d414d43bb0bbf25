-- table.concat of strings and numbers (luajit's %.14g), separators, ranges, empty results
-- and errors; a long result.
local t = {1, 2.5, "x", -0.0, 1e300, 0/0 == 0/0 and 1 or 2, "", 2^53, -1e-300, 123456789012345}
print(table.concat(t, ", "))
print(table.concat(t, "", 3, 5), table.concat(t, "-", 5, 4), table.concat({}, "x"), table.concat({"a"}, "x"))
print(pcall(table.concat, {1, {}, 3}))
print(pcall(table.concat, {1, 2}, ", ", 1, 3))
local big = {} for i = 1, 1000 do big[i] = i % 3 == 0 and i * 1.5 or ("s" .. i) end
local s = table.concat(big, "|") print(#s, s:sub(1, 40), s:sub(-30))
