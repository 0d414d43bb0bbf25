/// The state of one interpreter run and the frame work its instruction handlers share:
/// entering a Lua function, returning to a Lua caller or out of the run, calling a
/// metamethod inside the run, and unwinding to a protected call after an error.
import CSupport
import PerigeeFrontend

/// One run of the interpreter (one `LuaVM.execute`): the registers of the running frame and
/// what the run was asked for. It lives on the native stack of `execute`; the dispatch loop
/// hands its address to every handler.
struct InterpreterRun {
    /// The VM, not retained (the run's caller holds it): `vm` for the slow paths, `withVM`
    /// where reference counting would show.
    let vmRef: Unmanaged<LuaVM>
    let L: ThreadRef
    let g: GlobalRef
    /// The running frame's registers, its next instruction, its constants (numbers at
    /// non-negative indices, objects below) and its closure. Handlers that may change them
    /// read and write these; the plain ones keep base and pc in registers.
    var base: UnsafeMutablePointer<Value>
    var pc: UnsafePointer<UInt32>
    var k: UnsafeMutablePointer<Value>
    var closure: FunctionRef
    /// Results of the last multi-result call or VARG.
    var multres = 0
    /// Arguments of the function being entered.
    var nargs: Int
    /// Not ok after an instruction failed (or yielded): the dispatch unwinds then.
    var status = CallStatus.ok
    /// Set when a builtin failed: the unwinder starts from the builtin's frame.
    var errorFrameBase: Int? = nil
    /// The run also ends when the frame at this base returns, whatever its link.
    let exitBase: Int
    /// Results the run's caller wants (-1: all).
    let entryWanted: Int
    /// How the run ended, once a handler stopped the dispatch.
    var outcome = CallStatus.ok
    /// The VM's hot counters (`HotCounters.counters`), for the fast stubs that count.
    let hotCounters: UnsafeMutablePointer<Int16>

    init(vm: LuaVM, L: ThreadRef, funcSlot: Int, argumentCount: Int, exitBase: Int, wanted: Int) {
        vmRef = Unmanaged.passUnretained(vm)
        self.L = L
        g = vm.g
        base = L.pointee.stack + funcSlot + 2
        closure = L.pointee.stack[funcSlot].function
        // A builtin at funcSlot (a coroutine whose body is pcall) has no bytecode: pc is set
        // when the run enters or returns to a Lua frame.
        pc = closure.isLua ? UnsafePointer(closure.proto.pointee.bytecode) : UnsafePointer(bitPattern: MemoryLayout<UInt32>.alignment)!
        k = base
        nargs = argumentCount
        self.exitBase = exitBase
        entryWanted = wanted
        hotCounters = vm.hotCounters.counters
    }

    var vm: LuaVM { vmRef.takeUnretainedValue() }
    @inline(__always) func withVM<R>(_ body: (LuaVM) -> R) -> R { vmRef._withUnsafeGuaranteedRef(body) }

    @inline(__always) func slotIndex(_ p: UnsafeMutablePointer<Value>) -> Int { slotDistance(p, from: L.pointee.stack) }
    @inline(__always) mutating func rebase(_ index: Int) { base = L.pointee.stack + index }
    /// The running instruction's index in its prototype (pc is one past it).
    @inline(__always) func currentPC() -> Int { pc - 1 - UnsafePointer(closure.proto.pointee.bytecode) }

    /// Publishes the frame to the thread: base, and top at the end of the frame's registers.
    @inline(__always) func syncTop() {
        L.pointee.base = UInt32(slotIndex(base))
        L.pointee.top = UInt32(slotIndex(base) + Int(closure.proto.pointee.frameSize))
    }

    /// The step that goes on at `pc` in the frame at `base`.
    @inline(__always) var next: PerigeeStep { PerigeeStep(pc: pc, base: rawSlots(base)) }

    /// Applies what a handler's slow path said: nil goes on; `.ok` ends the run (its exit
    /// frame returned); an error or a yield unwinds, ending the run when nothing catches it.
    @inline(__always) mutating func proceed(_ done: CallStatus?) -> PerigeeStep {
        if let done {
            if done == .ok { outcome = .ok; return stopDispatch }
            status = done
        }
        if status != .ok {
            if let ended = recover() { outcome = ended; return stopDispatch }
        }
        return next
    }

    // MARK: Entering and leaving frames

    /// Enters the Lua function in the frame at `newBase` with `nargs` arguments. False on
    /// stack overflow.
    @inline(__always) mutating func enter(_ newBase: Int) -> Bool {
        if enterFitting(L.pointee.stack + newBase) { return true }
        let p = L.pointee.stack[newBase + FrameLayout.functionSlot].function.proto
        let needed = FrameLayout.end(base: newBase, frameSize: Int(p.pointee.frameSize),
                                     vararg: p.pointee.flags & ProtoFlag.vararg != 0, nargs: nargs)
        guard L.ensureStack(needed - Int(L.pointee.top), g) else { return false }
        return enterFitting(L.pointee.stack + newBase)
    }

