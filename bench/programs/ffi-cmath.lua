-- FFI: C library functions called through ffi.C in a hot loop (libm's sqrt, pow, floor,
-- fabs, libc's abs, and strlen on a Lua string); each call should cost what a C call costs.
local ffi = require("ffi")
ffi.cdef[[
double sqrt(double x);
double pow(double x, double y);
double floor(double x);
double fabs(double x);
int abs(int x);
size_t strlen(const char *s);
]]
local C = ffi.C
local n = tonumber(arg and arg[1]) or 4000000

local s = 0
for i = 1, n do
  s = s + C.sqrt(i) + C.floor(C.pow(i % 100, 1.5)) + C.fabs(-i) * 1e-9 + C.abs(-(i % 7))
end

local words = { "the", "quick brown", "fox jumps over", "the lazy dog", "" }
local total = 0
for i = 1, n / 4 do total = total + tonumber(C.strlen(words[i % 5 + 1])) end
print(string.format("%.6f %d", s, total))
