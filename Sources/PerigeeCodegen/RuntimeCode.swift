/// The LLVM building blocks every code generator uses on the runtime's data: object fields,
/// type tests and boxing, table array and hash slots, write barriers, frame links and calls
/// into the runtime. AOT function lowering and JIT trace lowering both conform to
/// `RuntimeCodeEmitter` and get these; what they emit matches the runtime's layout
/// (RuntimeLayout, FrameLayout, ValueBits) by construction.
import CLLVM
import PerigeeFrontend
import PerigeeLLVM
import PerigeeRuntime

/// A code generator emitting into one LLVM function against the runtime's interface.
public protocol RuntimeCodeEmitter {
    var rt: RuntimeInterface { get }
    var cx: LLVMContext { get }
    var b: IRBuilder { get }
    /// The function being emitted: new blocks go into it.
    var function: LLVMValueRef { get }
}

extension RuntimeCodeEmitter {
    public func newBlock(_ name: String) -> LLVMBasicBlockRef { b.appendBlock(to: function, name) }
    public func i64(_ v: Int) -> LLVMValueRef { cx.constant(Int64(v), cx.i64) }
    public func bits(_ v: UInt64) -> LLVMValueRef { cx.bits(v) }

    /// Continues in a new block when `condition` holds, else in `slow`; `rarely`: the branch
    /// to `slow` is marked as almost never taken (a trace's exit), so LLVM lays the slow
    /// path out of the way.
    public func guardOr(_ condition: LLVMValueRef, slow: LLVMBasicBlockRef, rarely: Bool = false) {
        let next = newBlock("guarded")
        let branch = b.condBr(condition, next, slow)
        if rarely { b.setBranchWeights(branch, [1 << 20, 1]) }
        b.position(atEndOf: next)
    }

    /// Calls runtime helper `helper` with `arguments`.
    @discardableResult
    public func callRuntime(_ helper: RuntimeInterface.Helper, _ arguments: [LLVMValueRef]) -> LLVMValueRef {
        b.call(rt.type(of: helper), rt.declaration(helper), arguments)
    }

    // MARK: Object fields

    /// The field of type `type` at byte `offset` of the object at `pointer` (an i8*).
    public func fieldAddress(_ pointer: LLVMValueRef, _ offset: Int, _ type: LLVMTypeRef) -> LLVMValueRef {
        b.pointerCast(b.gep(cx.i8, pointer, [i64(offset)]), cx.pointer(to: type))
    }
    public func loadField(_ pointer: LLVMValueRef, _ offset: Int, _ type: LLVMTypeRef) -> LLVMValueRef {
        b.load(type, fieldAddress(pointer, offset, type), memory: .objectField)
    }
    public func loadPointerField(_ pointer: LLVMValueRef, _ offset: Int) -> LLVMValueRef {
        loadField(pointer, offset, rt.i8p)
    }
    /// A 32-bit unsigned field widened to i64.
    public func loadCount(_ pointer: LLVMValueRef, _ offset: Int) -> LLVMValueRef {
        b.zext(loadField(pointer, offset, cx.i32), cx.i64)
    }
    /// Stores i64 `value` into a 32-bit field.
    public func storeCount(_ value: LLVMValueRef, _ pointer: LLVMValueRef, _ offset: Int) {
        b.store(b.trunc(value, cx.i32), fieldAddress(pointer, offset, cx.i32))
    }
    /// Whether the object at `pointer` (whose mark byte is at `markedOffset`) is black.
    public func isBlack(_ pointer: LLVMValueRef, markedOffset: Int) -> LLVMValueRef {
        let marked = loadField(pointer, markedOffset, cx.i8)
        return b.icmp(LLVMIntNE, b.and(marked, cx.constant(Int64(RuntimeLayout.black), cx.i8)), cx.constant(0, cx.i8))
    }

    // MARK: Values