    /// Enters the Lua function in the frame at `frame` when its registers fit the stack as
    /// it is; false (changing nothing) when the stack must grow first.
    @inline(__always) mutating func enterFitting(_ frame: UnsafeMutablePointer<Value>) -> Bool {
        let f = frame[FrameLayout.functionSlot].function
        guard fits(f, at: frame) else { return false }
        let p = f.proto
        closure = f
        k = p.pointee.numbers
        base = frame
        pc = UnsafePointer(p.pointee.bytecode)
        return true
    }

    /// Whether the frame of Lua function `f` at `frame`, with `nargs` arguments, fits the
    /// stack as it is.
    @inline(__always) func fits(_ f: FunctionRef, at frame: UnsafeMutablePointer<Value>) -> Bool {
        let p = f.proto
        let size = FrameLayout.end(base: 0, frameSize: Int(p.pointee.frameSize),
                                   vararg: p.pointee.flags & ProtoFlag.vararg != 0, nargs: nargs)
        return frame + size <= L.pointee.stack + Int(L.pointee.stackSize)
    }

    /// Enters Lua function `f` in the frame at `frame` with `n` arguments when its registers
    /// fit the stack as it is (nil, changing nothing, when not): the step into it. That
    /// step is past the header when the header is a FUNCF that would take its common path
    /// (all parameters passed, no hook, recorder or profiler watching, the JIT not counting
    /// function entries, budget left): its work is done here, saving its dispatch.
    @inline(__always) mutating func enterLuaFunction(_ f: FunctionRef, at frame: UnsafeMutablePointer<Value>, _ n: Int) -> PerigeeStep? {
        let p = f.proto
        let size = FrameLayout.end(base: 0, frameSize: Int(p.pointee.frameSize),
                                   vararg: p.pointee.flags & ProtoFlag.vararg != 0, nargs: n)
        let stack = L.pointee.stack
        guard frame + size <= stack + Int(L.pointee.stackSize) else { return nil }
        let code = UnsafePointer(p.pointee.bytecode)
        closure = f
        k = p.pointee.numbers
        base = frame
        nargs = n
        let header = Instruction(code.pointee).verifiedOpcode
        // A function the JIT gave up on (IFUNCF) is entered so too: it is not counted.
        if perigee_plain_dispatch != 0 && (header == .FUNCF || header == .IFUNCF)
            && n >= Int(p.pointee.parameterCount) && p.pointee.flags & ProtoFlag.compiled == 0
            && perigee_instruction_budget > 0
            && !withVM({ $0.hooks.onCalls || (header == .FUNCF && $0.hotCounters.isCountingFunctions) }) {
            perigee_instruction_budget &-= 1
            let frameSize = Int(p.pointee.frameSize)
            let index = slotDistance(frame, from: stack)
            L.pointee.base = UInt32(truncatingIfNeeded: index)
            L.pointee.top = UInt32(truncatingIfNeeded: index &+ (frameSize > n ? frameSize : n))
            pc = code + 1
        } else {
            pc = code
        }
        return PerigeeStep(pc: pc, base: rawSlots(frame))
    }

    /// Returns `count` results from stack slot `resultsFrom`, out of the frame at
    /// `frameBase`, to the Lua caller whose call instruction is before `returnPC`.
    @inline(__always) mutating func returnToLua(_ returnPC: UnsafePointer<UInt32>, from resultsFrom: Int, count: Int, frameBase: Int) {
        let callIns = returnPC[-1]
        let wanted = Instruction(callIns).rb - 1
        let dst = frameBase - 2
        let stack = L.pointee.stack
        if wanted < 0 {
            for i in 0..<count { stack[dst + i] = stack[resultsFrom + i] }
            multres = count
        } else {
            for i in 0..<wanted { stack[dst + i] = i < count ? stack[resultsFrom + i] : .nil }
        }
        rebase(dst - Instruction(callIns).ra)
        closure = base[FrameLayout.functionSlot].function
        k = closure.proto.pointee.numbers
        pc = returnPC
        syncTop()
        if wanted < 0 && Int(L.pointee.top) < dst + count { L.pointee.top = UInt32(dst + count) }
    }

