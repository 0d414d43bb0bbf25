// Fast stubs: the opcodes whose common case is a few loads and stores (moves, short
// constants, arithmetic and comparisons of two numbers, loop edges, table reads and stores
// that hit the table's own array or hash slot, upvalue reads) do it right in their stub,
// with no call to their Swift handler, and go on to the next instruction. Anything else
// (strings to convert, metamethods, missing keys, collector barriers, errors, a JIT
// counting loops) goes to the opcode's ordinary stub, whose handler does it all, the common
// case included: the handlers stay the instructions' definition, and each fast stub
// repeats only its handler's first test, with the same conditions.
//
// Why in C: a stub that calls its Swift handler pays a call, a return, the handler's frame
// and a two-register result on every instruction (about 15 instructions around a MOV's 3),
// and Swift cannot make the guaranteed tail call that would let a handler dispatch the next
// instruction itself. Doing the plain cases here took mandelbrot's interpreted time from
// 0.95x to 0.41x lua5.1's, and the interpreter's geometric mean over bench/ from 0.67x to
// 0.56x. The offsets these stubs read are ObjectLayout.h's, each checked against the Swift
// layout by InterpreterLayoutTests.
// Included by Dispatch.c, after the ordinary stubs.

#include <string.h>

// The opcode numbers, from the generated opcode list.
#define OPCODE_NUMBER(op, handler) OP_##op,
enum { OPCODES(OPCODE_NUMBER) };

// Values are NaN-boxed (runtime/Values/Value.swift): every bit pattern below this one is a
// number, every other one a tagged value.
#define NUMBER_LIMIT 0xFFF9800000000000ULL

static inline int is_number(uint64_t v) { return v < NUMBER_LIMIT; }
static inline double number_of(uint64_t v) { double d; memcpy(&d, &v, sizeof d); return d; }
static inline uint64_t bits_of(double d) { uint64_t v; memcpy(&v, &d, sizeof v); return v; }

// The fields of an instruction (Sources/PerigeeFrontend/Bytecode.swift): opcode in the low
// byte, then A; B in the top byte and C below it, or D in the top half.
#define RA(ins) (((ins) >> 8) & 0xff)
#define RB(ins) ((ins) >> 24)
#define RC(ins) (((ins) >> 16) & 0xff)
#define RD(ins) ((ins) >> 16)
// A jump's offset is D less this bias.
#define JUMP_BIAS 0x8000

// A field at byte offset `offset` of the object at `p` (ObjectLayout.h).
#define FIELD(type, p, offset) (*(type *)((char *)(p) + (offset)))

// The run's constants (`InterpreterRun.k`): numbers at non-negative indices, objects below.
static inline const uint64_t *run_constants(void) { return FIELD(const uint64_t *, perigee_run, PERIGEE_RUN_K_OFFSET); }
static inline const uint64_t *run_numbers(void) { return run_constants(); }

// Goes on to the instruction at `pc`.
#define NEXT(base, pc) do { \
        uint32_t next_ins = *(pc); \
        __attribute__((musttail)) return active[next_ins & 0xff]((base), (pc) + 1, next_ins); \
    } while (0)

static void fast_MOV(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    base[RA(ins)] = base[RD(ins)];
    NEXT(base, pc);
}

static void fast_KSHORT(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    base[RA(ins)] = bits_of((double)(int16_t)RD(ins));
    NEXT(base, pc);
}

// A = B op C, with registers (VV), B a register and C a number constant (VN), or the
// reverse (NV).
#define ARITHMETIC_STUBS(name, op) \
    static void fast_##name##VV(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t x = base[RB(ins)], y = base[RC(ins)]; \
        if (__builtin_expect(is_number(x) && is_number(y), 1)) { \
            base[RA(ins)] = bits_of(number_of(x) op number_of(y)); \
            NEXT(base, pc); \
        } \
        __attribute__((musttail)) return stub_##name##VV(base, pc, ins); \
    } \
    static void fast_##name##VN(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t x = base[RB(ins)]; \
        if (__builtin_expect(is_number(x), 1)) { \
            base[RA(ins)] = bits_of(number_of(x) op number_of(run_numbers()[RC(ins)])); \
            NEXT(base, pc); \
        } \
        __attribute__((musttail)) return stub_##name##VN(base, pc, ins); \
    } \
    static void fast_##name##NV(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t y = base[RB(ins)]; \
        if (__builtin_expect(is_number(y), 1)) { \
            base[RA(ins)] = bits_of(number_of(run_numbers()[RC(ins)]) op number_of(y)); \
            NEXT(base, pc); \
        } \
        __attribute__((musttail)) return stub_##name##NV(base, pc, ins); \
    }
ARITHMETIC_STUBS(ADD, +)
ARITHMETIC_STUBS(SUB, -)
ARITHMETIC_STUBS(MUL, *)
ARITHMETIC_STUBS(DIV, /)

