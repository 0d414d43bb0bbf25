-- Loops compiled in chunks that are collected soon after, while their traces compile (on the
-- compiler thread) or after they are installed, then jit.flush(): the JIT keeps the
-- prototypes its traces' anchors point into until the traces are flushed, so installing,
-- removing or flushing a trace never writes into freed bytecode.
local total = 0
for round = 1, 90 do
  local f = loadstring("local n = ... local s = 0 for i = 1, n do s = s + i % 7 end " ..
    "local t = {} for i = 1, n do t[i] = i end local c = 0 for _, v in ipairs(t) do c = c + v end " ..
    "return s + c + " .. round)
  total = total + f(50 + round)
  f = nil
  if round % 3 == 0 then collectgarbage() end
  if round % 30 == 0 then jit.flush() end
  -- Strings of the size of a prototype take the memory of the ones collected.
  local filler = {}
  for i = 1, 20 do filler[i] = string.rep(string.char(65 + i % 26), 200 + round) end
end
print(total)
print("ok")
