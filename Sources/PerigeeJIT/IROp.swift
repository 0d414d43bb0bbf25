/// The trace IR's instruction set, defined once as a table: each opcode's operand kinds,
/// whether it commutes, what it does to memory and whether it may be a guard. Dump names,
/// CSE eligibility and the optimizer's alias classes all derive from this table.
import PerigeeFrontend

/// What an operand field of an IR instruction holds.
public enum IROperandKind: UInt8 {
    /// Unused.
    case none
    /// Another instruction or a constant (an `IRRef`).
    case ref
    /// A 16-bit literal: a stack slot, a field id, a conversion mode, a call id.
    case literal
    /// The constant's own payload (constants only).
    case constant
}

/// What an instruction does to memory, for CSE, forwarding and dead-code elimination.
public enum IREffect: UInt8 {
    /// A pure computation (or a guard on one): CSE may merge equal instances.
    case none
    /// An address computation: pure, but only loads and stores use it.
    case reference
    /// Reads memory that stores may change.
    case load
    /// Writes memory, or has another side effect: never removed, never merged.
    case store
    /// Allocates a new object.
    case allocation
}

/// The static description of one IR opcode.
public struct IROpInfo {
    public let op1: IROperandKind
    public let op2: IROperandKind
    public let effect: IREffect
    /// The operands may be swapped (CSE and folding normalize the order).
    public let commutative: Bool
}

/// The trace IR opcodes, in LuaJIT's families. Order matters in two places: the comparison
/// pairs differ in the low bit (LT/GE, LE/GT, ULT/UGE, ULE/UGT, EQ/NE), so inverting a
/// guard flips it; and the arithmetic family follows the bytecode's operator order.
public enum IROp: UInt8, CaseIterable {
    // Guarded comparisons, array bounds check, return-frame check.
    case LT, GE, LE, GT, ULT, UGE, ULE, UGT, EQ, NE, ABC, RETF
    // Structure: placeholders, the frame base, GC steps, the loop marker, keep-alives, PHIs.
    case NOP, BASE, PVAL, GCSTEP, LOOP, USE, PHI, RENAME
    // Constants (interned, below the instruction bias).
    case KPRI, KINT, KGC, KPTR, KNULL, KNUM, KINT64, KSLOT
    // Bit operations on 32-bit integers.
    case BNOT, BSWAP, BAND, BOR, BXOR, BSHL, BSHR, BSAR, BROL, BROR
    // Arithmetic on numbers or integers.
    case ADD, SUB, MUL, DIV, MOD, POW, NEG, ABS, LDEXP, MIN, MAX, FPMATH
    // Integer arithmetic that exits on overflow.
    case ADDOV, SUBOV, MULOV
    // Addresses: array slot, hash slot (constant key / any key), new key, open and closed
    // upvalue, object field, string data.
    case AREF, HREFK, HREF, NEWREF, UREFO, UREFC, FREF, STRREF
    // Loads: array, hash, upvalue, object field, raw memory, stack slot, vararg, array length.
    case ALOAD, HLOAD, ULOAD, FLOAD, XLOAD, SLOAD, VLOAD, ALEN
    // Stores to the same kinds of memory.
    case ASTORE, HSTORE, USTORE, FSTORE, XSTORE
    // Allocations: string, table, table from a template, cdata; a 64-bit integer cdata of
    // an unboxed value (the literal is its C type), made only where the value must exist
    // (see TraceRecorder+CData.swift), so pure as CREF is.
    case SNEW, TNEW, TDUP, CNEW, CNEWI
    // GC barriers: table (backward), object (forward).
    case TBAR, OBAR
    // Conversions: between number types (the literal is an `IRConversion`), to a 32-bit bit
    // pattern, to and from strings.
    case CONV, TOBIT, TOSTR, STRTO
    // Calls into the runtime: pure, allocating, reading memory, with side effects; arguments.
    case CALLN, CALLA, CALLL, CALLS, CARG
    // C data (see TraceRecorder+CData.swift): a number index scaled to a byte offset (the
    // literal is the element size), an address plus a byte offset, a C scalar's load (the
    // literal is its `CScalarStorage`) and store (converted as C stores it; the type names the
    // storage), and a reference cdata to an address (the literal is its C type), made only
    // where the value must exist. A direct call of a C function (operands: the CARG chain of
    // numbers, or none; the literal indexes `TraceIR.cFunctions`).
    case CINDEX, CADDR, CLOAD, CSTORE, CREF, CCALL

