/// The inline fast paths of compiled functions: the function header, calls to compiled
/// functions, returns, table reads and writes in the array part and by string key, globals
/// and upvalue reads. Each falls back to the runtime helper when its guards fail, so the
/// helpers stay the single definition of the semantics.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

extension FunctionLowering {
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
        // The address of a local of its own: taking `frameSlot`'s would keep that slot in
        // memory, reloaded after every store, instead of in a register.
        let here = b.ptrToInt(b.alloca(cx.i8, "stackProbe"), cx.i64)
        let nativeOK = b.icmp(LLVMIntUGE, here, b.load(cx.i64, rt.stackLimit))
        let needed = b.add(incomingBase, i64(Int(proto.frameSize) + FrameLayout.entrySlack))
        let luaOK = b.icmp(LLVMIntULE, needed, loadCount(thread, RuntimeLayout.threadStackSize))
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
        closurePointer = objectPointer(load(FrameLayout.functionSlot))
        let protoPointer = protoOf(closurePointer)
        constants = b.pointerCast(loadPointerField(protoPointer, RuntimeLayout.protoNumbers), rt.i64p)
        bytecodeAddress = b.ptrToInt(loadPointerField(protoPointer, RuntimeLayout.protoBytecode), cx.i64)
    }

    // MARK: Calls and returns

    /// CALL/CALLM: a compiled Lua callee is called directly (its link written as the
    /// interpreter would); anything else goes through `perigee_call`.
    func lowerCall(_ pc: Int, _ a: Int, _ bReg: Int, _ cReg: Int, multi: Bool) {
        let fixed = multi ? cReg : cReg - 1
        var n = i64(fixed)
        if multi { n = b.add(n, b.load(cx.i64, multres)) }
        let expected = expectedBuiltin(pc, a, nargs: fixed, multi: multi)
        // (In FFI chunks a `bit` operation on 64-bit cdata is an ordinary call of the builtin.)
        if let (inline, nargs) = expected, case .bit = inline, !numbers.integers {
            return lowerBitCall(pc, a, bReg, inline, nargs: nargs, count: n, multi: multi)
        }
        if inFastCopy, let (inline, nargs) = expected, !multi {
            return lowerFastCopyBuiltinCall(pc, a, bReg, inline, nargs: nargs)
        }
        if inFastCopy, !multi, let (leaf, symbol) = numericLeaf(at: pc, nargs: fixed) {
            return lowerFastCopyLeafCall(pc, a, bReg, leaf, symbol: symbol)
        }
        let slow = newBlock("call"), done = newBlock("called"), builtin = newBlock("builtin"), lua = newBlock("lua")
        let callee = load(a)
        guardOr(hasTag(callee, ValueBits.functionTag), slow: slow)
        let f = objectPointer(callee)
        // An inline builtin changes no other register and runs no hook: past the call's checks.
        let computed = newBlock("computed")
        if let (inline, nargs) = expected {
            let other = newBlock("notfast")
            if multi && inline != .selectCount { guardOr(b.icmp(LLVMIntEQ, n, i64(nargs)), slow: other) }
            storeInlineBuiltin(inline, f, pc, a, nargs: nargs, count: n, otherwise: other)
            adjustOneResult(a, bReg)
            b.br(computed)
            b.position(atEndOf: other)
        }
        if !multi, let (leaf, symbol) = numericLeaf(at: pc, nargs: fixed) {
            let other = newBlock("notleaf")
            storeNumericLeaf(leaf, symbol: symbol, callee: callee, pc, a, bReg, otherwise: other, computed: computed)
            b.position(atEndOf: other)
        }
        // The link: the return PC in this function's bytecode, as the interpreter writes it.
        store(a - FrameLayout.functionSlot + FrameLayout.linkSlot, returnLink(bytecodeAddress: bytecodeAddress, pc: pc))
        let funcSlot = b.add(base, i64(a))
        // A function calling itself (`fib(n - 1)`, its known callee is its own code): when the
        // callee is the running closure, the direct call needs none of the callee's fields.
        var selfCall: (status: LLVMValueRef, block: LLVMBasicBlockRef)?
        if callsItself(pc) {
            let own = newBlock("self"), other = newBlock("other")
            b.condBr(b.icmp(LLVMIntEQ, b.ptrToInt(f, cx.i64), b.ptrToInt(closurePointer, cx.i64)), own, other)
            b.position(atEndOf: own)
            selfCall = (b.call(rt.functionType, function, [thread, calleeBase(funcSlot), n]), own)
            b.position(atEndOf: other)
        }
        b.condBr(isLuaFunction(f), lua, builtin)
        // A builtin with a fast-function id runs its common case without a frame; others
        // (and pcall) run through the runtime's frame runner, with no other work.
        b.position(atEndOf: builtin)
        let general = newBlock("builtincall")
        callFastBuiltin(f, a, nargs: n, wanted: bReg - 1, general: general)
        b.br(done)
        b.position(atEndOf: general)
        setStackTop(thread, b.add(calleeBase(funcSlot), n))
        let fromBuiltin = callRuntime(.finishCall, [thread, funcSlot])
        let builtinEnd = b.insertBlock!
        b.position(atEndOf: lua)
        let native = nativeEntry(ofLua: f, slow: slow)
        let first = callProfiledTarget(pc, native, base: calleeBase(funcSlot), nargs: n)
            ?? callCompiled(native, thread: thread, base: calleeBase(funcSlot), nargs: n)
        // Tail calls from the callee come back here as `tailCall` with the next callee in the
        // frame: compiled ones are called in this loop, anything else by the runtime.
        let entry = b.insertBlock!
        let loop = newBlock("tailcalls"), again = newBlock("again"), other = newBlock("other"), results = newBlock("results")
        b.br(loop)
        if let selfCall {
            b.position(atEndOf: selfCall.block)
            b.br(loop)
        }
        b.position(atEndOf: loop)
        let status = b.phi(cx.i64, [(first, entry)] + (selfCall.map { [($0.status, $0.block)] } ?? []), "status")
        let isTail = b.icmp(LLVMIntEQ, status, i64(CompiledStatus.tailCall))
        let check = newBlock("next")
        b.condBr(isTail, check, results)
        b.position(atEndOf: check)
        refreshFrame()
        let next = nativeEntry(of: load(a), slow: other)
        b.br(again)
        b.position(atEndOf: again)
        let nargs = b.sub(stackTop(thread), calleeBase(funcSlot))
        let following = callCompiled(next, thread: thread, base: calleeBase(funcSlot), nargs: nargs)
        b.addIncoming(status, [(following, again)])
        b.br(loop)
        b.position(atEndOf: other)
        let finished = callRuntime(.finishCall, [thread, funcSlot])
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
                let from = b.sub(b.sub(stackTop(thread), r), base)
                store(a, b.load(cx.i64, b.gep(cx.i64, b.load(rt.i64p, frameSlot), [from])))
                b.br(done)
                b.position(atEndOf: none)
                store(a, bits(ValueBits.nil))
            }
            b.br(done)
        } else if wanted < 0 {
            // All results: moved down from the top to the call's slot, which becomes the top.
            let stack = stackBase(thread)
            copyValues(from: b.gep(cx.i64, stack, [b.sub(stackTop(thread), r)]), to: b.gep(cx.i64, stack, [funcSlot]), count: r)
            setStackTop(thread, b.add(funcSlot, r))
            b.store(r, multres)
            b.br(done)
        } else {
            // Several results: the helper's way, from the top values.
            callRuntime(.moveResults, [thread, funcSlot, r, i64(wanted)])
            refreshFrame()
            b.br(done)
        }
        b.position(atEndOf: slow)
        if cdataPaths && !inFastCopy { lowerCFunctionCall(a, nargs: n, wanted: bReg - 1, done: done) }
        callThroughRuntime(pc, multiResults: bReg == 0)
        b.br(done)
        b.position(atEndOf: done)
        handOverIfHooked(pc)
        // The callee may have changed this frame's locals (debug.setlocal).
        reloadShadows((0..<a).filter { numbers.isNumber($0, at: pc + 1) })
        if numbers.isNumber(a, at: pc + 1) {
            // A numeric builtin's call: code past it counts on a number, so another callee's
            // other answer leaves the rest of this activation to the interpreter.
            let result = load(a), number = newBlock("number"), other = newBlock("notnumber")
            b.condBr(isNumber(result), number, other)
            b.position(atEndOf: other)
            b.ret(call(.interpretRest, [i64(pc + 1), b.load(cx.i64, multres)]))
            b.position(atEndOf: number)
            setShadow(a, b.bitcast(result, cx.double))
        }
        b.br(computed)
        b.position(atEndOf: computed)
    }

    /// Whether the call at `pc` is known to call this very function (KnownCallees, or the
    /// profile's one target): a recursive call. Not in functions with a generic version,
    /// which replaces this code as the closure's entry once speculation failed.
    func callsItself(_ pc: Int) -> Bool {
        guard let symbol = guidance?.luaTargets[pc] ?? knownTargets[pc], !generic, !hasGenericVersion else { return false }
        return rt.module.function(named: symbol) == function
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
        if !inFastCopy, !numbers.integers, callsItself(pc) {
            loopOnSelfTailCall(a, fixed: multi ? d : d - 1, multi: multi, callee: callee)
        }
        _ = nativeEntry(of: callee, slow: slow)
        if proto.flags.contains(.hasChild) {
            guardOr(hasNoOpenUpvalues(thread), slow: slow)
        }
        store(FrameLayout.functionSlot, callee)
        let n: LLVMValueRef
        if multi {
            n = b.add(i64(d), b.load(cx.i64, multres))
            let frame = b.load(rt.i64p, frameSlot)
            copyValues(from: b.gep(cx.i64, frame, [i64(a + 2)]), to: frame, count: n)
        } else {
            n = i64(d - 1)
            for i in 0..<(d - 1) { store(i, load(a + 2 + i)) }
        }
        setStackTop(thread, b.add(base, n))
        b.ret(i64(CompiledStatus.tailCall))
        b.position(atEndOf: slow)
        if !inFastCopy {
            // A builtin with a fast-function id (`return setmetatable(o, mt)`): its common
            // case runs on this frame's registers and its results are returned; otherwise
            // the runtime makes the tail call.
            let builtin = newBlock("tailbuiltin"), general = newBlock("tailgeneral")
            b.condBr(hasTag(callee, ValueBits.functionTag), builtin, general)
            b.position(atEndOf: builtin)
            let count = multi ? b.add(i64(d), b.load(cx.i64, multres)) : i64(d - 1)
            callFastBuiltin(objectPointer(callee), a, nargs: count, wanted: -1, general: general)
            lowerReturn(a, b.load(cx.i64, multres))
            b.position(atEndOf: general)
        }
        b.ret(call(.tailcall, pc: pc, [b.load(cx.i64, multres)]))
    }

    /// A tail call of the running closure itself (`return ack(m - 1, 1)`) when no hook is
    /// set: the arguments become the parameters (missing ones nil) and the code starts
    /// again at its header, whose budget charge the call would have made. The frame, its
    /// link and its stack room stay the same, so nothing else of a call is needed: a loop
    /// instead of a return to the caller's loop and a call from it. (Other closures of the
    /// same prototype have other upvalues: they take the ordinary tail call.)
    func loopOnSelfTailCall(_ a: Int, fixed: Int, multi: Bool, callee: LLVMValueRef) {
        let parameters = Int(proto.parameterCount)
        // With the last call's results as arguments (CALLMT) their count is known only at run
        // time: the parameter slots are read from the frame whichever it is.
        if multi && a + 2 + parameters > Int(proto.frameSize) { return }
        let again = newBlock("selftail"), other = newBlock("tailother")
        var same = b.icmp(LLVMIntEQ, callee, load(FrameLayout.functionSlot))
        same = b.and(same, b.icmp(LLVMIntEQ, b.load(cx.i64, rt.hookFlag), i64(0)))
        if proto.flags.contains(.hasChild) { same = b.and(same, hasNoOpenUpvalues(thread)) }
        b.condBr(same, again, other)
        b.position(atEndOf: again)
        let count = multi ? b.add(i64(fixed), b.load(cx.i64, multres)) : i64(fixed)
        let arguments = (0..<parameters).map { i -> LLVMValueRef in
            if !multi { return i < fixed ? load(a + 2 + i) : bits(ValueBits.nil) }
            return i < fixed ? load(a + 2 + i) : b.select(b.icmp(LLVMIntSGT, count, i64(i)), load(a + 2 + i), bits(ValueBits.nil))
        }
        for (i, argument) in arguments.enumerated() { store(i, argument) }
        b.br(ordinaryBlock(0))
        b.position(atEndOf: other)
    }

    /// CALLT of an expected builtin with `nargs` arguments: its result is returned
    /// directly; any other callee makes the tail call.
    func lowerFastTailCall(_ pc: Int, _ a: Int, _ inline: InlineBuiltin, nargs: Int) {
        let other = newBlock("notfast")
        let callee = load(a)
        guardOr(hasTag(callee, ValueBits.functionTag), slow: other)
        storeInlineBuiltin(inline, objectPointer(callee), pc, a, nargs: nargs, count: i64(nargs), otherwise: other)
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
            let next = callRuntime(.nextEntry, [t, b.fptosi(d, cx.i64), out])
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
        storeUpvalue(loadPointerField(closurePointer, RuntimeLayout.functionUpvalues + 8 * a), load(d))
    }

    /// RET*: results stay where they are; L.top marks their end. Upvalues of this frame
    /// can only be open when the function makes closures.
    func lowerReturn(_ a: Int, _ count: LLVMValueRef) {
        if proto.flags.contains(.hasChild) {
            let close = newBlock("close"), plain = newBlock("return")
            b.condBr(hasNoOpenUpvalues(thread), plain, close)
            b.position(atEndOf: close)
            b.ret(call(.ret, [i64(a), count]))
            b.position(atEndOf: plain)
        }
        setStackTop(thread, b.add(b.add(base, i64(a)), count))
        b.ret(count)
    }

    // MARK: Tables

    /// A read of table slot `slot` (null: absent): the value, or nil when the table has no
    /// metatable; otherwise `__index` may apply and `miss` decides. `inArray`: the slot is in
    /// the array part, which exists wherever a key is inside it (never null).
    func readSlot(_ t: LLVMValueRef, _ slot: LLVMValueRef, inArray: Bool = false, into a: Int,
                  miss: LLVMBasicBlockRef, done: LLVMBasicBlockRef) {
        let present = newBlock("present"), absent = newBlock("absent")
        if inArray {
            b.br(present)
        } else {
            b.condBr(b.icmp(LLVMIntEQ, b.ptrToInt(slot, cx.i64), i64(0)), absent, present)
        }
        b.position(atEndOf: present)
        let v = b.load(cx.i64, slot, memory: .tableValue)
        let use = newBlock("use")
        b.condBr(b.icmp(LLVMIntNE, v, bits(ValueBits.nil)), use, absent)
        b.position(atEndOf: use)
        store(a, v)
        b.br(done)
        b.position(atEndOf: absent)
        let isNil = newBlock("nil")
        b.condBr(noMetatable(t), isNil, miss)
        b.position(atEndOf: isNil)
        store(a, bits(ValueBits.nil))
        b.br(done)
    }

    /// A write to a table slot that needs no `__newindex`, with the table's write barrier;
    /// anything else goes to `miss`.
    func writeSlot(_ t: LLVMValueRef, _ slot: LLVMValueRef, _ value: LLVMValueRef, plainWhenNil: Bool,
                   inArray: Bool = false, miss: LLVMBasicBlockRef, done: LLVMBasicBlockRef) {
        if !inArray { guardOr(b.icmp(LLVMIntNE, b.ptrToInt(slot, cx.i64), i64(0)), slow: miss) }
        guardNoNewIndex(t, slot, plainWhenNil: plainWhenNil, miss: miss, noMetatable: noMetatable(t))
        if inArray { noteArrayStore(t, slot: slot, old: b.load(cx.i64, slot, memory: .tableValue), value: value, isNil: nil) }
        b.store(value, slot, memory: .tableValue)
        // In a fast loop's fast copy, the barrier's call leaves for the slow copy, after this
        // complete instruction.
        tableBarrier(thread, t, done: done, afterCall: inFastCopy ? fastExit(to: currentPC + 1) : nil)
    }

    /// Whether table `t` lacks a metatable (as read on entry, for a fast copy's invariant table).
    func noMetatable(_ t: LLVMValueRef) -> LLVMValueRef {
        invariantTables.values.first { inFastCopy && $0.object == t }?.noMetatable ?? hasNoMetatable(t)
    }

    /// The array part of table `t` as read on entry, for a fast copy's invariant table.
    func arrayFields(_ t: LLVMValueRef) -> (limit: LLVMValueRef, array: LLVMValueRef)? {
        invariantTables.values.first { inFastCopy && $0.object == t }.map { ($0.arrayLimit, $0.array) }
    }

    /// The table in register `r` (the guard fails to `slow` otherwise), or with no register
    /// the function's environment (globals).
    func tableOperand(_ r: Int?, slow: LLVMBasicBlockRef) -> LLVMValueRef {
        guard let r else { return loadPointerField(closurePointer, RuntimeLayout.functionEnv) }
        if let table = invariantTable(r) { return table.object }
        let v = load(r)
        guardOr(hasTag(v, ValueBits.tableTag), slow: slow)
        return objectPointer(v)
    }

    /// GGET, TGETS, TGETV, TGETB: inline array and hash reads, then `perigee_lookup` (any
    /// key, `__index` tables), then the full instruction (`__index` functions, errors).
    func lowerIndex(_ pc: Int, _ op: Opcode, _ a: Int, _ bReg: Int, _ cReg: Int, _ d: Int) {
        let slow = newBlock("index"), lookup = newBlock("lookup"), done = newBlock("indexed")
        let cdata = cdataPaths && (op == .TGETS || op == .TGETV)
        let strings = !cdata && !inFastCopy && op == .TGETS && guidance?.stringMethodReads.contains(pc) == true
        let notTable = cdata || strings ? newBlock("nottable") : slow
        let t = tableOperand(op == .GGET ? nil : bReg, slow: notTable)
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
            readSlot(t, arraySlot(t, key, integer: integer, fields: arrayFields(t), slow: hashed), inArray: true, into: a, miss: lookup, done: done)
            b.position(atEndOf: hashed)
            // A fast copy reads array parts only: its loops run over arrays.
            if !leaveFastCopy(at: pc) { readSlot(t, findNumberSlot(t, key), into: a, miss: lookup, done: done) }
        }
        b.position(atEndOf: lookup)
        if leaveFastCopy(at: pc) {
            b.position(atEndOf: slow)
            _ = leaveFastCopy(at: pc)
            b.position(atEndOf: done)
            return
        }
        if op == .TGETS, methodReads.contains(pc) || guidance?.inheritedReads.contains(pc) == true {
            readInherited(t, key, into: a, done: done)
        }
        let found = callRuntime(.lookup, [t, key, lookupResult])
        let use = newBlock("found")
        b.condBr(b.icmp(LLVMIntEQ, found, i64(0)), use, slow)
        b.position(atEndOf: use)
        store(a, b.load(cx.i64, lookupResult))
        b.br(done)
        if cdata {
            b.position(atEndOf: notTable)
            if op == .TGETS { readCLibraryFunction(load(bReg), gcConstant(cReg), into: a, done: done) }
            lowerCDataRead(pc, op, a, bReg, cReg, slow: slow, done: done)
        }
        if strings {
            b.position(atEndOf: notTable)
            readStringMethod(load(bReg), gcConstant(cReg), into: a, slow: slow, done: done)
        }
        b.position(atEndOf: slow)
        bailIfNegative(call(.index, pc: pc))
        b.br(done)
        b.position(atEndOf: done)
    }

    /// The TGETS instructions whose result is called (`obj:method(...)`, `obj.f(...)`) before
    /// anything else writes the register, in straight-line code: a method of a class is
    /// usually in the object's metatable's `__index` table, which their lowering reads
    /// inline (`readInherited`) where the object lacks the key.
    static func methodReads(_ proto: Prototype) -> Set<Int> {
        let code = proto.bytecode
        var reads: Set<Int> = []
        for (pc, ins) in code.enumerated() where ins.opcode == .TGETS {
            let a = Int(ins.a)
            scan: for next in code[(pc + 1)..<min(code.count, pc + 16)] {
                switch next.opcode {
                case .CALL, .CALLM, .CALLT, .CALLMT:
                    if Int(next.a) == a { reads.insert(pc) }
                    break scan
                case .MOV, .KSTR, .KNUM, .KSHORT, .KPRI, .KNIL, .UGET, .GGET, .TGETS, .TGETV, .TGETB:
                    // Arguments being set up; a write of the register itself ends the scan.
                    let format = next.opcode.format.a
                    if (format == .dst && Int(next.a) == a) || (format == .base && Int(next.a) <= a) { break scan }
                default:
                    break scan
                }
            }
        }
        return reads
    }

    /// GSET, TSETS, TSETV, TSETB: inline stores into existing slots, then `perigee_store`
    /// (new keys), then the full instruction (`__newindex`, errors).
    func lowerNewIndex(_ pc: Int, _ op: Opcode, _ a: Int, _ bReg: Int, _ cReg: Int, _ d: Int) {
        let slow = newBlock("newindex"), storing = newBlock("store"), done = newBlock("stored")
        let cdata = cdataPaths && (op == .TSETS || op == .TSETV)
        let notTable = cdata ? newBlock("nottable") : slow
        let t = tableOperand(op == .GSET ? nil : bReg, slow: notTable)
        // An unboxed integer stored into a table is boxed first (a cdata store takes its bits).
        if numbers.isStale(a, at: pc) && !boxedNow.contains(a) { boxRegister(a) }
        let value = load(a)
        let key: LLVMValueRef
        switch op {
        case .GSET, .TSETS:
            key = gcConstant(op == .GSET ? d : cReg)
            writeSlot(t, findStringSlot(t, key), value, plainWhenNil: false, miss: storing, done: done)
        default:
            key = op == .TSETB ? bits(Double(cReg).bitPattern) : valueBits(cReg, at: pc)
            if op == .TSETV && !numbers.isNumber(cReg, at: pc) { guardOr(isNumber(key), slow: storing) }
            let hashed = newBlock("hashed")
            let integer = op == .TSETB ? i64(cReg) : integerValue(cReg, at: pc)
            writeSlot(t, arraySlot(t, key, integer: integer, fields: arrayFields(t), slow: hashed), value, plainWhenNil: true, inArray: true,
                      miss: storing, done: done)
            b.position(atEndOf: hashed)
            writeSlot(t, findNumberSlot(t, key), value, plainWhenNil: false, miss: storing, done: done)
        }
        b.position(atEndOf: storing)
        if leaveFastCopy(at: pc) {
            b.position(atEndOf: slow)
            _ = leaveFastCopy(at: pc)
            b.position(atEndOf: done)
            return
        }
        let stored = callRuntime(.store, [t, key, value])
        b.condBr(b.icmp(LLVMIntEQ, stored, i64(0)), done, slow)
        if cdata {
            b.position(atEndOf: notTable)
            lowerCDataWrite(pc, op, a, bReg, cReg, slow: slow, done: done)
        }
        b.position(atEndOf: slow)
        bailIfNegative(call(.newindex, pc: pc))
        b.br(done)
        b.position(atEndOf: done)
    }

    /// LEN: a string's length inline, a table's border inline or by the runtime's search,
    /// anything else (`__len` of userdata, errors) through the full instruction.
    func lowerLength(_ pc: Int, _ a: Int, _ d: Int) {
        let v = load(d)
        let string = newBlock("string"), notString = newBlock("other"), table = newBlock("table"),
            slow = newBlock("len"), done = newBlock("measured")
        b.condBr(hasTag(v, ValueBits.stringTag), string, notString)
        b.position(atEndOf: string)
        storeNumber(a, b.sitofp(loadCount(objectPointer(v), RuntimeLayout.stringLength), cx.double))
        b.br(done)
        b.position(atEndOf: notString)
        b.condBr(hasTag(v, ValueBits.tableTag), table, slow)
        b.position(atEndOf: table)
        storeNumber(a, b.sitofp(tableLength(objectPointer(v)), cx.double))
        b.br(done)
        b.position(atEndOf: slow)
        bailIfNegative(call(.arith, pc: pc))
        b.br(done)
        b.position(atEndOf: done)
    }

    /// UGET: the upvalue's value through its pointer (open: a stack slot; closed: itself).
    func lowerUpvalueGet(_ a: Int, _ d: Int) {
        store(a, invariantUpvalue(d) ?? upvalueValue(d))
    }

    /// The value of upvalue `d` of the running closure.
    func upvalueValue(_ d: Int) -> LLVMValueRef {
        let uv = loadPointerField(closurePointer, RuntimeLayout.functionUpvalues + 8 * d)
        return b.load(cx.i64, upvalueAddress(uv))
    }
}
