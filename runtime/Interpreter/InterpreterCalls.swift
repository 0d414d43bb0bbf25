/// The instruction handlers of calls, returns and function headers, and the run's general
/// call: callable values through `__call`, tail calls, builtins, and `pcall`/`xpcall`, whose
/// protected function runs in this same run.
import CSupport
import PerigeeFrontend

// MARK: Calls

/// CALL and CALLM: a Lua callee whose frame fits the stack is entered here at once; anything
/// else takes `callOther`. (The C fast stub answers numeric fast functions before this
/// handler runs: `stub_call_bit` and `stub_call_math`, DispatchFastPaths.h.)
@inline(__always) func callInstruction(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code, _ ins: UInt32,
                                       multi: Bool) -> PerigeeStep {
    let s = runState(run)
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let callee = r[a]
    if callee.isFunction && callee.function.pointee.ffid == GCFunction.luaFFID {
        var n = Instruction(ins).rc &- 1
        if multi { n = n &+ 1 &+ s.pointee.multres }
        if let step = s.pointee.enterLuaFunction(callee.function, at: r + a + 2, n) {
            r[a + 1] = returnLink(pc)
            return step
        }
    }
    return callOther(base, pc, ins)
}

/// CALL and CALLM of anything but a Lua function entered at once: a fast function on the
/// registers, or the run's `call`. Out of line, in tail position, so that the handlers'
/// common path (entering a Lua function) saves no registers.
@_cdecl("perigee_call_other") @inline(never) func callOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let callee = r[a]
    if callee.isFunction && callee.function.pointee.ffid > GCFunction.builtinFFID {
        var n = Instruction(ins).rc &- 1
        if Instruction(ins).verifiedOpcode == .CALLM { n = n &+ 1 &+ s.pointee.multres }
        if let kind = CoroutineSwitch(id: callee.function.pointee.ffid) {
            if s.pointee.switches(kind, r + a + 2, n) {
                s.pointee.base = r
                s.pointee.pc = pc
                return s.pointee.proceed(s.pointee.switchCoroutine(kind, ins, a, n))
            }
        } else if s.pointee.runFastFunctionInline(callee.function, r, a, n, wanted: Instruction(ins).rb &- 1) >= 0 {
            return stay(pc, base)
        }
    }
    s.pointee.base = r
    s.pointee.pc = pc
    return s.pointee.proceed(s.pointee.call(ins))
}

@_cdecl("perigee_op_CALL") @inline(__always) func opCALL(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    callInstruction(run, base, pc, ins, multi: false)
}
@_cdecl("perigee_op_CALLM") @inline(__always) func opCALLM(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    callInstruction(run, base, pc, ins, multi: true)
}
/// CALLT and CALLMT: a fast function runs on the registers and its results return as a
/// RET would return them; everything else goes through the run's `call`.
@_cdecl("perigee_op_CALLT") @inline(__always) func opCALLT(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let callee = r[a]
    if callee.isFunction && callee.function.pointee.ffid == GCFunction.luaFFID {
        // A Lua callee replacing a Lua-called frame that has no open upvalues, when its
        // frame fits: the arguments move down and the callee is entered (`tailCall` in full).
        let s = runState(run)
        let link = r[FrameLayout.linkSlot]
        var n = Instruction(ins).rd &- 1
        if Instruction(ins).verifiedOpcode == .CALLMT { n = n &+ 1 &+ s.pointee.multres }
        s.pointee.nargs = n
        if link.isReturnPC && !s.pointee.L.hasOpenUpvalues(atOrAbove: r) && s.pointee.fits(callee.function, at: r) {
            r[FrameLayout.functionSlot] = callee
            var i = 0
            while i < n { r[i] = r[a &+ 2 &+ i]; i &+= 1 }
            return s.pointee.enterLuaFunction(callee.function, at: r, n).unsafelyUnwrapped
        }
    } else if callee.isFunction && callee.function.pointee.ffid > GCFunction.builtinFFID {
        let s = runState(run)
        var n = Instruction(ins).rd &- 1
        if Instruction(ins).verifiedOpcode == .CALLMT { n = n &+ 1 &+ s.pointee.multres }
        let count = s.pointee.runFastFunction(callee.function, r, a, n, wanted: -1)
        if count >= 0 { return returnInstruction(run, base, pc, first: a, count: count) }
    }
    return slowPath(run, base, pc) { $0.call(ins) }
}

// MARK: Returns