    /// Returns `count` results starting at register `first` from the frame at `base` (a Lua
    /// function's, a builtin's or a pcall's): to its Lua caller, through a protected frame
    /// or a continuation, or out of this run. Nil when execution goes on in the caller; a
    /// status when this run is done.
    mutating func returnFrom(_ first: Int, _ count: Int) -> CallStatus? {
        var first = first, count = count
        // A loop, not recursion: pcalls in tail position nest as deep as the Lua stack goes,
        // and each returns through the next.
        while true {
            var link = base[FrameLayout.linkSlot]
            var frameBase = slotIndex(base)
            let resultsFrom = frameBase + first
            // A vararg frame returns through its original frame.
            if !link.isReturnPC && link.frameType == FrameType.vararg {
                frameBase -= link.frameValue
                link = L.pointee.stack[frameBase + FrameLayout.linkSlot]
            }
            if L.hasOpenUpvalues(atOrAbove: frameBase) { L.closeUpvalues(from: frameBase, g) }
            if frameBase == exitBase {
                vm.moveResults(L, from: resultsFrom, count: count, to: frameBase - 2, wanted: entryWanted)
                return .ok
            }
            if link.isReturnPC {
                returnToLua(link.returnPC, from: resultsFrom, count: count, frameBase: frameBase)
                return nil
            }
            switch link.frameType {
            case FrameType.pcall, FrameType.xpcall:
                // pcall(f, ...) returned normally: true, then f's results, from pcall's frame.
                let pcallBase = frameBase - (link.frameType == FrameType.pcall ? 2 : 3)
                vm.placeProtectedResults(L, at: pcallBase, from: resultsFrom, count: count)
                rebase(pcallBase)
                first = 0
                count += 1
            case FrameType.continuation:
                return resumeAfterMetamethod(frameBase: frameBase, link: link, result: count > 0 ? L.pointee.stack[resultsFrom] : .nil)
            default:  // native: this run is over
                vm.moveResults(L, from: resultsFrom, count: count, to: frameBase - 2, wanted: entryWanted)
                return .ok
            }
        }
    }

    /// A metamethod called by an instruction returned `result` from its frame at
    /// `frameBase`: the instruction finishes with it.
    mutating func resumeAfterMetamethod(frameBase: Int, link: Value, result: Value) -> CallStatus? {
        let stack = L.pointee.stack
        let continuation = Continuation(stack[frameBase + FrameLayout.continuationSlot])
        let resumePC = continuation.resumePC
        rebase(frameBase - link.frameValue)
        closure = base[FrameLayout.functionSlot].function
        k = closure.proto.pointee.numbers
        pc = resumePC
        let ins = resumePC[-1]
        let truth = result.isTruthy != continuation.inverted
        switch Instruction(ins).verifiedOpcode {
        case .TSETV, .TSETS, .TSETB, .TSETR, .GSET:
            break  // __newindex: no result
        case .ISLT, .ISLE, .ISEQV, .ISEQN, .ISEQP, .ISEQS:
            pc = afterTest(resumePC, taken: truth)
        case .ISGE, .ISGT, .ISNEV, .ISNEN, .ISNEP, .ISNES:
            pc = afterTest(resumePC, taken: !truth)
        case .CAT:
            // The pair at `top` is joined; go on concatenating what is left of it.
            let top = continuation.concatTop
            base[top - 1] = result
            syncTop()
            return runConcatenation(from: Instruction(ins).rb, to: top - 1, into: Instruction(ins).ra)
        default:
            base[Instruction(ins).ra] = result
        }
        syncTop()
        return nil
    }


    // MARK: Metamethods and builtins inside the run

    /// Calls metamethod `mm` for the instruction just executed, in this run: a frame above
    /// the registers, marked as a continuation, so the metamethod may yield. Returns a
    /// status when the call finished (or failed) at once, nil to go on running.
    @inline(never) mutating func callMetamethodInLoop(_ mm: Value, _ a1: Value, _ a2: Value, _ a3: Value?,
                                                      inverted: Bool = false, concatTop: Int = 0) -> CallStatus? {
        guard mm.isFunction else { return vm.metamethodNotCallable(mm) }
        let frameSize = Int(closure.proto.pointee.frameSize)
        guard let newBase = vm.pushContinuationFrame(L, callerBase: slotIndex(base), frameSize: frameSize, resumePC: pc,
                                                     mm, a1, a2, a3, inverted: inverted, concatTop: concatTop) else {
            return vm.errorAt(L, closure, currentPC(), "stack overflow")
        }
        rebase(newBase - frameSize - 3)
        let n = a3 == nil ? 2 : 3
        let f = mm.function
        nargs = n
        if f.isLua {
            guard enter(newBase) else { return vm.errorAt(L, closure, currentPC(), "stack overflow") }
            return nil
        }
        return runBuiltinAndReturn(f, newBase, n)
    }

