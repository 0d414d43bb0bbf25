/// The inline fast paths of compiled functions: the function header, calls to compiled
/// functions, returns, table reads and writes in the array part and by string key, globals
/// and upvalue reads. Each falls back to the runtime helper when its guards fail, so the
/// helpers stay the single definition of the semantics.
import CLLVM
import PerigeeFrontend
import PerigeeLLVM
import PerigeeRuntime

extension FunctionLowering {
    // MARK: Memory access

    /// The field of type `type` at byte `offset` of the object at `pointer` (an i8*).
    func fieldAddress(_ pointer: LLVMValueRef, _ offset: Int, _ type: LLVMTypeRef) -> LLVMValueRef {
        b.pointerCast(b.gep(cx.i8, pointer, [i64(offset)]), cx.pointer(to: type))
    }
    func loadField(_ pointer: LLVMValueRef, _ offset: Int, _ type: LLVMTypeRef) -> LLVMValueRef {
        b.load(type, fieldAddress(pointer, offset, type))
    }
    func loadPointerField(_ pointer: LLVMValueRef, _ offset: Int) -> LLVMValueRef {
        loadField(pointer, offset, rt.i8p)
    }
    /// A 32-bit unsigned field widened to i64.
    func loadCount(_ pointer: LLVMValueRef, _ offset: Int) -> LLVMValueRef {
        b.zext(loadField(pointer, offset, cx.i32), cx.i64)
    }

    /// The object a tagged value points to.
    func objectPointer(_ v: LLVMValueRef) -> LLVMValueRef {
        b.intToPtr(b.and(v, bits(ValueBits.payloadMask)), rt.i8p)
    }
    func hasTag(_ v: LLVMValueRef, _ tag: UInt64) -> LLVMValueRef {
        b.icmp(LLVMIntEQ, b.lshr(v, bits(Value.tagShift)), bits(tag))
    }

    /// Continues in `then` when `condition` holds, else in a block returned for the slow path.
    func guardOr(_ condition: LLVMValueRef, slow: LLVMBasicBlockRef) {
        let next = newBlock("guarded")
        b.condBr(condition, next, slow)
        b.position(atEndOf: next)
    }

    // MARK: Header

    /// The header of a fixed-parameter function: room on the Lua stack and the native stack,
    /// missing parameters set to nil; `perigee_enter` does the rest (and the errors).
    func lowerHeader(_ nargs: LLVMValueRef, _ incomingBase: LLVMValueRef) -> LLVMValueRef {
        let start = newBlock("start")
        if proto.flags.contains(.vararg) {
            let entered = b.call(rt.type(of: .enter), rt.declaration(.enter), [thread, incomingBase, nargs], "base")
            bailIfNegative(entered)
            b.br(start)
            b.position(atEndOf: start)
            return entered
        }
        let fast = newBlock("header"), slow = newBlock("enter")
        let here = b.ptrToInt(frameSlot, cx.i64)
        let nativeOK = b.icmp(LLVMIntUGE, here, b.load(cx.i64, rt.stackLimit))
        let needed = b.add(incomingBase, i64(Int(proto.frameSize) + 4))
        let luaOK = b.icmp(LLVMIntULE, needed, loadCount(thread, Layout.threadStackSize))
        b.condBr(b.and(nativeOK, luaOK), fast, slow)
        b.position(atEndOf: fast)
        base = incomingBase
        refreshFrame()
        for i in 0..<Int(proto.parameterCount) {
            let present = b.icmp(LLVMIntSGT, nargs, i64(i))
            store(i, b.select(present, load(i), bits(ValueBits.nil)))
        }
        b.br(start)
        let fastEnd = b.insertBlock!
        b.position(atEndOf: slow)
        let entered = b.call(rt.type(of: .enter), rt.declaration(.enter), [thread, incomingBase, nargs], "base")
        bailIfNegative(entered)
        b.br(start)
        let slowEnd = b.insertBlock!
        b.position(atEndOf: start)
        return b.phi(cx.i64, [(incomingBase, fastEnd), (entered, slowEnd)], "base")
    }

