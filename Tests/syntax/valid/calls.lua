-- Every call form: plain, method, string argument, table argument, long string argument,
-- parenthesised prefix, chained calls and indexing.
local log = {}
local function rec(...)
  local parts = {...}
  for i = 1, #parts do
    if type(parts[i]) == "table" then parts[i] = parts[i][1] end
  end
  log[#log + 1] = table.concat(parts, ",")
  return rec
end

local a = { b = { c = {} } }
function a.b.c:d(s) return self == a.b.c and s end
assert(a.b.c:d"x" == "x")
assert(a.b.c:d'y' == "y")
assert(a.b.c:d[[z]] == "z")
assert(a.b.c:d[==[w]==] == "w")
assert(a.b.c:d{1} ~= nil)
assert(a.b.c:d("v") == "v")

local function count(t) return #t end
assert(count{} == 0)
assert(count{1, 2, 3} == 3)
assert(count{n = 1} == 0)

local function id(s) return s end
assert(id"abc" == "abc")
assert(id[[long]] == "long")
assert(id[=[with ]] inside]=] == "with ]] inside")
assert(#id[[
first newline skipped]] == 21)

assert(("x"):rep(3) == "xxx")
assert(("%d-%s"):format(4, "y") == "4-y")
assert(("abc"):upper():lower():len() == 3)
assert(#("x"):rep(4) == 4)
local s = "hello"
assert(s:sub(2, 3) == "el")
assert(s:byte() == 104)

-- Chained calls with all argument forms in one expression.
rec "a" {1} [[b]] ("c", "d") 'e'
assert(#log == 5 and log[1] == "a" and log[2] == "1" and log[3] == "b"
       and log[4] == "c,d" and log[5] == "e")

-- Calls as prefixes of index expressions and method calls.
local function mk() return { f = function() return { 10, 20 } end, m = function(self, x) return x end } end
assert(mk().f()[2] == 20)
assert(mk():m(7) == 7)
assert(mk()["f"]()[1] == 10)
assert((mk()).f ~= nil)

-- Parenthesised call truncates to one value.
local function two() return 1, 2 end
local x, y = (two())
assert(x == 1 and y == nil)
assert(select("#", (two())) == 1)
assert(select("#", two()) == 2)

-- Call statement whose result is discarded; string method on literal via parentheses.
;(function() log.called = true end)()
print("ok")
