-- Method calls through __index tables (inline reads of a metatable's __index chain),
-- arithmetic on tables whose operand was indexed before (the function's generic version),
-- and a main chunk whose arithmetic meets tables before its numeric loops.

local Base = {}
Base.__index = Base
function Base.new(x) return setmetatable({ x = x }, Base) end
function Base:get() return self.x end
function Base:twice() return self:get() * 2 end
function Base:name() return "base" end

local Derived = setmetatable({}, { __index = Base })
Derived.__index = Derived
function Derived.new(x) return setmetatable({ x = x }, Derived) end
function Derived:name() return "derived" end

-- Three levels: the inline path reads two, the runtime the rest.
local Deeper = setmetatable({}, { __index = Derived })
Deeper.__index = Deeper
function Deeper.new(x) return setmetatable({ x = x }, Deeper) end

-- An __index function at the first and at the second level.
local ByFunction = setmetatable({}, { __index = function(_, k) return function(self) return "fn:" .. k .. ":" .. tostring(self.x) end end })
local Proxy = { __index = function(t, k) return function() return "proxy " .. k end end }
local OverFunction = setmetatable({}, { __index = ByFunction })
OverFunction.__index = OverFunction

local objects = {
  Base.new(1), Derived.new(2), Deeper.new(3),
  setmetatable({ x = 4 }, { __index = ByFunction }),
  setmetatable({}, Proxy),
  setmetatable({ x = 6 }, OverFunction),
}
for round = 1, 3 do
  for i, o in ipairs(objects) do
    local ok, v = pcall(function() return o:name() end)
    local ok2, w = pcall(function() return o:twice() end)
    print(round, i, ok, v, ok2, ok2 and w or "error")
  end
end

-- The object's own field shadows the method; a field holding nil falls through.
local own = Base.new(7)
own.name = function() return "own" end
print(own:name())
own.name = nil
print(own:name())

-- A metatable whose __index is not a table or function, or is missing.
local odd = setmetatable({}, { __index = 42 })
print(pcall(function() return odd:name() end))
local none = setmetatable({}, {})
print(pcall(function() return none:name() end))

-- Methods changed after the first calls are read afresh.
for round = 1, 4 do
  if round == 3 then function Base:get() return -self.x end end
  if round == 4 then Derived.__index = { name = function() return "replaced" end, twice = function() return 0 end } end
  print(round, objects[1]:twice(), objects[2]:twice(), objects[2]:name(), objects[3]:name())
end

-- Strings and numbers as the object.
local s = "hello"
print(s:upper(), s:len(), pcall(function() local n = 5; return n:foo() end))

-- Vector math: the operand `a` is indexed before the arithmetic, which meets tables (and
-- numbers, through the same function).
local Vec = {}
Vec.__index = Vec
local function vec(x, y) return setmetatable({ x = x, y = y }, Vec) end
Vec.__mul = function(a, s) if type(a) == "number" then a, s = s, a end return vec(a.x * s, a.y * s) end
Vec.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
function Vec.length(a) return math.sqrt(a.x * a.x + a.y * a.y) end
function Vec.norm(a) return a * (1 / a:length()) end
local function scale(a, k) local _ = type(a) == "table" and a:length(); return a * k end
for i = 1, 3 do
  local n = vec(3 * i, 4 * i):norm()
  print(string.format("%.6f %.6f", n.x, n.y), scale(i, 2), scale(vec(i, i), 2).x)
end

-- The main chunk's own arithmetic meets tables, then runs numeric loops.
local v = vec(1, 2) + vec(3, 4)
print(v.x, v.y)
local sum = 0
for i = 1, 1000 do sum = sum + i * 0.5 end
local w = v * 2
print(sum, w.x, w.y)
local ok, err = pcall(function() return {} + 1 end)
print(ok, (string.gsub(err, "^.-:%d+: ", "")))