    /// The object a tagged value points to.
    public func objectPointer(_ v: LLVMValueRef) -> LLVMValueRef {
        b.intToPtr(b.and(v, bits(ValueBits.payloadMask)), rt.i8p)
    }
    /// Whether value `v`'s top 17 bits are `tag` (ValueBits.tableTag, ...).
    public func hasTag(_ v: LLVMValueRef, _ tag: UInt64) -> LLVMValueRef {
        b.icmp(LLVMIntEQ, b.lshr(v, bits(Value.tagShift)), bits(tag))
    }
    public func isNumber(_ v: LLVMValueRef) -> LLVMValueRef { b.icmp(LLVMIntULT, v, bits(ValueBits.numberBound)) }
    public func isTruthy(_ v: LLVMValueRef) -> LLVMValueRef { b.icmp(LLVMIntULT, v, bits(ValueBits.truthyBound)) }
    /// Whether `v` is a collectable object (a store of it may need a barrier).
    public func isCollectable(_ v: LLVMValueRef) -> LLVMValueRef {
        let top = b.lshr(v, bits(Value.tagShift))
        return b.icmp(LLVMIntULE, b.sub(top, bits(ValueBits.collectableLow)), bits(ValueBits.collectableSpan))
    }
    /// The bits of primitive `d` as KPRI, ISEQP and USETP encode it (0 nil, 1 false, 2 true).
    public func primitive(_ d: Int) -> UInt64 { d == 0 ? ValueBits.nil : (d == 1 ? ValueBits.false : ValueBits.true) }

    // MARK: Numbers

    /// A one-argument math function of double `x` (an LLVM intrinsic or libm's).
    public func unaryMath(_ name: String, _ x: LLVMValueRef) -> LLVMValueRef {
        let type = cx.function(cx.double, [cx.double])
        return b.call(type, rt.module.declare(name, type), [x])
    }

    /// Lua's arithmetic on doubles `p` and `q` (the interpreter's ArithmeticOperator.apply).
    public func arithmetic(_ op: ArithmeticOperator, _ p: LLVMValueRef, _ q: LLVMValueRef) -> LLVMValueRef {
        switch op {
        case .add: return b.fadd(p, q)
        case .sub: return b.fsub(p, q)
        case .mul: return b.fmul(p, q)
        case .unm: return b.fneg(p)
        case .mod:
            // Lua's a % b: a - floor(a / b) * b.
            let quotient = unaryMath("llvm.floor.f64", b.fdiv(p, q))
            return b.fsub(p, b.fmul(quotient, q))
        case .pow:
            let type = cx.function(cx.double, [cx.double, cx.double])
            return b.call(type, rt.module.declare("pow", type), [p, q])
        case .div:
            // 0/0 and inf/inf give x86's default NaN (negative) at run time; LLVM folds
            // them to a positive NaN. Keep the run-time answer (Lua prints the sign).
            // With a finite nonzero constant operand the quotient is NaN only when the other
            // operand is one, which it passes on: nothing to keep.
            let quotient = b.fdiv(p, q)
            let settled = { (v: LLVMValueRef) in self.cx.constantDouble(v).map { $0.isFinite && $0 != 0 } ?? false }
            if settled(p) || settled(q) { return quotient }
            let invalid = b.and(b.fcmp(LLVMRealUNO, quotient, quotient), b.fcmp(LLVMRealORD, p, q))
            return b.select(invalid, b.bitcast(bits(0xFFF8_0000_0000_0000), cx.double), quotient)
        }
    }

