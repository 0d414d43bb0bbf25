-- C calls whose arguments go straight into the argument registers, as compiled code makes
-- them from a call site's cache: every argument and result kind, conversions at the edges
-- of what converts without question (which take the general path), a call site meeting
-- other functions, all results wanted, hooks, and errors.
local ffi = require("ffi")
ffi.cdef[[
double sqrt(double x);
double pow(double x, double y);
float sqrtf(float x);
double ldexp(double x, int e);
int abs(int x);
long labs(long x);
long long llabs(long long x);
int toupper(int c);
int isdigit(int c);
unsigned int htonl(unsigned int x);
unsigned short htons(unsigned short x);
void srand(unsigned int seed);
int atoi(const char *s);
double strtod(const char *s, char **end);
char *getenv(const char *name);
typedef enum { RED, GREEN = 5, BLUE } color;
]]
local C = ffi.C

-- Each kind in a loop (the sites are filled once, then hit).
local s, f, i, u, e = 0, 0, 0, 0, 0
for k = 1, 200 do
  s = s + C.sqrt(k) + C.pow(k % 7, 0.5) + C.ldexp(k, k % 5)
  f = f + C.sqrtf(k)
  i = i + C.abs(-k) + C.labs(-k * 1000) + C.toupper(96 + k % 26) + C.atoi(tostring(k))
  u = u + C.htons(k) + C.htonl(k) % 65536
  e = e + C.strtod(k .. ".25", nil)
end
print(string.format("%.6f %.3f %d %d %.2f", s, f, i, u, e))
print(type(C.abs(-1)), type(C.sqrt(4)), C.getenv("PERIGEE_SURELY_UNSET_VARIABLE"), C.srand(7))

-- Arguments at the edges: fractions and large numbers convert by the FFI's rules.
local edges = {}
for _, x in ipairs({ 2.5, -2.5, 2^31 - 1, -2^31, 2^31, 2^40, -0.0, 1e300, 0/0 }) do
  edges[#edges + 1] = tostring(C.abs(x))
end
print(table.concat(edges, " "))
print(C.htons(65536 + 3), C.htons(-1), C.htonl(-1), C.htonl(2^32 + 5))
print(tostring(C.llabs(-2^40)), tostring(C.llabs(-5)))

-- One call site, several callees and non-functions.
local fs = { C.sqrt, C.abs, C.sqrt, C.toupper, function(x) return "lua" .. x end, C.abs }
local out = {}
for round = 1, 3 do
  for k, g in ipairs(fs) do out[#out + 1] = tostring(g(-k * round)) end
end
print(table.concat(out, " "))

-- All results wanted: a call's result as the last argument, and select('#').
print(C.sqrt(C.abs(-16)), select("#", C.srand(1)), select("#", C.abs(-2)), math.max(C.abs(-3), C.sqrt(C.pow(2, 4))))
local t = { C.abs(-1), C.sqrt(9) }
print(#t, t[1], t[2])

-- Errors keep their messages and positions.
print(pcall(C.abs, "x"))
print(pcall(C.sqrt))
print(pcall(C.abs, 1, 2))
print(pcall(function() return C.no_such_function_here(1) end))

-- Under a call hook the calls still answer (the general path runs them).
local calls = 0
debug.sethook(function() calls = calls + 1 end, "c")
local h = 0
for k = 1, 10 do h = h + C.abs(-k) end
debug.sethook()
print(h, calls > 0)

-- errno survives the calls in between.
ffi.errno(0)
C.strtod("1e999", nil)
local saved = ffi.errno()
for k = 1, 20 do C.sqrt(k) end
print(saved == ffi.errno(), saved ~= 0)