    /// The running closure, its constants and its bytecode, read once per activation.
    func loadFunctionState() {
        closurePointer = objectPointer(load(-2))
        let protoPointer = loadPointerField(closurePointer, Layout.functionTarget)
        let info = loadPointerField(protoPointer, Layout.protoDebugInfo)
        constants = b.pointerCast(loadPointerField(info, Layout.infoNumbers), rt.i64p)
        bytecodeAddress = b.ptrToInt(loadPointerField(protoPointer, Layout.protoBytecode), cx.i64)
    }

    // MARK: Calls and returns

    /// CALL/CALLM: a compiled Lua callee is called directly (its link written as the
    /// interpreter would); anything else goes through `perigee_call`.
    func lowerCall(_ pc: Int, _ a: Int, _ bReg: Int, _ cReg: Int, multi: Bool) {
        let slow = newBlock("call"), done = newBlock("called"), builtin = newBlock("builtin"), lua = newBlock("lua")
        let callee = load(a)
        guardOr(hasTag(callee, ValueBits.functionTag), slow: slow)
        let f = objectPointer(callee)
        if let ff = expectedFastFunction(pc, a, nargs: cReg - 1), !multi {
            let other = newBlock("notfast")
            storeFastFunction(ff, f, pc, a, otherwise: other)
            if bReg == 0 {
                b.store(i64(1), multres)
            } else {
                for i in 1..<max(bReg - 1, 1) { store(a + i, bits(ValueBits.nil)) }
            }
            b.br(done)
            b.position(atEndOf: other)
        }
        // The link: the return PC in this function's bytecode, as the interpreter writes it.
        store(a + 1, b.add(bytecodeAddress, i64(4 * (pc + 1))))
        var n = i64(cReg - 1)
        if multi { n = b.add(i64(cReg), b.load(cx.i64, multres)) }
        let funcSlot = b.add(base, i64(a))
        b.condBr(b.icmp(LLVMIntEQ, loadField(f, Layout.functionFFID, cx.i8), cx.constant(0, cx.i8)), lua, builtin)
        // A builtin (or pcall) runs through the runtime's frame runner, with no other work.
        b.position(atEndOf: builtin)
        b.store(b.trunc(b.add(b.add(funcSlot, i64(2)), n), cx.i32), fieldAddress(thread, Layout.threadTop, cx.i32))
        let fromBuiltin = b.call(rt.type(of: .finishCall), rt.declaration(.finishCall), [thread, funcSlot])
        let builtinEnd = b.insertBlock!
        b.position(atEndOf: lua)
        let native = nativeEntry(ofLua: f, slow: slow)
        let first = b.call(rt.functionType, b.pointerCast(native, cx.pointer(to: rt.functionType)),
                           [thread, b.add(funcSlot, i64(2)), n])
        // Tail calls from the callee come back here as `tailCall` with the next callee in the
        // frame: compiled ones are called in this loop, anything else by the runtime.
        let entry = b.insertBlock!
        let loop = newBlock("tailcalls"), again = newBlock("again"), other = newBlock("other"), results = newBlock("results")
        b.br(loop)
        b.position(atEndOf: loop)
        let status = b.phi(cx.i64, [(first, entry)], "status")
        let isTail = b.icmp(LLVMIntEQ, status, i64(CompiledStatus.tailCall))
        let check = newBlock("next")
        b.condBr(isTail, check, results)
        b.position(atEndOf: check)
        refreshFrame()
        let next = nativeEntry(of: load(a), slow: other)
        b.br(again)
        b.position(atEndOf: again)
        let nargs = b.sub(b.sub(loadCount(thread, Layout.threadTop), funcSlot), i64(2))
        let following = b.call(rt.functionType, b.pointerCast(next, cx.pointer(to: rt.functionType)),
                               [thread, b.add(funcSlot, i64(2)), nargs])
        b.addIncoming(status, [(following, again)])
        b.br(loop)
        b.position(atEndOf: other)
        let finished = b.call(rt.type(of: .finishCall), rt.declaration(.finishCall), [thread, funcSlot])
        b.br(results)
        b.position(atEndOf: builtinEnd)
        b.br(results)
        b.position(atEndOf: results)
        let r = b.phi(cx.i64, [(status, loop), (finished, other), (fromBuiltin, builtinEnd)], "results")
        refreshFrame()
        bailIfNegative(r)
        let wanted = bReg - 1
        if wanted == 1 || wanted == 0 {
            if wanted == 1 {
                // The one result is the top value, or nil when there is none.
                let some = newBlock("some"), none = newBlock("none")
                b.condBr(b.icmp(LLVMIntSGT, r, i64(0)), some, none)
                b.position(atEndOf: some)
                let top = loadCount(thread, Layout.threadTop)
                let from = b.sub(b.sub(top, r), base)
                store(a, b.load(cx.i64, b.gep(cx.i64, b.load(rt.i64p, frameSlot), [from])))
                b.br(done)
                b.position(atEndOf: none)
                store(a, bits(ValueBits.nil))
            }
            b.br(done)
        } else if wanted < 0 {
            // All results: moved down from the top to the call's slot, which becomes the top.
            let stack = b.load(rt.i64p, b.pointerCast(fieldAddress(thread, Layout.threadStack, rt.i8p), cx.pointer(to: rt.i64p)))
            let top = loadCount(thread, Layout.threadTop)
            copyValues(from: b.gep(cx.i64, stack, [b.sub(top, r)]), to: b.gep(cx.i64, stack, [funcSlot]), count: r)
            b.store(b.trunc(b.add(funcSlot, r), cx.i32), fieldAddress(thread, Layout.threadTop, cx.i32))
            b.store(r, multres)
            b.br(done)
        } else {
            // Several results: the helper's way, from the top values.
            b.call(rt.type(of: .moveResults), rt.declaration(.moveResults), [thread, funcSlot, r, i64(wanted)])
            refreshFrame()
            b.br(done)
        }
        b.position(atEndOf: slow)
        callThroughRuntime(pc, multiResults: bReg == 0)
        b.br(done)
        b.position(atEndOf: done)
        handOverIfHooked(pc)
        // The callee may have changed this frame's locals (debug.setlocal).
        reloadShadows((0..<a).filter { numbers.isNumber($0, at: pc + 1) })
    }