    /// Math builtin `ff` on doubles `args` (its arity's worth), as the builtin computes it.
    public func mathFunction(_ ff: FastFunction, _ args: [LLVMValueRef]) -> LLVMValueRef {
        func intrinsic(_ name: String) -> LLVMValueRef { unaryMath(name, args[0]) }
        switch ff {
        case .sqrt: return intrinsic("llvm.sqrt.f64")
        case .floor: return intrinsic("llvm.floor.f64")
        case .ceil: return intrinsic("llvm.ceil.f64")
        case .abs: return intrinsic("llvm.fabs.f64")
        case .sin: return intrinsic("llvm.sin.f64")
        case .cos: return intrinsic("llvm.cos.f64")
        case .exp: return intrinsic("llvm.exp.f64")
        case .log: return intrinsic("llvm.log.f64")
        case .tan: return intrinsic("tan")
        // math.min/max keep the first argument only when it is strictly better (LuaJIT's rule).
        case .min: return b.select(b.fcmp(LLVMRealOLT, args[0], args[1]), args[0], args[1])
        case .max: return b.select(b.fcmp(LLVMRealOGT, args[0], args[1]), args[0], args[1])
        case .fmod: return b.frem(args[0], args[1])
        case .ipairsIterator, .type: preconditionFailure("not a numeric function")
        }
    }

    // MARK: The bit library

    /// Double `d`'s 32-bit pattern as `bit.tobit` takes it: the low 32 bits of d + 2^52 + 2^51.
    public func toBit(_ d: LLVMValueRef) -> LLVMValueRef {
        b.trunc(b.bitcast(b.fadd(d, cx.constant(6_755_399_441_055_744.0)), cx.i64), cx.i32)
    }

    /// A `bit` operation on 32-bit integers (i32 operands; `y` is the shift or rotate count,
    /// of which the low 5 bits count), as the library computes it.
    public func bitOperation(_ op: FastBuiltin, _ x: LLVMValueRef, _ y: LLVMValueRef? = nil) -> LLVMValueRef {
        func count() -> LLVMValueRef { b.and(y!, cx.constant(31, cx.i32)) }
        func intrinsic(_ name: String, _ args: [LLVMValueRef]) -> LLVMValueRef {
            let type = cx.function(cx.i32, args.map { _ in cx.i32 })
            return b.call(type, rt.module.declare(name, type), args)
        }
        switch op {
        case .tobit: return x
        case .bnot: return b.xor(x, cx.constant(-1, cx.i32))
        case .bswap: return intrinsic("llvm.bswap.i32", [x])
        case .band: return b.and(x, y!)
        case .bor: return b.or(x, y!)
        case .bxor: return b.xor(x, y!)
        case .lshift: return b.shl(x, count())
        case .rshift: return b.lshr(x, count())
        case .arshift: return b.ashr(x, count())
        case .rol: return intrinsic("llvm.fshl.i32", [x, x, count()])
        case .ror: return intrinsic("llvm.fshr.i32", [x, x, count()])
        default: preconditionFailure("not a bit operation")
        }
    }

    // MARK: Tables

    /// The value slot of string `key` (an interned string value) in table `t`, or null.
    public func findStringSlot(_ t: LLVMValueRef, _ key: LLVMValueRef) -> LLVMValueRef {
        findSlot(t, key, hash: b.zext(loadField(objectPointer(key), RuntimeLayout.stringHash, cx.i32), cx.i64))
    }

    /// The hash-part value slot of number `key` in table `t`, or null. -0 is looked up as
    /// 0; a NaN finds nothing.
    public func findNumberSlot(_ t: LLVMValueRef, _ number: LLVMValueRef) -> LLVMValueRef {
        let key = b.select(b.icmp(LLVMIntEQ, number, bits(0x8000_0000_0000_0000)), bits(0), number)
        // The runtime's hashBits, on 32-bit halves.
        let i32 = cx.i32
        func rotl(_ x: LLVMValueRef, _ n: Int64) -> LLVMValueRef {
            b.or(b.shl(x, cx.constant(n, i32)), b.lshr(x, cx.constant(32 - n, i32)))
        }
        var lo = b.trunc(key, i32)
        var hi = b.trunc(b.lshr(key, bits(32)), i32)
        lo = b.xor(lo, hi)
        hi = rotl(hi, 14)
        lo = b.sub(lo, hi)
        hi = rotl(hi, 5)
        hi = b.xor(hi, lo)
        hi = b.sub(hi, rotl(lo, 13))
        return findSlot(t, key, hash: b.zext(hi, cx.i64))
    }

