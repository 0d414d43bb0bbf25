-- Calls into C through the FFI: libc, and a small library built here with the system cc
-- (ffi_testlib.c): scalars, structs by value, varargs, callbacks, errno, globals.
local ffi = require("ffi")

ffi.cdef[[
size_t strlen(const char *s);
int abs(int v);
int snprintf(char *buf, size_t size, const char *fmt, ...);
long strtol(const char *s, char **end, int base);
void qsort(void *base, size_t n, size_t size, int (*compare)(const void *, const void *));
int memcmp(const void *a, const void *b, size_t n);
double sqrt(double x);
char *getenv(const char *name);
]]
local C = ffi.C
print(C.strlen("hello"), C.abs(-3), type(C.abs(-3)), C.sqrt(2), tostring(C.strlen):match("^cdata<size_t %(%)>") ~= nil)
local buf = ffi.new("char[64]")
local n = C.snprintf(buf, 64, "%d|%s|%.2f|%lld|%c|%u", ffi.new("int", 42), "str", 1.5, 123456789012LL, ffi.new("char", 65), ffi.new("unsigned int", 7))
print(n, ffi.string(buf))
local endp = ffi.new("char *[1]")
print(C.strtol("123abc", endp, 10), ffi.string(endp[0]))
print(C.memcmp("abc", "abd", 3) < 0, C.getenv("PERIGEE_FFI_SURELY_UNSET") == nil)
print(pcall(C.abs))
print(pcall(C.abs, 1, 2))
print(pcall(C.abs, "x"))
-- Calls whose arguments go straight into registers: nil for a pointer (NULL), a string for
-- a `const char *`, errno left as the call left it, and the same calls in a loop.
ffi.errno(0)
print(C.strtol("  -42xyz", nil, 10), C.strtol("99999999999999999999", nil, 10), ffi.errno() == 34)
local total = 0
for i = 1, 50 do total = total + C.abs(-i) + C.strtol(tostring(i), nil, 16) + C.strlen(("x"):rep(i % 5)) end
print(total, pcall(C.strtol, 12, nil, 10))

-- qsort with a Lua comparison function
local values = ffi.new("int[6]", {5, 3, 9, 1, 7, 2})
local compare = ffi.cast("int (*)(const void *, const void *)", function(a, b)
  local x, y = ffi.cast("const int *", a)[0], ffi.cast("const int *", b)[0]
  return x < y and -1 or (x > y and 1 or 0)
end)
C.qsort(values, 6, ffi.sizeof("int"), compare)
print(values[0], values[1], values[2], values[3], values[4], values[5])
compare:free()

-- the test library
local path = os.tmpname()
local so = path .. ".so"
assert(os.execute("cc -shared -fPIC -O1 -o " .. so .. " ffi_testlib.c") == 0 or true)
local lib = ffi.load(so)
os.remove(so)
os.remove(path)

ffi.cdef[[
struct point { int x, y; };
struct big { double a, b, c; int tag; };
struct small { char c; short s; };
struct mixed { float f; int i; double d; };
extern int testlib_counter;
int add_ints(int a, int b);
double scale(double x, float f);
int64_t mul64(int64_t a, int64_t b);
uint64_t max_u64(void);
uint8_t low_byte(uint32_t v);
int8_t negate8(int8_t v);
bool is_even(int v);
float half(float v);
struct point make_point(int x, int y);
int point_sum(struct point p);
struct big big_scale(struct big b, double k);
struct small swap_small(struct small s);
double mixed_sum(struct mixed m);
void point_move(struct point *p, int dx, int dy);
int sum_ints(int n, ...);
double sum_doubles(int n, ...);
int64_t sum_int64(int n, ...);
int apply(int (*f)(int), int x);
double combine(double (*f)(double, double), double a, double b);
void for_each(const int *a, int n, void (*cb)(int, int));
void fill_squares(int *out, int n);
const char *greet(void);
int fail_with(int e);
int sum_array(const struct point *ps, int n);
]]

print(lib.add_ints(2, 3), lib.scale(1.5, 2), lib.mul64(3000000000LL, 3), lib.max_u64())
print(lib.low_byte(0x1234), lib.negate8(5), lib.is_even(4), lib.is_even(3), lib.half(3))
print(lib.add_ints(2.9, -1.9), lib.mul64(2, 21), lib.add_ints(true, 1))
local p = lib.make_point(3, 4)
print(p.x, p.y, lib.point_sum(p), lib.point_sum({10, 20}), lib.point_sum(ffi.new("struct point", 1, 2)))
local b = lib.big_scale({1, 2, 3, 9}, 2)
print(b.a, b.b, b.c, b.tag)
local s = lib.swap_small({65, 66})
print(s.c, s.s)
print(lib.mixed_sum({0.5, 2, 0.25}))
local mp = ffi.new("struct point", 1, 1)
lib.point_move(mp, 5, 6)
print(mp.x, mp.y)
print(lib.sum_ints(3, ffi.new("int", 1), ffi.new("short", 2), true), lib.sum_doubles(2, 1.5, 2.25), lib.sum_int64(2, 1LL, 2LL ^ 40), lib.sum_ints(0))
print(lib.apply(function(x) return x * 10 end, 7))
print(lib.combine(function(a, b) return a - b end, 10, 2.5))
local seen = {}
lib.for_each(ffi.new("int[3]", 7, 8, 9), 3, function(i, v) seen[#seen + 1] = i .. "=" .. v end)
print(table.concat(seen, " "))
local sq = ffi.new("int[5]")
lib.fill_squares(sq, 5)
print(sq[0], sq[1], sq[2], sq[3], sq[4])
print(ffi.string(lib.greet()))
print(lib.fail_with(34), ffi.errno(), ffi.errno(0), ffi.errno())
print(lib.testlib_counter)
lib.testlib_counter = 11
print(lib.testlib_counter)
print(lib.sum_array(ffi.new("struct point[2]", {{1, 2}, {3, 4}}), 2))
local cb = ffi.cast("int (*)(int)", function(x) return x + 1 end)
print(lib.apply(cb, 1))
cb:set(function(x) return x + 2 end)
print(lib.apply(cb, 1))
cb:free()
print(pcall(function() return lib.nosuch end))
print("ok")
