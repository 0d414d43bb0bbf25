/// Lowering of 64-bit integer cdata arithmetic (see TraceRecorder+CArithmetic.swift): i64
/// arithmetic that wraps around, division and modulo with the runtime's answers where C's
/// are undefined (PerigeeCodegen's `integer64Arithmetic`, shared with compiled functions:
/// runtime/FFI/CInteger64.swift, luajit's `lj_carith_divi64` and friends), the
/// conversions, unboxed slots (the cdata's C type guarded), and the cdata an unboxed
/// integer stands for, made by `perigee_cdata_integer` only where a boxed value is needed.
import CLLVM
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

extension TraceLowering {
    /// Whether IR type `type` is a 64-bit integer's.
    static func isInteger64(_ type: IRType) -> Bool { type == .int64 || type == .uint64 }

    /// ADD SUB MUL DIV MOD NEG of IR type int64 or uint64, as PerigeeCodegen computes them
    /// for both engines.
    func integer64Arithmetic(_ ins: IRIns) -> LLVMValueRef {
        let x = value(ins.ref1)
        let y = ins.op == .NEG ? x : value(ins.ref2)
        return integer64Arithmetic(ins.op.arithmeticOperator!, x, y, unsigned: signedness(unsigned: ins.type == .uint64))
    }

    /// CONV: between numbers, 32- and 64-bit integers and addresses (`IRConversion`).
    func conversion(_ ins: IRIns) -> LLVMValueRef {
        let v = value(ins.ref1)
        switch IRConversion(rawValue: ins.op2)! {
        case .intToNumber: return b.sitofp(v, cx.double)
        case .numberToInt64: return toInt64(v)
        case .numberToUInt64: return toUInt64(v)
        case .int64ToNumber: return b.sitofp(v, cx.double)
        case .uint64ToNumber: return b.uitofp(v, cx.double)
        case .pointerToInt64: return b.ptrToInt(v, cx.i64)
        }
    }

    /// ULT UGE ULE UGT: unsigned 64-bit integers or addresses.
    func unsignedComparison(_ ins: IRIns, exit: Int) {
        func operand(_ ref: IRRef) -> LLVMValueRef {
            ir[ref].type == .pointer ? b.ptrToInt(value(ref), cx.i64) : value(ref)
        }
        let predicate = [.ULT: LLVMIntULT, .UGE: LLVMIntUGE, .ULE: LLVMIntULE, .UGT: LLVMIntUGT][ins.op]!
        guardHolds(b.icmp(predicate, operand(ins.ref1), operand(ins.ref2)), exit: exit)
    }

    /// The value of boxed `v` that must be an `int64_t` (or `uint64_t`, for IR type uint64)
    /// cdata: its tag and C type guarded, its 64 bits loaded.
    func checkedInteger64(_ v: LLVMValueRef, _ type: IRType, exit: Int) -> LLVMValueRef {
        guardHolds(hasTag(v, 0x1FFFF ^ UInt64(IRType.cdata.rawValue)), exit: exit)
        let object = objectPointer(v)
        let id = global.cdataInteger64ID(unsigned: type == .uint64)
        guardHolds(b.icmp(LLVMIntEQ, loadField(object, RuntimeLayout.cdataType, cx.i32), cx.constant(Int64(id), cx.i32)), exit: exit)
        return loadField(object, RuntimeLayout.cdataPayload, cx.i64)
    }

    /// Whether `ref` is an integer cdata the trace has not made (CNEWI).
    func isInteger64Box(_ ref: IRRef) -> Bool { !ref.isConstant && ir[ref].op == .CNEWI }

    /// The boxed cdata of CNEWI `ref`, made now.
    func integer64Bits(_ ref: IRRef) -> LLVMValueRef {
        integer64Bits(ctype: Int(ir[ref].op2), value(ref))
    }

    /// A new cdata of C type `ctype` holding the 64 bits `v`, as boxed value bits.
    func integer64Bits(ctype: Int, _ v: LLVMValueRef) -> LLVMValueRef {
        let type = cx.function(cx.i64, [rt.i8p, cx.i32, cx.i64])
        let helper = b.intToPtr(bits(perigeeCDataIntegerAddress), cx.pointer(to: type))
        let g = b.intToPtr(bits(UInt64(UInt(bitPattern: UnsafeMutableRawPointer(global)))), rt.i8p)
        return b.call(type, helper, [g, cx.constant(Int64(ctype), cx.i32), v])
    }
}
