/// The bytecode instruction set: one table of opcodes with their operand modes, and the
/// 32-bit instruction encoding (8-bit opcode, 8-bit A, then 8-bit C + 8-bit B or a 16-bit D).

/// What an operand field holds; drives the listing, the verifier and the interpreter alike.
public enum OperandMode: UInt8 {
    case none, dst, base, variable, rbase, upvalue, literal, signedLiteral, primitive
    case number, string, table, function, jump, cdata
}

/// The metamethod an opcode may fall back to (for error messages and the JIT's recorder).
public enum OpcodeMetamethod: UInt8 {
    case none, index, newindex, gc, mode, eq, len, lt, le, concat, call
    case add, sub, mul, div, mod, pow, unm
}

/// The opcodes, in the order of LuaJIT 2.1's classic 97-instruction set. Several groups rely on
/// this order: comparison pairs differ in the low bit (inverting a branch flips it), and the
/// arithmetic families are laid out as VN, NV, VV blocks in operator order.
public enum Opcode: UInt8, CaseIterable {
    // Comparisons, each followed by a JMP.
    case ISLT, ISGE, ISLE, ISGT
    case ISEQV, ISNEV, ISEQS, ISNES, ISEQN, ISNEN, ISEQP, ISNEP
    // Unary tests and test-and-copy.
    case ISTC, ISFC, IST, ISF, ISTYPE, ISNUM
    // Unary operations.
    case MOV, NOT, UNM, LEN
    // Binary arithmetic: variable-number, number-variable, variable-variable.
    case ADDVN, SUBVN, MULVN, DIVVN, MODVN
    case ADDNV, SUBNV, MULNV, DIVNV, MODNV
    case ADDVV, SUBVV, MULVV, DIVVV, MODVV
    case POW, CAT
    // Constants.
    case KSTR, KCDATA, KSHORT, KNUM, KPRI, KNIL
    // Upvalues and closures.
    case UGET, USETV, USETS, USETN, USETP, UCLO, FNEW
    // Tables.
    case TNEW, TDUP, GGET, GSET, TGETV, TGETS, TGETB, TGETR, TSETV, TSETS, TSETB, TSETM, TSETR
    // Calls and varargs.
    case CALLM, CALL, CALLMT, CALLT, ITERC, ITERN, VARG, ISNEXT
    // Returns.
    case RETM, RET, RET0, RET1
    // Loops and branches: plain (hot-counting), I (interpreter only), J (enters a trace).
    case FORI, JFORI, FORL, IFORL, JFORL, ITERL, IITERL, JITERL, LOOP, ILOOP, JLOOP, JMP
    // Function headers.
    case FUNCF, IFUNCF, JFUNCF, FUNCV, IFUNCV, JFUNCV, FUNCC, FUNCCW