// Lua's modulo (`luaModulo`): a - floor(a / b) * b.
static inline double lua_modulo(double a, double b) { return a - __builtin_floor(a / b) * b; }
#define MODULO_STUB(form, x_expr, y_expr, check) \
    static void fast_MOD##form(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t x = (x_expr), y = (y_expr); \
        if (__builtin_expect(check, 1)) { \
            base[RA(ins)] = bits_of(lua_modulo(number_of(x), number_of(y))); \
            NEXT(base, pc); \
        } \
        __attribute__((musttail)) return stub_MOD##form(base, pc, ins); \
    }
MODULO_STUB(VV, base[RB(ins)], base[RC(ins)], is_number(x) && is_number(y))
MODULO_STUB(VN, base[RB(ins)], run_numbers()[RC(ins)], is_number(x))
MODULO_STUB(NV, run_numbers()[RC(ins)], base[RB(ins)], is_number(y))

// A comparison of registers A and D; the JMP after it is taken when `test` holds, else
// stepped over.
#define COMPARISON_STUB(name, test) \
    static void fast_##name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t x = base[RA(ins)], y = base[RD(ins)]; \
        if (__builtin_expect(is_number(x) && is_number(y), 1)) { \
            double a = number_of(x), b = number_of(y); \
            const uint32_t *next = (test) ? pc + 1 + ((int)RD(*pc) - JUMP_BIAS) : pc + 1; \
            NEXT(base, next); \
        } \
        __attribute__((musttail)) return stub_##name(base, pc, ins); \
    }
COMPARISON_STUB(ISLT, a < b)
COMPARISON_STUB(ISGE, !(a < b))
COMPARISON_STUB(ISLE, a <= b)
COMPARISON_STUB(ISGT, !(a <= b))

static void fast_JMP(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    NEXT(base, pc + ((int)RD(ins) - JUMP_BIAS));
}

// The JIT's hot counting (runtime/VM/HotCounters.swift): the run's VM's counters, with
// their flags at index -1. A count that leaves the counter at zero or above is done here;
// one that would run it out is left to the handler, which counts and fires the hook.
static inline int16_t *hot_counters(void) { return FIELD(int16_t *, perigee_run, PERIGEE_RUN_HOT_COUNTERS_OFFSET); }
static inline int count_without_firing(int flag, const void *at, int amount) {
    int16_t *counters = hot_counters();
    if (!(counters[-1] & flag)) return 1;
    int16_t *counter = counters + (((uintptr_t)at >> 2) & (PERIGEE_HOT_COUNTER_SLOTS - 1));
    if (*counter - amount < 0) return 0;
    *counter = (int16_t)(*counter - amount);
    return 1;
}

// A loop edge of the loop instruction at `at`: the instruction budget is charged the loop's
// cost (runtime/VM/InstructionBudget.swift) and a counting JIT counts 2; the handler takes
// over when the budget would be spent or the counter run out.
static inline int loop_edge_is_plain(const uint32_t *at, int64_t cost) {
    if (perigee_instruction_budget - cost < 0 || !count_without_firing(PERIGEE_HOT_COUNTING_LOOPS, at, 2)) return 0;
    perigee_instruction_budget -= cost;
    return 1;
}

// The edge of a loop the JIT gave up on (IFORL, ILOOP): charged to the instruction budget,
// never counted (counting it would only start recordings that the blacklist refuses).
static inline int loop_edge_is_charged(int64_t cost) {
    if (perigee_instruction_budget - cost < 0) return 0;
    perigee_instruction_budget -= cost;
    return 1;
}

// FORL: the control variable steps; the loop goes on while it stays within the limit (FORI
// made all three numbers). `plain` says whether the edge may run here.
#define FOR_LOOP_EDGE(name, plain) \
    static void fast_##name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        int offset = (int)RD(ins) - JUMP_BIAS; \
        if (__builtin_expect(plain, 1)) { \
            uint64_t *r = base + RA(ins); \
            double step = number_of(r[2]), i = number_of(r[0]) + step, limit = number_of(r[1]); \
            if (step >= 0 ? i <= limit : i >= limit) { \
                r[0] = r[3] = bits_of(i); \
                NEXT(base, pc + offset); \
            } \
            NEXT(base, pc); \
        } \
        __attribute__((musttail)) return stub_##name(base, pc, ins); \
    }
FOR_LOOP_EDGE(FORL, loop_edge_is_plain(pc - 1, -(int64_t)offset))
FOR_LOOP_EDGE(IFORL, loop_edge_is_charged(-(int64_t)offset))

// LOOP: the cost charged is the loop's length, as the interpreter's handler charges it.
#define LOOP_EDGE(name, plain) \
    static void fast_##name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        int offset = (int)RD(ins) - JUMP_BIAS; \
        int64_t cost = offset > 1 ? offset : (offset < -1 ? -offset : 1); \
        if (__builtin_expect(plain, 1)) NEXT(base, pc); \
        __attribute__((musttail)) return stub_##name(base, pc, ins); \
    }
