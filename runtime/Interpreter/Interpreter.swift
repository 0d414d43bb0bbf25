/// The bytecode interpreter's entry points: runs Lua frames without recursing on the native stack for
/// Lua-to-Lua calls and returns; errors unwind to the nearest `pcall` frame or out to the
/// native caller as a status.
import CSupport
import PerigeeFrontend

extension LuaVM {
    /// Calls the function in slot `funcSlot` of `L` with `argumentCount` arguments above its
    /// link slot. Results land from `funcSlot` on; `L.top` ends after them (`wanted` -1 keeps
    /// them all, otherwise exactly `wanted`, padded with nil).
    func callSlot(_ L: ThreadRef, _ funcSlot: Int, argumentCount: Int, wanted: Int) -> CallStatus {
        nativeDepth += 1
        defer { nativeDepth -= 1 }
        if nativeDepth > maxNativeDepth {
            setError("stack overflow")
            return .error
        }
        var nargs = argumentCount
        guard resolveCallable(L, funcSlot, &nargs) else {
            return runtimeError("attempt to call a \(typeName(L.pointee.stack[funcSlot])) value", L)
        }
        let savedBase = Int(L.pointee.base)
        L.pointee.stack[funcSlot + 1] = frameLink(FrameType.native, savedBase)
        let f = L.pointee.stack[funcSlot].function
        let status: CallStatus
        if f.isLua, f.proto.pointee.native != nil {
            let r = runFrame(L, funcSlot, nargs)
            if r >= 0 {
                moveResults(L, from: Int(L.pointee.top) - r, count: r, to: funcSlot, wanted: wanted)
                status = .ok
            } else {
                status = r == CompiledStatus.yield ? .yield : .error
            }
        } else if f.isLua {
            status = execute(L, funcSlot: funcSlot, argumentCount: nargs, wanted: wanted)
        } else {
            status = callBuiltin(L, f, funcSlot, nargs, wanted)
        }
        // A yield leaves the coroutine's frames (and its base) for the next resume.
        if status != .yield { L.pointee.base = UInt32(savedBase) }
        return status
    }

    /// Makes the value at `funcSlot` a function: a callable value's `__call` goes in its
    /// place and the value becomes the first argument.
    @inline(__always)
    func resolveCallable(_ L: ThreadRef, _ funcSlot: Int, _ nargs: inout Int) -> Bool {
        let f = L.pointee.stack[funcSlot]
        if f.isFunction { return true }
        let mm = g.metamethod(.call, of: f)
        guard mm.isFunction else { return false }
        guard L.ensureStack(funcSlot + nargs + 3 - Int(L.pointee.top) + 1, g) else { return false }
        let stack = L.pointee.stack
        var i = nargs
        while i > 0 {
            stack[funcSlot + 2 + i] = stack[funcSlot + 1 + i]
            i -= 1
        }
        stack[funcSlot + 2] = f
        stack[funcSlot] = mm
        nargs += 1
        if Int(L.pointee.top) < funcSlot + 2 + nargs { L.pointee.top = UInt32(funcSlot + 2 + nargs) }
        return true
    }

    /// Runs a builtin on the frame at `funcSlot` and moves its results down into place.
    func callBuiltin(_ L: ThreadRef, _ f: FunctionRef, _ funcSlot: Int, _ nargs: Int, _ wanted: Int) -> CallStatus {
        let base = funcSlot + 2
        L.pointee.base = UInt32(base)
        L.pointee.top = UInt32(base + nargs)
        if hooks.onCalls && callHook(L, base: base, header: nil) != .ok { return .error }
        let n = enterBuiltin(f, L)
        if n < 0 { return n == builtinYield ? .yield : .error }
        moveResults(L, from: Int(L.pointee.top) - Int(n), count: Int(n), to: funcSlot, wanted: wanted)
        return .ok
    }

