// The interpreter's threaded dispatch. Each opcode has a stub here that calls the opcode's
// Swift handler (runtime/Interpreter/Interpreter*.swift, exported with @_cdecl) and then jumps, with a
// guaranteed tail call, straight to the stub of the next instruction: every instruction ends
// in its own indirect branch, and the native stack does not grow however long a run goes.
// A handler returns a null pc to stop; the stub then returns to `perigee_interpret`'s caller.

#include "CSupport.h"

typedef void (*Stub)(uint64_t *base, const uint32_t *pc, uint32_t ins);

void *perigee_run;

// OPCODES (each opcode with its handler), HANDLERS and UNKNOWN_OPCODES, generated from the
// opcode table.
#include "DispatchTable.h"

// The Swift handlers, one per distinct name, and the instruction hook's.
#define DECLARE_HANDLER(name) \
    PerigeeStep perigee_op_##name(uint64_t *base, const uint32_t *pc, uint32_t ins);
HANDLERS(DECLARE_HANDLER) DECLARE_HANDLER(hook) DECLARE_HANDLER(record)
void perigee_op_profile(uint64_t *base, const uint32_t *pc, uint32_t ins);

// The stubs every instruction starts in: the instruction's own, or, while an instruction
// hook is set, the hook's.
static const Stub plain[256], *active;

#define DISPATCH(next) do { \
        if (__builtin_expect((next).pc == 0, 0)) return; \
        uint32_t next_ins = *(next).pc; \
        __attribute__((musttail)) return active[next_ins & 0xff]((next).base, (next).pc + 1, next_ins); \
    } while (0)

#define DEFINE_STUB(op, handler) \
    __attribute__((noinline)) static void stub_##op(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        PerigeeStep next = perigee_op_##handler(base, pc, ins); \
        DISPATCH(next); \
    }
OPCODES(DEFINE_STUB)

// Bytecode never holds an opcode past the last (loading a dump checks), but should one turn
// up, the cold handler reports it.
DEFINE_STUB(unknown, cold)

#include "DispatchFastPaths.h"

#define STUB_ENTRY(op, handler) stub_##op,
_Static_assert(sizeof((Stub[]){ OPCODES(STUB_ENTRY) }) / sizeof(Stub) == OPCODE_COUNT, "one stub per opcode");
#define UNKNOWN_ENTRY stub_unknown,
// The opcodes with a fast stub (DispatchFastPaths.h) start there instead.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
static const Stub plain[256] = { OPCODES(STUB_ENTRY) UNKNOWN_OPCODES(UNKNOWN_ENTRY) FAST_STUB_ENTRIES };
#pragma clang diagnostic pop
_Static_assert(sizeof(plain) / sizeof(Stub) == 256, "one stub per opcode byte");

// While an instruction hook is set, every instruction starts here. The hook runs first; when
// it says to go on where it was, the instruction runs; otherwise (an error in the hook
// unwound to a pcall) execution goes on where it says.
static void stub_hook(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    PerigeeStep next = perigee_op_hook(base, pc, ins);
    if (next.pc == pc && next.base == base) {
        __attribute__((musttail)) return plain[ins & 0xff](base, pc, ins);
    }
    DISPATCH(next);
}

#define HOOK_8 stub_hook, stub_hook, stub_hook, stub_hook, stub_hook, stub_hook, stub_hook, stub_hook,
#define HOOK_64 HOOK_8 HOOK_8 HOOK_8 HOOK_8 HOOK_8 HOOK_8 HOOK_8 HOOK_8
static const Stub hooked[256] = { HOOK_64 HOOK_64 HOOK_64 HOOK_64 };

// While the JIT records a trace, every instruction starts here: the recorder sees it with
// the live values first, then it runs (or execution goes on where the recorder says).
static void stub_record(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    PerigeeStep next = perigee_op_record(base, pc, ins);
    if (next.pc == pc && next.base == base) {
        __attribute__((musttail)) return plain[ins & 0xff](base, pc, ins);
    }
    DISPATCH(next);
}

static const Stub recording[256] = {
#define RECORD_8 stub_record, stub_record, stub_record, stub_record, stub_record, stub_record, stub_record, stub_record,
#define RECORD_64 RECORD_8 RECORD_8 RECORD_8 RECORD_8 RECORD_8 RECORD_8 RECORD_8 RECORD_8
    RECORD_64 RECORD_64 RECORD_64 RECORD_64
};

// While a profile is collected (`perigee profile`), the instructions it observes start
// here: the profiler sees the operands first, then the instruction runs. The other opcodes
// keep their own stubs in this table, so they cost nothing more; without a profile the
// table is never chosen.
static void stub_profile(uint64_t *base, const uint32_t *pc, uint32_t ins) {
    perigee_op_profile(base, pc, ins);
    __attribute__((musttail)) return plain[ins & 0xff](base, pc, ins);
}

static Stub profiling[256];

static const Stub *active = plain;
static int hook_on, call_hook_on, recording_on, profiling_on;
int perigee_plain_dispatch = 1;
int perigee_numeric_calls = 1;
int perigee_plain_entry = 1;

// A debug hook wins over recording (the JIT stops recording when a hook is set), and
// recording over profiling (instructions the recorder sees are not profiled).
static void choose_table(void) {
    active = hook_on ? hooked : (recording_on ? recording : (profiling_on ? profiling : plain));
    perigee_plain_dispatch = active == plain;
    perigee_numeric_calls = !hook_on && !call_hook_on;
    perigee_plain_entry = perigee_plain_dispatch && perigee_numeric_calls;
}
void perigee_set_instruction_hook(int on) { hook_on = on; choose_table(); }
void perigee_set_call_hook(int on) { call_hook_on = on; choose_table(); }
void perigee_set_recording(int on) { recording_on = on; choose_table(); }
void perigee_set_profiling(const uint8_t *_Nullable observed) {
    profiling_on = observed != 0;
    if (observed) {
        for (int op = 0; op < 256; op++) profiling[op] = observed[op] ? stub_profile : plain[op];
    }
    choose_table();
}

void perigee_interpret(void *run, uint64_t *base, const uint32_t *pc) {
    void *outer = perigee_run;
    perigee_run = run;
    // A plain call: the run ends when a stub returns.
    uint32_t ins = *pc;
    active[ins & 0xff](base, pc + 1, ins);
    perigee_run = outer;
}