LOOP_EDGE(LOOP, loop_edge_is_plain(pc - 1, cost))
LOOP_EDGE(ILOOP, loop_edge_is_charged(cost))

// MARK: constants, tests and unary operators

static void fast_KSTR(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    base[RA(ins)] = run_constants()[-1 - (int)RD(ins)];
    NEXT(base, pc);
}

static void fast_KNUM(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    base[RA(ins)] = run_numbers()[RD(ins)];
    NEXT(base, pc);
}

// nil, false or true, as KPRI's and ISEQP's D names them.
static inline uint64_t primitive(uint32_t d) {
    return d == 0 ? PERIGEE_NIL_BITS : (d == 1 ? PERIGEE_FALSE_BITS : PERIGEE_TRUE_BITS);
}

static void fast_KPRI(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    base[RA(ins)] = primitive(RD(ins));
    NEXT(base, pc);
}

static void fast_KNIL(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    for (uint32_t i = RA(ins), last = RD(ins); i <= last; i++) base[i] = PERIGEE_NIL_BITS;
    NEXT(base, pc);
}

static inline int is_truthy(uint64_t v) { return (v >> PERIGEE_TAG_SHIFT) < PERIGEE_FIRST_FALSY_ITYPE; }
static inline int is_cdata(uint64_t v) { return (v >> PERIGEE_TAG_SHIFT) == PERIGEE_CDATA_ITYPE; }

// After a test, the JMP at `pc` is taken or stepped over.
static inline const uint32_t *after_test(const uint32_t *pc, int taken) {
    return taken ? pc + 1 + ((int)RD(*pc) - JUMP_BIAS) : pc + 1;
}

static void fast_NOT(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    base[RA(ins)] = is_truthy(base[RD(ins)]) ? PERIGEE_FALSE_BITS : PERIGEE_TRUE_BITS;
    NEXT(base, pc);
}

static void fast_UNM(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t v = base[RD(ins)];
    if (__builtin_expect(is_number(v), 1)) {
        base[RA(ins)] = bits_of(-number_of(v));
        NEXT(base, pc);
    }
    __attribute__((musttail)) return stub_UNM(base, pc, ins);
}

static void fast_IST(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    NEXT(base, after_test(pc, is_truthy(base[RD(ins)])));
}
static void fast_ISF(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    NEXT(base, after_test(pc, !is_truthy(base[RD(ins)])));
}

// ISTC/ISFC: when the test holds, D is copied to A and the JMP taken.
static void fast_ISTC(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t v = base[RD(ins)];
    if (is_truthy(v)) { base[RA(ins)] = v; NEXT(base, after_test(pc, 1)); }
    NEXT(base, pc + 1);
}
static void fast_ISFC(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t v = base[RD(ins)];
    if (!is_truthy(v)) { base[RA(ins)] = v; NEXT(base, after_test(pc, 1)); }
    NEXT(base, pc + 1);
}

// Equality with a constant: strings and primitives by their bits, numbers by value (NaN is
// never equal). A cdata operand goes to the handler (the FFI's comparison).
#define EQUALITY_STUB(name, equal, whenEqual) \
    static void fast_##name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t x = base[RA(ins)]; \
        if (__builtin_expect(!is_cdata(x), 1)) NEXT(base, after_test(pc, (equal) == (whenEqual))); \
        __attribute__((musttail)) return stub_##name(base, pc, ins); \
    }
EQUALITY_STUB(ISEQS, x == run_constants()[-1 - (int)RD(ins)], 1)
EQUALITY_STUB(ISNES, x == run_constants()[-1 - (int)RD(ins)], 0)
EQUALITY_STUB(ISEQN, is_number(x) && number_of(x) == number_of(run_numbers()[RD(ins)]), 1)
EQUALITY_STUB(ISNEN, is_number(x) && number_of(x) == number_of(run_numbers()[RD(ins)]), 0)
EQUALITY_STUB(ISEQP, x == primitive(RD(ins)), 1)
EQUALITY_STUB(ISNEP, x == primitive(RD(ins)), 0)

// MARK: tables and upvalues

static inline int is_table(uint64_t v) { return (v >> PERIGEE_TAG_SHIFT) == PERIGEE_TABLE_ITYPE; }
static inline int is_string(uint64_t v) { return (v >> PERIGEE_TAG_SHIFT) == PERIGEE_STRING_ITYPE; }
static inline char *object_of(uint64_t v) { return (char *)(uintptr_t)(v & PERIGEE_PAYLOAD_MASK); }
static inline int is_collectable(uint64_t v) {
    return (v >> PERIGEE_TAG_SHIFT) - PERIGEE_FIRST_COLLECTABLE_ITYPE <= PERIGEE_LAST_COLLECTABLE_ITYPE - PERIGEE_FIRST_COLLECTABLE_ITYPE;
}
static inline int has_metatable(const char *t) { return FIELD(void *, t, PERIGEE_TABLE_METATABLE) != 0; }

