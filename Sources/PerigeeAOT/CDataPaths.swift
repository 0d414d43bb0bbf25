/// Inline reads and stores of C scalars in cdata (`p.x`, `a[i]`, `p.x = v`) for programs that
/// use the FFI: when a TGETS/TGETV/TSETS/TSETV meets a cdata instead of a table, compiled code
/// tests the cdata's C type id against the instruction's inline cache (runtime/FFI/CDataSites.swift)
/// and on a match loads or stores the double, integer or bool at the cached offset itself, as
/// C would. The first time, or for another C type, `perigee_cdata_site` fills the cache and the
/// full instruction runs. An aggregate element or member (`local p = ps[i]`) reads as a new
/// reference cdata made by one call (`perigee_box_reference`, the reference type from the
/// cache); places the cache does not describe (pointers, bitfields, const stores) take the
/// full path. `int64_t` and
/// `uint64_t` read as a new cdata, and store numbers and 64-bit integers (also unboxed ones,
/// Integer64Paths.swift).
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

extension FunctionLowering {
    /// Whether chunk `proto` names the FFI (`require("ffi")`) or holds cdata constants: its
    /// functions get the inline cdata paths (other programs are spared their code).
    static func usesFFI(_ proto: Prototype) -> Bool {
        proto.preorder.contains { p in
            p.bytecode.contains { $0.opcode == .KCDATA } || p.gcConstants.contains {
                if case .string(let id) = $0 { return p.strings.bytes(of: id).elementsEqual("ffi".utf8) }
                return false
            }
        }
    }

    /// A new inline cache for one instruction: two zeroed words.
    func cdataSite() -> LLVMValueRef {
        let site = rt.module.addVariable("cdata_cache", cx.arrayType(cx.i64, 2),
                                         cx.array(cx.i64, [i64(0), i64(0)]))
        return b.pointerCast(site, rt.i64p)
    }

    /// The address of the C scalar `object[key]` per the inline cache, with the cache's scalar
    /// form and its whole form (i32s), after the guards (a cdata whose type the cache holds, a
    /// usable key); `slow` otherwise. A cache miss fills the cache first.
    private func cdataPlace(_ pc: Int, object: LLVMValueRef, key: LLVMValueRef, numberKey: LLVMValueRef?,
                            integerKey: LLVMValueRef?, store: Bool,
                            slow: LLVMBasicBlockRef) -> (LLVMValueRef, LLVMValueRef, LLVMValueRef) {
        guardOr(hasTag(object, ValueBits.cdataTag), slow: slow)
        let site = cdataSite()
        let cd = objectPointer(object)
        let ctype = loadField(cd, RuntimeLayout.cdataType, cx.i32)
        let word = b.load(cx.i64, site)
        let hit = newBlock("cdata.hit"), miss = newBlock("cdata.miss")
        b.condBr(b.icmp(LLVMIntEQ, b.trunc(word, cx.i32), b.add(ctype, cx.constant(1, cx.i32))), hit, miss)
        b.position(atEndOf: miss)
        callRuntime(.cdataSite, [site, object, key, i64(store ? 1 : 0)])
        b.br(slow)
        b.position(atEndOf: hit)
        let form = b.trunc(b.lshr(word, i64(32)), cx.i32)
        let amount = b.load(cx.i64, b.gep(cx.i64, site, [i64(1)]))
        let payload = fieldAddress(cd, RuntimeLayout.cdataPayload, cx.i64)
        let indirect = b.icmp(LLVMIntNE, b.and(form, cx.constant(Int64(CDataSite.indirect), cx.i32)), cx.constant(0, cx.i32))
        let start = b.select(indirect, b.load(cx.i64, payload), b.ptrToInt(payload, cx.i64))
        // A NULL pointer is the full path's error.
        guardOr(b.icmp(LLVMIntNE, start, i64(0)), slow: slow)
        let address: LLVMValueRef
        if let numberKey {
            let index: LLVMValueRef
            if let integerKey {
                index = integerKey
            } else {
                // Indexes beyond ±2^52 go the full way (fptosi would be poison past i64).
                let limit = cx.constant(4_503_599_627_370_496.0)
                let inRange = b.and(b.fcmp(LLVMRealOLT, numberKey, limit), b.fcmp(LLVMRealOGT, numberKey, b.fneg(limit)))
                guardOr(inRange, slow: slow)
                index = b.fptosi(numberKey, cx.i64)
            }
            address = b.add(start, b.mul(index, amount))
        } else {
            address = b.add(start, amount)
        }
        return (address, b.and(form, cx.constant(Int64(CDataSite.scalarMask), cx.i32)), form)
    }

