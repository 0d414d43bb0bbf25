-- Where recursion overflows the Lua stack, and xpcall's handlers after an overflow: they run
-- in a reserve above the limit (luajit's lj_state_growstack); a handler that fails there
-- gives "stack overflow", one that fails elsewhere "error in error handling". The depths
-- are those of luajit's interpreter (its traces reach other depths), so luajit's JIT is
-- switched off. luajit -joff reports some of these overflows without a position (its
-- default mode and Perigee give the line): positions are cut from the messages.
jit.off()
local function plain(message) return (string.gsub(tostring(message), "^[^:\n]*:%d+: ", "")) end

local depth = 0
local function up() depth = depth + 1; return 1 + up() end
local function climb(f, ...)
  depth = 0
  local results = {f(...)}
  return depth, results[1], plain(results[2])
end
print("up", climb(pcall, up))
print("up again", climb(pcall, up))

-- pcall and xpcall in tail position: each level adds `true` to the results below it.
local function tailpcall(n) return pcall(tailpcall, n + 1) end
print("tail pcall", select("#", tailpcall(1)))
local results = {tailpcall(1)}
print("tail pcall kept", #results, results[1], results[#results - 1], plain(results[#results]))
local function tailxpcall(n) return xpcall(tailxpcall, function(m) return "handled: " .. plain(m) end, n + 1) end
results = {tailxpcall(1)}
print("tail xpcall", #results, results[#results - 1], results[#results])
local function tailtraceback(n) return xpcall(tailtraceback, debug.traceback, n + 1) end
results = {tailtraceback(1)}
local traceback = results[#results]
print("tail traceback", #results, plain(traceback:match("^[^\n]*")), traceback:match("\nstack traceback:\n") ~= nil)
local function tailprint(n) return xpcall(tailprint, function(m) return type(m) end, n + 1) end
results = {tailprint(1)}
print("tail handler result", #results, results[#results])

-- Handlers after an overflow.
print("handled", climb(xpcall, up, function(m) return "handled: " .. plain(m) end))
print("handler sees", climb(xpcall, up, function(m) local t = {} for i = 1, 30 do t[i] = i end return #t end))
print("handler fails", climb(xpcall, up, function() error("inner") end))
print("handler fails with a table", climb(xpcall, up, function() error({}) end))
print("handler overflows", climb(xpcall, up, function() return up() end))
print("traceback handler", (select(2, xpcall(up, debug.traceback)):match("^[^\n]*"):gsub("^[^:]*:%d+: ", "")))
print("after handlers", climb(pcall, up))
-- Errors in handlers without an overflow.
print("plain handler fails", xpcall(error, function() error("inner") end))
print("plain handler", xpcall(error, function(m) return "got " .. tostring(m) end, "x", 0))

-- In a coroutine.
print("coroutine", coroutine.wrap(function() return climb(pcall, up) end)())
print("coroutine body", coroutine.resume(coroutine.create(function() return climb(xpcall, up, function(m) return plain(m) end) end)))
print("coroutine tail pcall", select("#", coroutine.wrap(tailpcall)(1)))
print("ok")