    /// Moves `count` results from slot `from` to slot `to`, adjusts to `wanted` (-1: all),
    /// and sets `L.top` after them.
    @inline(__always)
    func moveResults(_ L: ThreadRef, from: Int, count: Int, to: Int, wanted: Int) {
        let stack = L.pointee.stack
        let n = wanted < 0 ? count : wanted
        var i = 0
        while i < n && i < count {
            stack[to + i] = stack[from + i]
            i += 1
        }
        while i < n {
            stack[to + i] = .nil
            i += 1
        }
        L.pointee.top = UInt32(to + n)
    }

    /// A protected call's results: `true` at `pcallBase`, then the `count` values at `from`.
    /// Those can overlap the destination (a frame the interpreter finished for compiled code
    /// leaves its results at its function slot, which is pcall's result slot), so they move
    /// up from the last one before the `true` is written.
    func placeProtectedResults(_ L: ThreadRef, at pcallBase: Int, from: Int, count: Int) {
        let stack = L.pointee.stack
        if pcallBase + 1 > from {
            var i = count - 1
            while i >= 0 {
                stack[pcallBase + 1 + i] = stack[from + i]
                i -= 1
            }
        } else {
            for i in 0..<count { stack[pcallBase + 1 + i] = stack[from + i] }
        }
        stack[pcallBase] = .true
    }

    // MARK: The interpreter run

    /// Enters the Lua function at `funcSlot` (its link already set to a native frame) and
    /// runs until that frame returns.
    /// With `exitBase`, the run also ends when the frame at that base returns, whatever its
    /// link (compiled code runs an interpreted callee so), and errors do not unwind past it.
    /// With `startPC`, the frame at `funcSlot + 2` is already running: execution goes on at
    /// that instruction (compiled code hands over a frame it cannot go on with), with
    /// `startMultres` results of the call before it.
    /// Starts a coroutine whose body is pcall or xpcall (`coroutine.wrap(pcall)`): the
    /// protected call runs in an interpreter run, as when a Lua function calls pcall, so the
    /// function it protects may yield.
    func startProtectedBody(_ L: ThreadRef, argumentCount: Int) -> CallStatus {
        nativeDepth += 1
        defer { nativeDepth -= 1 }
        if nativeDepth > maxNativeDepth {
            setError("stack overflow")
            return .error
        }
        let outerHookPC = hooks.previousPC
        hooks.previousPC = nil
        defer { hooks.previousPC = outerHookPC }
        let savedBase = Int(L.pointee.base)
        L.pointee.stack[1] = frameLink(FrameType.native, savedBase)
        var run = InterpreterRun(vm: self, L: L, funcSlot: 0, argumentCount: argumentCount, exitBase: -1, wanted: -1)
        var status: CallStatus
        if var done = run.protectedCall(L.pointee.stack[0].function, 2, argumentCount) {
            // An error there (pcall without arguments, a builtin that failed) unwinds as in a run.
            if done == .error {
                run.status = .error
                done = run.recover() ?? .ok
            }
            status = done
        } else {
            let base = rawSlots(run.base), pc = run.pc
            withUnsafeMutablePointer(to: &run) { perigee_interpret($0, base, pc) }
            status = run.outcome
        }
        if status != .yield { L.pointee.base = UInt32(savedBase) }
        return status
    }

    func execute(_ L: ThreadRef, funcSlot: Int, argumentCount: Int, wanted: Int,
                 exitBase: Int = -1, startPC: Int? = nil,
                 startMultres: Int = 0) -> CallStatus {
        // Each run has its own saved PC for line hooks, as each C frame has in LuaJIT.
        let outerHookPC = hooks.previousPC
        hooks.previousPC = nil
        defer { hooks.previousPC = outerHookPC }

        var run = InterpreterRun(vm: self, L: L, funcSlot: funcSlot, argumentCount: argumentCount,
                                 exitBase: exitBase, wanted: wanted)
        if let startPC {
            // Go on with a frame compiled code started (its registers are all in place).
            run.k = run.closure.proto.pointee.numbers
            run.pc = UnsafePointer(run.closure.proto.pointee.bytecode + startPC)
            run.multres = startMultres
            run.syncTop()
        } else if !run.enter(funcSlot + 2) {
            L.pointee.base = UInt32(funcSlot + 2)
            return runtimeError("stack overflow", L)
        }
        let base = rawSlots(run.base), pc = run.pc
        withUnsafeMutablePointer(to: &run) { perigee_interpret($0, base, pc) }
        return run.outcome
    }

