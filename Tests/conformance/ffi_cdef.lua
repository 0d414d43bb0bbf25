-- ffi.cdef and ffi.typeof: C declarations, type names, sizes, layouts and parse errors.
local ffi = require("ffi")

local function show(t)
  local ok, ct = pcall(ffi.typeof, t)
  if not ok then print(t, "error", ct) return end
  local size = ffi.sizeof(ct)
  print(t, tostring(ct), size, ffi.alignof(ct))
end

for _, t in ipairs{
  "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t",
  "size_t", "ssize_t", "intptr_t", "uintptr_t", "ptrdiff_t", "bool", "_Bool", "char",
  "signed char", "unsigned char", "short", "short int", "unsigned short", "int", "signed",
  "unsigned", "unsigned int", "long", "long int", "unsigned long", "long long",
  "unsigned long long", "float", "double", "long double", "complex", "complex float",
  "int *", "const char *", "char *const", "const int * const *", "void *", "int[10]",
  "int[2][3]", "int *[4]", "int (*)[4]", "int &", "int(*)(int)", "void *(*)(void)",
  "int (*)(const char *, ...)", "double __cdecl (*)(double)", "uint8_t[0x10]",
  "int[3+4*2]", "char[sizeof(int)]",
} do show(t) end

ffi.cdef[[
typedef struct point { double x, y; } point_t;
struct node { int value; struct node *next; };
union number { int32_t i; float f; uint8_t bytes[4]; };
enum color { RED, GREEN = 5, BLUE, ALPHA = GREEN * 4 };
typedef enum { NEG = -1, ZERO } sign_t;
struct nested { struct { int a, b; } inner; union { int u; char c; }; int tail; };
struct bits { unsigned a:3; unsigned b:5; int c:4; uint8_t d; };
struct packed { char a; int b; } __attribute__((packed));
struct aligned { char a; int b __attribute__((aligned(16))); };
struct flex { int n; double d[]; };
struct vls { int n; double d[?]; };
static const int LIMIT = 42;
struct with_const { static const int K = 7; int a; };
typedef int (*callback_t)(int, void *);
int strcmp(const char *a, const char *b);
extern int some_variable;
]]

for _, t in ipairs{"point_t", "struct point", "struct node", "union number", "enum color",
  "sign_t", "struct nested", "struct bits", "struct packed", "struct aligned", "struct flex",
  "callback_t", "point_t *", "struct node[2]", "const point_t"} do
  local ct = ffi.typeof(t)
  print(t, ffi.sizeof(ct), ffi.alignof(ct))
end
print(tostring(ffi.typeof("point_t")), tostring(ffi.typeof("struct node *")),
  tostring(ffi.typeof("callback_t")), tostring(ffi.typeof("enum color")))
print(ffi.offsetof("point_t", "y"), ffi.offsetof("struct node", "next"),
  ffi.offsetof("struct nested", "tail"), ffi.offsetof("struct nested", "u"),
  ffi.offsetof("struct nested", "c"), ffi.offsetof("struct packed", "b"),
  ffi.offsetof("struct aligned", "b"), ffi.offsetof("point_t", "z"))
print(ffi.offsetof("struct bits", "a"))
print(ffi.offsetof("struct bits", "b"))
print(ffi.offsetof("struct bits", "c"))
print(ffi.offsetof("struct bits", "d"))
print(ffi.sizeof("struct vls", 3), ffi.sizeof("int[?]", 5))
print(ffi.C.RED, ffi.C.GREEN, ffi.C.BLUE, ffi.C.ALPHA, ffi.C.NEG, ffi.C.ZERO, ffi.C.LIMIT)
print(ffi.new("struct with_const").K, ffi.sizeof("struct with_const"))
print(ffi.typeof("int") == ffi.typeof("int32_t"), ffi.typeof("long") == ffi.typeof("int64_t"),
  ffi.typeof("point_t") == ffi.typeof("struct point"))

-- Bad declarations give luajit's messages.
for _, d in ipairs{"int x y;", "foo bar;", "int f(int", "int[3", "struct {int;};",
  "typedef int;", "int;", "int a[2+;", "enum { A = B };", "int x = 5;",
  "struct s1 { int a; }; struct s1 { int b; };", "struct u { struct u x; };",
  "int f(void, int);", "int a:3;", "int\n\n y z;", "unsigned float x;", "void x;",
  "int @;", "struct"} do
  print(pcall(ffi.cdef, d))
end
for _, t in ipairs{"int x", "int[", "struct nope", "union nope", "enum nope", "int[-1]",
  "typedef int", "int (*)(int", "nosuchtype", "int int", ""} do
  print(pcall(ffi.typeof, t))
end
print(pcall(ffi.typeof, 42))
print(pcall(ffi.new))

-- #pragma pack, __asm__ names, $ parameters of ffi.typeof, nesting limits
ffi.cdef[[
#pragma pack(push, 1)
struct pk1 { char a; int b; };
#pragma pack(pop)
struct pk2 { char a; int b; };
#pragma pack(2)
struct pk3 { char a; int b; double c; };
#pragma pack()
int my_abs(int) __asm__("abs");
]]
print(ffi.sizeof("struct pk1"), ffi.sizeof("struct pk2"), ffi.sizeof("struct pk3"), ffi.offsetof("struct pk3", "c"))
print(ffi.C.my_abs(-4))
print(pcall(ffi.cdef, "#define X 1\nint xx1;"))
print(pcall(ffi.cdef, "#include <stdio.h>"))
local T = ffi.typeof("$ *", ffi.typeof("int"))
print(T, ffi.typeof("int[$]", 4), ffi.typeof("$[$]", ffi.typeof("double"), 2), ffi.typeof("$", 1LL))
print(pcall(ffi.typeof, "$"))
print(pcall(ffi.typeof, "$", 1))
print(pcall(ffi.typeof, "struct { $ a; }", "double"))
print(pcall(ffi.typeof, "int" .. string.rep("*", 99)) and "99 fine", pcall(ffi.typeof, "int" .. string.rep("*", 100)))
print(pcall(ffi.typeof, "int " .. string.rep("(", 19) .. "*" .. string.rep(")", 19)))
print(pcall(ffi.typeof, "int " .. string.rep("(", 20) .. "*" .. string.rep(")", 20)))
print(pcall(ffi.typeof, "int[0x7fffffff][0x7fffffff]"))
print(pcall(ffi.typeof, "struct { int a:40; }"))
print(pcall(ffi.typeof, "struct { double a:3; }"))
print(pcall(ffi.typeof, "int[1e3]"))
print(pcall(ffi.new, "int[?]", -1))
print(pcall(ffi.new, "int[?]", 1e18))
print("ok")
