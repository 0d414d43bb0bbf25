// C function calls from compiled code without the runtime: a call site's inline cache names
// the C function type it met last and the compact plan of how its arguments go into the
// argument registers (built by runtime/FFI/FFIRegisterCalls.swift from the same register plan
// the interpreter's register calls use). `perigee_c_call` converts what converts without
// question (numbers, strings for `char *`/`void *`, nil for pointers) and calls; anything
// else, or a type the cache does not name, is left to the general path.
#ifndef PERIGEE_C_FUNCTION_CALLS_H
#define PERIGEE_C_FUNCTION_CALLS_H

#include <stdint.h>

/// Argument kinds of `perigee_c_call_plan.kind` (CRegisterPlan.Argument's raw values).
#define PERIGEE_C_ARGUMENT_DOUBLE 0
#define PERIGEE_C_ARGUMENT_FLOAT 1
#define PERIGEE_C_ARGUMENT_INTEGER 2
#define PERIGEE_C_ARGUMENT_POINTER 3
#define PERIGEE_C_ARGUMENT_TEXT 4

/// Result kinds of `perigee_c_call_plan.result`.
#define PERIGEE_C_RESULT_VOID 0
#define PERIGEE_C_RESULT_DOUBLE 1
#define PERIGEE_C_RESULT_FLOAT 2
#define PERIGEE_C_RESULT_INTEGER 3
#define PERIGEE_C_RESULT_BOOL 4

/// The most parameters of a plan with `doubles` set.
#define PERIGEE_C_DOUBLE_PARAMETERS 3

/// The most parameters a plan has (6 integer and 8 floating-point registers).
#define PERIGEE_C_PLAN_PARAMETERS 14

/// How one C function type is called through registers.
typedef struct {
    /// The FFI state's errno cell: [0] the errno C code last left, [1] nonzero while callbacks
    /// exist (a call could then run Lua code: the general path handles that).
    int32_t *_Nonnull errno_cell;
    uint8_t count;
    uint8_t result;
    /// An integer result's size in bytes and whether it is unsigned.
    uint8_t result_size, result_unsigned;
    /// Nonzero for `double f(double, ...)` with at most `PERIGEE_C_DOUBLE_PARAMETERS`
    /// parameters (libm's functions), which are called as such.
    uint8_t doubles;
    /// Per parameter: its kind, its register (an index into the integer or the floating-point
    /// registers), and for integers their size in bytes and whether unsigned.
    uint8_t kind[PERIGEE_C_PLAN_PARAMETERS], reg[PERIGEE_C_PLAN_PARAMETERS];
    uint8_t size[PERIGEE_C_PLAN_PARAMETERS], is_unsigned[PERIGEE_C_PLAN_PARAMETERS];
} perigee_c_call_plan;

/// Calls the C function cdata in `slots[0]` with the `nargs` values from `slots[2]`, per the
/// call site's cache `site` (word 0: the function's C type id + 1 in the low 32 bits; word 1:
/// its plan, or 0 for a type that takes the general path): the results from `slots[0]`, as
/// many as `wanted` (nil for those missing), or all of them (`wanted` < 0: none or one).
/// 1 + the number of results written when called; 0 when the general path must call; -1 when
/// the cache does not name the callee's type (fill it, then take the general path).
int64_t perigee_c_call(uint64_t *_Nonnull slots, int64_t nargs, int64_t wanted, const uint64_t *_Nonnull site);

#endif