@inline(__always) func returnInstruction(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code,
                                         first: Int, count: Int) -> PerigeeStep {
    let s = runState(run)
    let r = valueSlots(base)
    let link = r[FrameLayout.linkSlot]
    let L = s.pointee.L
    // The common return: to a Lua caller wanting as many results as there are.
    if s.pointee.returnsToLua(r, link) {
        let returnPC = link.returnPC
        let callIns = returnPC[-1]
        if Instruction(callIns).rb &- 1 == count {
            let dst = r - 2
            var i = 0
            while i < count { dst[i] = r[first &+ i]; i &+= 1 }
            let callerBase = dst - Instruction(callIns).ra
            let closure = callerBase[FrameLayout.functionSlot].function
            s.pointee.closure = closure
            let p = closure.proto
            s.pointee.k = p.pointee.numbers
            let index = slotDistance(callerBase, from: L.pointee.stack)
            L.pointee.base = UInt32(truncatingIfNeeded: index)
            L.pointee.top = UInt32(truncatingIfNeeded: index &+ Int(p.pointee.frameSize))
            return PerigeeStep(pc: returnPC, base: rawSlots(callerBase))
        }
    }
    return returnOther(base, pc, first, count)
}

/// The other returns, out of line and in tail position (the common one saves no
/// registers): results adjusted to what a Lua caller wants, or the run's `returnFrom`
/// (open upvalues, the run's exit frame, a builtin's or a continuation's frame).
@_cdecl("perigee_return_other") @inline(never)
func returnOther(_ base: Slots, _ pc: Code, _ first: Int, _ count: Int) -> PerigeeStep {
    let s = runState(run)
    let r = valueSlots(base)
    let link = r[FrameLayout.linkSlot]
    let L = s.pointee.L
    s.pointee.base = r
    if s.pointee.returnsToLua(r, link) {
        s.pointee.returnToLua(link.returnPC, from: r - L.pointee.stack + first, count: count, frameBase: r - L.pointee.stack)
        return s.pointee.next
    }
    s.pointee.pc = pc
    return s.pointee.proceed(s.pointee.returnFrom(first, count))
}

@_cdecl("perigee_op_RET0") @inline(__always) func opRET0(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    returnInstruction(run, base, pc, first: Instruction(ins).ra, count: 0)
}
@_cdecl("perigee_op_RET1") @inline(__always) func opRET1(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    returnInstruction(run, base, pc, first: Instruction(ins).ra, count: 1)
}
@_cdecl("perigee_op_RET") @inline(__always) func opRET(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    returnInstruction(run, base, pc, first: Instruction(ins).ra, count: Instruction(ins).rd - 1)
}
@_cdecl("perigee_op_RETM") @inline(__always) func opRETM(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    returnInstruction(run, base, pc, first: Instruction(ins).ra, count: Instruction(ins).rd + runState(run).pointee.multres)
}

// MARK: Function headers

/// FUNCF: missing parameters become nil and the frame is published to the thread.
@_cdecl("perigee_op_FUNCF") @inline(__always) func opFUNCF(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let p = s.pointee.closure.proto
    let nargs = s.pointee.nargs
    if spendInstructions(1) || p.pointee.flags & ProtoFlag.compiled != 0 || nargs < Int(p.pointee.parameterCount)
        || s.pointee.withVM({ $0.hooks.onCalls || (countsEntry(ins) && $0.hotCounters.isCountingFunctions && $0.hotCounters.expires(pc - 1)) }) {
        return functionEntryOther(base, pc, ins)
    }
    s.pointee.publishEntry(valueSlots(base), p, nargs: nargs)
    return stay(pc, base)
}

/// Whether a function header counts toward the JIT's hot functions: not IFUNCF, a function
/// the JIT gave up on.
@inline(__always) func countsEntry(_ ins: UInt32) -> Bool { Instruction(ins).verifiedOpcode != .IFUNCF }

/// FUNCF's other cases, out of line and in tail position (the common header saves no
/// registers): missing parameters become nil; a hooked or compiled function, one whose hot
/// counter ran out, or an instruction budget spent, takes the run's `functionEntry`.
@_cdecl("perigee_function_entry_other") @inline(never)
func functionEntryOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let p = s.pointee.closure.proto
    // The counter may have run out in the common header already (counting again keeps it
    // below zero) or not been counted there (missing parameters).
    if perigee_instruction_budget < 0 || p.pointee.flags & ProtoFlag.compiled != 0
        || s.pointee.withVM({ $0.hooks.onCalls || (countsEntry(ins) && $0.hotCounters.isCountingFunctions && $0.hotCounters.expires(pc - 1)) }) {
        return slowPath(run, base, pc) { $0.functionEntry() }
    }
    setUpFrame(s, base)
    return stay(pc, base)
}

