// GENERATED from Opcode (Sources/PerigeeFrontend/Bytecode.swift) and Opcode.dispatchHandler
// (runtime/Interpreter/DispatchTable.swift). DO NOT EDIT: run Utilities/generate-dispatch-table.

#define OPCODE_COUNT 97

// Each opcode, in bytecode order, with the handler that runs it.
#define OPCODES(X) \
    X(ISLT, ISLT) \
    X(ISGE, ISGE) \
    X(ISLE, ISLE) \
    X(ISGT, ISGT) \
    X(ISEQV, ISEQV) \
    X(ISNEV, ISNEV) \
    X(ISEQS, ISEQS) \
    X(ISNES, ISNES) \
    X(ISEQN, ISEQN) \
    X(ISNEN, ISNEN) \
    X(ISEQP, ISEQP) \
    X(ISNEP, ISNEP) \
    X(ISTC, ISTC) \
    X(ISFC, ISFC) \
    X(IST, IST) \
    X(ISF, ISF) \
    X(ISTYPE, cold) \
    X(ISNUM, cold) \
    X(MOV, MOV) \
    X(NOT, NOT) \
    X(UNM, UNM) \
    X(LEN, LEN) \
    X(ADDVN, ADDVN) \
    X(SUBVN, SUBVN) \
    X(MULVN, MULVN) \
    X(DIVVN, DIVVN) \
    X(MODVN, MODVN) \
    X(ADDNV, ADDNV) \
    X(SUBNV, SUBNV) \
    X(MULNV, MULNV) \
    X(DIVNV, DIVNV) \
    X(MODNV, MODNV) \
    X(ADDVV, ADDVV) \
    X(SUBVV, SUBVV) \
    X(MULVV, MULVV) \
    X(DIVVV, DIVVV) \
    X(MODVV, MODVV) \
    X(POW, POW) \
    X(CAT, cold) \
    X(KSTR, KSTR) \
    X(KCDATA, cold) \
    X(KSHORT, KSHORT) \
    X(KNUM, KNUM) \
    X(KPRI, KPRI) \
    X(KNIL, KNIL) \
    X(UGET, UGET) \
    X(USETV, USETV) \
    X(USETS, cold) \
    X(USETN, cold) \
    X(USETP, cold) \
    X(UCLO, UCLO) \
    X(FNEW, cold) \
    X(TNEW, TNEW) \
    X(TDUP, TNEW) \
    X(GGET, GGET) \
    X(GSET, cold) \
    X(TGETV, TGETV) \
    X(TGETS, TGETS) \
    X(TGETB, TGETB) \
    X(TGETR, TGETV) \
    X(TSETV, TSETV) \
    X(TSETS, TSETS) \
    X(TSETB, TSETB) \
    X(TSETM, TSETM) \
    X(TSETR, TSETV) \
    X(CALLM, CALLM) \
    X(CALL, CALL) \
    X(CALLMT, CALLT) \
    X(CALLT, CALLT) \
    X(ITERC, ITERC) \
    X(ITERN, ITERN) \
    X(VARG, cold) \
    X(ISNEXT, cold) \
    X(RETM, RETM) \
    X(RET, RET) \
    X(RET0, RET0) \
    X(RET1, RET1) \
    X(FORI, FORI) \
    X(JFORI, FORI) \
    X(FORL, FORL) \
    X(IFORL, FORL) \
    X(JFORL, JFORL) \
    X(ITERL, ITERL) \
    X(IITERL, ITERL) \
    X(JITERL, JITERL) \
    X(LOOP, LOOP) \
    X(ILOOP, LOOP) \
    X(JLOOP, JLOOP) \
    X(JMP, JMP) \
    X(FUNCF, FUNCF) \
    X(IFUNCF, FUNCF) \
    X(JFUNCF, JFUNCF) \
    X(FUNCV, FUNCV) \
    X(IFUNCV, FUNCV) \
    X(JFUNCV, FUNCV) \
    X(FUNCC, cold) \
    X(FUNCCW, cold) \

// The distinct handlers.
#define HANDLERS(X) \
    X(ISLT) \
    X(ISGE) \
    X(ISLE) \
    X(ISGT) \
    X(ISEQV) \
    X(ISNEV) \
    X(ISEQS) \
    X(ISNES) \
    X(ISEQN) \
    X(ISNEN) \
    X(ISEQP) \
    X(ISNEP) \
    X(ISTC) \
    X(ISFC) \
    X(IST) \
    X(ISF) \
    X(cold) \
    X(MOV) \
    X(NOT) \
    X(UNM) \
    X(LEN) \
    X(ADDVN) \
    X(SUBVN) \
    X(MULVN) \
    X(DIVVN) \
    X(MODVN) \
    X(ADDNV) \
    X(SUBNV) \
    X(MULNV) \
    X(DIVNV) \
    X(MODNV) \
    X(ADDVV) \
    X(SUBVV) \
    X(MULVV) \
    X(DIVVV) \
    X(MODVV) \
    X(POW) \
    X(KSTR) \
    X(KSHORT) \
    X(KNUM) \
    X(KPRI) \
    X(KNIL) \
    X(UGET) \
    X(USETV) \
    X(UCLO) \
    X(TNEW) \
    X(GGET) \
    X(TGETV) \
    X(TGETS) \
    X(TGETB) \
    X(TSETV) \
    X(TSETS) \
    X(TSETB) \
    X(TSETM) \
    X(CALLM) \
    X(CALL) \
    X(CALLT) \
    X(ITERC) \
    X(ITERN) \
    X(RETM) \
    X(RET) \
    X(RET0) \
    X(RET1) \
    X(FORI) \
    X(FORL) \
    X(JFORL) \
    X(ITERL) \
    X(JITERL) \
    X(LOOP) \
    X(JLOOP) \
    X(JMP) \
    X(FUNCF) \
    X(JFUNCF) \
    X(FUNCV) \

// Opcode bytes past the last opcode: the unknown-opcode stub.
#define UNKNOWN_OPCODES(X) \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
    X \