    /// Continues coroutine `co`, stopped in a builtin (`coroutine.yield`) whose frame is at
    /// `co.base`, until it yields, returns or fails: the top `count` values are that
    /// builtin's results.
    func continueCoroutine(_ co: ThreadRef, resumeCount count: Int) -> CallStatus {
        // Each run has its own saved PC for line hooks, as each C frame has in LuaJIT.
        let outerHookPC = hooks.previousPC
        hooks.previousPC = nil
        defer { hooks.previousPC = outerHookPC }

        var run = InterpreterRun(vm: self, L: co, funcSlot: 0, argumentCount: 0, exitBase: -1, wanted: -1)
        let frameBase = Int(co.pointee.base)
        run.rebase(frameBase)
        run.closure = run.base[FrameLayout.functionSlot].function
        let from = Int(co.pointee.top) - count
        let link = run.base[FrameLayout.linkSlot]
        if link.isReturnPC && !co.hasOpenUpvalues(atOrAbove: frameBase) {
            // Yield called from a Lua function (the usual case): the values go straight to
            // the registers its call wants them in, as `returnFrom`'s first step would put
            // them (through `returnFrom` a round trip costs about 50 instructions more).
            run.returnToLua(link.returnPC, from: from, count: count, frameBase: frameBase)
        } else if let done = run.returnFrom(from - frameBase, count) {
            // The builtin's frame returns the values from where they lie, above it.
            return done
        }
        let base = rawSlots(run.base), pc = run.pc
        withUnsafeMutablePointer(to: &run) { perigee_interpret($0, base, pc) }
        return run.outcome
    }

    /// A vararg function's frame moves above its `nargs` arguments at `oldBase`: the
    /// function and the fixed parameters go up, the varargs stay below in the original
    /// frame, which the new link points back to. The new base.
    func moveVarargFrame(_ L: ThreadRef, from oldBase: Int, nargs: Int, params: Int, frameSize: Int) -> Int {
        let newBase = oldBase + nargs + 2
        let stack = L.pointee.stack
        stack[newBase + FrameLayout.functionSlot] = stack[oldBase + FrameLayout.functionSlot]
        stack[newBase + FrameLayout.linkSlot] = frameLink(FrameType.vararg, newBase - oldBase)
        var i = 0
        while i < params {
            if i < nargs {
                stack[newBase + i] = stack[oldBase + i]
                stack[oldBase + i] = .nil
            } else {
                stack[newBase + i] = .nil
            }
            i += 1
        }
        while i < frameSize { stack[newBase + i] = .nil; i += 1 }
        return newBase
    }

    /// TSETM's stores: `count` values from `values` at `t[start...]`. An array part too short
    /// grows as LuaJIT's TSETM grows it (one slot past the last index), so `#` finds the same
    /// border. False when memory ran out.
    func storeMultiple(_ t: TableRef, from values: UnsafeMutablePointer<Value>, count: Int, at start: Int) -> Bool {
        let last = start + count - 1
        if last > Int(t.pointee.arraySize) && last < 1 << maxArrayBits {
            let hashSize = t.hasEmptyHashPart(g) ? 0 : t.nodeCount
            if t.resize(arraySize: last + 1, hashSize: hashSize, g) == .outOfMemory { return false }
        }
        for i in 0..<count where t.set(integer: start + i, values[i], g) == .outOfMemory { return false }
        return true
    }

    /// An operator's metamethod that is not a function (`__add = 7`): luajit's error, raised
    /// without a position, as it raises it.
    func metamethodNotCallable(_ mm: Value) -> CallStatus {
        setError("attempt to call a \(typeName(mm)) value")
        return .error
    }