    /// CALL/CALLM through `perigee_call`.
    func callThroughRuntime(_ pc: Int, multiResults: Bool) {
        let r = call(.call, pc: pc, [b.load(cx.i64, multres)])
        bailIfNegative(r)
        if multiResults { b.store(r, multres) }
    }

    /// After a call, which may have set a debug hook: then the interpreter, which runs
    /// hooks, goes on with this activation.
    func handOverIfHooked(_ pc: Int) {
        let hooked = newBlock("hooked"), go = newBlock("go")
        b.condBr(b.icmp(LLVMIntNE, b.load(cx.i64, rt.hookFlag), i64(0)), hooked, go)
        b.position(atEndOf: hooked)
        b.ret(call(.interpretRest, [i64(pc + 1), b.load(cx.i64, multres)]))
        b.position(atEndOf: go)
    }

    /// The native entry of `callee` when it is a Lua function with compiled code; the
    /// guards fail to `slow`.
    func nativeEntry(of callee: LLVMValueRef, slow: LLVMBasicBlockRef) -> LLVMValueRef {
        guardOr(hasTag(callee, ValueBits.functionTag), slow: slow)
        let f = objectPointer(callee)
        guardOr(b.icmp(LLVMIntEQ, loadField(f, Layout.functionFFID, cx.i8), cx.constant(0, cx.i8)), slow: slow)
        return nativeEntry(ofLua: f, slow: slow)
    }

