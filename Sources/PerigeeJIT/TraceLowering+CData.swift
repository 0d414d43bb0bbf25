/// Lowering of the trace IR's C data instructions (see TraceRecorder+CData.swift): element
/// offsets, addresses, loads and stores of C scalars with luajit's conversions (the same
/// conversions the runtime's `CTypeCore.store` and `cdataRead` make, built from the shared
/// `toInt32`/`toInt64`/`toUInt64`), and the reference cdata a CREF stands for, made by
/// `perigee_cdata_reference` only where a boxed value is needed.
import CLLVM
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

extension TraceLowering {
    /// `perigee_cdata_reference`'s address.
    static var referenceHelper: UInt64 { perigeeCDataReferenceAddress }

    /// A carried slot's value that is the address of a reference not made yet (a CREF's,
    /// round the loop): its bits carry this tag, which no Lua value has.
    static let sunkTag = 0x1FFFF ^ UInt64(IRType.proto.rawValue)

    func lowerCData(_ ref: IRRef, _ ins: IRIns, exit: Int) -> LLVMValueRef? {
        switch ins.op {
        case .CINDEX:
            // A number index times the element size; an index the narrowed loop counts is an
            // integer already. Beyond ±2^52 the interpreter computes it (fptosi would be poison).
            let key = value(ins.ref1)
            let index: LLVMValueRef
            if let n = integers[key] {
                index = b.sext(n, cx.i64)
            } else {
                let limit = cx.constant(4_503_599_627_370_496.0)
                guardHolds(b.and(b.fcmp(LLVMRealOLT, key, limit), b.fcmp(LLVMRealOGT, key, b.fneg(limit))), exit: exit)
                index = b.fptosi(key, cx.i64)
            }
            return b.mul(index, i64(Int(ins.op2)))
        case .CADDR:
            let offset = ins.ref2.isConstant ? i64(Int(ir.intValue(ins.ref2))) : value(ins.ref2)
            return b.gep(cx.i8, value(ins.ref1), [offset], inBounds: false)
        case .CLOAD:
            return loadScalar(ins, exit: exit)
        case .CSTORE:
            storeScalar(ins)
            return nil
        case .CREF:
            // The address; the object is made where it is boxed (`referenceBits`).
            return value(ins.ref1)
        case .CCALL:
            return callC(ins, exit: exit)
        default:
            preconditionFailure("not a C data instruction: \(ins.op.name)")
        }
    }

    private func storageType(_ storage: CScalarStorage) -> LLVMTypeRef {
        switch storage {
        case .int8, .uint8, .bool: return cx.i8
        case .int16, .uint16: return cx.int(bits: 16)
        case .int32, .uint32: return cx.i32
        case .int64, .uint64: return cx.i64
        case .float: return cx.float
        case .double: return cx.double
        }
    }

    /// A number that may be any NaN from C memory, made the canonical NaN (another could
    /// read as a tagged value).
    private func canonical(_ d: LLVMValueRef) -> LLVMValueRef {
        let raw = b.bitcast(d, cx.i64)
        let tagged = b.icmp(LLVMIntUGE, raw, bits(ValueBits.numberBound))
        return b.bitcast(b.select(tagged, bits(Value.canonicalNaN), raw), cx.double)
    }

    private func loadScalar(_ ins: IRIns, exit: Int) -> LLVMValueRef? {
        // An address, as it is (a pointer member or element).
        if ins.op2 == CTraceStorage.pointer { return b.load(rt.i8p, b.pointerCast(value(ins.ref1), cx.pointer(to: rt.i8p))) }
        let storage = CScalarStorage(rawValue: UInt8(ins.op2))!
        let type = storageType(storage)
        let v = b.load(type, b.pointerCast(value(ins.ref1), cx.pointer(to: type)))
        // A 64-bit integer kept as it is (TraceRecorder+CArithmetic).
        if TraceLowering.isInteger64(ins.type) { return v }
        switch storage {
        case .bool:
            // Guarded to the boolean seen while recording.
            let isTrue = b.icmp(LLVMIntNE, v, cx.constant(0, cx.i8))
            guardHolds(ins.type == .true ? isTrue : b.xor(isTrue, cx.constant(1, cx.i1)), exit: exit)
            return nil
        case .double: return canonical(v)
        case .float: return canonical(b.fpext(v, cx.double))
        case .uint8, .uint16, .uint32, .uint64: return b.uitofp(v, cx.double)
        case .int8, .int16, .int32, .int64: return b.sitofp(v, cx.double)
        }
    }

