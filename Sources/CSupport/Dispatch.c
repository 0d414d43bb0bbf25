// The interpreter's threaded dispatch. Each opcode has a stub here that calls the opcode's
// Swift handler (runtime/Interpreter*.swift, exported with @_cdecl) and then jumps, with a
// guaranteed tail call, straight to the stub of the next instruction: every instruction ends
// in its own indirect branch, and the native stack does not grow however long a run goes.
// A handler returns a null pc to stop; the stub then returns to `perigee_interpret`'s caller.

#include "CSupport.h"

typedef void (*Stub)(uint64_t *base, const uint32_t *pc, uint32_t ins);

void *perigee_run;

// The opcodes in bytecode order (LuaJIT 2.1's 97), each with the handler that runs it.
#define OPCODES(X) \
    X(ISLT, ISLT) X(ISGE, ISGE) X(ISLE, ISLE) X(ISGT, ISGT) \
    X(ISEQV, ISEQV) X(ISNEV, ISNEV) X(ISEQS, ISEQS) X(ISNES, ISNES) \
    X(ISEQN, ISEQN) X(ISNEN, ISNEN) X(ISEQP, ISEQP) X(ISNEP, ISNEP) \
    X(ISTC, ISTC) X(ISFC, ISFC) X(IST, IST) X(ISF, ISF) X(ISTYPE, cold) X(ISNUM, cold) \
    X(MOV, MOV) X(NOT, NOT) X(UNM, UNM) X(LEN, LEN) \
    X(ADDVN, ADDVN) X(SUBVN, SUBVN) X(MULVN, MULVN) X(DIVVN, DIVVN) X(MODVN, MODVN) \
    X(ADDNV, ADDNV) X(SUBNV, SUBNV) X(MULNV, MULNV) X(DIVNV, DIVNV) X(MODNV, MODNV) \
    X(ADDVV, ADDVV) X(SUBVV, SUBVV) X(MULVV, MULVV) X(DIVVV, DIVVV) X(MODVV, MODVV) \
    X(POW, POW) X(CAT, cold) \
    X(KSTR, KSTR) X(KCDATA, cold) X(KSHORT, KSHORT) X(KNUM, KNUM) X(KPRI, KPRI) X(KNIL, KNIL) \
    X(UGET, UGET) X(USETV, USETV) X(USETS, cold) X(USETN, cold) X(USETP, cold) X(UCLO, UCLO) \
    X(FNEW, cold) \
    X(TNEW, cold) X(TDUP, cold) X(GGET, GGET) X(GSET, cold) \
    X(TGETV, TGETV) X(TGETS, TGETS) X(TGETB, TGETB) X(TGETR, TGETV) \
    X(TSETV, TSETV) X(TSETS, TSETS) X(TSETB, TSETB) X(TSETM, cold) X(TSETR, TSETV) \
    X(CALLM, CALLM) X(CALL, CALL) X(CALLMT, CALLT) X(CALLT, CALLT) \
    X(ITERC, ITERC) X(ITERN, ITERN) X(VARG, cold) X(ISNEXT, cold) \
    X(RETM, RETM) X(RET, RET) X(RET0, RET0) X(RET1, RET1) \
    X(FORI, FORI) X(JFORI, FORI) X(FORL, FORL) X(IFORL, FORL) X(JFORL, FORL) \
    X(ITERL, ITERL) X(IITERL, ITERL) X(JITERL, ITERL) X(LOOP, LOOP) X(ILOOP, LOOP) X(JLOOP, LOOP) \
    X(JMP, JMP) \
    X(FUNCF, FUNCF) X(IFUNCF, FUNCF) X(JFUNCF, FUNCF) X(FUNCV, FUNCV) X(IFUNCV, FUNCV) X(JFUNCV, FUNCV) \
    X(FUNCC, cold) X(FUNCCW, cold)

// The Swift handlers, one per distinct name above.
#define DECLARE_HANDLER(name) \
    PerigeeStep perigee_op_##name(uint64_t *base, const uint32_t *pc, uint32_t ins);