    /// The value slot of `key` (whose hash is `hash`) in the hash part of `t`, or null.
    public func findSlot(_ t: LLVMValueRef, _ key: LLVMValueRef, hash: LLVMValueRef) -> LLVMValueRef {
        let mask = loadCount(t, RuntimeLayout.tableHashMask)
        let nodes = loadPointerField(t, RuntimeLayout.tableNode)
        let first = b.gep(cx.i8, nodes, [b.mul(b.and(hash, mask), i64(RuntimeLayout.nodeSize))])
        let entry = b.insertBlock!
        let loop = newBlock("probe"), next = newBlock("next"), found = newBlock("found"), missing = newBlock("missing"),
            done = newBlock("slot")
        b.br(loop)
        b.position(atEndOf: loop)
        let node = b.phi(rt.i8p, [(first, entry)], "node")
        b.condBr(b.icmp(LLVMIntEQ, loadField(node, RuntimeLayout.nodeKey, cx.i64), key), found, next)
        b.position(atEndOf: next)
        let following = loadPointerField(node, RuntimeLayout.nodeNext)
        b.addIncoming(node, [(following, next)])
        b.condBr(b.icmp(LLVMIntEQ, b.ptrToInt(following, cx.i64), i64(0)), missing, loop)
        b.position(atEndOf: found)
        let slot = fieldAddress(node, RuntimeLayout.nodeValue, cx.i64)
        b.br(done)
        b.position(atEndOf: missing)
        b.br(done)
        b.position(atEndOf: done)
        return b.phi(rt.i64p, [(slot, found), (cx.null(rt.i64p), missing)], "slot")
    }

    /// The array slot of number `key` in table `t` when the key is an integer inside the
    /// array part (keys 0..<arrayLimit, key k at `array[k - 1]`); the guard fails to `slow`
    /// otherwise. `integer`: the key as an i64, when it is known to be an integer. `fields`:
    /// the array part's limit and address, when the caller read them already.
    public func arraySlot(_ t: LLVMValueRef, _ key: LLVMValueRef, integer: LLVMValueRef? = nil,
                          fields: (limit: LLVMValueRef, array: LLVMValueRef)? = nil,
                          slow: LLVMBasicBlockRef) -> LLVMValueRef {
        let limit = fields?.limit ?? loadCount(t, RuntimeLayout.tableArrayLimit)
        let index: LLVMValueRef
        if let integer {
            index = integer
            guardOr(b.icmp(LLVMIntULT, index, limit), slow: slow)
        } else {
            let d = b.bitcast(key, cx.double)
            let inside = b.and(b.fcmp(LLVMRealOGE, d, cx.constant(0.0)), b.fcmp(LLVMRealOLT, d, b.sitofp(limit, cx.double)))
            guardOr(inside, slow: slow)
            // In range, so the conversion is defined; the round trip says it is an integer.
            index = b.fptosi(d, cx.i64)
            guardOr(b.fcmp(LLVMRealOEQ, b.sitofp(index, cx.double), d), slow: slow)
        }
        let array = fields?.array ?? b.pointerCast(loadPointerField(t, RuntimeLayout.tableArray), rt.i64p)
        return b.gep(cx.i64, array, [b.sub(index, i64(1))])
    }