    /// The native entry of Lua function `f` (an object pointer), when it has compiled code.
    func nativeEntry(ofLua f: LLVMValueRef, slow: LLVMBasicBlockRef) -> LLVMValueRef {
        let info = loadPointerField(loadPointerField(f, Layout.functionTarget), Layout.protoDebugInfo)
        let native = loadPointerField(info, Layout.infoNative)
        guardOr(b.icmp(LLVMIntNE, b.ptrToInt(native, cx.i64), i64(0)), slow: slow)
        return native
    }

    /// `count` values from `source` to `target` (lower or equal addresses: copied upwards).
    func copyValues(from source: LLVMValueRef, to target: LLVMValueRef, count: LLVMValueRef) {
        let entry = b.insertBlock!
        let head = newBlock("copy"), body = newBlock("copying"), exit = newBlock("copied")
        b.br(head)
        b.position(atEndOf: head)
        let i = b.phi(cx.i64, [(i64(0), entry)], "i")
        b.condBr(b.icmp(LLVMIntSLT, i, count), body, exit)
        b.position(atEndOf: body)
        b.store(b.load(cx.i64, b.gep(cx.i64, source, [i])), b.gep(cx.i64, target, [i]))
        b.addIncoming(i, [(b.add(i, i64(1)), body)])
        b.br(head)
        b.position(atEndOf: exit)
    }

    /// CALLT (CALLMT: with the previous call's results as the last arguments) to a
    /// compiled function from a fixed-parameter function: the callee and its arguments
    /// replace this frame and `tailCall` goes back to the caller's loop.
    func lowerTailCall(_ pc: Int, _ a: Int, _ d: Int, multi: Bool = false) {
        let slow = newBlock("tailcall")
        let callee = load(a)
        _ = nativeEntry(of: callee, slow: slow)
        if proto.flags.contains(.hasChild) {
            let open = loadPointerField(thread, Layout.threadOpenUpvalues)
            guardOr(b.icmp(LLVMIntEQ, b.ptrToInt(open, cx.i64), i64(0)), slow: slow)
        }
        store(-2, callee)
        let n: LLVMValueRef
        if multi {
            n = b.add(i64(d), b.load(cx.i64, multres))
            let frame = b.load(rt.i64p, frameSlot)
            copyValues(from: b.gep(cx.i64, frame, [i64(a + 2)]), to: frame, count: n)
        } else {
            n = i64(d - 1)
            for i in 0..<(d - 1) { store(i, load(a + 2 + i)) }
        }
        b.store(b.trunc(b.add(base, n), cx.i32), fieldAddress(thread, Layout.threadTop, cx.i32))
        b.ret(i64(CompiledStatus.tailCall))
        b.position(atEndOf: slow)
        b.ret(call(.tailcall, pc: pc, [b.load(cx.i64, multres)]))
    }

    /// CALLT of an expected fast function: its result is returned directly; any other
    /// callee makes the tail call.
    func lowerFastTailCall(_ pc: Int, _ a: Int, _ ff: FastFunction) {
        let other = newBlock("notfast")
        let callee = load(a)
        guardOr(hasTag(callee, ValueBits.functionTag), slow: other)
        storeFastFunction(ff, objectPointer(callee), pc, a, otherwise: other)
        lowerReturn(a, i64(1))
        b.position(atEndOf: other)
    }

