/// 64-bit integer cdata arithmetic as LLVM code, for both engines: the traces' unboxed
/// integers (PerigeeJIT) and compiled functions' (PerigeeAOT) compute with these, so that
/// both give the runtime's answers (runtime/FFI/CInteger64.swift, luajit's rules).
///
/// Signedness is an i1 (`unsigned`): a constant where the code knows the operation's type,
/// a value where it learns it from the operands at run time; LLVM folds the other case away
/// for constants.
import CLLVM
import PerigeeFrontend
import PerigeeLLVM
import PerigeeRuntime

extension RuntimeCodeEmitter {
    /// A constant signedness.
    public func signedness(unsigned: Bool) -> LLVMValueRef { cx.constant(unsigned ? 1 : 0, cx.i1) }

    /// `x op y` for `+ - * / %` and unary minus (`y` ignored) on 64 bits, wrapping around:
    /// division and modulo by zero answer 2^63 (both signs, both operators); the smallest
    /// `int64_t` divided by -1 answers itself, its remainder 0.
    public func integer64Arithmetic(_ op: ArithmeticOperator, _ x: LLVMValueRef, _ y: LLVMValueRef,
                                    unsigned: LLVMValueRef) -> LLVMValueRef {
        switch op {
        case .unm: return b.sub(i64(0), x)
        case .add: return b.add(x, y)
        case .sub: return b.sub(x, y)
        case .mul: return b.mul(x, y)
        case .pow: preconditionFailure("`^` on 64-bit integers is computed by the runtime")
        case .div, .mod: break
        }
        let zero = b.icmp(LLVMIntEQ, y, i64(0))
        let smallest = bits(1 << 63)
        let overflow = b.and(b.icmp(LLVMIntEQ, x, smallest), b.icmp(LLVMIntEQ, y, i64(-1)))
        let signedUnsafe = b.or(zero, overflow)
        let divisor = b.select(b.select(unsigned, zero, signedUnsafe), i64(1), y)
        let signedResult = op == .div ? b.sdiv(x, divisor) : b.srem(x, divisor)
        let unsignedResult = op == .div ? b.udiv(x, divisor) : b.urem(x, divisor)
        return b.select(zero, smallest, b.select(unsigned, unsignedResult, signedResult))
    }

    /// A number operand of a 64-bit operation, truncated to its type (`doubleToInt64` or
    /// `doubleToUInt64`).
    /// Numbers in [0, 2^63) (the common case: counts, bytes, sizes) convert the same way
    /// for both types and take one branch; the others the full conversions.
    public func integer64(fromNumber d: LLVMValueRef, unsigned: LLVMValueRef) -> LLVMValueRef {
        let start = b.insertBlock!
        let other = newBlock("i64.convert"), joined = newBlock("i64.converted")
        let plain = b.and(b.fcmp(LLVMRealOGE, d, cx.constant(0.0)), b.fcmp(LLVMRealOLT, d, cx.constant(9_223_372_036_854_775_808.0)))
        let fast = b.fptosi(d, cx.i64)
        b.condBr(plain, joined, other)
        b.position(atEndOf: other)
        let converted = b.select(unsigned, toUInt64(d), toInt64(d))
        b.br(joined)
        b.position(atEndOf: joined)
        return b.phi(cx.i64, [(fast, start), (converted, other)])
    }

    /// `x < y` (`orEqual`: `x <= y`) of two 64-bit integers of the given signedness.
    public func integer64Less(_ x: LLVMValueRef, _ y: LLVMValueRef, orEqual: Bool, unsigned: LLVMValueRef) -> LLVMValueRef {
        let s = b.icmp(orEqual ? LLVMIntSLE : LLVMIntSLT, x, y)
        let u = b.icmp(orEqual ? LLVMIntULE : LLVMIntULT, x, y)
        return b.select(unsigned, u, s)
    }

    /// The C type of boxed value `v` when it is an `int64_t` or `uint64_t` cdata: its 64 bits
    /// and whether it is unsigned; control goes to `other` for any other value.
    public func cdataInteger64(_ v: LLVMValueRef, other: LLVMBasicBlockRef) -> (bits: LLVMValueRef, unsigned: LLVMValueRef) {
        guardOr(hasTag(v, ValueBits.cdataTag), slow: other)
        let object = objectPointer(v)
        let ctype = loadField(object, RuntimeLayout.cdataType, cx.i32)
        let unsigned = b.icmp(LLVMIntEQ, ctype, cx.constant(Int64(CInteger64.unsignedType), cx.i32))
        let signed = b.icmp(LLVMIntEQ, ctype, cx.constant(Int64(CInteger64.signedType), cx.i32))
        guardOr(b.or(signed, unsigned), slow: other)
        return (loadField(object, RuntimeLayout.cdataPayload, cx.i64), unsigned)
    }
}