    /// Runs (or goes on with) the CAT at `pc - 1` over registers `from...to`.
    mutating func runConcatenation(from: Int, to: Int, into dst: Int) -> CallStatus? {
        let (outcome, top) = vm.concatenate(L, closure, currentPC(), base, from, to, into: dst)
        switch outcome {
        case .value: return nil
        case .call(let mm, let x, let y, _): return callMetamethodInLoop(mm, x, y, nil, concatTop: top)
        case .failed: return .error
        }
    }

    /// Applies a slow path's outcome for the instruction that writes register `a` (a
    /// negative `a` for stores, which write nothing).
    @inline(never) mutating func finish(_ outcome: MetaOutcome, into a: Int) -> CallStatus? {
        switch outcome {
        case .value(let v):
            if a >= 0 { base[a] = v }
            // A cdata read in place (a boxed value or a reference) was allocated: once it is
            // in its register, this is a safepoint, as after FNEW.
            if v.isCData && !g.checkGC() { return .error }
            return nil
        case .call(let mm, let x, let y, let z):
            return callMetamethodInLoop(mm, x, y, z)
        case .failed:
            return .error
        }
    }

    /// Runs builtin `f` on the frame at slot `frameBase` with `count` arguments: the
    /// number of results it pushed, or a negative status.
    mutating func invokeBuiltin(_ f: FunctionRef, _ frameBase: Int, _ count: Int) -> Int32 {
        L.pointee.base = UInt32(frameBase)
        L.pointee.top = UInt32(frameBase + count)
        let L = self.L
        return withVM { vm in
            if vm.hooks.onCalls && vm.callHook(L, base: frameBase, header: nil) != .ok { return builtinError }
            vm.nativeDepth += 1
            defer { vm.nativeDepth -= 1 }
            return vm.enterBuiltin(f, L)
        }
    }

    /// Runs builtin `f` in the frame at `frameBase` and returns its results from that frame
    /// as a RET would. A status when this run is done.
    mutating func runBuiltinAndReturn(_ f: FunctionRef, _ frameBase: Int, _ count: Int) -> CallStatus? {
        let r = invokeBuiltin(f, frameBase, count)
        if r < 0 {
            if r == builtinYield { return .yield }
            errorFrameBase = frameBase
            return .error
        }
        rebase(frameBase)
        return returnFrom(Int(L.pointee.top) - Int(r) - frameBase, Int(r))
    }

    /// Runs the compiled function just entered (at `base`) natively, then returns its
    /// results from its frame as a RET would. A status when this run is done.
    @inline(never) mutating func runCompiledFrame() -> CallStatus? {
        let frameIndex = slotIndex(base)
        let r = vm.runFrame(L, frameIndex - 2, nargs)
        rebase(frameIndex)
        if r < 0 {
            if r == CompiledStatus.yield { return .yield }
            errorFrameBase = frameIndex
            return .error
        }
        return returnFrom(Int(L.pointee.top) - r - frameIndex, r)
    }

    /// After a failed instruction (`status` not ok): unwinds to the nearest protected call
    /// in this run and goes on there (nil), or ends the run with the status.
    @inline(never) mutating func recover() -> CallStatus? {
        if status == .yield { return .yield }
        let innermost = errorFrameBase ?? slotIndex(base)
        if vm.captureTracebacks && vm.lastTraceback.isEmpty && !vm.isProtected(L, innermostBase: innermost) {
            vm.lastTraceback = vm.traceback(L, innermostBase: innermost, innermostPC: errorFrameBase == nil ? currentPC() : nil)
        }
        errorFrameBase = nil
        guard let resumeAt = vm.unwindToProtectedCall(L, innermostBase: innermost, stopAt: exitBase) else {
            return .error
        }
        status = .ok
        rebase(resumeAt)
        closure = base[FrameLayout.functionSlot].function
        return returnFrom(0, 2)
    }
}

/// The step that stops the dispatch.
let stopDispatch = PerigeeStep(pc: nil, base: nil)

/// The slots from `stack` up to `p`: a shift, where pointer subtraction divides with
/// rounding toward zero (stack slots are 8-byte aligned, so both agree).
@inline(__always) func slotDistance(_ p: UnsafeMutablePointer<Value>, from stack: UnsafeMutablePointer<Value>) -> Int {
    Int(bitPattern: UInt(bitPattern: p) &- UInt(bitPattern: stack)) >> 3
}

/// Registers as the dispatch loop passes them.
@inline(__always) func rawSlots(_ p: UnsafeMutablePointer<Value>) -> UnsafeMutablePointer<UInt64> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt64.self)
}

@inline(__always) func valueSlots(_ p: UnsafeMutablePointer<UInt64>) -> UnsafeMutablePointer<Value> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Value.self)
}
