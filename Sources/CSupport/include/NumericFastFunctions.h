// The numeric fast functions: the `math` functions and every `bit` operation but `tohex`.
// Each reads number arguments only and answers one number, without allocating, raising an
// error or touching anything of the run's, so a call instruction may answer such a call on
// its registers before anything else. This is their one definition: the interpreter's call
// stubs (DispatchFastPaths.h) and its general fast-function path
// (runtime/Interpreter/NumericFastFunctions.swift) both call `perigee_numeric_result`.
#ifndef PERIGEE_NUMERIC_FAST_FUNCTIONS_H
#define PERIGEE_NUMERIC_FAST_FUNCTIONS_H

#include "ObjectLayout.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// Fast-function ids (runtime/CompiledCode/FastFunctions.swift: `FastFunction.sqrt` to
// `.fmod`, then `FastBuiltin.mathUnary` to `.ror`, the `bit` operations last).
// InterpreterLayoutTests checks them against the Swift enums.
enum {
    PERIGEE_FF_SQRT = 2, PERIGEE_FF_FLOOR, PERIGEE_FF_CEIL, PERIGEE_FF_ABS, PERIGEE_FF_SIN,
    PERIGEE_FF_COS, PERIGEE_FF_TAN, PERIGEE_FF_EXP, PERIGEE_FF_LOG, PERIGEE_FF_MIN,
    PERIGEE_FF_MAX, PERIGEE_FF_FMOD,
    PERIGEE_FF_MATH_UNARY = 16, PERIGEE_FF_MATH_BINARY, PERIGEE_FF_ATAN,
    PERIGEE_FF_TOBIT, PERIGEE_FF_BNOT, PERIGEE_FF_BSWAP, PERIGEE_FF_BAND, PERIGEE_FF_BOR,
    PERIGEE_FF_BXOR, PERIGEE_FF_LSHIFT, PERIGEE_FF_RSHIFT, PERIGEE_FF_ARSHIFT, PERIGEE_FF_ROL,
    PERIGEE_FF_ROR
};

// Whether `id` names a numeric fast function: two ranges of consecutive ids.
static inline int perigee_is_numeric_fast_function(uint8_t id) {
    return (uint8_t)(id - PERIGEE_FF_SQRT) <= PERIGEE_FF_FMOD - PERIGEE_FF_SQRT
        || (uint8_t)(id - PERIGEE_FF_MATH_UNARY) <= PERIGEE_FF_ROR - PERIGEE_FF_MATH_UNARY;
}

static inline int perigee_nff_is_number(uint64_t v) { return v < 0xFFF9800000000000ULL; }
static inline double perigee_nff_number(uint64_t v) { double d; memcpy(&d, &v, sizeof d); return d; }
static inline uint64_t perigee_nff_bits(double d) { uint64_t v; memcpy(&v, &d, sizeof v); return v; }

// ToBit: the number's low 32 bits after rounding, as luajit's `bit.tobit` (adding 2^52+2^51
// leaves them in the mantissa's low word).
static inline int32_t perigee_to_bit(double d) { return (int32_t)(uint32_t)perigee_nff_bits(d + 6755399441055744.0); }

// The C function a `math` builtin without a case of its own calls (its upvalue 0, a light
// userdata: LibraryBasics.swift's `unaryMathFunction`/`binaryMathFunction`).
static inline void *_Nonnull perigee_math_function(const void *_Nonnull function) {
    uint64_t v;
    memcpy(&v, (const char *)function + PERIGEE_FUNCTION_UPVALUES, sizeof v);
    return (void *)(uintptr_t)(v & PERIGEE_PAYLOAD_MASK);
}