    /// Keeps table `t`'s border hint true after boxed `value` was stored over boxed `old`
    /// into its array slot `slot` (key `key`, an i64, when the caller has it), by the rule of
    /// runtime/Objects/TableBorder.swift: only a change between nil and a value counts; a
    /// value at key border+1 extends the prefix, nil at key border shortens it, any other
    /// change makes it unknown. `isNil`: whether the value is known to be nil (or not), nil
    /// when the code tests it.
    public func noteArrayStore(_ t: LLVMValueRef, slot: LLVMValueRef, key: LLVMValueRef? = nil,
                               old: LLVMValueRef, value: LLVMValueRef, isNil: Bool?) {
        let nilBits = bits(ValueBits.nil)
        let wasNil = b.icmp(LLVMIntEQ, old, nilBits)
        let storesNil = isNil.map { cx.constant($0 ? 1 : 0, cx.i1) } ?? b.icmp(LLVMIntEQ, value, nilBits)
        let noting = newBlock("border"), noted = newBlock("bordered")
        b.condBr(b.icmp(LLVMIntNE, wasNil, storesNil), noting, noted)
        b.position(atEndOf: noting)
        let k = key ?? {
            let array = loadPointerField(t, RuntimeLayout.tableArray)
            return b.add(b.ashr(b.sub(b.ptrToInt(slot, cx.i64), b.ptrToInt(array, cx.i64)), i64(3)), i64(1))
        }()
        let border = loadCount(t, RuntimeLayout.tableBorder)
        let unknown = i64(Int(GCTable.unknownBorder))
        // In 64 bits: an unknown border plus 1 is no key. Key 0 with border 0 gives -1:
        // unknown in 32 bits.
        let extended = b.select(b.icmp(LLVMIntEQ, k, b.add(border, i64(1))), k, unknown)
        let shortened = b.select(b.icmp(LLVMIntEQ, k, border), b.sub(k, i64(1)), unknown)
        let next: LLVMValueRef
        switch isNil {
        case true?: next = shortened
        case false?: next = extended
        case nil: next = b.select(storesNil, shortened, extended)
        }
        b.store(b.trunc(next, cx.i32), fieldAddress(t, RuntimeLayout.tableBorder, cx.i32), memory: .objectField)
        b.br(noted)
        b.position(atEndOf: noted)
    }

    /// `#t` of table `t`, an i64: the border hint when it is known and the array part's last
    /// slot is nil (as `GCTable.length`, runtime/Objects/TableIteration.swift), else the
    /// runtime's search (`perigee_table_length`).
    public func tableLength(_ t: LLVMValueRef) -> LLVMValueRef {
        let border = loadCount(t, RuntimeLayout.tableBorder), limit = loadCount(t, RuntimeLayout.tableArrayLimit)
        let lastSlot = newBlock("lastslot"), search = newBlock("search"), done = newBlock("length")
        let known = b.icmp(LLVMIntNE, border, i64(Int(GCTable.unknownBorder)))
        b.condBr(b.and(known, b.icmp(LLVMIntUGT, limit, i64(1))), lastSlot, search)
        b.position(atEndOf: lastSlot)
        let array = b.pointerCast(loadPointerField(t, RuntimeLayout.tableArray), rt.i64p)
        let last = b.load(cx.i64, b.gep(cx.i64, array, [b.sub(limit, i64(2))]), memory: .tableValue)
        b.condBr(b.icmp(LLVMIntEQ, last, bits(ValueBits.nil)), done, search)
        b.position(atEndOf: search)
        let searched = callRuntime(.tableLength, [t])
        let searchEnd = b.insertBlock!
        b.br(done)
        b.position(atEndOf: done)
        return b.phi(cx.i64, [(border, lastSlot), (searched, searchEnd)], "length")
    }

    /// Whether table `t` has no metatable.
    public func hasNoMetatable(_ t: LLVMValueRef) -> LLVMValueRef {
        b.icmp(LLVMIntEQ, b.ptrToInt(loadPointerField(t, RuntimeLayout.tableMetatable), cx.i64), i64(0))
    }