// The array part's slot of number key `d` (key 0's slot is just below key 1's), or null.
static inline uint64_t *array_slot(char *t, double d) {
    uint32_t limit = FIELD(uint32_t, t, PERIGEE_TABLE_ARRAY_LIMIT);
    if (!(d >= 0 && d < (double)limit)) return 0;
    int64_t k = (int64_t)d;
    if ((double)k != d) return 0;
    return FIELD(uint64_t *, t, PERIGEE_TABLE_ARRAY) + (k - 1);
}

// Keeps the table's border hint true after storing `v` over `old` at array key `k`: the
// rule of runtime/Objects/TableBorder.swift (`noteArrayStore`). A value over a value changes
// nothing.
static inline void note_array_store(char *t, uint32_t k, uint64_t old, uint64_t v) {
    if ((old == PERIGEE_NIL_BITS) == (v == PERIGEE_NIL_BITS)) return;
    uint64_t b = FIELD(uint32_t, t, PERIGEE_TABLE_BORDER);
    if (v == PERIGEE_NIL_BITS) FIELD(uint32_t, t, PERIGEE_TABLE_BORDER) = k == b ? k - 1 : UINT32_MAX;
    else FIELD(uint32_t, t, PERIGEE_TABLE_BORDER) = k == b + 1 ? k : UINT32_MAX;
}

// The hash node of string key `key` (its bits), or null.
static inline char *string_node(char *t, uint64_t key) {
    uint32_t hash = FIELD(uint32_t, object_of(key), PERIGEE_STRING_HASH);
    char *node = FIELD(char *, t, PERIGEE_TABLE_NODE)
        + (size_t)(hash & FIELD(uint32_t, t, PERIGEE_TABLE_HASH_MASK)) * PERIGEE_NODE_SIZE;
    do {
        if (FIELD(uint64_t, node, PERIGEE_NODE_KEY) == key) return node;
        node = FIELD(char *, node, PERIGEE_NODE_NEXT);
    } while (node);
    return 0;
}

// A read that found `v` in the table itself answers unless it is nil and a metatable may
// have `__index`.
static inline int plain_read(const char *t, uint64_t v) { return v != PERIGEE_NIL_BITS || !has_metatable(t); }

// A store into an existing slot needs nothing more unless the slot is nil and a metatable
// may have `__newindex`, or the table is black and the value collectable (the collector's
// barrier): `plainStore` in runtime/Interpreter/InterpreterHandlers.swift.
static inline int plain_store(const char *t, const uint64_t *slot, uint64_t v) {
    return (*slot != PERIGEE_NIL_BITS || !has_metatable(t))
        && !(is_collectable(v) && (FIELD(uint8_t, t, PERIGEE_TABLE_MARKED) & PERIGEE_GC_BLACK));
}

// A string-keyed store into an existing node: done when it needs nothing more. As every
// string-keyed store, it forgets which metamethods were known absent (the table may be a
// metatable).
static inline int store_in_node(char *t, char *node, uint64_t v) {
    if (!node || !plain_store(t, &FIELD(uint64_t, node, PERIGEE_NODE_VALUE), v)) return 0;
    FIELD(uint8_t, t, PERIGEE_TABLE_ABSENT_METAMETHODS) = 0;
    FIELD(uint64_t, node, PERIGEE_NODE_VALUE) = v;
    return 1;
}

// A string key's value inherited through `__index` tables (`indexThroughTables`), for a
// table `t` that has a metatable and no value of its own at the key: nil when `__index` is
// absent, else the value of the first table along the chain (two at most here) that has
// one or has no metatable. 0 when the handler must decide (a function handler, a longer
// chain).
static inline int inherited_value(char *t, uint64_t key, uint64_t *value) {
    char *names = FIELD(char *, FIELD(char *, perigee_run, PERIGEE_RUN_GLOBAL_OFFSET), PERIGEE_GLOBAL_METAMETHOD_NAMES);
    uint64_t index_name = (PERIGEE_STRING_ITYPE << PERIGEE_TAG_SHIFT) | (uint64_t)(uintptr_t)FIELD(char *, names, 0);
    for (int depth = 0; depth < 2; depth++) {
        char *mt = FIELD(char *, t, PERIGEE_TABLE_METATABLE);
        char *node = FIELD(uint8_t, mt, PERIGEE_TABLE_ABSENT_METAMETHODS) & PERIGEE_INDEX_ABSENT_BIT ? 0 : string_node(mt, index_name);
        uint64_t handler = node ? FIELD(uint64_t, node, PERIGEE_NODE_VALUE) : PERIGEE_NIL_BITS;
        if (handler == PERIGEE_NIL_BITS) { *value = PERIGEE_NIL_BITS; return 1; }
        if (!is_table(handler)) return 0;
        t = object_of(handler);
        node = string_node(t, key);
        uint64_t v = node ? FIELD(uint64_t, node, PERIGEE_NODE_VALUE) : PERIGEE_NIL_BITS;
        if (v != PERIGEE_NIL_BITS || !has_metatable(t)) { *value = v; return 1; }
    }
    return 0;
}