    /// ITERN stepping a `next` traversal (ISNEXT set it up): the entry after the hidden
    /// position, without a call; otherwise the runtime's ITERC/ITERN.
    func lowerIterate(_ pc: Int, _ a: Int, _ op: Opcode) {
        let generic = newBlock("iterate")
        if op == .ITERN, let flag = nextFlags[pc] {
            guardOr(b.icmp(LLVMIntNE, b.load(cx.i64, flag), i64(0)), slow: generic)
            let position = load(a - 1)
            guardOr(isNumber(position), slow: generic)
            let d = b.bitcast(position, cx.double)
            guardOr(b.and(b.fcmp(LLVMRealOGE, d, cx.constant(0.0)), b.fcmp(LLVMRealOLT, d, cx.constant(2_147_483_648.0))),
                    slow: generic)
            let t = objectPointer(load(a - 2))
            let out = b.pointerCast(nextPair, rt.i64p)
            let next = b.call(rt.type(of: .nextEntry), rt.declaration(.nextEntry), [t, b.fptosi(d, cx.i64), out])
            let found = newBlock("entry")
            b.condBr(b.icmp(LLVMIntSLT, next, i64(0)), block(pc + 2), found)
            b.position(atEndOf: found)
            storeNumber(a - 1, b.sitofp(next, cx.double))
            store(a, b.load(cx.i64, out))
            store(a + 1, b.load(cx.i64, b.gep(cx.i64, out, [i64(1)])))
            b.br(block(jumpTarget(pc + 1)))
        } else if op == .ITERC && !compact {
            lowerIpairsStep(pc, a, results: proto.bytecode[pc].rb - 1, generic: generic)
        } else {
            b.br(generic)
        }
        b.position(atEndOf: generic)
        bailIfNegative(call(.iterate, pc: pc))
        b.br(block(pc + 1))
    }

    /// USETV: the store through the upvalue's pointer, with its write barrier.
    func lowerUpvalueSet(_ a: Int, _ d: Int) {
        let uv = loadPointerField(closurePointer, Layout.functionUpvalues + 8 * a)
        let value = load(d)
        b.store(value, b.pointerCast(loadPointerField(uv, Layout.upvalueValue), rt.i64p))
        let top = b.lshr(value, bits(Value.tagShift))
        let collectable = b.icmp(LLVMIntULE, b.sub(top, bits(ValueBits.collectableLow)), bits(ValueBits.collectableSpan))
        let marked = loadField(uv, Layout.upvalueMarked, cx.i8)
        let black = b.icmp(LLVMIntNE, b.and(marked, cx.constant(Int64(Layout.black), cx.i8)), cx.constant(0, cx.i8))
        let barrier = newBlock("barrier"), done = newBlock("set")
        b.condBr(b.and(collectable, black), barrier, done)
        b.position(atEndOf: barrier)
        b.call(rt.type(of: .upvalueBarrier), rt.declaration(.upvalueBarrier), [uv, value])
        b.br(done)
        b.position(atEndOf: done)
    }

    /// RET*: results stay where they are; L.top marks their end. Upvalues of this frame
    /// can only be open when the function makes closures.
    func lowerReturn(_ a: Int, _ count: LLVMValueRef) {
        if proto.flags.contains(.hasChild) {
            let open = loadPointerField(thread, Layout.threadOpenUpvalues)
            let close = newBlock("close"), plain = newBlock("return")
            b.condBr(b.icmp(LLVMIntNE, b.ptrToInt(open, cx.i64), i64(0)), close, plain)
            b.position(atEndOf: close)
            b.ret(call(.ret, [i64(a), count]))
            b.position(atEndOf: plain)
        }
        let top = b.trunc(b.add(b.add(base, i64(a)), count), cx.i32)
        b.store(top, fieldAddress(thread, Layout.threadTop, cx.i32))
        b.ret(count)
    }

    // MARK: Tables

    /// The value slot of string `key` (an interned string value) in table `t`, or null.
    func findStringSlot(_ t: LLVMValueRef, _ key: LLVMValueRef) -> LLVMValueRef {
        findSlot(t, key, hash: b.zext(loadField(objectPointer(key), Layout.stringHash, cx.i32), cx.i64))
    }