    /// The blocks of each scalar form, switched to from the current block (the rest go to `slow`);
    /// reads also have the reference form.
    private func switchOnScalar(_ form: LLVMValueRef, read: Bool, slow: LLVMBasicBlockRef) -> [UInt32: LLVMBasicBlockRef] {
        let forms: [UInt32] = [CDataSite.double, CDataSite.int8, CDataSite.uint8, CDataSite.int16, CDataSite.uint16,
                               CDataSite.int32, CDataSite.uint32, CDataSite.bool, CDataSite.int64, CDataSite.uint64]
            + (read ? [CDataSite.reference] : [])
        var blocks: [UInt32: LLVMBasicBlockRef] = [:]
        for f in forms { blocks[f] = newBlock("cdata.form\(f)") }
        b.switchOn(form, default: slow, forms.map { (cx.constant(Int64($0), cx.i32), blocks[$0]!) })
        return blocks
    }

    private func scalarType(_ form: UInt32) -> LLVMTypeRef {
        switch form {
        case CDataSite.double: return cx.double
        case CDataSite.int8, CDataSite.uint8, CDataSite.bool: return cx.i8
        case CDataSite.int16, CDataSite.uint16: return cx.int(bits: 16)
        case CDataSite.int64, CDataSite.uint64: return cx.i64
        default: return cx.i32
        }
    }

    /// The key of a cdata access: constant string `cReg` (TGETS, TSETS), or register `cReg`
    /// guarded to be a number (TGETV, TSETV; also as a double).
    private func cdataKey(_ pc: Int, constant: Bool, _ cReg: Int,
                          slow: LLVMBasicBlockRef) -> (LLVMValueRef, LLVMValueRef?) {
        if constant { return (gcConstant(cReg), nil) }
        let key = valueBits(cReg, at: pc)
        if !numbers.isNumber(cReg, at: pc) { guardOr(isNumber(key), slow: slow) }
        return (key, b.bitcast(key, cx.double))
    }

    /// TGETS, TGETV on a cdata (the table guard failed): the inline read, else `slow`.
    func lowerCDataRead(_ pc: Int, _ op: Opcode, _ a: Int, _ bReg: Int, _ cReg: Int, slow: LLVMBasicBlockRef,
                        done: LLVMBasicBlockRef) {
        let object = load(bReg)
        let (key, numberKey) = cdataKey(pc, constant: op == .TGETS, cReg, slow: slow)
        let (address, form, wholeForm) = cdataPlace(pc, object: object, key: key, numberKey: numberKey,
                                                    integerKey: op == .TGETV ? integerValue(cReg, at: pc) : nil,
                                                    store: false, slow: slow)
        let blocks = switchOnScalar(form, read: true, slow: slow)
        for (f, block) in blocks {
            b.position(atEndOf: block)
            if f == CDataSite.reference {
                // An aggregate: a new reference cdata to it, of the type the cache names.
                let reference = b.zext(b.lshr(wholeForm, cx.constant(Int64(CDataSite.referenceShift), cx.i32)), cx.i64)
                let status = callRuntime(.boxReference, [thread, base, i64(pc), i64(a), reference, address])
                refreshFrame()
                exactIntegers[a] = nil
                bailIfNegative(status)
                b.br(done)
                continue
            }
            let value = b.load(scalarType(f), b.intToPtr(address, cx.pointer(to: scalarType(f))))
            switch f {
            case CDataSite.bool:
                store(a, b.select(b.icmp(LLVMIntNE, value, cx.constant(0, cx.i8)), bits(ValueBits.true), bits(ValueBits.false)))
            case CDataSite.double:
                // A NaN from memory may carry a payload that reads as a tag: make it canonical.
                let raw = b.bitcast(value, cx.i64)
                let tagged = b.icmp(LLVMIntUGE, raw, bits(ValueBits.numberBound))
                store(a, b.select(tagged, bits(Value.canonicalNaN), raw))
            case CDataSite.uint8, CDataSite.uint16, CDataSite.uint32:
                storeNumber(a, b.uitofp(value, cx.double))
            case CDataSite.int64, CDataSite.uint64:
                // A new cdata of the member's type, as the runtime's read makes.
                boxInteger(into: a, value, unsigned: signedness(unsigned: f == CDataSite.uint64))
            default:
                storeNumber(a, b.sitofp(value, cx.double))
            }
            b.br(done)
        }
    }