// The Swift parts that finish a string-keyed access the fast stub could not: the table
// was looked in already (or is not a table).
PerigeeStep perigee_tgets_other(uint64_t *base, const uint32_t *pc, uint32_t ins);
PerigeeStep perigee_tsets_other(uint64_t *base, const uint32_t *pc, uint32_t ins);
__attribute__((noinline)) static void stub_TGETS_other(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    PerigeeStep next = perigee_tgets_other(base, pc, ins);
    DISPATCH(next);
}
__attribute__((noinline)) static void stub_TSETS_other(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    PerigeeStep next = perigee_tsets_other(base, pc, ins);
    DISPATCH(next);
}

static void fast_TGETV(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t t = base[RB(ins)], key = base[RC(ins)];
    if (is_table(t)) {
        char *tab = object_of(t);
        if (is_number(key)) {
            uint64_t *slot = array_slot(tab, number_of(key));
            if (slot && plain_read(tab, *slot)) {
                base[RA(ins)] = *slot;
                NEXT(base, pc);
            }
        } else if (is_string(key)) {
            char *node = string_node(tab, key);
            if (node && FIELD(uint64_t, node, PERIGEE_NODE_VALUE) != PERIGEE_NIL_BITS) {
                base[RA(ins)] = FIELD(uint64_t, node, PERIGEE_NODE_VALUE);
                NEXT(base, pc);
            }
        }
    }
    __attribute__((musttail)) return stub_TGETV(base, pc, ins);
}

static void fast_TGETB(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t t = base[RB(ins)];
    uint32_t c = RC(ins);
    if (is_table(t)) {
        char *tab = object_of(t);
        if (c < FIELD(uint32_t, tab, PERIGEE_TABLE_ARRAY_LIMIT)) {
            uint64_t v = FIELD(uint64_t *, tab, PERIGEE_TABLE_ARRAY)[(int)c - 1];
            if (plain_read(tab, v)) {
                base[RA(ins)] = v;
                NEXT(base, pc);
            }
        }
    }
    __attribute__((musttail)) return stub_TGETB(base, pc, ins);
}

static void fast_TGETS(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t t = base[RB(ins)];
    if (is_table(t)) {
        char *tab = object_of(t);
        uint64_t key = run_constants()[-1 - (int)RC(ins)];
        char *node = string_node(tab, key);
        uint64_t v = node ? FIELD(uint64_t, node, PERIGEE_NODE_VALUE) : PERIGEE_NIL_BITS;
        if (plain_read(tab, v) || inherited_value(tab, key, &v)) {
            base[RA(ins)] = v;
            NEXT(base, pc);
        }
    }
    __attribute__((musttail)) return stub_TGETS_other(base, pc, ins);
}

// LEN of a table whose border hint is known and whose array part ends in nil: the hint
// (`GCTable.length`, runtime/Objects/TableIteration.swift).
static void fast_LEN(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t v = base[RD(ins)];
    if (is_table(v)) {
        char *t = object_of(v);
        uint32_t border = FIELD(uint32_t, t, PERIGEE_TABLE_BORDER), limit = FIELD(uint32_t, t, PERIGEE_TABLE_ARRAY_LIMIT);
        if (border != UINT32_MAX && limit > 1 && FIELD(uint64_t *, t, PERIGEE_TABLE_ARRAY)[limit - 2] == PERIGEE_NIL_BITS) {
            base[RA(ins)] = bits_of((double)border);
            NEXT(base, pc);
        }
    }
    __attribute__((musttail)) return stub_LEN(base, pc, ins);
}

static void fast_TSETV(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t t = base[RB(ins)], key = base[RC(ins)];
    if (is_table(t)) {
        char *tab = object_of(t);
        uint64_t v = base[RA(ins)];
        if (is_number(key)) {
            uint64_t *slot = array_slot(tab, number_of(key));
            if (slot && plain_store(tab, slot, v)) {
                uint64_t old = *slot;
                *slot = v;
                note_array_store(tab, (uint32_t)(slot - FIELD(uint64_t *, tab, PERIGEE_TABLE_ARRAY)) + 1, old, v);
                NEXT(base, pc);
            }
        } else if (is_string(key) && store_in_node(tab, string_node(tab, key), v)) {
            NEXT(base, pc);
        }
    }
    __attribute__((musttail)) return stub_TSETV(base, pc, ins);
}

static void fast_TSETB(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t t = base[RB(ins)];
    uint32_t c = RC(ins);
    if (is_table(t)) {
        char *tab = object_of(t);
        if (c < FIELD(uint32_t, tab, PERIGEE_TABLE_ARRAY_LIMIT)) {
            uint64_t *slot = FIELD(uint64_t *, tab, PERIGEE_TABLE_ARRAY) + ((int)c - 1);
            uint64_t v = base[RA(ins)];
            if (plain_store(tab, slot, v)) {
                uint64_t old = *slot;
                *slot = v;
                note_array_store(tab, c, old, v);
                NEXT(base, pc);
            }
        }
    }
    __attribute__((musttail)) return stub_TSETB(base, pc, ins);
}