    /// Operand modes (A, B, C/D) and metamethod, one row per opcode.
    public var format: (a: OperandMode, b: OperandMode, cd: OperandMode, mm: OpcodeMetamethod) {
        switch self {
        case .ISLT, .ISGE: return (.variable, .none, .variable, .lt)
        case .ISLE, .ISGT: return (.variable, .none, .variable, .le)
        case .ISEQV, .ISNEV: return (.variable, .none, .variable, .eq)
        case .ISEQS, .ISNES: return (.variable, .none, .string, .eq)
        case .ISEQN, .ISNEN: return (.variable, .none, .number, .eq)
        case .ISEQP, .ISNEP: return (.variable, .none, .primitive, .eq)
        case .ISTC, .ISFC: return (.dst, .none, .variable, .none)
        case .IST, .ISF: return (.none, .none, .variable, .none)
        case .ISTYPE, .ISNUM: return (.variable, .none, .literal, .none)
        case .MOV, .NOT: return (.dst, .none, .variable, .none)
        case .UNM: return (.dst, .none, .variable, .unm)
        case .LEN: return (.dst, .none, .variable, .len)
        case .ADDVN, .ADDNV: return (.dst, .variable, .number, .add)
        case .SUBVN, .SUBNV: return (.dst, .variable, .number, .sub)
        case .MULVN, .MULNV: return (.dst, .variable, .number, .mul)
        case .DIVVN, .DIVNV: return (.dst, .variable, .number, .div)
        case .MODVN, .MODNV: return (.dst, .variable, .number, .mod)
        case .ADDVV: return (.dst, .variable, .variable, .add)
        case .SUBVV: return (.dst, .variable, .variable, .sub)
        case .MULVV: return (.dst, .variable, .variable, .mul)
        case .DIVVV: return (.dst, .variable, .variable, .div)
        case .MODVV: return (.dst, .variable, .variable, .mod)
        case .POW: return (.dst, .variable, .variable, .pow)
        case .CAT: return (.dst, .rbase, .rbase, .concat)
        case .KSTR: return (.dst, .none, .string, .none)
        case .KCDATA: return (.dst, .none, .cdata, .none)
        case .KSHORT: return (.dst, .none, .signedLiteral, .none)
        case .KNUM: return (.dst, .none, .number, .none)
        case .KPRI: return (.dst, .none, .primitive, .none)
        case .KNIL: return (.base, .none, .base, .none)
        case .UGET: return (.dst, .none, .upvalue, .none)
        case .USETV: return (.upvalue, .none, .variable, .none)
        case .USETS: return (.upvalue, .none, .string, .none)
        case .USETN: return (.upvalue, .none, .number, .none)
        case .USETP: return (.upvalue, .none, .primitive, .none)
        case .UCLO: return (.rbase, .none, .jump, .none)
        case .FNEW: return (.dst, .none, .function, .gc)
        case .TNEW: return (.dst, .none, .literal, .gc)
        case .TDUP: return (.dst, .none, .table, .gc)
        case .GGET: return (.dst, .none, .string, .index)
        case .GSET: return (.variable, .none, .string, .newindex)
        case .TGETV, .TGETR: return (.dst, .variable, .variable, .index)
        case .TGETS: return (.dst, .variable, .string, .index)
        case .TGETB: return (.dst, .variable, .literal, .index)
        case .TSETV, .TSETR: return (.variable, .variable, .variable, .newindex)
        case .TSETS: return (.variable, .variable, .string, .newindex)
        case .TSETB: return (.variable, .variable, .literal, .newindex)
        case .TSETM: return (.base, .none, .number, .newindex)
        case .CALLM, .CALL, .ITERC, .ITERN: return (.base, .literal, .literal, .call)
        case .CALLMT, .CALLT: return (.base, .none, .literal, .call)
        case .VARG: return (.base, .literal, .literal, .none)
        case .ISNEXT: return (.base, .none, .jump, .none)
        case .RETM: return (.base, .none, .literal, .none)
        case .RET, .RET0, .RET1: return (.rbase, .none, .literal, .none)
        case .FORI, .JFORI, .FORL, .IFORL, .ITERL, .IITERL: return (.base, .none, .jump, .none)
        case .JFORL, .JITERL: return (.base, .none, .literal, .none)
        case .LOOP, .ILOOP, .JMP: return (.rbase, .none, .jump, .none)
        case .JLOOP: return (.rbase, .none, .literal, .none)
        case .FUNCF, .IFUNCF, .FUNCV, .IFUNCV, .FUNCC, .FUNCCW: return (.rbase, .none, .none, .none)
        case .JFUNCF, .JFUNCV: return (.rbase, .none, .literal, .none)
        }
    }

    /// Whether the instruction uses separate B and C fields (otherwise a 16-bit D).
    @inline(__always) public var hasB: Bool { format.b != .none }

    /// The name as listings print it.
    public var name: String { String(describing: self) }