    /// The hash-part value slot of number `key` in table `t`, or null. -0 is looked up as
    /// 0; a NaN finds nothing.
    func findNumberSlot(_ t: LLVMValueRef, _ number: LLVMValueRef) -> LLVMValueRef {
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
    func findSlot(_ t: LLVMValueRef, _ key: LLVMValueRef, hash: LLVMValueRef) -> LLVMValueRef {
        let mask = loadCount(t, Layout.tableHashMask)
        let nodes = loadPointerField(t, Layout.tableNode)
        let first = b.gep(cx.i8, nodes, [b.mul(b.and(hash, mask), i64(Layout.nodeSize))])
        let entry = b.insertBlock!
        let loop = newBlock("probe"), next = newBlock("next"), found = newBlock("found"), missing = newBlock("missing"),
            done = newBlock("slot")
        b.br(loop)
        b.position(atEndOf: loop)
        let node = b.phi(rt.i8p, [(first, entry)], "node")
        b.condBr(b.icmp(LLVMIntEQ, loadField(node, Layout.nodeKey, cx.i64), key), found, next)
        b.position(atEndOf: next)
        let following = loadPointerField(node, Layout.nodeNext)
        b.addIncoming(node, [(following, next)])
        b.condBr(b.icmp(LLVMIntEQ, b.ptrToInt(following, cx.i64), i64(0)), missing, loop)
        b.position(atEndOf: found)
        let slot = fieldAddress(node, Layout.nodeValue, cx.i64)
        b.br(done)
        b.position(atEndOf: missing)
        b.br(done)
        b.position(atEndOf: done)
        return b.phi(rt.i64p, [(slot, found), (cx.null(rt.i64p), missing)], "slot")
    }

    /// The array slot of number `key` in table `t` when the key is an integer inside the
    /// array part; the guard fails to `slow` otherwise. `integer`: the key as an i64, when
    /// it is known to be an integer.
    func arraySlot(_ t: LLVMValueRef, _ key: LLVMValueRef, integer: LLVMValueRef? = nil,
                   slow: LLVMBasicBlockRef) -> LLVMValueRef {
        let size = loadCount(t, Layout.tableArraySize)
        let index: LLVMValueRef
        if let integer {
            index = integer
            guardOr(b.icmp(LLVMIntULT, b.sub(index, i64(1)), size), slow: slow)
        } else {
            let d = b.bitcast(key, cx.double)
            let inside = b.and(b.fcmp(LLVMRealOGE, d, cx.constant(1.0)), b.fcmp(LLVMRealOLE, d, b.sitofp(size, cx.double)))
            guardOr(inside, slow: slow)
            // In range, so the conversion is defined; the round trip says it is an integer.
            index = b.fptosi(d, cx.i64)
            guardOr(b.fcmp(LLVMRealOEQ, b.sitofp(index, cx.double), d), slow: slow)
        }
        let array = b.pointerCast(loadPointerField(t, Layout.tableArray), rt.i64p)
        return b.gep(cx.i64, array, [b.sub(index, i64(1))])
    }

    /// A read of table slot `slot` (null: absent): the value, or nil when the table has no
    /// metatable; otherwise `__index` may apply and `miss` decides.
    func readSlot(_ t: LLVMValueRef, _ slot: LLVMValueRef, into a: Int, miss: LLVMBasicBlockRef, done: LLVMBasicBlockRef) {
        let present = newBlock("present"), absent = newBlock("absent")
        b.condBr(b.icmp(LLVMIntEQ, b.ptrToInt(slot, cx.i64), i64(0)), absent, present)
        b.position(atEndOf: present)
        let v = b.load(cx.i64, slot)
        let use = newBlock("use")
        b.condBr(b.icmp(LLVMIntNE, v, bits(ValueBits.nil)), use, absent)
        b.position(atEndOf: use)
        store(a, v)
        b.br(done)
        b.position(atEndOf: absent)
        let noMeta = b.icmp(LLVMIntEQ, b.ptrToInt(loadPointerField(t, Layout.tableMetatable), cx.i64), i64(0))
        let isNil = newBlock("nil")
        b.condBr(noMeta, isNil, miss)
        b.position(atEndOf: isNil)
        store(a, bits(ValueBits.nil))
        b.br(done)
    }

    /// A write to a table slot that needs no `__newindex`, with the table's write barrier;
    /// anything else goes to `miss`.
    func writeSlot(_ t: LLVMValueRef, _ slot: LLVMValueRef, _ value: LLVMValueRef, arrayPart: Bool,
                   miss: LLVMBasicBlockRef, done: LLVMBasicBlockRef) {
        guardOr(b.icmp(LLVMIntNE, b.ptrToInt(slot, cx.i64), i64(0)), slow: miss)
        // A nil slot may need `__newindex`, unless the table has no metatable. (A key of the
        // hash part holding nil may also have its metamethod name cached as absent: the
        // runtime's store clears that cache, so such stores take the slow path too.)
        let holdsValue = b.icmp(LLVMIntNE, b.load(cx.i64, slot), bits(ValueBits.nil))
        if arrayPart {
            let noMeta = b.icmp(LLVMIntEQ, b.ptrToInt(loadPointerField(t, Layout.tableMetatable), cx.i64), i64(0))
            guardOr(b.or(holdsValue, noMeta), slow: miss)
        } else {
            guardOr(holdsValue, slow: miss)
        }
        b.store(value, slot)
        let marked = loadField(t, Layout.tableMarked, cx.i8)
        let black = b.icmp(LLVMIntNE, b.and(marked, cx.constant(Int64(Layout.black), cx.i8)), cx.constant(0, cx.i8))
        let barrier = newBlock("barrier")
        b.condBr(black, barrier, done)
        b.position(atEndOf: barrier)
        b.call(rt.type(of: .barrier), rt.declaration(.barrier), [thread, t])
        b.br(done)
    }

    /// The table in register `r` (the guard fails to `slow` otherwise), or with no register
    /// the function's environment (globals).
    func tableOperand(_ r: Int?, slow: LLVMBasicBlockRef) -> LLVMValueRef {
        guard let r else { return loadPointerField(closurePointer, Layout.functionEnv) }
        let v = load(r)
        guardOr(hasTag(v, ValueBits.tableTag), slow: slow)
        return objectPointer(v)
    }

    /// GGET, TGETS, TGETV, TGETB: inline array and hash reads, then `perigee_lookup` (any
    /// key, `__index` tables), then the full instruction (`__index` functions, errors).
    func lowerIndex(_ pc: Int, _ op: Opcode, _ a: Int, _ bReg: Int, _ cReg: Int, _ d: Int) {
        let slow = newBlock("index"), lookup = newBlock("lookup"), done = newBlock("indexed")
        let t = tableOperand(op == .GGET ? nil : bReg, slow: slow)
        let key: LLVMValueRef
        switch op {
        case .GGET, .TGETS:
            key = gcConstant(op == .GGET ? d : cReg)
            readSlot(t, findStringSlot(t, key), into: a, miss: lookup, done: done)
        default:
            key = op == .TGETB ? bits(Double(cReg).bitPattern) : valueBits(cReg, at: pc)
            if op == .TGETV && !numbers.isNumber(cReg, at: pc) { guardOr(isNumber(key), slow: lookup) }
            let hashed = newBlock("hashed")
            let integer = op == .TGETB ? i64(cReg) : integerValue(cReg, at: pc)
            readSlot(t, arraySlot(t, key, integer: integer, slow: hashed), into: a, miss: lookup, done: done)
            b.position(atEndOf: hashed)
            readSlot(t, findNumberSlot(t, key), into: a, miss: lookup, done: done)
        }
        b.position(atEndOf: lookup)
        let found = b.call(rt.type(of: .lookup), rt.declaration(.lookup), [t, key, lookupResult])
        let use = newBlock("found")
        b.condBr(b.icmp(LLVMIntEQ, found, i64(0)), use, slow)
        b.position(atEndOf: use)
        store(a, b.load(cx.i64, lookupResult))
        b.br(done)
        b.position(atEndOf: slow)
        bailIfNegative(call(.index, pc: pc))
        b.br(done)
        b.position(atEndOf: done)
    }

    /// GSET, TSETS, TSETV, TSETB: inline stores into existing slots, then `perigee_store`
    /// (new keys), then the full instruction (`__newindex`, errors).
    func lowerNewIndex(_ pc: Int, _ op: Opcode, _ a: Int, _ bReg: Int, _ cReg: Int, _ d: Int) {
        let slow = newBlock("newindex"), storing = newBlock("store"), done = newBlock("stored")
        let t = tableOperand(op == .GSET ? nil : bReg, slow: slow)
        let value = load(a)
        let key: LLVMValueRef
        switch op {
        case .GSET, .TSETS:
            key = gcConstant(op == .GSET ? d : cReg)
            writeSlot(t, findStringSlot(t, key), value, arrayPart: false, miss: storing, done: done)
        default:
            key = op == .TSETB ? bits(Double(cReg).bitPattern) : valueBits(cReg, at: pc)
            if op == .TSETV && !numbers.isNumber(cReg, at: pc) { guardOr(isNumber(key), slow: storing) }
            let hashed = newBlock("hashed")
            let integer = op == .TSETB ? i64(cReg) : integerValue(cReg, at: pc)
            writeSlot(t, arraySlot(t, key, integer: integer, slow: hashed), value, arrayPart: true, miss: storing, done: done)
            b.position(atEndOf: hashed)
            writeSlot(t, findNumberSlot(t, key), value, arrayPart: false, miss: storing, done: done)
        }
        b.position(atEndOf: storing)
        let stored = b.call(rt.type(of: .store), rt.declaration(.store), [t, key, value])
        b.condBr(b.icmp(LLVMIntEQ, stored, i64(0)), done, slow)
        b.position(atEndOf: slow)
        bailIfNegative(call(.newindex, pc: pc))
        b.br(done)
        b.position(atEndOf: done)
    }

    /// LEN: a string's length inline, a table's border through `perigee_table_length`,
    /// anything else (`__len` of userdata, errors) through the full instruction.
    func lowerLength(_ pc: Int, _ a: Int, _ d: Int) {
        let v = load(d)
        let string = newBlock("string"), notString = newBlock("other"), table = newBlock("table"),
            slow = newBlock("len"), done = newBlock("measured")
        b.condBr(hasTag(v, ValueBits.stringTag), string, notString)
        b.position(atEndOf: string)
        storeNumber(a, b.sitofp(loadCount(objectPointer(v), Layout.stringLength), cx.double))
        b.br(done)
        b.position(atEndOf: notString)
        b.condBr(hasTag(v, ValueBits.tableTag), table, slow)
        b.position(atEndOf: table)
        let n = b.call(rt.type(of: .tableLength), rt.declaration(.tableLength), [objectPointer(v)])
        storeNumber(a, b.sitofp(n, cx.double))
        b.br(done)
        b.position(atEndOf: slow)
        bailIfNegative(call(.arith, pc: pc))
        b.br(done)
        b.position(atEndOf: done)
    }

    /// UGET: the upvalue's value through its pointer (open: a stack slot; closed: itself).
    func lowerUpvalueGet(_ a: Int, _ d: Int) {
        let uv = loadPointerField(closurePointer, Layout.functionUpvalues + 8 * d)
        let value = b.pointerCast(loadPointerField(uv, Layout.upvalueValue), rt.i64p)
        store(a, b.load(cx.i64, value))
    }
}