static void fast_TSETS(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    uint64_t t = base[RB(ins)];
    if (is_table(t)) {
        char *tab = object_of(t);
        if (store_in_node(tab, string_node(tab, run_constants()[-1 - (int)RC(ins)]), base[RA(ins)])) NEXT(base, pc);
    }
    __attribute__((musttail)) return stub_TSETS_other(base, pc, ins);
}

// GGET: a global found in the running closure's environment, or absent from one without a
// metatable.
static void fast_GGET(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    char *env = FIELD(char *, FIELD(char *, perigee_run, PERIGEE_RUN_CLOSURE_OFFSET), PERIGEE_FUNCTION_ENV);
    char *node = string_node(env, run_constants()[-1 - (int)RD(ins)]);
    uint64_t v = node ? FIELD(uint64_t, node, PERIGEE_NODE_VALUE) : PERIGEE_NIL_BITS;
    if (plain_read(env, v)) {
        base[RA(ins)] = v;
        NEXT(base, pc);
    }
    __attribute__((musttail)) return stub_GGET(base, pc, ins);
}

// UGET: the value of the running closure's upvalue D.
static void fast_UGET(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    char *closure = FIELD(char *, perigee_run, PERIGEE_RUN_CLOSURE_OFFSET);
    char *upvalue = FIELD(char *, closure, PERIGEE_FUNCTION_UPVALUES + 8 * (size_t)RD(ins));
    base[RA(ins)] = *FIELD(uint64_t *, upvalue, PERIGEE_UPVALUE_VALUE);
    NEXT(base, pc);
}

// MARK: calls and returns between Lua functions

// Whether a call may enter its callee past the callee's FUNCF, as the handlers'
// `enterLuaFunction` does: nothing watches instructions (hook, recorder, profiler) or calls
// (call hook), and the instruction budget is not spent. (A JIT counting function entries
// is counted for in the call, below.)
static inline int entry_is_plain(void) { return perigee_plain_entry && perigee_instruction_budget > 0; }

// A call that left one result in register A and wants another count: all of them (the
// call is a CALLM's last argument: there is one), or more (nils).
__attribute__((noinline)) static void adjust_one_result(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    if (RB(ins) == 0) FIELD(int64_t, perigee_run, PERIGEE_RUN_MULTRES_OFFSET) = 1;
    for (uint32_t i = 1; i + 1 < RB(ins); i++) base[RA(ins) + i] = PERIGEE_NIL_BITS;
    NEXT(base, pc);
}

// A numeric fast function (NumericFastFunctions.h) called by CALL/CALLM `ins` on numbers,
// wanting one result, more, or all of them, is answered here; anything else goes to the
// instruction's handler. Out of line, so that the call stubs' path into Lua functions keeps
// its short code; the `bit` operations have a stub of their own that calls nothing (so
// saves no registers).
#define NUMERIC_CALL_STUB(name, result) \
    __attribute__((noinline)) static void name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t *r = base + RA(ins); \
        char *f = object_of(r[0]); \
        uint8_t id = FIELD(uint8_t, f, PERIGEE_FUNCTION_FFID); \
        int64_t n = (int64_t)RC(ins) - 1; \
        int multi = (ins & 0xff) == OP_CALLM; \
        if (multi) n += 1 + FIELD(int64_t, perigee_run, PERIGEE_RUN_MULTRES_OFFSET); \
        double value; \
        if (RB(ins) != 1 && (result)) { \
            r[0] = bits_of(value); \
            if (RB(ins) != 2) { __attribute__((musttail)) return adjust_one_result(base, pc, ins); } \
            NEXT(base, pc); \
        } \
        if (multi) { __attribute__((musttail)) return stub_CALLM(base, pc, ins); } \
        __attribute__((musttail)) return stub_CALL(base, pc, ins); \
    }
NUMERIC_CALL_STUB(stub_call_bit, perigee_bit_result(id, r + 2, n, &value))
NUMERIC_CALL_STUB(stub_call_math, perigee_math_result(id, f, r + 2, n, &value))