    /// For ADD*..MOD*, POW and UNM: the operator and where its operands come from.
    @inlinable public var arithmetic: ArithmeticForm? {
        switch self {
        case .ADDVN: return ArithmeticForm(op: .add, operands: .variableNumber)
        case .SUBVN: return ArithmeticForm(op: .sub, operands: .variableNumber)
        case .MULVN: return ArithmeticForm(op: .mul, operands: .variableNumber)
        case .DIVVN: return ArithmeticForm(op: .div, operands: .variableNumber)
        case .MODVN: return ArithmeticForm(op: .mod, operands: .variableNumber)
        case .ADDNV: return ArithmeticForm(op: .add, operands: .numberVariable)
        case .SUBNV: return ArithmeticForm(op: .sub, operands: .numberVariable)
        case .MULNV: return ArithmeticForm(op: .mul, operands: .numberVariable)
        case .DIVNV: return ArithmeticForm(op: .div, operands: .numberVariable)
        case .MODNV: return ArithmeticForm(op: .mod, operands: .numberVariable)
        case .ADDVV: return ArithmeticForm(op: .add, operands: .variableVariable)
        case .SUBVV: return ArithmeticForm(op: .sub, operands: .variableVariable)
        case .MULVV: return ArithmeticForm(op: .mul, operands: .variableVariable)
        case .DIVVV: return ArithmeticForm(op: .div, operands: .variableVariable)
        case .MODVV: return ArithmeticForm(op: .mod, operands: .variableVariable)
        case .POW: return ArithmeticForm(op: .pow, operands: .variableVariable)
        case .UNM: return ArithmeticForm(op: .unm, operands: .unary)
        default: return nil
        }
    }

    /// How the instruction passes control on.
    public var control: ControlClass {
        switch self {
        case .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP,
             .ISTC, .ISFC, .IST, .ISF:
            return .conditional
        case .ISTYPE, .ISNUM: return .guardCheck
        case .JMP, .UCLO, .ISNEXT: return .jump
        case .FORI, .JFORI, .FORL, .IFORL, .JFORL, .ITERL, .IITERL, .JITERL, .LOOP, .ILOOP, .JLOOP: return .loop
        case .CALLM, .CALL, .ITERC, .ITERN: return .call
        case .CALLMT, .CALLT: return .tailCall
        case .RETM, .RET, .RET0, .RET1: return .return
        case .FUNCF, .IFUNCF, .JFUNCF, .FUNCV, .IFUNCV, .JFUNCV, .FUNCC, .FUNCCW: return .header
        default: return .sequential
        }
    }

    /// Control never falls through to the next instruction.
    public var isTerminal: Bool {
        switch control {
        case .jump, .tailCall, .return: return true
        default: return false
        }
    }

    /// The hot-counting form of a loop or header instruction, and its interpreter-only (`I*`)
    /// and trace-entry (`J*`) variants; nil for instructions without variants.
    public var variants: (plain: Opcode, interpreter: Opcode?, trace: Opcode)? {
        switch self {
        case .FORI, .JFORI: return (.FORI, nil, .JFORI)
        case .FORL, .IFORL, .JFORL: return (.FORL, .IFORL, .JFORL)
        case .ITERL, .IITERL, .JITERL: return (.ITERL, .IITERL, .JITERL)
        case .LOOP, .ILOOP, .JLOOP: return (.LOOP, .ILOOP, .JLOOP)
        case .FUNCF, .IFUNCF, .JFUNCF: return (.FUNCF, .IFUNCF, .JFUNCF)
        case .FUNCV, .IFUNCV, .JFUNCV: return (.FUNCV, .IFUNCV, .JFUNCV)
        default: return nil
        }
    }

    /// Only the interpreter and the JIT create it (patched in place); the frontend never emits it.
    public var isPatchedVariant: Bool {
        guard let v = variants else { return false }
        return v.plain != self
    }
}

/// The arithmetic operators (the metamethod each falls back to has the same name).
public enum ArithmeticOperator: UInt8 {
    case add, sub, mul, div, mod, pow, unm
}

/// Where an arithmetic instruction's operands come from: B is a register, C a number
/// constant or a register; UNM reads register D.
public enum ArithmeticOperands: UInt8 {
    case variableNumber, numberVariable, variableVariable, unary
}

@frozen public struct ArithmeticForm: Equatable {
    public let op: ArithmeticOperator
    public let operands: ArithmeticOperands
    @inlinable public init(op: ArithmeticOperator, operands: ArithmeticOperands) { self.op = op; self.operands = operands }
}