// The `bit` operations (ids PERIGEE_FF_TOBIT to PERIGEE_FF_ROR) on the `n` values at
// `args`: 1 and the result in `out`, or 0 when the builtin itself must answer (too few
// arguments, one that is not a number). No call in it, so a caller that knows the id is a
// `bit` one keeps a leaf's short code.
static inline int perigee_bit_result(uint8_t id, const uint64_t *_Nonnull args, int64_t n, double *_Nonnull out) {
    if (n < 1 || !perigee_nff_is_number(args[0])) return 0;
    int32_t x = perigee_to_bit(perigee_nff_number(args[0]));
    uint32_t u = (uint32_t)x;
    switch (id) {
    case PERIGEE_FF_TOBIT: *out = x; return 1;
    case PERIGEE_FF_BNOT: *out = ~x; return 1;
    case PERIGEE_FF_BSWAP: *out = (int32_t)__builtin_bswap32(u); return 1;
    case PERIGEE_FF_BAND: case PERIGEE_FF_BOR: case PERIGEE_FF_BXOR:
        for (int64_t i = 1; i < n; i++) {
            if (!perigee_nff_is_number(args[i])) return 0;
            int32_t y = perigee_to_bit(perigee_nff_number(args[i]));
            x = id == PERIGEE_FF_BAND ? (x & y) : id == PERIGEE_FF_BOR ? (x | y) : (x ^ y);
        }
        *out = x;
        return 1;
    }
    if (n < 2 || !perigee_nff_is_number(args[1])) return 0;
    uint32_t k = (uint32_t)perigee_to_bit(perigee_nff_number(args[1])) & 31;
    switch (id) {
    case PERIGEE_FF_LSHIFT: *out = (int32_t)(u << k); return 1;
    case PERIGEE_FF_RSHIFT: *out = (int32_t)(u >> k); return 1;
    case PERIGEE_FF_ARSHIFT: *out = x >> k; return 1;
    case PERIGEE_FF_ROL: *out = (int32_t)((u << k) | (u >> ((32 - k) & 31))); return 1;
    case PERIGEE_FF_ROR: *out = (int32_t)((u >> k) | (u << ((32 - k) & 31))); return 1;
    }
    return 0;
}

// Whether `id` is a `bit` operation's.
static inline int perigee_is_bit_operation(uint8_t id) { return (uint8_t)(id - PERIGEE_FF_TOBIT) <= PERIGEE_FF_ROR - PERIGEE_FF_TOBIT; }

// The `math` functions among them (the builtin `function`), as `perigee_bit_result`.
// `math.min`/`math.max` keep the first value unless another is strictly better, so NaN and
// -0 come out as in luajit; `math.log`'s base is the builtin's.
static inline int perigee_math_result(uint8_t id, const void *_Nonnull function,
                                      const uint64_t *_Nonnull args, int64_t n, double *_Nonnull out) {
    if (n < 1 || !perigee_nff_is_number(args[0])) return 0;
    double d = perigee_nff_number(args[0]);
    switch (id) {
    case PERIGEE_FF_SQRT: *out = sqrt(d); return 1;
    case PERIGEE_FF_ABS: *out = fabs(d); return 1;
    case PERIGEE_FF_FLOOR: case PERIGEE_FF_CEIL: case PERIGEE_FF_SIN: case PERIGEE_FF_COS:
    case PERIGEE_FF_TAN: case PERIGEE_FF_EXP: case PERIGEE_FF_MATH_UNARY:
        *out = ((double (*)(double))perigee_math_function(function))(d);
        return 1;
    case PERIGEE_FF_ATAN: *out = atan(d); return 1;
    case PERIGEE_FF_LOG:
        if (n >= 2 && args[1] != PERIGEE_NIL_BITS) return 0;
        *out = log(d);
        return 1;
    case PERIGEE_FF_MIN: case PERIGEE_FF_MAX:
        for (int64_t i = 1; i < n; i++) {
            if (!perigee_nff_is_number(args[i])) return 0;
            double y = perigee_nff_number(args[i]);
            if (id == PERIGEE_FF_MIN ? !(d < y) : !(d > y)) d = y;
        }
        *out = d;
        return 1;
    case PERIGEE_FF_FMOD: case PERIGEE_FF_MATH_BINARY:
        if (n < 2 || !perigee_nff_is_number(args[1])) return 0;
        *out = ((double (*)(double, double))perigee_math_function(function))(d, perigee_nff_number(args[1]));
        return 1;
    }
    return 0;
}

// Any numeric fast function: the result of fast function `id` (the builtin `function`) on
// the `n` values at `args`, as above.
static inline int perigee_numeric_result(uint8_t id, const void *_Nonnull function,
                                         const uint64_t *_Nonnull args, int64_t n, double *_Nonnull out) {
    return perigee_is_bit_operation(id) ? perigee_bit_result(id, args, n, out)
                                        : perigee_math_result(id, function, args, n, out);
}

#endif
