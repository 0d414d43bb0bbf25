/// The numeric fast functions: the `math` functions and every `bit` operation but `tohex`.
/// Each reads number arguments only and answers one number, without allocating, raising an
/// error or touching anything of the run's, so a call instruction may answer such a call on
/// its registers before anything else (`callNumeric`, InterpreterCalls.swift). The general
/// fast-function path (InterpreterFastFunctions.swift) answers them through here too.
import Glibc

enum NumericFastFunction {
    /// Whether fast-function id `id` names one of them: `sqrt` to `fmod`, and the builtins
    /// `mathUnary` to `ror` (two ranges of consecutive ids).
    @inline(__always) static func covers(_ id: UInt8) -> Bool {
        id &- FastFunction.sqrt.rawValue <= FastFunction.fmod.rawValue &- FastFunction.sqrt.rawValue
            || id &- FastBuiltin.mathUnary.rawValue <= FastBuiltin.ror.rawValue &- FastBuiltin.mathUnary.rawValue
    }

    /// The result of fast function `f` (id `id`) on the `n` arguments at `args`, or nil when
    /// the builtin itself must answer (too few arguments, one that is not a number: numeric
    /// strings and the errors are the builtin's).
    @inline(__always) static func result(_ id: UInt8, _ f: FunctionRef, _ args: UnsafeMutablePointer<Value>, _ n: Int) -> Double? {
        guard n >= 1, args[0].isNumber else { return nil }
        let x = args[0].number
        if let ff = FastFunction(id: id) {
            switch ff {
            case .sqrt: return x.squareRoot()
            case .abs: return Swift.abs(x)
            case .floor, .ceil, .sin, .cos, .tan, .exp: return unaryMathFunction(of: f)(x)
            case .log:
                // `math.log(x, base)` is the builtin's.
                return n == 1 || args[1].isNil ? Glibc.log(x) : nil
            case .fmod:
                guard n >= 2, args[1].isNumber else { return nil }
                return binaryMathFunction(of: f)(x, args[1].number)
            case .min, .max:
                var m = x
                var i = 1
                while i < n {
                    guard args[i].isNumber else { return nil }
                    m = ff == .min ? keepBetter(m, args[i].number, <) : keepBetter(m, args[i].number, >)
                    i += 1
                }
                return m
            case .ipairsIterator, .type:
                return nil
            }
        }
        guard let fb = FastBuiltin(id: id) else { return nil }
        switch fb {
        case .mathUnary: return unaryMathFunction(of: f)(x)
        case .atan: return Glibc.atan(x)
        case .mathBinary:
            guard n >= 2, args[1].isNumber else { return nil }
            return binaryMathFunction(of: f)(x, args[1].number)
        case .tobit: return Double(toBit(x))
        case .bnot: return Double(~toBit(x))
        case .bswap: return Double(BitOperation.bswap(toBit(x)))
        case .band: return fold(args, n, BitOperation.band)
        case .bor: return fold(args, n, BitOperation.bor)
        case .bxor: return fold(args, n, BitOperation.bxor)
        case .lshift: return shift(args, n, BitOperation.lshift)
        case .rshift: return shift(args, n, BitOperation.rshift)
        case .arshift: return shift(args, n, BitOperation.arshift)
        case .rol: return shift(args, n, BitOperation.rol)
        case .ror: return shift(args, n, BitOperation.ror)
        default: return nil
        }
    }

    /// `band`, `bor`, `bxor` over all their arguments (the first is a number already).
    @inline(__always) private static func fold(_ args: UnsafeMutablePointer<Value>, _ n: Int,
                                               _ op: (Int32, Int32) -> Int32) -> Double? {
        var r = toBit(args[0].number)
        var i = 1
        while i < n {
            guard args[i].isNumber else { return nil }
            r = op(r, toBit(args[i].number))
            i += 1
        }
        return Double(r)
    }

    /// The shifts and rotations: a number shifted by a number (its low five bits).
    @inline(__always) private static func shift(_ args: UnsafeMutablePointer<Value>, _ n: Int,
                                                _ op: (Int32, UInt32) -> Int32) -> Double? {
        guard n >= 2, args[1].isNumber else { return nil }
        return Double(op(toBit(args[0].number), BitOperation.shiftCount(args[1].number)))
    }
}