/// How an instruction passes control on.
public enum ControlClass: UInt8 {
    /// Goes on with the next instruction.
    case sequential
    /// A comparison or test: the following JMP is taken or skipped.
    case conditional
    /// A type check inside a trace (ISTYPE, ISNUM).
    case guardCheck
    /// Jumps by D (JMP, UCLO, ISNEXT).
    case jump
    /// A loop instruction (FORI, FORL, ITERL, LOOP and their variants).
    case loop
    /// Calls a value and goes on after it (CALL, CALLM, ITERC, ITERN).
    case call
    /// Replaces the frame with a call (CALLT, CALLMT).
    case tailCall
    /// Leaves the frame (RET*).
    case `return`
    /// A function header (FUNC*).
    case header
}

/// The registers an instruction writes.
public enum SlotWrites: Equatable {
    case none
    /// One register.
    case one(Int)
    /// `count` registers from `from` (nil: as many as the instruction produces).
    case range(from: Int, count: Int?)
}

/// Offset added to jump distances so they fit the unsigned D field.
public let jumpBias: Int32 = 0x8000
/// The "no register" marker in an A field.
public let noRegister: UInt32 = 0xff
/// Largest value of the C and D fields.
public let maxC: UInt32 = 0xff
public let maxD: UInt32 = 0xffff

/// One 32-bit instruction. Layout (low to high): opcode, A, then C and B, or D over both.
@frozen public struct Instruction: Equatable {
    public var raw: UInt32

    @inline(__always) public init(raw: UInt32) { self.raw = raw }
    @inline(__always) public init(_ op: Opcode, a: UInt32, d: UInt32) {
        raw = UInt32(op.rawValue) | (a << 8) | (d << 16)
    }
    @inline(__always) public init(_ op: Opcode, a: UInt32, b: UInt32, c: UInt32) {
        raw = UInt32(op.rawValue) | (a << 8) | (c << 16) | (b << 24)
    }
    /// A jump: D holds the biased distance from the next instruction.
    @inline(__always) public init(_ op: Opcode, a: UInt32, jump: Int32) {
        self.init(op, a: a, d: UInt32(truncatingIfNeeded: jump + jumpBias) & 0xffff)
    }

    @inline(__always) public var opcode: Opcode { Opcode(rawValue: UInt8(truncatingIfNeeded: raw))! }
    @inline(__always) public var opByte: UInt8 { UInt8(truncatingIfNeeded: raw) }
    @inline(__always) public var a: UInt32 {
        get { (raw >> 8) & 0xff }
        set { raw = (raw & 0xffff_00ff) | (newValue << 8) }
    }
    @inline(__always) public var b: UInt32 {
        get { raw >> 24 }
        set { raw = (raw & 0x00ff_ffff) | (newValue << 24) }
    }
    @inline(__always) public var c: UInt32 {
        get { (raw >> 16) & 0xff }
        set { raw = (raw & 0xff00_ffff) | (newValue << 16) }
    }
    @inline(__always) public var d: UInt32 {
        get { raw >> 16 }
        set { raw = (raw & 0x0000_ffff) | (newValue << 16) }
    }
    /// Signed jump distance relative to the next instruction.
    @inline(__always) public var jump: Int32 {
        get { Int32(d) - jumpBias }
        set { d = UInt32(newValue + jumpBias) & 0xffff }
    }

