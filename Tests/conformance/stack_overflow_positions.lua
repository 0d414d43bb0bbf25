-- The position of a stack overflow raised where pcall enters its function, when each level
-- calls pcall in tail position: the line of the tail call, in every mode (luajit -joff gives
-- none; its default mode, which the .out records, gives the line).
local function tailpcall(n) return pcall(tailpcall, n + 1) end
local results = {tailpcall(1)}
print(results[1], results[#results - 1], results[#results])

local function viaglobal(n) return pcall(viaglobal, n + 1) end
results = {pcall(viaglobal, 1)}
print(#results > 30000, results[#results])

-- The outer end of the traceback an xpcall handler sees.
local function tailtraceback(n)
  return xpcall(tailtraceback, debug.traceback, n + 1)
end
results = {tailtraceback(1)}
local traceback = results[#results]
print(results[#results - 1], traceback:match("stack overflow\nstack traceback:\n") ~= nil)
print((traceback:match("\n\t[^\n]*\n\t[^\n]*\n\t[^\n]*$"):gsub("0x%x+", "ADDRESS")))
print("ok")