    /// TSETS, TSETV on a cdata (the table guard failed): the inline store of a number (or of a
    /// 64-bit integer into an `int64_t`/`uint64_t`), else `slow`.
    func lowerCDataWrite(_ pc: Int, _ op: Opcode, _ a: Int, _ bReg: Int, _ cReg: Int, slow: LLVMBasicBlockRef,
                         done: LLVMBasicBlockRef) {
        let object = load(bReg)
        let (key, numberKey) = cdataKey(pc, constant: op == .TSETS, cReg, slow: slow)
        let (address, form, _) = cdataPlace(pc, object: object, key: key, numberKey: numberKey,
                                            integerKey: op == .TSETV ? integerValue(cReg, at: pc) : nil,
                                            store: true, slow: slow)
        let blocks = switchOnScalar(form, read: false, slow: slow)
        let integer = numbers.integer(a, at: pc) != nil
        for (f, block) in blocks {
            b.position(atEndOf: block)
            let converted: LLVMValueRef
            if f == CDataSite.int64 || f == CDataSite.uint64 {
                // An unboxed integer's bits; a number or a boxed integer decoded.
                let o = integer ? integer64Operand(a, at: pc, other: slow) : decodedOperand(valueBits(a, at: pc), other: slow)
                converted = bits(of: o, unsigned: signedness(unsigned: f == CDataSite.uint64))
            } else if integer {
                // An integer into a smaller or floating-point member: the runtime converts.
                b.br(slow)
                continue
            } else {
                let value = valueBits(a, at: pc)
                if !numbers.isNumber(a, at: pc) { guardOr(isNumber(value), slow: slow) }
                let d = b.bitcast(value, cx.double)
                switch f {
                case CDataSite.double: converted = d
                case CDataSite.bool: converted = b.zext(b.fcmp(LLVMRealUNE, d, cx.constant(0.0)), cx.i8)
                case CDataSite.uint32: converted = b.trunc(toInt64(d), cx.i32)
                case CDataSite.int32: converted = toInt32(d)
                default: converted = b.trunc(toInt32(d), scalarType(f))
                }
            }
            b.store(converted, b.intToPtr(address, cx.pointer(to: scalarType(f))))
            b.br(done)
        }
    }
}

extension FunctionLowering {
    /// CALL/CALLM of a C function cdata (`C.sqrt(x)`) with `nargs` arguments and `wanted`
    /// results (-1: all, which MULTRES then counts): called by `perigee_c_call`
    /// (CFunctionCalls.h) through the argument registers per the instruction's inline cache,
    /// then on to `done`; the cache filled on a miss; anything the cache's plan does not take
    /// (another callee, a hook, arguments to convert) falls through to the general call that
    /// follows.
    func lowerCFunctionCall(_ a: Int, nargs: LLVMValueRef, wanted: Int, done: LLVMBasicBlockRef) {
        let callee = load(a)
        let cdata = newBlock("ccall"), fill = newBlock("ccall.fill"), general = newBlock("ccall.general")
        let unhooked = b.icmp(LLVMIntEQ, b.load(cx.i64, rt.hookFlag), i64(0))
        b.condBr(b.and(hasTag(callee, ValueBits.cdataTag), unhooked), cdata, general)
        b.position(atEndOf: cdata)
        let site = cdataSite()
        let r = callRuntime(.cCall, [slotAddress(a), nargs, i64(wanted), site])
        let called = newBlock("ccall.done"), notCalled = newBlock("ccall.not")
        b.condBr(b.icmp(LLVMIntSGT, r, i64(0)), called, notCalled)
        b.position(atEndOf: called)
        if wanted < 0 {
            // All results (none or one): they end at the top, which MULTRES counts.
            let count = b.sub(r, i64(1))
            setStackTop(thread, b.add(b.add(base, i64(a)), count))
            b.store(count, multres)
        }
        b.br(done)
        b.position(atEndOf: notCalled)
        b.condBr(b.icmp(LLVMIntSLT, r, i64(0)), fill, general)
        b.position(atEndOf: fill)
        callRuntime(.cCallSite, [site, callee])
        b.br(general)
        b.position(atEndOf: general)
    }
}

extension FunctionLowering {
    /// `C.sqrt`: a C library namespace's function it handed out before, read from the cache
    /// in the namespace's environment (as the runtime's `cachedCFunction` reads it) into
    /// register `a`, then on to `done`; anything else (not a namespace, a name not yet
    /// resolved) falls through to what follows.
    func readCLibraryFunction(_ object: LLVMValueRef, _ key: LLVMValueRef, into a: Int, done: LLVMBasicBlockRef) {
        let library = newBlock("clib"), cache = newBlock("clib.cache"), found = newBlock("clib.found")
        let use = newBlock("clib.use"), other = newBlock("notclib")
        b.condBr(hasTag(object, ValueBits.userdataTag), library, other)
        b.position(atEndOf: library)
        let u = objectPointer(object)
        let kind = loadField(u, RuntimeLayout.userdataKind, cx.i8)
        let env = loadPointerField(u, RuntimeLayout.userdataEnv)
        let isLibrary = b.icmp(LLVMIntEQ, kind, cx.constant(Int64(RuntimeLayout.cLibraryKind), cx.i8))
        b.condBr(b.and(isLibrary, b.icmp(LLVMIntNE, b.ptrToInt(env, cx.i64), i64(0))), cache, other)
        b.position(atEndOf: cache)
        let slot = findStringSlot(env, key)
        b.condBr(b.icmp(LLVMIntNE, b.ptrToInt(slot, cx.i64), i64(0)), found, other)
        b.position(atEndOf: found)
        let v = b.load(cx.i64, slot, memory: .tableValue)
        b.condBr(b.icmp(LLVMIntNE, v, bits(ValueBits.nil)), use, other)
        b.position(atEndOf: use)
        store(a, v)
        b.br(done)
        b.position(atEndOf: other)
    }
}