    /// Writes the frame of a metamethod called by the instruction before `resumePC` of the
    /// frame at `callerBase`: above the caller's registers, marked as a continuation, so
    /// the metamethod may yield and the interpreter finish the instruction on resume.
    /// Returns the new frame's base (L.top after its arguments), or nil on stack overflow.
    func pushContinuationFrame(_ L: ThreadRef, callerBase: Int, frameSize: Int, resumePC: UnsafePointer<UInt32>,
                               _ mm: Value, _ a1: Value, _ a2: Value, _ a3: Value?,
                               inverted: Bool, concatTop: Int) -> Int? {
        let frameBase = callerBase + frameSize
        let n = a3 == nil ? 2 : 3
        let needed = frameBase + n + 6
        if needed > Int(L.pointee.stackSize) {
            guard L.ensureStack(max(needed - Int(L.pointee.top), 1), g) else { return nil }
        }
        let stack = L.pointee.stack
        stack[frameBase] = Continuation(resumePC: resumePC, inverted: inverted, concatTop: concatTop).packed
        stack[frameBase + 1] = mm
        let newBase = frameBase + 3
        stack[newBase + FrameLayout.linkSlot] = frameLink(FrameType.continuation, newBase - callerBase)
        stack[newBase] = a1
        stack[newBase + 1] = a2
        if let a3 { stack[newBase + 2] = a3 }
        L.pointee.top = UInt32(newBase + n)
        return newBase
    }

    /// Number conversion for `for` loop control values (numeric strings are accepted).
    @inline(__always) func forNumber(_ v: Value) -> Double? {
        if v.isNumber { return v.number }
        return toNumber(v)
    }

    /// A failed ISNEXT: the loop was not over `next`; turn the pair into a plain JMP/ITERC.
    func despecializeIterator(_ isnext: UnsafePointer<UInt32>) {
        let p = UnsafeMutableRawPointer(mutating: isnext).assumingMemoryBound(to: Instruction.self)
        let target = p + 1 + p.pointee.jumpOffset
        p.pointee.setOpcode(.JMP)
        target.pointee.setOpcode(.ITERC)
    }

    func outOfMemory(_ L: ThreadRef) -> CallStatus {
        errorValue = memoryErrorValue
        return .error
    }

}

/// TNEW's and TDUP's tables, on the global state alone (the VM object is not needed, so
/// the slow paths that make them take no reference to it).
extension UnsafeMutablePointer where Pointee == GlobalState {
    /// The table of TNEW with operand `d`: array size (as LuaJIT counts it) in the low 11
    /// bits, log2 of the hash size above.
    func newTable(sizes d: Int) -> TableRef? {
        let arraySize = arraySlots(luajitArraySize: d & 0x7ff), hashLog2 = d >> 11
        return newTable(arraySize: arraySize, hashSize: hashLog2 > 0 ? 1 << hashLog2 : 0)
    }

    /// A copy of a constructor template, as LuaJIT's `lj_tab_dup` makes it: the array part
    /// and the hash nodes are copied as they are (collision links moved to the copy's
    /// nodes), so the copy iterates in the template's order.
    func duplicateTable(_ template: TableRef) -> TableRef? {
        let arraySize = Int(template.pointee.arraySize)
        let hasHash = !template.hasEmptyHashPart(self)
        guard let t = newTable(arraySize: arraySize, hashSize: hasHash ? template.nodeCount : 0) else { return nil }
        if arraySize > 0 {
            // From key 0's slot.
            (t.pointee.array.unsafelyUnwrapped - 1).update(from: template.pointee.array.unsafelyUnwrapped - 1, count: arraySize + 1)
            t.pointee.border = template.pointee.border
        }
        if hasHash {
            let from = template.pointee.node, to = t.pointee.node
            for i in 0..<template.nodeCount {
                let n = from[i]
                to[i] = TableNode(value: n.value, key: n.key, next: n.next.map { to + ($0 - from) })
            }
            t.pointee.lastFree = to + (template.pointee.lastFree - from)
        }
        return t
    }
}