/// JFUNCF: FUNCF's work, then the function's trace runs (its number in D). With a call hook
/// or the instruction budget spent, FUNCF's slow path runs the function interpreted.
@_cdecl("perigee_op_JFUNCF") @inline(__always) func opJFUNCF(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    if spendInstructions(1) || s.pointee.withVM({ $0.hooks.onCalls }) {
        return slowPath(run, base, pc) { $0.functionEntry() }
    }
    setUpFrame(s, base)
    return slowPath(run, base, pc) { $0.runTrace(Instruction(ins).rd) }
}

/// FUNCF's common case: missing parameters become nil and the frame is published.
@inline(__always) private func setUpFrame(_ s: RunPointer, _ base: Slots) {
    let p = s.pointee.closure.proto
    let r = valueSlots(base)
    let nargs = s.pointee.nargs
    var i = nargs
    while i < Int(p.pointee.parameterCount) { r[i] = .nil; i += 1 }
    s.pointee.publishEntry(r, p, nargs: nargs)
}

extension InterpreterRun {
    /// Whether the frame at `r` (its link `link`) returns straight to a Lua caller: not the
    /// run's exit frame, no open upvalues to close.
    @inline(__always) func returnsToLua(_ r: UnsafeMutablePointer<Value>, _ link: Value) -> Bool {
        link.isReturnPC && (exitBase < 0 || r != L.pointee.stack + exitBase) && !L.hasOpenUpvalues(atOrAbove: r)
    }

    /// Publishes the frame of `p` entered at `r` with `nargs` arguments to the thread.
    /// Registers not yet written may hold values of finished frames: the collector clears
    /// everything above `top` when it scans a stack, so they are never stale.
    @inline(__always) func publishEntry(_ r: UnsafeMutablePointer<Value>, _ p: ProtoRef, nargs: Int) {
        let frameSize = Int(p.pointee.frameSize)
        let index = slotDistance(r, from: L.pointee.stack)
        L.pointee.base = UInt32(truncatingIfNeeded: index)
        L.pointee.top = UInt32(truncatingIfNeeded: index &+ (frameSize > nargs ? frameSize : nargs))
    }
}

/// FUNCV: the function and its fixed parameters move above the arguments; the varargs
/// stay below, in the original frame.
@_cdecl("perigee_op_FUNCV") @inline(__always) func opFUNCV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    slowPath(run, base, pc) { $0.varargEntry() }
}

// MARK: Generic for over `next`

/// ITERN: when the loop's iterator really is `next` on a table, the hidden position steps
/// in place and the following ITERL's work is done here; otherwise a plain ITERC.
@_cdecl("perigee_op_ITERN") @inline(__always) func opITERN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let position = r[a - 1]
    // The hidden position is a small non-negative number unless bytecode from a dump wrote
    // something else there; then the plain call runs instead.
    if position.isNumber && position.number >= 0 && position.number < 2_147_483_648
        && r[a - 3].isFunction && r[a - 3].function == runState(run).pointee.withVM({ $0.nextFunction }) && r[a - 2].isTable {
        var key = Value.nil, value = Value.nil
        let next = r[a - 2].table.entry(from: Int(position.number), &key, &value)
        if next < 0 { return stay(pc + 1, base) }
        r[a - 1] = Value(number: Double(next))
        r[a] = key
        r[a + 1] = value
        // The ITERL that follows is stepped here; a compiled one (JITERL) runs its trace.
        // (Counting may install a trace at the ITERL: its jump is read before.)
        let loop = Instruction(pc.pointee)
        switch loop.verifiedOpcode {
        case .JITERL: return slowPath(run, base, pc + 1) { $0.runTrace(loop.rd) }
        case .ITERL: countLoop(run, pc + 1)
        default: break
        }
        return stay(pc + 1 + loop.jumpOffset, base)
    }
    return slowPath(run, base, pc) { $0.iteratorCall(ins) }
}

/// ITERC: an iterator that is a fast function (the `ipairs` iterator, `next`) runs on the
/// registers; anything else through `iteratorCall`.
@_cdecl("perigee_op_ITERC") @inline(__always) func opITERC(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let iterator = r[a - 3]
    if iterator.isFunction && iterator.function.pointee.ffid > GCFunction.builtinFFID {
        // The call frame as iteratorCall writes it: the iterator, then state and control.
        r[a] = iterator
        r[a + 2] = r[a - 2]
        r[a + 3] = r[a - 1]
        if runState(run).pointee.runFastFunction(iterator.function, r, a, 2, wanted: Instruction(ins).rb &- 1) >= 0 {
            return stay(pc, base)
        }
    }
    return slowPath(run, base, pc) { $0.iteratorCall(ins) }
}

