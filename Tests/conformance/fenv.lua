-- getfenv / setfenv: function environments.
local G = _G
assert(getfenv() == _G and getfenv(0) == _G and getfenv(1) == _G)
local function reads() return value end
local env = { value = 42 }
setfenv(reads, env)
assert(reads() == 42 and getfenv(reads) == env)
assert(value == nil)
-- Globals assigned inside the function go to its environment.
local function writes() newglobal = "set" end
local wenv = {}
setfenv(writes, wenv)
writes()
assert(wenv.newglobal == "set" and G.newglobal == nil)
-- An environment with __index to _G sees the real globals.
local sandbox = setmetatable({}, { __index = _G })
local function usesprint() return type(print), tostring(1) end
setfenv(usesprint, sandbox)
assert(usesprint() == "function")
-- setfenv by stack level changes the running function's environment.
local setfenv_ = setfenv
local function changeself(tag)
  setfenv_(1, { result = tag })
  return result
end
assert(changeself("level1") == "level1" and changeself("again") == "again")
-- Nested functions inherit the environment at creation time.
local function maker() return function() return tag end end
setfenv(maker, { tag = "inner" })
assert(maker()() == "inner")
-- getfenv on a level inside a call.
local function level2() local e = getfenv(2) return e end   -- not a tail call
local function caller() local e = level2() return e end
setfenv(caller, { marker = true })
assert(caller().marker == true)
-- loadstring chunks get the global environment; setfenv on them works.
local chunk = loadstring("return x")
setfenv(chunk, { x = "from env" })
assert(chunk() == "from env")
-- C functions report the global environment; setting one is an error.
assert(getfenv(print) == _G)
local ok, err = pcall(setfenv, print, {})
assert(not ok and err:find("'setfenv' cannot change environment of given object", 1, true))
-- Invalid levels.
ok, err = pcall(getfenv, 100)
assert(not ok and err:find("invalid level", 1, true))
-- setfenv(0, t) changes the thread's global environment; restore it.
local saved = getfenv(0)
setfenv(0, setmetatable({ zero = 1 }, { __index = saved }))
assert(loadstring("return zero")() == 1)
setfenv(0, saved)
assert(loadstring("return zero")() == nil)
print(reads(), wenv.newglobal, changeself("printed"), maker()(), chunk())
print("ok")