    // The fields as indexes (registers, constants, counts): what the engines read.
    @inlinable @inline(__always) public init(_ raw: UInt32) { self.raw = raw }
    @inlinable @inline(__always) public var ra: Int { Int((raw >> 8) & 0xff) }
    @inlinable @inline(__always) public var rb: Int { Int(raw >> 24) }
    @inlinable @inline(__always) public var rc: Int { Int((raw >> 16) & 0xff) }
    @inlinable @inline(__always) public var rd: Int { Int(raw >> 16) }
    /// D as a signed 16-bit literal (KSHORT).
    @inlinable @inline(__always) public var signedD: Int { Int(Int16(truncatingIfNeeded: raw >> 16)) }
    /// The jump distance as an index offset from the next instruction.
    @inlinable @inline(__always) public var jumpOffset: Int { Int(raw >> 16) - Int(jumpBias) }
    /// The index a jump at index `pc` goes to.
    @inlinable @inline(__always) public func jumpTarget(from pc: Int) -> Int { pc + 1 + jumpOffset }
    /// The opcode of an instruction of verified bytecode (every byte names an opcode there).
    @inlinable @inline(__always) public var verifiedOpcode: Opcode { unsafeBitCast(UInt8(truncatingIfNeeded: raw), to: Opcode.self) }

    /// The registers whose values this instruction may change (a call: everything from its
    /// function slot up, where the callee's frame lives; VARG: its results; a numeric for:
    /// its four control slots; ITERN: the hidden position too).
    public var writes: SlotWrites {
        let op = opcode
        switch op {
        case .KNIL: return .range(from: ra, count: rd - ra + 1)
        case .CALL, .CALLM, .ITERC: return .range(from: ra, count: nil)
        case .VARG: return .range(from: ra, count: rb == 0 ? nil : rb - 1)
        case .ITERN: return .range(from: ra - 1, count: nil)
        case .ISNEXT, .ITERL, .IITERL, .JITERL: return .one(ra - 1)
        case .FORI, .JFORI, .FORL, .IFORL, .JFORL: return .range(from: ra, count: 4)
        case .TSETM: return .none
        default: return op.format.a == .dst ? .one(ra) : .none
        }
    }

    /// Whether this instruction may write register `r`.
    public func mayWrite(_ r: Int) -> Bool {
        switch writes {
        case .none: return false
        case .one(let w): return w == r
        case .range(let from, let count): return r >= from && (count == nil || r < from + count!)
        }
    }

    /// The registers this instruction reads (calls: the function and its fixed arguments;
    /// multiple-result forms read, beyond these, the results of the instruction before).
    public var reads: [Int] {
        let op = opcode
        switch op {
        case .CAT: return Array(rb...rc)
        case .KNIL, .UCLO, .JMP, .LOOP, .ILOOP, .JLOOP, .RET0, .VARG: return []
        case .CALL: return Array(ra..<(ra + 2 + rc - 1)).filter { $0 != ra + 1 }
        case .CALLM: return Array(ra..<(ra + 2 + rc)).filter { $0 != ra + 1 }
        case .CALLT: return Array(ra..<(ra + 2 + rd - 1)).filter { $0 != ra + 1 }
        case .CALLMT: return Array(ra..<(ra + 2 + rd)).filter { $0 != ra + 1 }
        case .ITERC, .ITERN: return [ra - 3, ra - 2, ra - 1]
        case .ISNEXT: return [ra - 3, ra - 2, ra - 1]
        case .ITERL, .IITERL, .JITERL: return [ra]
        case .FORI, .JFORI: return [ra, ra + 1, ra + 2]
        case .FORL, .IFORL, .JFORL: return [ra, ra + 1, ra + 2]
        case .TSETM: return [ra - 1]
        case .RET: return Array(ra..<(ra + rd - 1))
        case .RET1: return [ra]
        case .RETM: return Array(ra..<(ra + rd))
        default:
            let format = op.format
            var registers: [Int] = []
            if format.a == .variable { registers.append(ra) }
            if format.b == .variable { registers.append(rb) }
            if format.cd == .variable { registers.append(op.hasB ? rc : rd) }
            return registers
        }
    }

    /// The registers an arithmetic instruction reads.
    public var arithmeticOperands: [Int] {
        switch opcode.arithmetic?.operands {
        case .unary?: return [rd]
        case .variableVariable?: return [rb, rc]
        case .variableNumber?, .numberVariable?: return [rb]
        case nil: return []
        }
    }

    @inline(__always) public mutating func setOpcode(_ op: Opcode) {
        raw = (raw & 0xffff_ff00) | UInt32(op.rawValue)
    }
}