    /// The one table of opcode properties.
    public var info: IROpInfo {
        func row(_ op1: IROperandKind, _ op2: IROperandKind, _ effect: IREffect = .none,
                 commutative: Bool = false) -> IROpInfo {
            IROpInfo(op1: op1, op2: op2, effect: effect, commutative: commutative)
        }
        switch self {
        case .LT, .GE, .LE, .GT, .ULT, .UGE, .ULE, .UGT, .ABC: return row(.ref, .ref)
        case .EQ, .NE: return row(.ref, .ref, commutative: true)
        case .RETF: return row(.ref, .ref, .store)
        case .NOP: return row(.none, .none)
        // A slot's address moves with the stack (a call through the runtime may grow it).
        case .BASE: return row(.literal, .literal, .reference)
        case .PVAL: return row(.literal, .none)
        case .GCSTEP, .LOOP: return row(.none, .none, .store)
        case .USE: return row(.ref, .none, .store)
        case .PHI: return row(.ref, .ref, .store)
        case .RENAME: return row(.ref, .literal, .store)
        case .KPRI: return row(.none, .none)
        case .KINT, .KGC, .KPTR, .KNULL, .KNUM, .KINT64: return row(.constant, .none)
        case .KSLOT: return row(.ref, .literal)
        case .BNOT, .BSWAP: return row(.ref, .none)
        case .BAND, .BOR, .BXOR: return row(.ref, .ref, commutative: true)
        case .BSHL, .BSHR, .BSAR, .BROL, .BROR: return row(.ref, .ref)
        case .ADD, .MUL: return row(.ref, .ref, commutative: true)
        // math.min/max answer their first argument unless the second is strictly better,
        // which tells -0 from 0 and NaN from numbers: the order matters.
        case .MIN, .MAX: return row(.ref, .ref)
        case .SUB, .DIV, .MOD, .POW, .NEG, .ABS, .LDEXP: return row(.ref, .ref)
        case .FPMATH: return row(.ref, .literal)
        case .ADDOV, .MULOV: return row(.ref, .ref, commutative: true)
        case .SUBOV: return row(.ref, .ref)
        case .AREF, .HREFK: return row(.ref, .ref, .reference)
        case .HREF: return row(.ref, .ref, .reference)
        case .NEWREF: return row(.ref, .ref, .store)
        // An upvalue's cell: a closure's upvalues are fixed; an open one's cell moves only
        // when it is closed or the stack grows, which calls through the runtime do.
        case .UREFO, .UREFC: return row(.ref, .literal, .reference)
        case .FREF: return row(.ref, .literal, .reference)
        case .STRREF: return row(.ref, .ref)
        case .ALOAD, .HLOAD, .ULOAD: return row(.ref, .none, .load)
        case .FLOAD, .XLOAD: return row(.ref, .literal, .load)
        case .SLOAD: return row(.literal, .literal, .load)
        case .VLOAD: return row(.ref, .literal, .load)
        case .ALEN: return row(.ref, .ref, .load)
        case .ASTORE, .HSTORE, .USTORE, .FSTORE, .XSTORE: return row(.ref, .ref, .store)
        case .SNEW: return row(.ref, .ref)
        case .TNEW: return row(.literal, .literal, .allocation)
        case .TDUP: return row(.ref, .none, .allocation)
        case .CNEW: return row(.ref, .ref, .allocation)
        case .CNEWI: return row(.ref, .literal)
        case .TBAR: return row(.ref, .none, .store)
        case .OBAR: return row(.ref, .ref, .store)
        case .CONV: return row(.ref, .literal)
        case .TOBIT: return row(.ref, .ref)
        case .TOSTR: return row(.ref, .literal)
        case .STRTO: return row(.ref, .none)
        case .CALLN: return row(.ref, .literal)
        case .CALLA: return row(.ref, .literal, .allocation)
        case .CALLL: return row(.ref, .literal, .load)
        case .CALLS: return row(.ref, .literal, .store)
        case .CARG: return row(.ref, .ref)
        case .CINDEX: return row(.ref, .literal)
        case .CADDR: return row(.ref, .ref)
        case .CLOAD: return row(.ref, .literal, .load)
        case .CSTORE: return row(.ref, .ref, .store)
        case .CREF: return row(.ref, .literal)
        case .CCALL: return row(.ref, .literal, .store)
        }
    }

    /// The name `-jdump` prints.
    public var name: String { String(describing: self) }

    /// A constant (lives below the instruction bias, interned).
    public var isConstant: Bool { rawValue >= IROp.KPRI.rawValue && rawValue <= IROp.KSLOT.rawValue }

    /// A comparison that guards a trace.
    public var isComparison: Bool { rawValue <= IROp.NE.rawValue }

    /// The comparison that holds exactly when this one fails (LT <-> GE, EQ <-> NE, ...).
    /// Defined for the ordered and equality comparisons.
    public var inverted: IROp? {
        guard isComparison else { return nil }
        return IROp(rawValue: rawValue ^ 1)
    }

    /// Equal instances compute equal results: CSE may merge them (pure values and address
    /// computations, not loads, stores or allocations, nor the trace's structure).
    public var isCSEable: Bool {
        switch info.effect {
        case .none, .reference: break
        default: return false
        }
        switch self {
        case .NOP, .PVAL: return false
        default: return !isConstant
        }
    }
}

/// CONV's literal: what it converts from and to.
public enum IRConversion: UInt16 {
    /// A 32-bit integer to a number.
    case intToNumber = 0
    /// A number to a 64-bit integer as luajit converts it (`int64_t`: truncated,
    /// 0x8000000000000000 out of range; `uint64_t`: truncated, 2^63 out of range or negative).
    case numberToInt64, numberToUInt64
    /// A 64-bit integer to a number (signed or unsigned).
    case int64ToNumber, uint64ToNumber
    /// An address as a 64-bit integer.
    case pointerToInt64
}

extension IROp {
    /// The arithmetic instruction of a bytecode operator (the two families share their order:
    /// ADD SUB MUL DIV MOD POW NEG, add sub mul div mod pow unm).
    init(_ op: ArithmeticOperator) { self.init(rawValue: IROp.ADD.rawValue + op.rawValue)! }

    /// The bytecode operator of an arithmetic instruction (ADD through NEG).
    var arithmeticOperator: ArithmeticOperator? {
        rawValue >= IROp.ADD.rawValue ? ArithmeticOperator(rawValue: rawValue - IROp.ADD.rawValue) : nil
    }
}
