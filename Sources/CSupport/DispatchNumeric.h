// Numeric stubs: the opcodes whose common case is plain number work (moves, short
// constants, arithmetic and comparisons of two numbers) do it right in their stub, with
// no call to their Swift handler, and go on to the next instruction. Any other operands
// (strings to convert, metamethods, errors) go to the opcode's ordinary stub, whose handler
// does it all, the number case included: the handlers stay the instructions' definition,
// and these stubs repeat only IEEE arithmetic on operands both known to be numbers.
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

// The run's number constants (`InterpreterRun.k`).
static inline const uint64_t *run_numbers(void) {
    return *(const uint64_t *const *)((const char *)perigee_run + PERIGEE_RUN_K_OFFSET);
}

// Goes on to the instruction at `pc`.
#define NEXT(base, pc) do { \
        uint32_t next_ins = *(pc); \
        __attribute__((musttail)) return active[next_ins & 0xff]((base), (pc) + 1, next_ins); \
    } while (0)

static void numeric_MOV(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    base[RA(ins)] = base[RD(ins)];
    NEXT(base, pc);
}

static void numeric_KSHORT(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    base[RA(ins)] = bits_of((double)(int16_t)RD(ins));
    NEXT(base, pc);
}

// A = B op C, with registers (VV), B a register and C a number constant (VN), or the
// reverse (NV).
#define ARITHMETIC_STUBS(name, op) \
    static void numeric_##name##VV(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t x = base[RB(ins)], y = base[RC(ins)]; \
        if (__builtin_expect(is_number(x) && is_number(y), 1)) { \
            base[RA(ins)] = bits_of(number_of(x) op number_of(y)); \
            NEXT(base, pc); \
        } \
        __attribute__((musttail)) return stub_##name##VV(base, pc, ins); \
    } \
    static void numeric_##name##VN(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        uint64_t x = base[RB(ins)]; \
        if (__builtin_expect(is_number(x), 1)) { \
            base[RA(ins)] = bits_of(number_of(x) op number_of(run_numbers()[RC(ins)])); \
            NEXT(base, pc); \
        } \
        __attribute__((musttail)) return stub_##name##VN(base, pc, ins); \
    } \
    static void numeric_##name##NV(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
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

// A comparison of registers A and D; the JMP after it is taken when `test` holds, else
// stepped over.
#define COMPARISON_STUB(name, test) \
    static void numeric_##name(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
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

static void numeric_JMP(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    NEXT(base, pc + ((int)RD(ins) - JUMP_BIAS));
}

// Loop edges, while no JIT counts loops: the instruction budget is charged the loop's cost
// (runtime/VM/InstructionBudget.swift), and the handler takes over when that would spend it.
static inline int loop_edge_is_plain(int64_t cost) {
    if (perigee_counting_loops != 0 || perigee_instruction_budget - cost < 0) return 0;
    perigee_instruction_budget -= cost;
    return 1;
}

// FORL: the control variable steps; the loop goes on while it stays within the limit (FORI
// made all three numbers).
static void numeric_FORL(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    int offset = (int)RD(ins) - JUMP_BIAS;
    if (__builtin_expect(loop_edge_is_plain(-(int64_t)offset), 1)) {
        uint64_t *r = base + RA(ins);
        double step = number_of(r[2]), i = number_of(r[0]) + step, limit = number_of(r[1]);
        if (step >= 0 ? i <= limit : i >= limit) {
            r[0] = r[3] = bits_of(i);
            NEXT(base, pc + offset);
        }
        NEXT(base, pc);
    }
    __attribute__((musttail)) return stub_FORL(base, pc, ins);
}

static void numeric_LOOP(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    int offset = (int)RD(ins) - JUMP_BIAS;
    if (__builtin_expect(loop_edge_is_plain(offset > 1 ? offset : (offset < -1 ? -offset : 1)), 1)) NEXT(base, pc);
    __attribute__((musttail)) return stub_LOOP(base, pc, ins);
}

#define NUMERIC_STUB_ENTRIES \
    [OP_MOV] = numeric_MOV, [OP_KSHORT] = numeric_KSHORT, \
    [OP_ADDVV] = numeric_ADDVV, [OP_SUBVV] = numeric_SUBVV, [OP_MULVV] = numeric_MULVV, [OP_DIVVV] = numeric_DIVVV, \
    [OP_ADDVN] = numeric_ADDVN, [OP_SUBVN] = numeric_SUBVN, [OP_MULVN] = numeric_MULVN, [OP_DIVVN] = numeric_DIVVN, \
    [OP_ADDNV] = numeric_ADDNV, [OP_SUBNV] = numeric_SUBNV, [OP_MULNV] = numeric_MULNV, [OP_DIVNV] = numeric_DIVNV, \
    [OP_JMP] = numeric_JMP, [OP_FORL] = numeric_FORL, [OP_LOOP] = numeric_LOOP, \
    [OP_ISLT] = numeric_ISLT, [OP_ISGE] = numeric_ISGE, [OP_ISLE] = numeric_ISLE, [OP_ISGT] = numeric_ISGT,