// CALL and CALLM of a Lua function with a FUNCF header (fixed parameters, all passed; no
// native code) whose frame fits the stack: the frame is set up as `enterLuaFunction` and
// FUNCF set it up, and the callee's second instruction runs. A numeric fast function goes
// to `stub_call_bit` or `stub_call_math`. Anything else goes to the handler. (Macros, not
// functions: a guaranteed tail call needs the stub's own signature. The test of the callee
// jumps to the path it chose, so that neither path saves the registers the other needs.)
#define CALL_STUB(name, argument_count) \
    __attribute__((noinline)) static void enter_lua_##name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t *r = base + RA(ins); \
        char *f = object_of(r[0]); \
        if (entry_is_plain()) { \
            int64_t n = (argument_count); \
            char *p = FIELD(char *, f, PERIGEE_FUNCTION_TARGET); \
            const uint32_t *code = FIELD(const uint32_t *, p, PERIGEE_PROTO_BYTECODE); \
            char *run = perigee_run; \
            char *L = FIELD(char *, run, PERIGEE_RUN_THREAD_OFFSET); \
            uint64_t *stack = FIELD(uint64_t *, L, PERIGEE_THREAD_STACK); \
            uint64_t *frame = r + 2; \
            int64_t frame_size = FIELD(uint8_t, p, PERIGEE_PROTO_FRAME_SIZE); \
            if ((FIELD(uint8_t, p, PERIGEE_PROTO_FLAGS) & (PERIGEE_PROTO_VARARG | PERIGEE_PROTO_COMPILED)) == 0 \
                && ((code[0] & 0xff) == OP_FUNCF || (code[0] & 0xff) == OP_IFUNCF) \
                && n >= FIELD(uint8_t, p, PERIGEE_PROTO_PARAMETER_COUNT) \
                && frame + frame_size + PERIGEE_ENTRY_SLACK <= stack + FIELD(uint32_t, L, PERIGEE_THREAD_STACK_SIZE) \
                /* A function the JIT gave up on (IFUNCF) is not counted. */ \
                && ((code[0] & 0xff) == OP_IFUNCF || count_without_firing(PERIGEE_HOT_COUNTING_FUNCTIONS, code, 1))) { \
                perigee_instruction_budget -= 1; \
                r[1] = (uint64_t)(uintptr_t)pc; \
                FIELD(char *, run, PERIGEE_RUN_CLOSURE_OFFSET) = f; \
                FIELD(uint64_t *, run, PERIGEE_RUN_K_OFFSET) = FIELD(uint64_t *, p, PERIGEE_PROTO_NUMBERS); \
                FIELD(uint64_t *, run, PERIGEE_RUN_BASE_OFFSET) = frame; \
                FIELD(int64_t, run, PERIGEE_RUN_NARGS_OFFSET) = n; \
                FIELD(const uint32_t *, run, PERIGEE_RUN_PC_OFFSET) = code + 1; \
                uint32_t index = (uint32_t)(frame - stack); \
                FIELD(uint32_t, L, PERIGEE_THREAD_BASE) = index; \
                FIELD(uint32_t, L, PERIGEE_THREAD_TOP) = index + (uint32_t)(frame_size > n ? frame_size : n); \
                NEXT(frame, code + 1); \
            } \
        } \
        __attribute__((musttail)) return stub_##name(base, pc, ins); \
    } \
    static void fast_##name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t callee = base[RA(ins)]; \
        if ((callee >> PERIGEE_TAG_SHIFT) == PERIGEE_FUNCTION_ITYPE) { \
            uint8_t id = FIELD(uint8_t, object_of(callee), PERIGEE_FUNCTION_FFID); \
            if (id == 0) { __attribute__((musttail)) return enter_lua_##name(base, pc, ins); } \
            if (perigee_numeric_calls && perigee_is_numeric_fast_function(id)) { \
                if (perigee_is_bit_operation(id)) { __attribute__((musttail)) return stub_call_bit(base, pc, ins); } \
                __attribute__((musttail)) return stub_call_math(base, pc, ins); \
            } \
        } \
        __attribute__((musttail)) return stub_##name(base, pc, ins); \
    }
CALL_STUB(CALL, (int64_t)RC(ins) - 1)
CALL_STUB(CALLM, (int64_t)RC(ins) + FIELD(int64_t, perigee_run, PERIGEE_RUN_MULTRES_OFFSET))

