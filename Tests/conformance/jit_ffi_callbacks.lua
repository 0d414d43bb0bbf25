-- C functions called from compiled loops that call back into Lua: each C call happens
-- exactly once, with the callback run in full (never a refused callback and a repeated
-- call), whether the trace was compiled before or after the callback was made. luajit's
-- JIT stops such a program with "bad callback": its interpreter gives the output.
-- expected: luajit -joff
local ffi = require("ffi")
ffi.cdef[[
void qsort(void *base, size_t n, size_t size, int (*compare)(const void *, const void *));
int abs(int);
]]
local C = ffi.C

-- qsort with a Lua comparator, in a hot loop: the comparisons counted are the ones the
-- sorts made.
local compared = 0
local compare = ffi.cast("int (*)(const void *, const void *)", function(a, b)
  compared = compared + 1
  local x, y = ffi.cast("const int *", a)[0], ffi.cast("const int *", b)[0]
  return x < y and -1 or (x > y and 1 or 0)
end)
local values = ffi.new("int[8]")
local total = 0
local function fill(round)
  values[0], values[1], values[2], values[3] = round % 8, (5 + round) % 8, (10 + round) % 8, (15 + round) % 8
  values[4], values[5], values[6], values[7] = (20 + round) % 8, (25 + round) % 8, (30 + round) % 8, (35 + round) % 8
end
for round = 1, 60 do -- trace
  fill(round)
  C.qsort(values, 8, ffi.sizeof("int"), compare)
  total = total + values[0] + values[7]
end
print(compared > 0, total, values[0], values[7])
local perRound = compared
compared = 0
for i = 0, 7 do values[i] = (i * 5 + 1) % 8 end
C.qsort(values, 8, ffi.sizeof("int"), compare)
print(perRound == compared * 60 or perRound, compared)
compare:free()

-- the test library: notify(x) counts its calls and calls the kept handler
local path = os.tmpname()
local so = path .. ".so"
assert(os.execute("cc -shared -fPIC -O1 -o " .. so .. " ffi_testlib.c") == 0 or true)
local lib = ffi.load(so)
os.remove(so)
os.remove(path)
ffi.cdef[[
void set_handler(int (*f)(int));
int notify(int x);
extern int notify_calls;
]]

-- A loop calling notify (numbers only) and abs, compiled before any callback exists.
local function run(n)
  local sum = 0
  for i = 1, n do -- trace
    sum = sum + lib.notify(i) + C.abs(-i)
  end
  return sum
end
print(run(100), lib.notify_calls)

-- Now notify calls back into Lua: every call still happens once, and the handler's side
-- effects (a counter, a table) are all there.
local seen, log = 0, {}
local handler = ffi.cast("int (*)(int)", function(x)
  seen = seen + 1
  log[#log + 1] = x
  return x * 2
end)
lib.set_handler(handler)
print(run(100), lib.notify_calls, seen, #log, log[1], log[100])

-- A loop compiled while the callback exists.
local function again(n)
  local sum = 0
  for i = 1, n do -- trace
    sum = sum + lib.notify(i % 7)
  end
  return sum
end
print(again(150), lib.notify_calls, seen)

-- The handler changed while the loop runs; then removed (notify answers -1).
handler:set(function(x) seen = seen + 10 return -x end)
print(again(50), lib.notify_calls, seen)
lib.set_handler(nil)
handler:free()
print(run(30), lib.notify_calls, seen)
print("ok")