    /// A number stored as C stores it (`CTypeCore.store` of a double).
    private func storeScalar(_ ins: IRIns) {
        if TraceLowering.isInteger64(ir[ins.ref2].type) { return storeInteger64(ins) }
        let d = value(ins.ref2)
        let converted: LLVMValueRef
        let type: LLVMTypeRef
        switch ins.type {
        case .number: converted = d; type = cx.double
        case .float: converted = b.fptrunc(d, cx.float); type = cx.float
        case .int: converted = toInt32(d); type = cx.i32
        case .int8, .uint8: converted = b.trunc(toInt32(d), cx.i8); type = cx.i8
        case .int16, .uint16: type = cx.int(bits: 16); converted = b.trunc(toInt32(d), type)
        case .uint32: converted = b.trunc(toInt64(d), cx.i32); type = cx.i32
        case .int64: converted = toInt64(d); type = cx.i64
        case .uint64: converted = toUInt64(d); type = cx.i64
        case .true: converted = b.zext(b.fcmp(LLVMRealUNE, d, cx.constant(0.0)), cx.i8); type = cx.i8
        default: preconditionFailure("CSTORE of \(ins.type)")
        }
        b.store(converted, b.pointerCast(value(ins.ref1), cx.pointer(to: type)))
    }

    /// A 64-bit integer stored as C stores it (`CTypeCore.store` of a signed or unsigned
    /// 64-bit value): truncated to narrower integers, converted through a double to floats.
    private func storeInteger64(_ ins: IRIns) {
        let n = value(ins.ref2)
        let unsigned = ir[ins.ref2].type == .uint64
        let converted: LLVMValueRef
        let type: LLVMTypeRef
        switch ins.type {
        case .number, .float:
            let d = unsigned ? b.uitofp(n, cx.double) : b.sitofp(n, cx.double)
            (converted, type) = ins.type == .float ? (b.fptrunc(d, cx.float), cx.float) : (d, cx.double)
        case .int, .uint32: type = cx.i32; converted = b.trunc(n, type)
        case .int8, .uint8: type = cx.i8; converted = b.trunc(n, type)
        case .int16, .uint16: type = cx.int(bits: 16); converted = b.trunc(n, type)
        case .int64, .uint64: type = cx.i64; converted = n
        case .true: type = cx.i8; converted = b.zext(b.icmp(LLVMIntNE, n, i64(0)), cx.i8)
        default: preconditionFailure("CSTORE of \(ins.type)")
        }
        b.store(converted, b.pointerCast(value(ins.ref1), cx.pointer(to: type)))
    }