// A return of `count` results from register A to a Lua caller, from a frame that is not the
// run's exit frame and has no open upvalues: the results move down to the caller's call
// slot, adjusted to what it wants (all of them: `multres` says how many), the caller's frame
// is republished and its next instruction runs (`returnInstruction`, `returnToLua`).
// Anything else goes to the handler.
#define RETURN_STUB(name, result_count) \
    static void fast_##name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t link = base[-1]; \
        if ((link & PERIGEE_RETURN_PC_MASK) == 0) { \
            int count = (result_count); \
            char *run = perigee_run; \
            char *L = FIELD(char *, run, PERIGEE_RUN_THREAD_OFFSET); \
            uint64_t *stack = FIELD(uint64_t *, L, PERIGEE_THREAD_STACK); \
            int64_t exit_base = FIELD(int64_t, run, PERIGEE_RUN_EXIT_BASE_OFFSET); \
            char *open = FIELD(char *, L, PERIGEE_THREAD_OPEN_UPVALUES); \
            if ((exit_base < 0 || base != stack + exit_base) \
                && (open == 0 || FIELD(uint64_t *, open, PERIGEE_UPVALUE_VALUE) < base)) { \
                const uint32_t *return_pc = (const uint32_t *)(uintptr_t)link; \
                uint32_t call_ins = return_pc[-1]; \
                int wanted = (int)RB(call_ins) - 1; \
                uint64_t *dst = base - 2, *first = base + RA(ins); \
                if (wanted == count) { \
                    for (int i = 0; i < count; i++) dst[i] = first[i]; \
                } else if (wanted < 0) { \
                    for (int i = 0; i < count; i++) dst[i] = first[i]; \
                    FIELD(int64_t, run, PERIGEE_RUN_MULTRES_OFFSET) = count; \
                } else { \
                    for (int i = 0; i < wanted; i++) dst[i] = i < count ? first[i] : PERIGEE_NIL_BITS; \
                } \
                uint64_t *caller = dst - RA(call_ins); \
                char *closure = object_of(caller[-2]); \
                char *p = FIELD(char *, closure, PERIGEE_FUNCTION_TARGET); \
                FIELD(char *, run, PERIGEE_RUN_CLOSURE_OFFSET) = closure; \
                FIELD(uint64_t *, run, PERIGEE_RUN_K_OFFSET) = FIELD(uint64_t *, p, PERIGEE_PROTO_NUMBERS); \
                uint32_t index = (uint32_t)(caller - stack); \
                uint32_t top = index + FIELD(uint8_t, p, PERIGEE_PROTO_FRAME_SIZE); \
                uint32_t results_end = (uint32_t)(dst - stack) + (uint32_t)count; \
                FIELD(uint32_t, L, PERIGEE_THREAD_BASE) = index; \
                FIELD(uint32_t, L, PERIGEE_THREAD_TOP) = wanted < 0 && top < results_end ? results_end : top; \
                NEXT(caller, return_pc); \
            } \
        } \
        __attribute__((musttail)) return stub_##name(base, pc, ins); \
    }
RETURN_STUB(RET0, 0)
RETURN_STUB(RET1, 1)
RETURN_STUB(RET, (int)RD(ins) - 1)
RETURN_STUB(RETM, (int)RD(ins) + (int)FIELD(int64_t, perigee_run, PERIGEE_RUN_MULTRES_OFFSET))

#define FAST_STUB_ENTRIES \
    [OP_MOV] = fast_MOV, [OP_KSHORT] = fast_KSHORT, \
    [OP_ADDVV] = fast_ADDVV, [OP_SUBVV] = fast_SUBVV, [OP_MULVV] = fast_MULVV, [OP_DIVVV] = fast_DIVVV, \
    [OP_ADDVN] = fast_ADDVN, [OP_SUBVN] = fast_SUBVN, [OP_MULVN] = fast_MULVN, [OP_DIVVN] = fast_DIVVN, \
    [OP_MODVV] = fast_MODVV, [OP_MODVN] = fast_MODVN, [OP_MODNV] = fast_MODNV, \
    [OP_ADDNV] = fast_ADDNV, [OP_SUBNV] = fast_SUBNV, [OP_MULNV] = fast_MULNV, [OP_DIVNV] = fast_DIVNV, \
    [OP_TGETV] = fast_TGETV, [OP_TGETB] = fast_TGETB, [OP_TGETS] = fast_TGETS, \
    [OP_TSETV] = fast_TSETV, [OP_TSETB] = fast_TSETB, [OP_TSETS] = fast_TSETS, [OP_UGET] = fast_UGET, \
    [OP_LEN] = fast_LEN, \
    [OP_KSTR] = fast_KSTR, [OP_KNUM] = fast_KNUM, [OP_KPRI] = fast_KPRI, [OP_KNIL] = fast_KNIL, \
    [OP_NOT] = fast_NOT, [OP_UNM] = fast_UNM, [OP_IST] = fast_IST, [OP_ISF] = fast_ISF, \
    [OP_ISTC] = fast_ISTC, [OP_ISFC] = fast_ISFC, [OP_ISEQS] = fast_ISEQS, [OP_ISNES] = fast_ISNES, \
    [OP_ISEQN] = fast_ISEQN, [OP_ISNEN] = fast_ISNEN, [OP_ISEQP] = fast_ISEQP, [OP_ISNEP] = fast_ISNEP, \
    [OP_GGET] = fast_GGET, [OP_CALL] = fast_CALL, [OP_CALLM] = fast_CALLM, \
    [OP_RET0] = fast_RET0, [OP_RET1] = fast_RET1, [OP_RET] = fast_RET, [OP_RETM] = fast_RETM, \
    [OP_JMP] = fast_JMP, [OP_FORL] = fast_FORL, [OP_LOOP] = fast_LOOP, [OP_IFORL] = fast_IFORL, [OP_ILOOP] = fast_ILOOP, \
    [OP_ISLT] = fast_ISLT, [OP_ISGE] = fast_ISGE, [OP_ISLE] = fast_ISLE, [OP_ISGT] = fast_ISGT,
