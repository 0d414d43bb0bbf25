-- Every type of value (nil, boolean, number, string, table, Lua function, builtin, coroutine,
-- userdata) in every metamethod position, each operation run under pcall: none may crash, and
-- each outcome must be luajit's. Then metamethods nested deep (chains of __index and
-- __newindex tables, __index functions and __call values calling the next), errors inside
-- __gc, collectgarbage() called from finalizers and from a debug hook.

local function clean(s)
  return (tostring(s):gsub("0x%x+", "ADDR"):gsub("builtin#%d+", "builtin"))
end

local function show(ok, ...)
  local parts = {ok and "ok" or "err"}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    local t = type(v)
    if t == "string" or t == "number" or t == "boolean" or t == "nil" then
      parts[#parts + 1] = clean(v)
    else
      parts[#parts + 1] = t
    end
  end
  return table.concat(parts, " ")
end

local values = {
  {"nil", function() return nil end},
  {"false", function() return false end},
  {"true", function() return true end},
  {"7", function() return 7 end},
  {"'s'", function() return "s" end},
  {"{}", function() return {} end},
  {"{x=1}", function() return {x = 1, [1] = 2} end},
  {"lua", function() return function(a, b, c) return "lua", type(a), type(b), type(c) end end},
  {"erring", function() return function() error("from metamethod") end end},
  {"builtin", function() return select end},
  {"thread", function() return coroutine.create(function() end) end},
  {"userdata", function() return newproxy(false) end},
}

-- The operations that consult each event, on a table `o` carrying the metatable.
local events = {
  {"__index", function(o) return o.key end},
  {"__index[1]", function(o) return o[1] end},
  {"__newindex", function(o) o.key = 1 return rawget(o, "key") end},
  {"__call", function(o) return o(1, 2) end},
  {"__add", function(o) return o + 1 end},
  {"__sub", function(o) return 1 - o end},
  {"__mul", function(o) return o * o end},
  {"__div", function(o) return o / 2 end},
  {"__mod", function(o) return o % 2 end},
  {"__pow", function(o) return o ^ 2 end},
  {"__unm", function(o) return -o end},
  {"__concat", function(o) return o .. "x" end},
  {"__concat2", function(o) return "x" .. o .. "y" end},
  {"__len", function(o) return #o end},
  {"__eq", function(o) return o == setmetatable({}, getmetatable(o)) end},
  {"__lt", function(o) return o < o end},
  {"__le", function(o) return o <= o end},
  {"__lt2", function(o) return o < 1 end},
  -- (one result: luajit's tostring returns every result of __tostring)
  {"__tostring", function(o) return (tostring(o)) end},
  {"__tostring2", function(o) return string.format("%s", o) end},
  {"__metatable", function(o) return getmetatable(o), pcall(setmetatable, o, {}) end},
  {"__index_rawget", function(o) return rawget(o, "key"), rawlen == nil end},
}

local count = 0
for _, event in ipairs(events) do
  local name = event[1]:match("^(__%a+)")
  if event[1] == "__index_rawget" then name = "__index" end
  for _, value in ipairs(values) do
    -- (luajit names a __tostring that is not a Lua function as the global 'tostring')
    if name ~= "__tostring" or value[1] == "nil" or value[1] == "lua" or value[1] == "erring" then
      local mt = {}
      mt[name] = value[2]()
      local o = setmetatable({}, mt)
      print(event[1], value[1], show(pcall(event[2], o)))
      count = count + 1
    end
  end
end

-- Userdata carry the same events (only they consult __len in Lua 5.1).
for _, event in ipairs(events) do
  local name = event[1]:match("^(__%a+)")
  -- (string.format of a userdata whose __tostring fails never returns in this luajit)
  if name ~= "__eq" and name ~= "__metatable" and event[1] ~= "__newindex" and event[1] ~= "__index_rawget"
     and event[1] ~= "__tostring2" then
    for _, value in ipairs(values) do
      if name ~= "__tostring" or value[1] == "nil" or value[1] == "lua" or value[1] == "erring" then
        local u = newproxy(true)
        getmetatable(u)[name] = value[2]()
        print("userdata " .. event[1], value[1], show(pcall(event[2], u)))
        count = count + 1
      end
    end
  end
end

-- Deep nesting: __index and __newindex chains of tables, __index functions recursing
-- through the next table, __call values that are callable tables.
local function chain(depth, event)
  local t = {}
  local head = t
  for i = 1, depth do
    local nxt = {}
    setmetatable(t, {[event] = nxt})
    t = nxt
  end
  if event == "__index" then t.leaf = "found" end
  return head, t
end
for _, depth in ipairs({10, 99, 100, 101, 1000}) do
  local head = chain(depth, "__index")
  print("index chain", depth, show(pcall(function() return head.leaf end)))
  local whead, wtail = chain(depth, "__newindex")
  print("newindex chain", depth, show(pcall(function() whead.leaf = 1 return rawget(wtail, "leaf") end)))
end
local function indexFunctions(depth)
  local t = {}
  local at = t
  for i = 1, depth do
    local nxt = {}
    setmetatable(at, {__index = function(_, k) return nxt[k] end})
    at = nxt
  end
  at.leaf = "found"
  return t
end
for _, depth in ipairs({10, 150, 190}) do
  print("index functions", depth, show(pcall(function() return indexFunctions(depth).leaf end)))
end
local runaway = setmetatable({}, {})
getmetatable(runaway).__index = function(t, k) return t[k] end
local ok = pcall(function() return runaway.x end)
print("runaway __index", ok)
local callable = setmetatable({}, {__call = setmetatable({}, {__call = function() return "inner" end})})
print("callable __call", show(pcall(callable)))
local cmp = setmetatable({}, {__lt = function(a, b) return a < b end})
print("runaway __lt", (pcall(function() return cmp < cmp end)))
local cat = setmetatable({}, {})
getmetatable(cat).__concat = function(a, b) return a .. b end
print("runaway __concat", (pcall(function() return cat .. "x" end)))

-- Finalizers: ones that fail (an error, a __gc that is a number), collect from inside the
-- finalizer, or allocate; each runs once. (A finalizer's error comes out of the collection
-- that ran it, gc_finalizer_errors.lua shows which: the collections run under pcall, and
-- only the count is printed.)
local ran = 0
collectgarbage("stop")
do
  for i = 1, 20 do
    local u = newproxy(true)
    local mt = getmetatable(u)
    if i % 4 == 0 then
      mt.__gc = function() ran = ran + 1 error("in __gc " .. i) end
    elseif i % 4 == 1 then
      mt.__gc = function() ran = ran + 1 collectgarbage() end
    elseif i % 4 == 2 then
      mt.__gc = function() ran = ran + 1 collectgarbage("step", 100) local t = {} for k = 1, 100 do t[k] = {k} end end
    else
      mt.__gc = 42
    end
  end
end
for i = 1, 10 do pcall(collectgarbage) end
collectgarbage("restart")
print("finalizers ran", ran >= 10)
local resurrected
do
  local u = newproxy(true)
  getmetatable(u).__gc = function(self) resurrected = self end
end
collectgarbage()
collectgarbage()
print("resurrected", type(resurrected))
resurrected = nil
collectgarbage()

local hookRuns = 0
debug.sethook(function()
  hookRuns = hookRuns + 1
  if hookRuns % 50 == 0 then collectgarbage() end
end, "", 7)
local acc = {}
for i = 1, 2000 do acc[i % 50 + 1] = {i} end
debug.sethook()
print("hook collections", hookRuns > 0)

print(count .. " operations")
print("ok")