    /// Goes on when a store into table `t`'s (non-null) `slot` needs no `__newindex`: the slot
    /// holds a value, or (`plainWhenNil`: array slots, and nodes of keys that are no
    /// metamethod names) the table has no metatable; else to `miss`. (A hash key holding nil
    /// may have its metamethod name cached as absent: the runtime's store clears that
    /// cache, so stores that may hit one take the slow path.)
    /// `noMetatable`: whether `t` lacks a metatable, when the caller knows it already.
    public func guardNoNewIndex(_ t: LLVMValueRef, _ slot: LLVMValueRef, plainWhenNil: Bool, miss: LLVMBasicBlockRef,
                                noMetatable: LLVMValueRef? = nil) {
        let holdsValue = b.icmp(LLVMIntNE, b.load(cx.i64, slot, memory: .tableValue), bits(ValueBits.nil))
        guardOr(plainWhenNil ? b.or(holdsValue, noMetatable ?? hasNoMetatable(t)) : holdsValue, slow: miss)
    }

    /// The backward barrier after a store into table `t`: the runtime turns a black table
    /// gray again. Goes on in `done`, or after the runtime's call in `afterCall` when given.
    public func tableBarrier(_ thread: LLVMValueRef, _ t: LLVMValueRef, done: LLVMBasicBlockRef,
                             afterCall: LLVMBasicBlockRef? = nil) {
        let barrier = newBlock("barrier")
        b.condBr(isBlack(t, markedOffset: RuntimeLayout.tableMarked), barrier, done)
        b.position(atEndOf: barrier)
        callRuntime(.barrier, [thread, t])
        b.br(afterCall ?? done)
    }

    // MARK: Upvalues

    /// The address of the value of upvalue object `uv` (open: a stack slot; closed: itself).
    public func upvalueAddress(_ uv: LLVMValueRef) -> LLVMValueRef {
        b.pointerCast(loadPointerField(uv, RuntimeLayout.upvalueValue), rt.i64p)
    }

    /// Stores `value` through upvalue `uv`, with the forward barrier a black upvalue needs
    /// for a collectable value.
    public func storeUpvalue(_ uv: LLVMValueRef, _ value: LLVMValueRef) {
        b.store(value, upvalueAddress(uv))
        let barrier = newBlock("barrier"), done = newBlock("set")
        b.condBr(b.and(isCollectable(value), isBlack(uv, markedOffset: RuntimeLayout.upvalueMarked)), barrier, done)
        b.position(atEndOf: barrier)
        callRuntime(.upvalueBarrier, [uv, value])
        b.br(done)
        b.position(atEndOf: done)
    }

    // MARK: Functions and frames

    /// The prototype of Lua function object `f`.
    public func protoOf(_ f: LLVMValueRef) -> LLVMValueRef { loadPointerField(f, RuntimeLayout.functionTarget) }

    /// Whether function object `f` is a Lua function (builtins carry a fast-function id).
    public func isLuaFunction(_ f: LLVMValueRef) -> LLVMValueRef {
        b.icmp(LLVMIntEQ, loadField(f, RuntimeLayout.functionFFID, cx.i8), cx.constant(0, cx.i8))
    }

    /// The native entry of Lua function `f` (an object pointer), when it has compiled code;
    /// the guard fails to `slow`.
    public func nativeEntry(ofLua f: LLVMValueRef, slow: LLVMBasicBlockRef) -> LLVMValueRef {
        let native = loadPointerField(protoOf(f), RuntimeLayout.protoNative)
        guardOr(b.icmp(LLVMIntNE, b.ptrToInt(native, cx.i64), i64(0)), slow: slow)
        return native
    }

    /// The native entry of value `callee` when it is a Lua function with compiled code; the
    /// guards fail to `slow`.
    public func nativeEntry(of callee: LLVMValueRef, slow: LLVMBasicBlockRef) -> LLVMValueRef {
        guardOr(hasTag(callee, ValueBits.functionTag), slow: slow)
        let f = objectPointer(callee)
        guardOr(isLuaFunction(f), slow: slow)
        return nativeEntry(ofLua: f, slow: slow)
    }

    /// Calls compiled Lua function `entry` (an i8*) on the frame at slot `base` with `nargs`.
    public func callCompiled(_ entry: LLVMValueRef, thread: LLVMValueRef, base: LLVMValueRef,
                             nargs: LLVMValueRef) -> LLVMValueRef {
        b.call(rt.functionType, b.pointerCast(entry, cx.pointer(to: rt.functionType)), [thread, base, nargs])
    }

