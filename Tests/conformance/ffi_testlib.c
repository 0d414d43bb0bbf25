/* The C library ffi_call.lua and jit_ffi_callbacks.lua build with the system cc and call
   through the FFI: scalars, structs by value, varargs, callbacks (also one kept and called
   later by a function of numbers only), out-parameters, errno and globals. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

struct point { int x, y; };
struct big { double a, b, c; int tag; };
struct small { char c; short s; };
struct mixed { float f; int i; double d; };

int testlib_counter = 3;

int add_ints(int a, int b) { return a + b; }
double scale(double x, float f) { return x * f; }
int64_t mul64(int64_t a, int64_t b) { return a * b; }
uint64_t max_u64(void) { return UINT64_MAX; }
uint8_t low_byte(uint32_t v) { return (uint8_t)v; }
int8_t negate8(int8_t v) { return (int8_t)-v; }
bool is_even(int v) { return v % 2 == 0; }
float half(float v) { return v / 2; }

struct point make_point(int x, int y) { struct point p = {x, y}; return p; }
int point_sum(struct point p) { return p.x + p.y; }
struct big big_scale(struct big b, double k) { b.a *= k; b.b *= k; b.c *= k; b.tag += 1; return b; }
struct small swap_small(struct small s) { struct small r = {(char)(s.s & 0x7f), s.c}; return r; }
double mixed_sum(struct mixed m) { return m.f + m.i + m.d; }
void point_move(struct point *p, int dx, int dy) { p->x += dx; p->y += dy; }

int sum_ints(int n, ...) {
  va_list ap; int s = 0;
  va_start(ap, n);
  for (int i = 0; i < n; i++) s += va_arg(ap, int);
  va_end(ap);
  return s;
}

double sum_doubles(int n, ...) {
  va_list ap; double s = 0;
  va_start(ap, n);
  for (int i = 0; i < n; i++) s += va_arg(ap, double);
  va_end(ap);
  return s;
}

int64_t sum_int64(int n, ...) {
  va_list ap; int64_t s = 0;
  va_start(ap, n);
  for (int i = 0; i < n; i++) s += va_arg(ap, int64_t);
  va_end(ap);
  return s;
}

int apply(int (*f)(int), int x) { return f(x); }
double combine(double (*f)(double, double), double a, double b) { return f(a, b); }
void for_each(const int *a, int n, void (*cb)(int, int)) { for (int i = 0; i < n; i++) cb(i, a[i]); }
void fill_squares(int *out, int n) { for (int i = 0; i < n; i++) out[i] = i * i; }
const char *greet(void) { return "hello from C"; }
int fail_with(int e) { errno = e; return -1; }
int sum_array(const struct point *ps, int n) { int s = 0; for (int i = 0; i < n; i++) s += ps[i].x * ps[i].y; return s; }

/* A callback kept by the library, called by a function whose parameters are numbers; each
   call of notify counts once in notify_calls, whatever the callback answers. */
static int (*kept_handler)(int);
int notify_calls = 0;
void set_handler(int (*f)(int)) { kept_handler = f; }
int notify(int x) { notify_calls++; return kept_handler ? kept_handler(x) + 1000 : -1; }