extension InterpreterRun {
    /// A call instruction (CALL, CALLM, CALLT, CALLMT) at `pc - 1`, in full.
    mutating func call(_ ins: UInt32) -> CallStatus? {
        let op = Instruction(ins).verifiedOpcode
        let isMulti = op == .CALLM || op == .CALLMT
        let isTail = op == .CALLT || op == .CALLMT
        let a = Instruction(ins).ra
        var n = (isTail ? Instruction(ins).rd : Instruction(ins).rc) - 1
        if isMulti { n += 1 + multres }
        let funcSlot = slotIndex(base) + a
        L.pointee.top = UInt32(funcSlot + 2 + n)
        if !base[a].isFunction {
            // A C function whose call fits the registers: no frame, no `__call`.
            if !isTail, base[a].isCData, let r = withVM({ $0.hooks.onCalls ? nil : $0.registerCall(L, funcSlot, n) }) {
                return placeBuiltinResults(r, ins, funcSlot: funcSlot)
            }
            let index = slotIndex(base)
            let frame = withVM { FrameView($0, L, base: index, closure: closure, pc: currentPC(), top: funcSlot + 2 + n) }
            guard frame.resolveCall(a, &n, errorSlot: a) else {
                return .error
            }
            rebase(index)
        }
        let f = base[a].function
        if isTail {
            let link = base[FrameLayout.linkSlot]
            if link.isReturnPC || link.frameType != 0 { return tailCall(f, a, n, link) }
        }
        let newBase = funcSlot + 2
        L.pointee.stack[newBase + FrameLayout.linkSlot] = returnLink(pc)
        nargs = n
        if f.isLua {
            return enter(newBase) ? nil : vm.errorAt(L, closure, currentPC(), "stack overflow")
        }
        if withVM({ f == $0.pcallFunction || f == $0.xpcallFunction }) { return protectedCall(f, newBase, n) }
        return placeBuiltinResults(invokeBuiltin(f, newBase, n), ins, funcSlot: funcSlot)
    }

    /// The builtin called by call instruction `ins` from the frame at `base` (the callee at
    /// slot `funcSlot`) answered `r`: its results move down to the callee's register,
    /// adjusted to what the instruction wants; a status when it failed or yielded.
    @inline(__always) mutating func placeBuiltinResults(_ r: Int32, _ ins: UInt32, funcSlot: Int) -> CallStatus? {
        let newBase = funcSlot + 2
        if r < 0 {
            // On a yield the coroutine stops here; `resume` continues it by returning from
            // this builtin frame.
            if r == builtinYield { return .yield }
            errorFrameBase = newBase
            return .error
        }
        rebase(funcSlot - Instruction(ins).ra)
        let wanted = Instruction(ins).rb - 1
        let top = Int(L.pointee.top)
        let count = Int(r)
        let stack = L.pointee.stack
        if wanted < 0 {
            for i in 0..<count { stack[funcSlot + i] = stack[top - count + i] }
            multres = count
        } else {
            for i in 0..<wanted { stack[funcSlot + i] = i < count ? stack[top - count + i] : .nil }
        }
        syncTop()
        if wanted < 0 && Int(L.pointee.top) < funcSlot + count { L.pointee.top = UInt32(funcSlot + count) }
        return nil
    }

    /// A tail call of `f` in register `a` with `n` arguments: replaces this frame (whose
    /// link is `link`) with the callee's.
    mutating func tailCall(_ f: FunctionRef, _ a: Int, _ n: Int, _ link: Value) -> CallStatus? {
        L.closeUpvalues(from: slotIndex(base), g)
        var target = base
        var linkValue = link
        if link.frameType == FrameType.vararg && !link.isReturnPC {
            target = base - link.frameValue
            linkValue = target[FrameLayout.linkSlot]
        }
        target[FrameLayout.functionSlot] = base[a]
        for i in 0..<n { target[i] = base[a + 2 + i] }
        target[FrameLayout.linkSlot] = linkValue
        base = target
        nargs = n
        if f.isLua {
            return enter(slotIndex(base)) ? nil : vm.errorAt(L, closure, currentPC(), "stack overflow")
        }
        // pcall/xpcall in tail position protect their function in this run, so it may yield.
        if withVM({ f == $0.pcallFunction || f == $0.xpcallFunction }) { return protectedCall(f, slotIndex(base), n) }
        // A builtin in tail position: run it, then return its results.
        return runBuiltinAndReturn(f, slotIndex(base), n)
    }

