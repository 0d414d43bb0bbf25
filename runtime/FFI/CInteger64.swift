/// 64-bit integer cdata (`int64_t`, `uint64_t`) in arithmetic and comparisons, as luajit
/// computes them: numbers are truncated to the operation's type, which is `uint64_t` when
/// either operand is one and `int64_t` otherwise; results wrap around 2^64. These are the
/// runtime's answers, which compiled code (Sources/PerigeeCodegen/Integer64Code.swift)
/// computes inline with the same rules, and the interpreter's way past the cdata
/// metamethods: the operands' C type ids are compared with the two built-in ids, without a
/// look at the type table.
import Glibc
import PerigeeFrontend

/// The C type ids of `int64_t` and `uint64_t`, which compiled code tests a cdata's type
/// against before computing with its 64 bits.
public enum CInteger64 {
    public static let signedType: CTypeID = CTypeBuiltin.int64
    public static let unsignedType: CTypeID = CTypeBuiltin.uint64

    /// An operand: a number (false) or an `int64_t`/`uint64_t` cdata (true); nil for
    /// anything else. `unsigned` is set for a `uint64_t`.
    @inline(__always) static func isCData(_ v: Value, _ unsigned: inout Bool) -> Bool? {
        if v.isNumber { return false }
        guard v.isCData else { return nil }
        let id = v.cdata.pointee.ctype
        if id == unsignedType {
            unsigned = true
            return true
        }
        return id == signedType ? true : nil
    }

    /// The 64 bits of an operand in an operation of the given signedness.
    @inline(__always) static func bits(_ v: Value, cdata: Bool, unsigned: Bool) -> UInt64 {
        if cdata { return v.cdata.payload.load(as: UInt64.self) }
        return unsigned ? doubleToUInt64(v.number) : UInt64(bitPattern: doubleToInt64(v.number))
    }

    /// `a op b` in `int64_t`: division and modulo by zero give 2^63, the smallest value
    /// divided by -1 gives itself (remainder 0), as luajit's `lj_carith_divi64` and friends.
    static func signed(_ op: ArithmeticOperator, _ a: Int64, _ b: Int64) -> Int64 {
        switch op {
        case .add: return a &+ b
        case .sub: return a &- b
        case .mul: return a &* b
        case .div:
            if b == 0 { return Int64.min }
            if a == Int64.min && b == -1 { return a }
            return a / b
        case .mod:
            if b == 0 { return Int64.min }
            if a == Int64.min && b == -1 { return 0 }
            return a % b
        case .pow:
            if b < 0 {
                if a == 1 { return 1 }
                if a == -1 { return b & 1 == 0 ? 1 : -1 }
                return 0
            }
            return Int64(bitPattern: power(UInt64(bitPattern: a), UInt64(b)))
        case .unm: return 0 &- a
        }
    }

    /// `a op b` in `uint64_t` (division and modulo by zero give 2^63).
    static func unsigned(_ op: ArithmeticOperator, _ a: UInt64, _ b: UInt64) -> UInt64 {
        switch op {
        case .add: return a &+ b
        case .sub: return a &- b
        case .mul: return a &* b
        case .div: return b == 0 ? 1 << 63 : a / b
        case .mod: return b == 0 ? 1 << 63 : a % b
        case .pow: return power(a, b)
        case .unm: return 0 &- a
        }
    }

    private static func power(_ base: UInt64, _ exponent: UInt64) -> UInt64 {
        var result: UInt64 = 1, b = base, e = exponent
        while e > 0 {
            if e & 1 != 0 { result = result &* b }
            b = b &* b
            e >>= 1
        }
        return result
    }
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// `a op b` when the operands are numbers and `int64_t`/`uint64_t` cdata, at least one
    /// a cdata: the new cdata (nil bits' `.outOfMemory` when allocation fails); nil for
    /// other operands, which the general path takes.
    @inline(__always) func integer64Arithmetic(_ op: ArithmeticOperator, _ a: Value, _ b: Value) -> CArithmeticResult? {
        var unsigned = false
        guard let x = CInteger64.isCData(a, &unsigned), let y = CInteger64.isCData(b, &unsigned), x || y else { return nil }
        let l = CInteger64.bits(a, cdata: x, unsigned: unsigned), r = CInteger64.bits(b, cdata: y, unsigned: unsigned)
        let result = unsigned ? CInteger64.unsigned(op, l, r)
            : UInt64(bitPattern: CInteger64.signed(op, Int64(bitPattern: l), Int64(bitPattern: r)))
        guard let cd = newCData(unsigned ? CInteger64.unsignedType : CInteger64.signedType, size: 8) else { return .outOfMemory }
        cd.payload.storeBytes(of: result, as: UInt64.self)
        return .value(Value(cdata: cd))
    }

    /// `a < b` (`lessEqual`: `a <= b`), or `a == b` with `equality`, of numbers and
    /// `int64_t`/`uint64_t` cdata, at least one a cdata; nil for other operands.
    @inline(__always) func integer64Comparison(_ a: Value, _ b: Value, lessEqual: Bool, equality: Bool) -> Bool? {
        var unsigned = false
        guard let x = CInteger64.isCData(a, &unsigned), let y = CInteger64.isCData(b, &unsigned), x || y else { return nil }
        let l = CInteger64.bits(a, cdata: x, unsigned: unsigned), r = CInteger64.bits(b, cdata: y, unsigned: unsigned)
        if equality { return l == r }
        let less = unsigned ? l < r : Int64(bitPattern: l) < Int64(bitPattern: r)
        return less || (lessEqual && l == r)
    }
}
