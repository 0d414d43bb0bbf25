/// Fast-function ids: builtins whose work compiled code can do inline. Such a builtin's
/// `ffid` names it, so a call site that expects, say, `math.sqrt` tests one byte of the
/// callee and computes the square root itself; any other callee (a user's replacement
/// of `math.sqrt` included) takes the ordinary call. The builtin stays the reference:
/// inline code handles only the cases it computes identically (number arguments in the
/// builtin's exact count) and calls the builtin for everything else, errors included.
public enum FastFunction: UInt8, CaseIterable {
    case sqrt = 2, floor, ceil, abs, sin, cos, tan, exp, log, min, max, fmod
    /// The iterator `ipairs` returns (a generic `for` over it steps the array inline).
    case ipairsIterator
    /// `type` (its answer comes from `perigee_type_name`, without a call frame).
    case type

    /// The fast function with id `id`, or nil (a case is stored as its index, from 0 in
    /// declaration order, so this is a subtraction and a comparison; FastFunctionTests checks
    /// every id).
    @inline(__always) public init?(id: UInt8) {
        let index = id &- FastFunction.sqrt.rawValue
        guard index <= FastFunction.type.rawValue &- FastFunction.sqrt.rawValue else { return nil }
        self = unsafeBitCast(index, to: FastFunction.self)
    }

    /// The name this fast function is registered under (a switch, not reflection: the
    /// libraries ask while a state starts).
    public var name: String {
        switch self {
        case .sqrt: return "sqrt"
        case .floor: return "floor"
        case .ceil: return "ceil"
        case .abs: return "abs"
        case .sin: return "sin"
        case .cos: return "cos"
        case .tan: return "tan"
        case .exp: return "exp"
        case .log: return "log"
        case .min: return "min"
        case .max: return "max"
        case .fmod: return "fmod"
        case .ipairsIterator: return "ipairs_iterator"
        case .type: return "type"
        }
    }

    /// Arguments the inline form takes (calls with another count use the builtin).
    public var arity: Int {
        switch self {
        case .min, .max, .fmod: return 2
        default: return 1
        }
    }

    /// The function registered as `name` (math functions, `type`).
    public init?(named name: String) {
        guard let f = FastFunction.allCases.first(where: { $0.name == name && $0 != .ipairsIterator }) else { return nil }
        self = f
    }
}

/// The other fast functions: builtins the interpreter runs on a call's registers without a
/// frame of their own (as do the `FastFunction`s; see Interpreter/InterpreterFastFunctions.swift),
/// which compiled code calls as it calls any builtin. Their ids follow `FastFunction`'s.
public enum FastBuiltin: UInt8, CaseIterable {
    /// The one-argument math functions that keep their C function as an upvalue (`asin`,
    /// `log10`, `deg`, ...; `sqrt`, `floor` and the others compiled code inlines have their
    /// own ids), and the two-argument ones (`pow`, `atan2`; `fmod` has its own id).
    case mathUnary = 16, mathBinary, atan
    case tobit, bnot, bswap, band, bor, bxor, lshift, rshift, arshift, rol, ror, tohex
    case tostring, tonumber, rawget, rawset, rawequal, select, setmetatable, getmetatable,
         assert, unpack, next
    case stringLen, stringSub, stringByte, stringChar
}

extension FastBuiltin {
    /// The fast builtin with id `id`, or nil (as `FastFunction(id:)`).
    @inline(__always) public init?(id: UInt8) {
        let index = id &- FastBuiltin.mathUnary.rawValue
        guard index <= FastBuiltin.stringChar.rawValue &- FastBuiltin.mathUnary.rawValue else { return nil }
        self = unsafeBitCast(index, to: FastBuiltin.self)
    }
}