    /// `pcall`/`xpcall` called from Lua: the protected function runs in this run, in a frame
    /// marked pcall, so it may yield.
    mutating func protectedCall(_ f: FunctionRef, _ newBase: Int, _ n: Int) -> CallStatus? {
        L.pointee.base = UInt32(newBase)
        if vm.hooks.onCalls && vm.callHook(L, base: newBase, header: nil) != .ok {
            errorFrameBase = newBase
            return .error
        }
        guard let (fBase, fArgs) = vm.setUpProtectedFrame(L, newBase, n, xpcall: f == vm.xpcallFunction) else {
            errorFrameBase = newBase
            return .error
        }
        rebase(fBase)
        nargs = fArgs
        let target = base[FrameLayout.functionSlot].function
        if target.isLua {
            if enter(fBase) { return nil }
            // A coroutine's body pcall has no Lua caller to give the message a position.
            guard closure.isLua else { vm.setError("stack overflow"); return .error }
            return vm.errorAt(L, closure, currentPC(), "stack overflow")
        }
        return runBuiltinAndReturn(target, fBase, fArgs)
    }

    /// ITERC (and ITERN not over `next`): calls base[a-3](base[a-2], base[a-1]), results
    /// from base[a].
    mutating func iteratorCall(_ ins: UInt32) -> CallStatus? {
        let a = Instruction(ins).ra
        let index = slotIndex(base)
        guard let n = frame.iteratorCall(Instruction(ins)) else { return .error }
        rebase(index)
        let funcSlot = index + a
        let f = base[a].function
        L.pointee.stack[funcSlot + 1] = returnLink(pc)
        nargs = n
        if f.isLua {
            return enter(funcSlot + 2) ? nil : vm.errorAt(L, closure, currentPC(), "stack overflow")
        }
        let r = invokeBuiltin(f, funcSlot + 2, n)
        if r < 0 {
            if r == builtinYield { return .yield }
            errorFrameBase = funcSlot + 2
            return .error
        }
        rebase(funcSlot - a)
        vm.moveResults(L, from: Int(L.pointee.top) - Int(r), count: Int(r), to: funcSlot, wanted: Instruction(ins).rb - 1)
        syncTop()
        return nil
    }

    /// FUNCF when the function has compiled code, a call hook is set or the JIT counts.
    @inline(never) mutating func functionEntry() -> CallStatus? {
        if perigee_instruction_budget < 0, let failed = entryBudgetSpent() { return failed }
        let p = closure.proto
        let pc = self.pc
        withVM { vm in
            // FUNCF's fast path counted this entry already.
            if vm.hotCounters.isCountingFunctions { vm.hotCounters.count(pc - 1, by: 0) }
        }
        if p.pointee.flags & ProtoFlag.compiled != 0 && vm.hooks.mask.isEmpty { return runCompiledFrame() }
        let params = Int(p.pointee.parameterCount)
        var i = nargs
        while i < params { base[i] = .nil; i += 1 }
        let frameSize = Int(p.pointee.frameSize)
        if vm.hooks.onCalls {
            // The hook sees the arguments and the missing parameters, as in LuaJIT.
            let index = slotIndex(base)
            L.pointee.top = UInt32(index + max(params, nargs))
            status = vm.callHook(L, base: index, header: pc - 1)
            rebase(index)
        }
        L.pointee.base = UInt32(slotIndex(base))
        L.pointee.top = UInt32(slotIndex(base) + (frameSize > nargs ? frameSize : nargs))
        return nil
    }

    /// FUNCV in full.
    mutating func varargEntry() -> CallStatus? {
        if spendInstructions(1), let failed = entryBudgetSpent() { return failed }
        let p = closure.proto
        if p.pointee.flags & ProtoFlag.compiled != 0 && vm.hooks.mask.isEmpty { return runCompiledFrame() }
        let params = Int(p.pointee.parameterCount)
        let oldBase = slotIndex(base)
        if vm.hooks.onCalls {
            // Before the frame moves: the hook sees all arguments in place.
            L.pointee.top = UInt32(oldBase + nargs)
            let hooked = vm.callHook(L, base: oldBase, header: pc - 1)
            rebase(oldBase)
            if hooked != .ok { return hooked }
        }
        let newBase = vm.moveVarargFrame(L, from: oldBase, nargs: nargs, params: params, frameSize: Int(p.pointee.frameSize))
        rebase(newBase)
        syncTop()
        return nil
    }
}