    /// The frame link of a call made by the instruction at index `pc` of the bytecode at
    /// `bytecodeAddress` (an i64): its return PC, as the interpreter writes it.
    public func returnLink(bytecodeAddress: LLVMValueRef, pc: Int) -> LLVMValueRef {
        b.add(bytecodeAddress, i64(4 * (pc + 1)))
    }

    /// The base slot of the frame of a callee in slot `funcSlot` (an i64).
    public func calleeBase(_ funcSlot: LLVMValueRef) -> LLVMValueRef { b.add(funcSlot, i64(-FrameLayout.functionSlot)) }

    /// The thread's stack (an i64*) and top slot index (an i64).
    public func stackBase(_ thread: LLVMValueRef) -> LLVMValueRef {
        b.load(rt.i64p, b.pointerCast(fieldAddress(thread, RuntimeLayout.threadStack, rt.i8p), cx.pointer(to: rt.i64p)),
               memory: .objectField)
    }
    public func stackTop(_ thread: LLVMValueRef) -> LLVMValueRef { loadCount(thread, RuntimeLayout.threadTop) }
    public func setStackTop(_ thread: LLVMValueRef, _ top: LLVMValueRef) { storeCount(top, thread, RuntimeLayout.threadTop) }

    /// Whether the thread has no open upvalue at all.
    public func hasNoOpenUpvalues(_ thread: LLVMValueRef) -> LLVMValueRef {
        b.icmp(LLVMIntEQ, b.ptrToInt(loadPointerField(thread, RuntimeLayout.threadOpenUpvalues), cx.i64), i64(0))
    }
}

// MARK: C conversions

extension RuntimeCodeEmitter {
    /// A double as luajit converts it to a 32-bit integer on x86-64 (the runtime's
    /// `doubleToInt32`): truncated, and 0x80000000 when out of range or NaN.
    public func toInt32(_ d: LLVMValueRef) -> LLVMValueRef {
        let inRange = b.and(b.fcmp(LLVMRealOGT, d, cx.constant(-2_147_483_649.0)), b.fcmp(LLVMRealOLT, d, cx.constant(2_147_483_648.0)))
        return b.select(inRange, b.fptosi(d, cx.i32), cx.constant(Int64(Int32.min), cx.i32))
    }

    /// The same to a 64-bit integer (`doubleToInt64`: 0x8000000000000000 when out of range).
    public func toInt64(_ d: LLVMValueRef) -> LLVMValueRef {
        let limit = cx.constant(9_223_372_036_854_775_808.0)
        let inRange = b.and(b.fcmp(LLVMRealOGE, d, b.fneg(limit)), b.fcmp(LLVMRealOLT, d, limit))
        return b.select(inRange, b.fptosi(d, cx.i64), cx.constant(Int64.min, cx.i64))
    }

    /// The same to an unsigned 64-bit integer (`doubleToUInt64`: truncated below 2^63,
    /// wrapped modulo 2^64 from 2^63 to 2^64 + 2^63, else 2^63: -1 and below, beyond, NaN).
    public func toUInt64(_ d: LLVMValueRef) -> LLVMValueRef {
        let low = b.and(b.fcmp(LLVMRealOGT, d, cx.constant(-1.0)), b.fcmp(LLVMRealOLT, d, cx.constant(9_223_372_036_854_775_808.0)))
        let high = b.and(b.fcmp(LLVMRealOGE, d, cx.constant(9_223_372_036_854_775_808.0)),
                         b.fcmp(LLVMRealOLT, d, cx.constant(27_670_116_110_564_327_424.0)))
        let wrapped = b.fptosi(b.fsub(d, cx.constant(18_446_744_073_709_551_616.0)), cx.i64)
        return b.select(low, b.fptosi(d, cx.i64), b.select(high, wrapped, cx.constant(Int64.min, cx.i64)))
    }
}