    /// A direct call of a C function: numbers converted to its parameters as C converts
    /// them, `errno` set from `ffi.errno()`'s cell before and saved after (as the runtime's
    /// calls do), the result converted to a number. A guard before the call: no callback
    /// into Lua exists (the call could run Lua code while the trace holds its state in
    /// registers); the trace leaves through the call's snapshot and the interpreter makes
    /// the call, once.
    private func callC(_ ins: IRIns, exit: Int) -> LLVMValueRef? {
        let call = ir.cFunctions[Int(ins.op2)]
        let f = call.function
        let operands = ins.op1 == 0 ? [] : arguments(ins.ref1)
        var types: [LLVMTypeRef] = [], values: [LLVMValueRef] = []
        for (n, (operand, storage)) in zip(operands, f.parameters).enumerated() {
            let d = value(operand)
            if f.textParameters.contains(n) {
                // A string's bytes (NUL-terminated), as the runtime's conversion passes them.
                types.append(rt.i8p)
                values.append(b.gep(cx.i8, d, [i64(GCString.bytesOffset)]))
                continue
            }
            let type = storageType(storage)
            types.append(type)
            switch storage {
            case .double: values.append(d)
            case .float: values.append(b.fptrunc(d, cx.float))
            case .int32: values.append(toInt32(d))
            case .uint32: values.append(b.trunc(toInt64(d), cx.i32))
            case .int64: values.append(toInt64(d))
            case .uint64: values.append(toUInt64(d))
            default: preconditionFailure("a parameter the recorder declines")
            }
        }
        let i32p = cx.pointer(to: cx.i32)
        let cell = b.intToPtr(bits(call.errnoCell), i32p)
        let callbacks = b.load(cx.i32, b.gep(cx.i32, cell, [i64(1)]))
        guardHolds(b.icmp(LLVMIntEQ, callbacks, cx.constant(0, cx.i32)), exit: exit)
        let locate = cx.function(i32p, [])
        // The same address for every call on this thread: computed once per trace run.
        let location = b.call(locate, b.intToPtr(bits(perigeeErrnoLocationAddress), cx.pointer(to: locate)), [])
        b.markPure(location)
        b.store(b.load(cx.i32, cell), location)
        let type = cx.function(f.result.map(storageType) ?? cx.void, types)
        let result = b.call(type, b.intToPtr(bits(f.address), cx.pointer(to: type)), values)
        b.store(b.load(cx.i32, location), cell)
        guard let storage = f.result else { return nil }
        // A 64-bit integer kept as it is (TraceRecorder+CArithmetic).
        if TraceLowering.isInteger64(ins.type) { return result }
        switch storage {
        case .double: return canonical(result)
        case .float: return canonical(b.fpext(result, cx.double))
        case .uint8, .uint16, .uint32, .uint64: return b.uitofp(result, cx.double)
        case .int8, .int16, .int32, .int64: return b.sitofp(result, cx.double)
        case .bool: preconditionFailure("a result the recorder declines")
        }
    }

    /// Whether `ref` is a reference the trace has not made (a CREF).
    func isReference(_ ref: IRRef) -> Bool { !ref.isConstant && ir[ref].op == .CREF }

    /// The boxed reference cdata of CREF `ref`, made now.
    func referenceBits(_ ref: IRRef) -> LLVMValueRef {
        referenceBits(ctype: Int(ir[ref].op2), address: value(ref))
    }

    private func referenceBits(ctype: Int, address: LLVMValueRef) -> LLVMValueRef {
        let type = cx.function(cx.i64, [rt.i8p, cx.i32, rt.i8p])
        let helper = b.intToPtr(bits(TraceLowering.referenceHelper), cx.pointer(to: type))
        let g = b.intToPtr(bits(UInt64(UInt(bitPattern: UnsafeMutableRawPointer(global)))), rt.i8p)
        return b.call(type, helper, [g, cx.constant(Int64(ctype), cx.i32), address])
    }

    /// What a loop carries round for a slot whose next value is CREF `ref`: its address,
    /// tagged (the object is made only if an exit needs it).
    func sunkBits(_ ref: IRRef) -> LLVMValueRef {
        b.or(b.ptrToInt(value(ref), cx.i64), bits(TraceLowering.sunkTag << Value.tagShift))
    }

    /// A carried slot's boxed value when the loop may carry a reference not made yet (of C
    /// type `ctype`): made now if it is one.
    func materialized(_ v: LLVMValueRef, ctype: Int) -> LLVMValueRef {
        let sunk = b.icmp(LLVMIntEQ, b.lshr(v, i64(Int(Value.tagShift))), bits(TraceLowering.sunkTag))
        let address = b.intToPtr(b.and(v, bits(Value.payloadMask)), rt.i8p)
        return b.select(sunk, referenceBits(ctype: ctype, address: address), v)
    }
}
