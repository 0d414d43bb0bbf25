/// The little C Perigee needs: the interpreter's threaded dispatch.
#ifndef PERIGEE_CSUPPORT_H
#define PERIGEE_CSUPPORT_H

#include "ObjectLayout.h"
#include "NumericFastFunctions.h"
#include "CFunctionCalls.h"
#include <stddef.h>
#include <stdint.h>

/// What an instruction handler returns: the next instruction to run and the frame base it
/// runs in. A null `pc` stops the dispatch (the run's state says why).
typedef struct PerigeeStep {
    const uint32_t *_Nullable pc;
    uint64_t *_Nullable base;
} PerigeeStep;

/// Runs instructions from `pc` (its frame at `base`) until a handler stops. `run` is the
/// interpreter run's state: `perigee_run` while the run goes on (runs nest; each puts the
/// outer one's back when it ends).
void perigee_interpret(void *_Nonnull run, uint64_t *_Nonnull base, const uint32_t *_Nonnull pc);

/// The state of the innermost interpreter run, for the handlers.
extern void *_Nullable perigee_run;

/// Sends every instruction through the instruction hook first (nonzero), or not (zero).
void perigee_set_instruction_hook(int on);
/// Swaps in (or out) the recording table: every instruction goes through the JIT's recorder.
void perigee_set_recording(int on);
/// Swaps in the profiling table, where the opcodes with a nonzero byte in `observed` (256
/// bytes) first go through the profiler (`perigee_op_profile`); null swaps it out.
void perigee_set_profiling(const uint8_t *_Nullable observed);

/// Nonzero while every instruction runs its own stub (no hook, recorder or profiler sees
/// instructions): a handler may then run the next instruction's work itself (a call enters
/// past its callee's FUNCF).
extern int perigee_plain_dispatch;

/// Nonzero while a call may enter a Lua function past its FUNCF in C: plain dispatch and no
/// hook (a JIT's hot counting is done there too).
extern int perigee_plain_entry;

/// Whether a call hook is set (every function entry, builtins' too, must reach it).
void perigee_set_call_hook(int on);
/// Nonzero while no debug hook is set: a call of a numeric fast function (`math`, `bit`)
/// may then be answered by the call instruction itself.
extern int perigee_numeric_calls;

/// The instruction budget left (runtime/VM/InstructionBudget.swift): the interpreter,
/// compiled code and traces subtract at every loop edge and Lua function entry, and take
/// their slow path when it is negative. INT64_MAX while no limit is set.
extern int64_t perigee_instruction_budget;

/// The interned string "__index" as a value, set when a built executable starts (0 before):
/// profile-guided compiled code reads fields inherited through `__index` tables inline.
extern uint64_t perigee_index_name;
/// The address of the string metatable's slot in the global state, likewise (0 before).
extern uint64_t perigee_string_metatable_slot;

/// Set by the SIGINT handler, which also makes the budget negative (again every 20 ms, by
/// SIGALRM, while the interrupt is pending), so that the next loop
/// edge or function entry of any engine takes the budget's slow path and raises
/// "interrupted!" (runtime/VM/InstructionBudget.swift).
extern volatile int perigee_interrupt_requested;
/// The budget as it was when the interrupt arrived, to be restored by the slow path.
extern int64_t perigee_interrupt_saved_budget;
/// Catches SIGINT (nonzero) for the next interrupt only, as lua.c does around each chunk, or
/// restores its default action (zero). Call it on the thread that runs the Lua code.
void perigee_catch_interrupts(int on);

/// `#t`'s binary search over an array part of `size` slots whose last slot is nil (nil is
/// all ones): the border luajit's search finds, the key `k` with slot k-1 holding a value
/// and slot k nil (0 when the first is nil). Which half the search goes on in is picked
/// without a branch (the branch mispredicts about every other probe), as C can ask for.
static inline size_t perigee_array_border(const uint64_t *_Nonnull slots, size_t size) {
    size_t low = 0, high = size;
    while (high - low > 1) {
        size_t middle = (low + high) >> 1;
        int empty = slots[middle - 1] == ~(uint64_t)0;
        if (__builtin_unpredictable(empty)) high = middle; else low = middle;
    }
    return low;
}

/// The arguments of a C call made through registers: x86-64's System V ABI and AArch64's
/// AAPCS64 pass integer-class arguments (integers, pointers) and floating-point ones in two
/// separate register files, each in order, so a function with at most 6 of the first and 8
/// of the second (and no variadic part, no aggregate) can be called as one taking all 14:
/// it reads the registers its own parameters occupy and ignores the rest. A `float` goes in
/// the low 32 bits of its register, so `d[k]` then holds the float's bits there.
typedef struct { int64_t i[6]; double d[8]; } perigee_register_args;

#define PERIGEE_REGISTER_ARGS(a) (a)->i[0], (a)->i[1], (a)->i[2], (a)->i[3], (a)->i[4], (a)->i[5], \
    (a)->d[0], (a)->d[1], (a)->d[2], (a)->d[3], (a)->d[4], (a)->d[5], (a)->d[6], (a)->d[7]
typedef int64_t perigee_register_i;
typedef double perigee_register_d;
#define PERIGEE_REGISTER_PARAMETERS perigee_register_i, perigee_register_i, perigee_register_i, perigee_register_i, \
    perigee_register_i, perigee_register_i, perigee_register_d, perigee_register_d, perigee_register_d, \
    perigee_register_d, perigee_register_d, perigee_register_d, perigee_register_d, perigee_register_d

/// Calls `f` (see `perigee_register_args`) for a `double` result.
static inline double perigee_register_call_double(const void *_Nonnull f, const perigee_register_args *_Nonnull a) {
    return ((double (*)(PERIGEE_REGISTER_PARAMETERS))f)(PERIGEE_REGISTER_ARGS(a));
}
/// Calls `f` for a `float` result.
static inline float perigee_register_call_float(const void *_Nonnull f, const perigee_register_args *_Nonnull a) {
    return ((float (*)(PERIGEE_REGISTER_PARAMETERS))f)(PERIGEE_REGISTER_ARGS(a));
}
/// Calls `f` for an integer or pointer result (or none): the whole result register, whose
/// bits beyond the result's own size the caller ignores.
static inline int64_t perigee_register_call_integer(const void *_Nonnull f, const perigee_register_args *_Nonnull a) {
    return ((int64_t (*)(PERIGEE_REGISTER_PARAMETERS))f)(PERIGEE_REGISTER_ARGS(a));
}

/// Starts loading the cache line at `p` for a write soon (the allocator's next free block).
static inline void perigee_prefetch_for_write(const void *_Nullable p) { __builtin_prefetch(p, 1, 3); }

#endif
