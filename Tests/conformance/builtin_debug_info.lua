-- debug.getinfo and debug.getupvalue on every builtin of the standard libraries and on the
-- functions builtins make (coroutine.wrap, string.gmatch, io.lines), as luajit -joff shows
-- them: the builtins with upvalues (print, pairs, ipairs, type, newproxy, math.random and
-- randomseed) have luajit's count and kinds of upvalues, and print, pairs, ipairs and
-- newproxy use theirs as luajit's do. The builtins luajit writes in Lua (string.len,
-- table.foreach/foreachi/getn/move/remove, math.deg/rad) are described as it describes them.
local libraries = {"_G", "string", "table", "math", "os", "io", "coroutine", "debug", "bit", "package"}
local methods = getmetatable(io.stdout).__index

local function describe(v)
  if type(v) == "string" then return string.format("%q", v) end
  if v == next then return "next" end
  return type(v)
end

local function show(name, f)
  local i = debug.getinfo(f)
  local line = string.format("%s %s %s %s nups=%d nparams=%d vararg=%s lines=%d,%d,%d", name, i.what,
    i.source, i.short_src, i.nups, i.nparams, tostring(i.isvararg), i.linedefined, i.lastlinedefined,
    i.currentline)
  local ups = {}
  for n = 1, i.nups do
    local upname, value = debug.getupvalue(f, n)
    ups[n] = string.format("%q=%s", upname, describe(value))
  end
  if #ups > 0 then line = line .. " " .. table.concat(ups, " ") end
  assert(debug.getupvalue(f, i.nups + 1) == nil)
  print(line)
end

local count = 0
for _, lib in ipairs(libraries) do
  local t = lib == "_G" and _G or _G[lib]
  local names = {}
  for k, v in pairs(t) do if type(v) == "function" then names[#names + 1] = k end end
  table.sort(names)
  for _, k in ipairs(names) do show(lib .. "." .. k, t[k]); count = count + 1 end
end
local names = {}
for k, v in pairs(methods) do if type(v) == "function" then names[#names + 1] = k end end
table.sort(names)
for _, k in ipairs(names) do show("file:" .. k, methods[k]); count = count + 1 end
print(count > 100)

-- Functions builtins make.
show("wrap's function", coroutine.wrap(function() end))
show("gmatch's iterator", string.gmatch("a b", "%a"))
local name = os.tmpname()
show("io.lines' iterator", io.lines(name))
show("io.lines' iterator with formats", io.lines(name, "*l", 1))
local f = io.open(name)
show("file:lines' iterator", f:lines("*n"))
f:close()
os.remove(name)

-- What the upvalues are for.
local _, iterator = debug.getupvalue(ipairs, 1)
print(iterator == (ipairs({})), iterator({7, 8}, 1))
print(select(2, debug.getupvalue(pairs, 1)) == (pairs({})))
local _, proxies = debug.getupvalue(newproxy, 1)
print(getmetatable(proxies) == proxies, proxies.__mode)
local p = newproxy(true)
print(proxies[getmetatable(p)], getmetatable(newproxy(p)) == getmetatable(p))
print(pcall(newproxy, newproxy(false)))
print(pcall(newproxy, io.stdout))
local active = debug.getinfo(string.len, "L").activelines
print(type(active), next(active), debug.getinfo(print, "L").activelines)
print(select(2, debug.getupvalue(math.random, 1)) == select(2, debug.getupvalue(math.randomseed, 1)))
-- print looks up the function its upvalue names in the environment.
_G.shout = function(v) return string.upper(tostring(v)) end
print(debug.setupvalue(print, 1, "shout"))
print("through", "shout", 1)
print(debug.setupvalue(print, 1, "tostring"))
print("through", "tostring", 1)
print("ok")
