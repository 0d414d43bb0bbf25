-- Every function of the standard libraries called with no argument and with every type of
-- argument (nil, boolean, numbers, strings, tables, functions, a coroutine, a userdata) in
-- its first, second and third place, each under pcall: none may crash, and each call's
-- status, result types and error message must be luajit's. A line per function and arity
-- keeps the output small: a hash of the calls' outcomes, with addresses taken out; run
-- `luajit builtin_arguments.lua full` (or perigee) to see every outcome.
local full = arg and arg[1] == "full"

-- Functions left out: they end the process, touch files or the environment, read standard
-- input, change what the rest of the script runs with (io.output, setfenv, module, debug
-- hooks, jit), or answer what differs between runs (time, random numbers, addresses).
local skip = {
  ["os.exit"] = true, ["os.execute"] = true, ["os.remove"] = true, ["os.rename"] = true,
  ["os.tmpname"] = true, ["os.getenv"] = true, ["os.time"] = true, ["os.clock"] = true,
  ["os.date"] = true, ["os.difftime"] = true, ["os.setlocale"] = true,
  ["io.read"] = true, ["io.lines"] = true, ["io.open"] = true, ["io.input"] = true,
  ["io.output"] = true, ["io.popen"] = true, ["io.close"] = true, ["io.write"] = true,
  ["io.tmpfile"] = true, ["io.flush"] = true, ["io.type"] = false,
  ["_G.print"] = true, ["_G.dofile"] = true, ["_G.loadfile"] = true, ["_G.require"] = true,
  ["_G.module"] = true, ["_G.setfenv"] = true, ["_G.collectgarbage"] = true, ["_G.newproxy"] = false,
  ["debug.debug"] = true, ["debug.sethook"] = true, ["debug.setlocal"] = true,
  ["debug.setupvalue"] = true, ["debug.setfenv"] = true, ["debug.setmetatable"] = true,
  ["debug.getregistry"] = true, ["debug.upvalueid"] = true, ["debug.upvaluejoin"] = true,
  ["debug.getinfo"] = true, ["debug.traceback"] = true, ["debug.getlocal"] = true,
  ["debug.getupvalue"] = true, ["debug.gethook"] = true,
  ["math.random"] = true, ["math.randomseed"] = true, ["string.dump"] = true,
  ["package.loadlib"] = true, ["package.seeall"] = true,
  ["coroutine.running"] = true, ["_G.gcinfo"] = true,
}

-- Functions called like the others, which must not crash, but whose outcomes are not
-- compared: where this luajit answers from an implementation detail (math.deg and math.rad
-- are bytecode builtins whose errors are arithmetic errors at "[builtin:rad]:0:"; builtins
-- print as "builtin#N"; next accepts the key 0 of an array, a defect Perigee does not copy).
local uncompared = {
  ["math.deg"] = true, ["math.rad"] = true, ["_G.tostring"] = true, ["_G.next"] = true,
}

local libraries = {"_G", "string", "table", "math", "coroutine", "os", "io", "debug", "bit"}

-- Fresh values for every call, so a function that changes its argument (setmetatable,
-- table.insert, rawset) cannot change the next call's.
local kinds = {
  {"nil", function() return nil end},
  {"true", function() return true end},
  {"false", function() return false end},
  {"0", function() return 0 end},
  {"1", function() return 1 end},
  {"-1", function() return -1 end},
  {"2.5", function() return 2.5 end},
  {"100", function() return 100 end},
  {"nan", function() return 0 / 0 end},
  {"inf", function() return 1 / 0 end},
  {"''", function() return "" end},
  {"'abc'", function() return "abc" end},
  {"'10'", function() return "10" end},
  {"'%d'", function() return "%d" end},
  {"{}", function() return {} end},
  {"{1,2,3}", function() return {1, 2, 3} end},
  {"{meta}", function() return setmetatable({}, {__index = function() return 1 end, __tostring = function() return "meta" end}) end},
  {"function", function() return function(...) return ... end end},
  {"builtin", function() return type end},
  {"thread", function() return coroutine.create(function() end) end},
  {"userdata", function() return newproxy(true) end},
}
-- The first arguments second and third places are combined with.
local leaders = {"nil", "1", "'abc'", "{1,2,3}", "function"}
local kindByName = {}
for _, k in ipairs(kinds) do kindByName[k[1]] = k end

-- An outcome with addresses and builtin numbers replaced, so both engines print the same.
local function describe(v)
  local t = type(v)
  if t == "string" then return "s:" .. v end
  if t == "number" then
    if v ~= v then return "n:nan" end
    return "n:" .. string.format("%.14g", v)
  end
  if t == "boolean" or t == "nil" then return tostring(v) end
  return t
end

local function clean(s)
  return (s:gsub("0x%x+", "ADDR"):gsub("builtin#%d+", "builtin"))
end

local function outcome(ok, ...)
  local parts = {ok and "ok" or "err"}
  for i = 1, select("#", ...) do parts[#parts + 1] = clean(describe((select(i, ...)))) end
  return table.concat(parts, " ")
end

-- FNV-1a over the bytes of `s`, folded into `h` (kept below 2^32 with exact doubles).
local function hash(h, s)
  for i = 1, #s do
    h = bit.bxor(h, s:byte(i))
    h = (h * 16777619) % 4294967296
  end
  return h
end

local names = {}
for _, lib in ipairs(libraries) do
  local t = lib == "_G" and _G or _G[lib]
  for k, v in pairs(t) do
    local name = lib .. "." .. k
    if type(v) == "function" and not skip[name] then names[#names + 1] = name end
  end
end
table.sort(names)

local function resolve(name)
  local lib, k = name:match("^([^.]+)%.(.+)$")
  return (lib == "_G" and _G or _G[lib])[k]
end

local calls = 0
local function run(name, f, label, ...)
  calls = calls + 1
  local o = outcome(pcall(f, ...))
  if full then print(name .. "(" .. label .. ") " .. o) end
  return o
end

for _, name in ipairs(names) do
  local f = resolve(name)
  local h1, h2, h3 = 2166136261, 2166136261, 2166136261
  h1 = hash(h1, run(name, f, ""))
  for _, k in ipairs(kinds) do h1 = hash(h1, run(name, f, k[1], k[2]())) end
  for _, lead in ipairs(leaders) do
    local make = kindByName[lead][2]
    for _, k in ipairs(kinds) do
      h2 = hash(h2, run(name, f, lead .. "," .. k[1], make(), k[2]()))
      h3 = hash(h3, run(name, f, lead .. ",1," .. k[1], make(), 1, k[2]()))
    end
  end
  if uncompared[name] then
    if not full then print(string.format("%-24s (not compared)", name)) end
  elseif not full then
    print(string.format("%-24s %08x %08x %08x", name, h1, h2, h3))
  end
end
print(#names .. " functions", calls .. " calls")
print("ok")
