/// Integers known exactly behind registers that hold numbers, for `bit` operations.
///
/// A register holding the result of an inline `bit` operation holds a 32-bit integer; a sum,
/// difference or product of such integers and integer constants is an integer too, and as
/// long as its magnitude stays below 2^51 the double arithmetic that Lua's semantics ask for
/// computed it exactly. A `bit` operation on such a register takes the integer's low 32 bits,
/// which is what `tobit` of the double gives, so hash loops like
/// `h = tobit(h + lshift(h, 1) + lshift(h, 4))` run on integer adds and shifts instead of a
/// chain of conversions and double adds (LuaJIT's narrowing does the same on its traces).
/// The double result is still computed and stored: the register's value does not change,
/// only the route a `bit` operation takes to its 32-bit operand.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM

/// An exact integer copy (an i64) of a register's number, and a bound on its magnitude:
/// below 2^magnitudeBits.
struct ExactInteger {
    let value: LLVMValueRef
    let magnitudeBits: Int

    /// Beyond 2^51, `tobit`'s rounding of the double and the low 32 bits of the integer part ways.
    static let maximumBits = 51
}

extension FunctionLowering {
    /// The exact integer behind the operand `r` of an arithmetic instruction: a register's
    /// copy, or a number constant (`constant`) that is an integer below 2^31 and not -0.
    func exactOperand(register r: Int) -> ExactInteger? { exactIntegers[r] }

    func exactOperand(constant c: Int) -> ExactInteger? {
        let d = proto.numberConstants[c]
        guard d == d.rounded(.towardZero), abs(d) < 2_147_483_648, d.sign == .plus || d != 0 else { return nil }
        let n = Int64(d)
        return ExactInteger(value: i64(Int(n)), magnitudeBits: max(1, 64 - n.magnitude.leadingZeroBitCount))
    }

    /// Records in `exactIntegers[a]` the integer result of `op` (add, subtract, multiply) on
    /// two exact operands, when its magnitude bound stays within what doubles compute exactly.
    func recordExactArithmetic(_ op: ArithmeticOperator, _ a: Int, _ x: ExactInteger?, _ y: ExactInteger?) {
        guard let x, let y else { return }
        let bits: Int, value: LLVMValueRef
        switch op {
        case .add: bits = max(x.magnitudeBits, y.magnitudeBits) + 1; value = b.add(x.value, y.value)
        case .sub: bits = max(x.magnitudeBits, y.magnitudeBits) + 1; value = b.sub(x.value, y.value)
        case .mul: bits = x.magnitudeBits + y.magnitudeBits; value = b.mul(x.value, y.value)
        default: return
        }
        guard bits <= ExactInteger.maximumBits else { return }
        exactIntegers[a] = ExactInteger(value: value, magnitudeBits: bits)
    }

    /// The 32-bit operand a `bit` operation takes from register `r`, when it has an exact copy.
    func exactBitOperand(_ r: Int) -> LLVMValueRef? {
        exactIntegers[r].map { b.trunc($0.value, cx.i32) }
    }

    /// Records the 32-bit result `r` of an inline `bit` operation in register `a`.
    func recordBitResult(_ a: Int, _ r: LLVMValueRef) {
        exactIntegers[a] = ExactInteger(value: b.sext(r, cx.i64), magnitudeBits: 32)
    }
}