DECLARE_HANDLER(cold) DECLARE_HANDLER(hook)
DECLARE_HANDLER(ISLT) DECLARE_HANDLER(ISGE) DECLARE_HANDLER(ISLE) DECLARE_HANDLER(ISGT)
DECLARE_HANDLER(ISEQV) DECLARE_HANDLER(ISNEV) DECLARE_HANDLER(ISEQS) DECLARE_HANDLER(ISNES)
DECLARE_HANDLER(ISEQN) DECLARE_HANDLER(ISNEN) DECLARE_HANDLER(ISEQP) DECLARE_HANDLER(ISNEP)
DECLARE_HANDLER(ISTC) DECLARE_HANDLER(ISFC) DECLARE_HANDLER(IST) DECLARE_HANDLER(ISF)
DECLARE_HANDLER(MOV) DECLARE_HANDLER(NOT) DECLARE_HANDLER(UNM) DECLARE_HANDLER(LEN)
DECLARE_HANDLER(ADDVN) DECLARE_HANDLER(SUBVN) DECLARE_HANDLER(MULVN) DECLARE_HANDLER(DIVVN) DECLARE_HANDLER(MODVN)
DECLARE_HANDLER(ADDNV) DECLARE_HANDLER(SUBNV) DECLARE_HANDLER(MULNV) DECLARE_HANDLER(DIVNV) DECLARE_HANDLER(MODNV)
DECLARE_HANDLER(ADDVV) DECLARE_HANDLER(SUBVV) DECLARE_HANDLER(MULVV) DECLARE_HANDLER(DIVVV) DECLARE_HANDLER(MODVV)
DECLARE_HANDLER(POW)
DECLARE_HANDLER(KSTR) DECLARE_HANDLER(KSHORT) DECLARE_HANDLER(KNUM) DECLARE_HANDLER(KPRI) DECLARE_HANDLER(KNIL)
DECLARE_HANDLER(UGET) DECLARE_HANDLER(USETV) DECLARE_HANDLER(UCLO) DECLARE_HANDLER(GGET)
DECLARE_HANDLER(TGETV) DECLARE_HANDLER(TGETS) DECLARE_HANDLER(TGETB)
DECLARE_HANDLER(TSETV) DECLARE_HANDLER(TSETS) DECLARE_HANDLER(TSETB)
DECLARE_HANDLER(CALLM) DECLARE_HANDLER(CALL) DECLARE_HANDLER(CALLT) DECLARE_HANDLER(ITERC) DECLARE_HANDLER(ITERN)
DECLARE_HANDLER(RETM) DECLARE_HANDLER(RET) DECLARE_HANDLER(RET0) DECLARE_HANDLER(RET1)
DECLARE_HANDLER(FORI) DECLARE_HANDLER(FORL) DECLARE_HANDLER(ITERL) DECLARE_HANDLER(LOOP) DECLARE_HANDLER(JMP)
DECLARE_HANDLER(FUNCF) DECLARE_HANDLER(FUNCV)

// The stubs every instruction starts in: the instruction's own, or, while an instruction
// hook is set, the hook's.
static const Stub plain[256], *active;

#define DISPATCH(next) do { \
        if (__builtin_expect((next).pc == 0, 0)) return; \
        uint32_t next_ins = *(next).pc; \
        __attribute__((musttail)) return active[next_ins & 0xff]((next).base, (next).pc + 1, next_ins); \
    } while (0)

#define DEFINE_STUB(op, handler) \
    static void stub_##op(uint64_t *base, const uint32_t *pc, uint32_t ins) { \
        PerigeeStep next = perigee_op_##handler(base, pc, ins); \
        DISPATCH(next); \
    }
OPCODES(DEFINE_STUB)

// Bytecode never holds an opcode past the 97 (loading a dump checks), but should one turn
// up, the cold handler reports it.
DEFINE_STUB(unknown, cold)

#define STUB_ENTRY(op, handler) stub_##op,
#define UNKNOWN_8 stub_unknown, stub_unknown, stub_unknown, stub_unknown, \
    stub_unknown, stub_unknown, stub_unknown, stub_unknown,
#define UNKNOWN_32 UNKNOWN_8 UNKNOWN_8 UNKNOWN_8 UNKNOWN_8
_Static_assert(sizeof((Stub[]){ OPCODES(STUB_ENTRY) }) / sizeof(Stub) == 97, "97 opcodes");
static const Stub plain[256] = {
    OPCODES(STUB_ENTRY)
    // 97 ... 255: 7 + 3 * 8 + 4 * 32 = 159 entries
    stub_unknown, stub_unknown, stub_unknown, stub_unknown, stub_unknown, stub_unknown, stub_unknown,
    UNKNOWN_8 UNKNOWN_8 UNKNOWN_8
    UNKNOWN_32 UNKNOWN_32 UNKNOWN_32 UNKNOWN_32
};
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

static const Stub *active = plain;

void perigee_set_instruction_hook(int on) { active = on ? hooked : plain; }

void perigee_interpret(void *run, uint64_t *base, const uint32_t *pc) {
    void *outer = perigee_run;
    perigee_run = run;
    // A plain call: the run ends when a stub returns.
    uint32_t ins = *pc;
    active[ins & 0xff](base, pc + 1, ins);
    perigee_run = outer;
}
