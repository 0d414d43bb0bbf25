/// The bytecode interpreter: runs Lua frames without recursing on the native stack for
/// Lua-to-Lua calls and returns; errors unwind to the nearest `pcall` frame or out to the
/// native caller as a status.
import PerigeeFrontend

/// Op numbers as the dispatch switch reads them.
private typealias Op = Opcode

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
        if f.isLua, f.proto.info.pointee.native != nil {
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
        let n = f.entry(UnsafeMutableRawPointer(L))
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

    // MARK: The interpreter loop

    /// Enters the Lua function at `funcSlot` (its link already set to a native frame) and
    /// runs until that frame returns. With `resumeCount`, instead continues a coroutine
    /// stopped in a builtin (`coroutine.yield`) whose frame is at `L.base`: the top
    /// `resumeCount` values are that builtin's results.
    /// With `exitBase`, the run also ends when the frame at that base returns, whatever its
    /// link (compiled code runs an interpreted callee so), and errors do not unwind past it.
    /// With `startPC`, the frame at `funcSlot + 2` is already running: execution goes on at
    /// that instruction (compiled code hands over a frame it cannot go on with), with
    /// `startMultres` results of the call before it.
    func execute(_ L: ThreadRef, funcSlot: Int, argumentCount: Int, wanted entryWanted: Int,
                 resumeCount: Int? = nil, exitBase: Int = -1, startPC: Int? = nil,
                 startMultres: Int = 0) -> CallStatus {
        var base: UnsafeMutablePointer<Value>
        var pc: UnsafePointer<UInt32>
        var k: UnsafeMutablePointer<Value>
        var closure: FunctionRef
        var multres = 0
        var nargs = argumentCount
        // Each run has its own saved PC for line hooks, as each C frame has in LuaJIT.
        let outerHookPC = hooks.previousPC
        hooks.previousPC = nil
        defer { hooks.previousPC = outerHookPC }

        // Entering a Lua function: frame at `newBase` with `nargs` arguments.
        @inline(__always) func enter(_ newBase: Int) -> Bool {
            let f = L.pointee.stack[newBase - 2].function
            let p = f.proto
            let needed = newBase + Int(p.pointee.frameSize) + (p.pointee.flags & ProtoFlag.vararg != 0 ? nargs + 2 : 0) + 4
            if needed > Int(L.pointee.stackSize) {
                guard L.ensureStack(needed - Int(L.pointee.top), g) else { return false }
            }
            closure = f
            k = p.info.pointee.numbers
            base = L.pointee.stack + newBase
            pc = UnsafePointer(p.pointee.bytecode)
            return true
        }

        base = L.pointee.stack + funcSlot + 2
        closure = L.pointee.stack[funcSlot].function
        pc = UnsafePointer(closure.isLua ? closure.proto.pointee.bytecode : L.pointee.stack[funcSlot].function.proto.pointee.bytecode)
        k = base
        if let startPC {
            // Go on with a frame compiled code started (its registers are all in place).
            k = closure.proto.info.pointee.numbers
            pc = UnsafePointer(closure.proto.pointee.bytecode + startPC)
            multres = startMultres
            syncTop()
        } else if resumeCount == nil {
            if !enter(funcSlot + 2) {
                L.pointee.base = UInt32(funcSlot + 2)
                return runtimeError("stack overflow", L)
            }
        }

        @inline(__always) func slotIndex(_ p: UnsafeMutablePointer<Value>) -> Int { p - L.pointee.stack }
        @inline(__always) func syncTop() {
            L.pointee.base = UInt32(slotIndex(base))
            L.pointee.top = UInt32(slotIndex(base) + Int(closure.proto.pointee.frameSize))
        }
        @inline(__always) func rebase(_ index: Int) { base = L.pointee.stack + index }

        // Errors: the message gets the position of the running instruction.
        var status = CallStatus.ok
        /// Set when a builtin failed: the unwinder starts from the builtin's frame.
        var errorFrameBase: Int? = nil
        @inline(__always) func currentPC() -> Int { pc - 1 - UnsafePointer(closure.proto.pointee.bytecode) }

        /// Returns `count` results from stack slot `resultsFrom`, out of the frame at
        /// `frameBase`, to the Lua caller whose call instruction is before `returnPC`.
        @inline(__always) func returnToLua(_ returnPC: UnsafePointer<UInt32>, from resultsFrom: Int, count: Int, frameBase: Int) {
            let callIns = returnPC[-1]
            let wanted = callB(callIns) - 1
            let dst = frameBase - 2
            let stack = L.pointee.stack
            if wanted < 0 {
                for i in 0..<count { stack[dst + i] = stack[resultsFrom + i] }
                multres = count
            } else {
                for i in 0..<wanted { stack[dst + i] = i < count ? stack[resultsFrom + i] : .nil }
            }
            rebase(dst - callA(callIns))
            closure = base[-2].function
            k = closure.proto.info.pointee.numbers
            pc = returnPC
            syncTop()
            if wanted < 0 && Int(L.pointee.top) < dst + count { L.pointee.top = UInt32(dst + count) }
        }

        /// The common return, inline in the RET instructions: to a Lua caller (a return PC
        /// link), from a frame with no open upvalues that is not the run's exit frame.
        @inline(__always) func quickReturn(_ first: Int, _ count: Int) -> Bool {
            let link = base[-1]
            guard link.isReturnPC else { return false }
            let frameBase = slotIndex(base)
            if frameBase == exitBase { return false }
            if let open = L.pointee.openUpvalues,
               UnsafeMutableRawPointer(open).assumingMemoryBound(to: GCUpvalue.self).pointee.v >= base {
                return false
            }
            returnToLua(link.returnPC, from: frameBase + first, count: count, frameBase: frameBase)
            return true
        }

        /// Returns `count` results starting at register `first` from the frame at `base` (a Lua
        /// function's, a builtin's or a pcall's): to its Lua caller, through a protected frame
        /// or a continuation, or out of this run. Nil when execution goes on in the caller; a
        /// status when this run is done.
        func returnFrom(_ first: Int, _ count: Int) -> CallStatus? {
            var link = base[-1]
            var frameBase = slotIndex(base)
            let resultsFrom = frameBase + first
            // A vararg frame returns through its original frame.
            if !link.isReturnPC && link.frameType == FrameType.vararg {
                frameBase -= link.frameValue
                link = L.pointee.stack[frameBase - 1]
            }
            // The open list is ordered by slot, highest first: one compare says if any is ours.
            if let open = L.pointee.openUpvalues,
               UnsafeMutableRawPointer(open).assumingMemoryBound(to: GCUpvalue.self).pointee.v >= L.pointee.stack + frameBase {
                L.closeUpvalues(from: frameBase, g)
            }
            if frameBase == exitBase {
                moveResults(L, from: resultsFrom, count: count, to: frameBase - 2, wanted: entryWanted)
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
                let stack = L.pointee.stack
                stack[pcallBase] = .true
                for i in 0..<count { stack[pcallBase + 1 + i] = stack[resultsFrom + i] }
                rebase(pcallBase)
                return returnFrom(0, count + 1)
            case FrameType.continuation:
                // A metamethod returns to the instruction that called it.
                let stack = L.pointee.stack
                let result = count > 0 ? stack[resultsFrom] : Value.nil
                let resumeBits = stack[frameBase - 3].bits
                let resumePC = Value(bits: resumeBits & 0x0000_ffff_ffff_fffc).returnPC
                rebase(frameBase - link.frameValue)
                closure = base[-2].function
                k = closure.proto.info.pointee.numbers
                pc = resumePC
                let ins = resumePC[-1]
                let truth = result.isTruthy != (resumeBits & 2 != 0)
                @inline(__always) func branch(_ take: Bool) {
                    // The comparison's JMP follows it: take it or step over it.
                    pc = take ? resumePC + 1 + Int(Int32(resumePC.pointee >> 16) - 0x8000) : resumePC + 1
                }
                switch unsafeBitCast(UInt8(truncatingIfNeeded: ins), to: Opcode.self) {
                case .TSETV, .TSETS, .TSETB, .TSETR, .GSET:
                    break  // __newindex: no result
                case .ISLT, .ISLE, .ISEQV:
                    branch(truth)
                case .ISGE, .ISGT, .ISNEV:
                    branch(!truth)
                case .CAT:
                    // The pair at `top` is joined; go on concatenating what is left of it.
                    let top = Int(resumeBits >> 48)
                    base[top - 1] = result
                    syncTop()
                    return runConcatenation(from: Int(ins >> 24), to: top - 1, into: Int((ins >> 8) & 0xff))
                default:
                    base[Int((ins >> 8) & 0xff)] = result
                }
                syncTop()
                return nil
            default:  // native: this run is over
                moveResults(L, from: resultsFrom, count: count, to: frameBase - 2, wanted: entryWanted)
                return .ok
            }
        }

        /// Calls metamethod `mm` for the instruction just executed, in this loop: a frame
        /// above the registers, marked as a continuation, so the metamethod may yield.
        /// Returns a status when the call finished (or failed) at once, nil to go on running.
        @inline(never) func callMetamethodInLoop(_ mm: Value, _ a1: Value, _ a2: Value, _ a3: Value?,
                                                 inverted: Bool = false, concatTop: Int = 0) -> CallStatus? {
            guard let newBase = pushContinuationFrame(L, callerBase: slotIndex(base), frameSize: Int(closure.proto.pointee.frameSize),
                                                      resumePC: pc, mm, a1, a2, a3, inverted: inverted, concatTop: concatTop) else {
                return errorAt(L, closure, currentPC(), "stack overflow")
            }
            rebase(newBase - Int(closure.proto.pointee.frameSize) - 3)
            let n = a3 == nil ? 2 : 3
            let f = mm.function
            nargs = n
            if f.isLua {
                guard enter(newBase) else { return errorAt(L, closure, currentPC(), "stack overflow") }
                return nil
            }
            let r = invokeBuiltin(f, newBase, n)
            if r < 0 {
                if r == builtinYield { return .yield }
                errorFrameBase = newBase
                return .error
            }
            rebase(newBase)
            let first = Int(L.pointee.top) - Int(r) - newBase
            return returnFrom(first, Int(r))
        }

        /// Runs (or goes on with) the CAT at `pc - 1` over registers `from...to`.
        func runConcatenation(from: Int, to: Int, into dst: Int) -> CallStatus? {
            let (outcome, top) = concatenate(L, closure, currentPC(), base, from, to, into: dst)
            switch outcome {
            case .value: return nil
            case .call(let mm, let x, let y, _): return callMetamethodInLoop(mm, x, y, nil, concatTop: top)
            case .failed: return .error
            }
        }

        /// Applies a slow path's outcome for the instruction that writes register `a` (a
        /// negative `a` for stores, which write nothing).
        @inline(never) func finish(_ outcome: MetaOutcome, into a: Int) -> CallStatus? {
            switch outcome {
            case .value(let v):
                if a >= 0 { base[a] = v }
                return nil
            case .call(let mm, let x, let y, let z):
                return callMetamethodInLoop(mm, x, y, z)
            case .failed:
                return .error
            }
        }

        /// Runs builtin `f` on the frame at slot `frameBase` with `count` arguments: the
        /// number of results it pushed, or a negative status.
        func invokeBuiltin(_ f: FunctionRef, _ frameBase: Int, _ count: Int) -> Int32 {
            L.pointee.base = UInt32(frameBase)
            L.pointee.top = UInt32(frameBase + count)
            if hooks.onCalls && callHook(L, base: frameBase, header: nil) != .ok { return builtinError }
            nativeDepth += 1
            defer { nativeDepth -= 1 }
            return f.entry(UnsafeMutableRawPointer(L))
        }

        /// Runs the compiled function just entered (at `base`) natively, then returns its
        /// results from its frame as a RET would. A status when this run is done.
        @inline(never) func runCompiledFrame() -> CallStatus? {
            let frameIndex = slotIndex(base)
            let r = runFrame(L, frameIndex - 2, nargs)
            rebase(frameIndex)
            if r < 0 {
                if r == CompiledStatus.yield { return .yield }
                status = .error
                errorFrameBase = frameIndex
                return nil
            }
            return returnFrom(Int(L.pointee.top) - r - frameIndex, r)
        }

        /// After a failed instruction (`status` not ok): unwinds to the nearest protected call
        /// in this run and goes on there (nil), or ends the run with the status.
        @inline(never) func recover() -> CallStatus? {
            if status == .yield { return .yield }
            let innermost = errorFrameBase ?? slotIndex(base)
            if captureTracebacks && lastTraceback.isEmpty && !isProtected(L, innermostBase: innermost) {
                lastTraceback = traceback(L, innermostBase: innermost, innermostPC: errorFrameBase == nil ? currentPC() : nil)
            }
            errorFrameBase = nil
            guard let resumeAt = unwindToProtectedCall(L, innermostBase: innermost, stopAt: exitBase) else {
                return .error
            }
            status = .ok
            rebase(resumeAt)
            closure = base[-2].function
            return returnFrom(0, 2)
        }

        if let count = resumeCount {
            // Continue after the builtin that yielded: its results are the resume values.
            rebase(Int(L.pointee.base))
            closure = base[-2].function
            let top = Int(L.pointee.top)
            let stack = L.pointee.stack
            let frameBase = slotIndex(base)
            for i in 0..<count { stack[frameBase + i] = stack[top - count + i] }
            if let done = returnFrom(0, count) { return done }
        }

        while true {
            let ins = pc.pointee
            pc += 1
            // Line, count and return hooks: one predictable branch while none is set.
            if hooks.onInstructions {
                let index = slotIndex(base)
                status = instructionHook(L, closure, pc, base: index)
                rebase(index)
                if status != .ok {
                    if let done = recover() { return done }
                    continue
                }
            }
            let a = Int((ins >> 8) & 0xff)
            // Opcode is a one-byte enum whose cases are the opcode numbers in order.
            switch unsafeBitCast(UInt8(truncatingIfNeeded: ins), to: Opcode.self) {

            // MARK: Function headers
            case .FUNCF, .IFUNCF, .JFUNCF:
                if hotCounters.isCounting { hotCounters.count(pc - 1, by: 1) }
                let p = closure.proto
                if p.pointee.flags & ProtoFlag.compiled != 0 && hooks.mask.isEmpty {
                    if let done = runCompiledFrame() { return done }
                    if status == .ok { continue }
                    break
                }
                let params = Int(p.pointee.parameterCount)
                var i = nargs
                while i < params { base[i] = .nil; i += 1 }
                // Registers not yet written may hold values of finished frames: the collector
                // clears everything above `top` when it scans a stack, so they are never stale.
                let frameSize = Int(p.pointee.frameSize)
                if hooks.onCalls {
                    // The hook sees the arguments and the missing parameters, as in LuaJIT.
                    let index = slotIndex(base)
                    L.pointee.top = UInt32(index + max(params, nargs))
                    status = callHook(L, base: index, header: pc - 1)
                    rebase(index)
                }
                L.pointee.base = UInt32(slotIndex(base))
                L.pointee.top = UInt32(slotIndex(base) + (frameSize > nargs ? frameSize : nargs))
            case .FUNCV, .IFUNCV, .JFUNCV:
                // Move the function and fixed parameters above the arguments; the varargs stay
                // below, in the original frame.
                let p = closure.proto
                if p.pointee.flags & ProtoFlag.compiled != 0 && hooks.mask.isEmpty {
                    if let done = runCompiledFrame() { return done }
                    if status == .ok { continue }
                    break
                }
                let params = Int(p.pointee.parameterCount)
                let oldBase = slotIndex(base)
                if hooks.onCalls {
                    // Before the frame moves: the hook sees all arguments in place.
                    L.pointee.top = UInt32(oldBase + nargs)
                    status = callHook(L, base: oldBase, header: pc - 1)
                    rebase(oldBase)
                    if status != .ok { break }
                }
                let newBase = moveVarargFrame(L, from: oldBase, nargs: nargs, params: params, frameSize: Int(p.pointee.frameSize))
                rebase(newBase)
                syncTop()
            case .FUNCC, .FUNCCW:
                status = runtimeError("internal error: native function header in Lua code", L)

            // MARK: Constants and moves
            case .MOV:
                base[a] = base[Int(ins >> 16)]
            case .KSTR:
                base[a] = k[-1 - Int(ins >> 16)]
            case .KNUM:
                base[a] = k[Int(ins >> 16)]
            case .KSHORT:
                base[a] = Value(number: Double(Int16(truncatingIfNeeded: ins >> 16)))
            case .KPRI:
                let d = ins >> 16
                base[a] = d == 0 ? .nil : (d == 1 ? .false : .true)
            case .KNIL:
                var i = a
                let last = Int(ins >> 16)
                while i <= last { base[i] = .nil; i += 1 }
            case .KCDATA:
                L.pointee.base = UInt32(slotIndex(base))
                status = errorAt(L, closure, currentPC(), "FFI constants (LL, ULL and i literals) need the ffi library, which Perigee does not have yet")

            // MARK: Unary and binary operations
            case .NOT:
                base[a] = base[Int(ins >> 16)].isTruthy ? .false : .true
            case .UNM:
                let v = base[Int(ins >> 16)]
                if v.isNumber {
                    base[a] = Value(number: -v.number)
                } else {
                    syncTop()
                    let slot = Int(ins >> 16)
                    if let done = finish(resolveArithmetic(L, closure, currentPC(), .unm, v, v, operandSlots: (slot, slot)), into: a) {
                        if done == .ok { return .ok }
                        status = done
                    }
                }
            case .LEN:
                let v = base[Int(ins >> 16)]
                if v.isString {
                    base[a] = Value(number: Double(v.string.count))
                } else if v.isTable {
                    base[a] = Value(number: Double(v.table.length()))
                } else {
                    syncTop()
                    if let done = finish(resolveLength(L, closure, currentPC(), v, slot: Int(ins >> 16)), into: a) {
                        if done == .ok { return .ok }
                        status = done
                    }
                }
            case .ADDVN, .SUBVN, .MULVN, .DIVVN, .MODVN, .ADDNV, .SUBNV, .MULNV, .DIVNV, .MODNV,
                 .ADDVV, .SUBVV, .MULVV, .DIVVV, .MODVV, .POW:
                let op = UInt8(truncatingIfNeeded: ins)
                let bReg = Int(ins >> 24), cReg = Int((ins >> 16) & 0xff)
                var x: Value, y: Value
                var slots = (bReg, -1)
                if op <= Op.MODVN.rawValue {
                    x = base[bReg]; y = k[cReg]
                } else if op <= Op.MODNV.rawValue {
                    x = k[cReg]; y = base[bReg]; slots = (-1, bReg)
                } else {
                    x = base[bReg]; y = base[cReg]; slots = (bReg, cReg)
                }
                let kind = ArithmeticOp(opcode: op)
                if x.isNumber && y.isNumber {
                    base[a] = Value(number: kind.apply(x.number, y.number))
                } else {
                    syncTop()
                    if let done = finish(resolveArithmetic(L, closure, currentPC(), kind, x, y, operandSlots: slots), into: a) {
                        if done == .ok { return .ok }
                        status = done
                    }
                }
            case .CAT:
                syncTop()
                if let done = runConcatenation(from: Int(ins >> 24), to: Int((ins >> 16) & 0xff), into: a) {
                    if done == .ok { return .ok }
                    status = done
                }

            // MARK: Comparisons (each followed by the JMP taken when true)
            case .ISLT, .ISGE, .ISLE, .ISGT:
                let x = base[a], y = base[Int(ins >> 16)]
                let op = UInt8(truncatingIfNeeded: ins)
                var result: Bool
                if x.isNumber && y.isNumber {
                    switch op {
                    case Op.ISLT.rawValue: result = x.number < y.number
                    case Op.ISGE.rawValue: result = !(x.number < y.number)
                    case Op.ISLE.rawValue: result = x.number <= y.number
                    default: result = !(x.number <= y.number)
                    }
                } else {
                    syncTop()
                    let lessEqual = op == Op.ISLE.rawValue || op == Op.ISGT.rawValue
                    let (outcome, inverted) = resolveComparison(L, closure, currentPC(), x, y, lessEqual: lessEqual)
                    switch outcome {
                    case .value(let r):
                        result = (op == Op.ISLT.rawValue || op == Op.ISLE.rawValue) ? r.isTruthy : !r.isTruthy
                    case .call(let mm, let p, let q, _):
                        if let done = callMetamethodInLoop(mm, p, q, nil, inverted: inverted) {
                            if done == .ok { return .ok }
                            status = done
                        }
                        continue
                    case .failed:
                        status = .error
                        result = false
                    }
                }
                if status == .ok {
                    pc = result ? pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) : pc + 1
                }
            case .ISEQV, .ISNEV:
                let x = base[a], y = base[Int(ins >> 16)]
                let equal = x.rawEquals(y)
                if !equal && (x.isTable || x.isUserdata) && x.top17 == y.top17 {
                    syncTop()
                    if case .call(let mm, let p, let q, _) = resolveEquality(x, y) {
                        if let done = callMetamethodInLoop(mm, p, q, nil) {
                            if done == .ok { return .ok }
                            status = done
                        }
                        continue
                    }
                }
                if status == .ok {
                    let take = (UInt8(truncatingIfNeeded: ins) == Op.ISEQV.rawValue) == equal
                    pc = take ? pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) : pc + 1
                }
            case .ISEQS, .ISNES:
                let equal = base[a] == k[-1 - Int(ins >> 16)]
                let take = (UInt8(truncatingIfNeeded: ins) == Op.ISEQS.rawValue) == equal
                pc = take ? pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) : pc + 1
            case .ISEQN, .ISNEN:
                let x = base[a]
                let equal = x.isNumber && x.number == k[Int(ins >> 16)].number
                let take = (UInt8(truncatingIfNeeded: ins) == Op.ISEQN.rawValue) == equal
                pc = take ? pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) : pc + 1
            case .ISEQP, .ISNEP:
                let d = ins >> 16
                let p: Value = d == 0 ? .nil : (d == 1 ? .false : .true)
                let equal = base[a] == p
                let take = (UInt8(truncatingIfNeeded: ins) == Op.ISEQP.rawValue) == equal
                pc = take ? pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) : pc + 1
            case .ISTC:
                let v = base[Int(ins >> 16)]
                if v.isTruthy { base[a] = v; pc = pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) } else { pc += 1 }
            case .ISFC:
                let v = base[Int(ins >> 16)]
                if !v.isTruthy { base[a] = v; pc = pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) } else { pc += 1 }
            case .IST:
                pc = base[Int(ins >> 16)].isTruthy ? pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) : pc + 1
            case .ISF:
                pc = !base[Int(ins >> 16)].isTruthy ? pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000) : pc + 1
            case .ISTYPE, .ISNUM:
                status = errorAt(L, closure, currentPC(), "internal error: type-check instruction outside a trace")

            // MARK: Upvalues and closures
            case .UGET:
                base[a] = closure.upvalueObjects[Int(ins >> 16)].unsafelyUnwrapped.value
            case .USETV:
                closure.upvalueObjects[a].unsafelyUnwrapped.set(base[Int(ins >> 16)], g)
            case .USETS:
                closure.upvalueObjects[a].unsafelyUnwrapped.set(k[-1 - Int(ins >> 16)], g)
            case .USETN:
                closure.upvalueObjects[a].unsafelyUnwrapped.set(k[Int(ins >> 16)], g)
            case .USETP:
                let d = ins >> 16
                closure.upvalueObjects[a].unsafelyUnwrapped.set(d == 0 ? .nil : (d == 1 ? .false : .true), g)
            case .UCLO:
                L.closeUpvalues(from: slotIndex(base) + a, g)
                pc += Int(Int32(ins >> 16) - 0x8000)
            case .FNEW:
                syncTop()
                let p = k[-1 - Int(ins >> 16)].proto
                guard let f = g.newLuaClosure(p, env: closure.pointee.env) else {
                    status = outOfMemory(L); break
                }
                base[a] = Value(function: f)
                let descriptors = p.pointee.upvalueDescriptors
                for i in 0..<Int(p.pointee.upvalueCount) {
                    let d = descriptors[i]
                    if d & upvalueIsLocal != 0 {
                        guard let uv = L.findUpvalue(slot: slotIndex(base) + Int(d & 0xff), g) else {
                            status = outOfMemory(L); break
                        }
                        f.setUpvalue(i, uv, g)
                    } else {
                        f.setUpvalue(i, closure.upvalueObjects[Int(d)].unsafelyUnwrapped, g)
                    }
                }
                g.checkGC()

            // MARK: Tables
            case .TNEW:
                syncTop()
                guard let t = newTable(sizes: Int(ins >> 16)) else { status = outOfMemory(L); break }
                base[a] = Value(table: t)
                g.checkGC()
            case .TDUP:
                syncTop()
                guard let t = duplicateTable(k[-1 - Int(ins >> 16)].table) else { status = outOfMemory(L); break }
                base[a] = Value(table: t)
                g.checkGC()
            case .GGET:
                let key = k[-1 - Int(ins >> 16)]
                let env = closure.pointee.env.unsafelyUnwrapped
                let v = env.get(string: key.string)
                if !v.isNil || env.pointee.metatable == nil {
                    base[a] = v
                } else {
                    syncTop()
                    if let done = finish(resolveIndex(L, closure, currentPC(), Value(table: env), key, slot: -1), into: a) {
                        if done == .ok { return .ok }
                        status = done
                    }
                }
            case .GSET:
                let key = k[-1 - Int(ins >> 16)]
                let env = closure.pointee.env.unsafelyUnwrapped
                syncTop()
                if let done = finish(resolveNewIndex(L, closure, currentPC(), Value(table: env), key, base[a], slot: -1), into: -1) {
                    if done == .ok { return .ok }
                    status = done
                }
            case .TGETV, .TGETS, .TGETB, .TGETR:
                let op = UInt8(truncatingIfNeeded: ins)
                let bReg = Int(ins >> 24), c = Int((ins >> 16) & 0xff)
                let t = base[bReg]
                let key = op == Op.TGETS.rawValue ? k[-1 - c] : (op == Op.TGETB.rawValue ? Value(number: Double(c)) : base[c])
                if t.isTable {
                    let tab = t.table
                    let v = op == Op.TGETS.rawValue ? tab.get(string: key.string)
                        : (op == Op.TGETB.rawValue ? tab.get(integer: c) : tab.get(key))
                    if !v.isNil || tab.pointee.metatable == nil {
                        base[a] = v
                        continue
                    }
                    if let inherited = indexThroughTables(tab, key) {
                        base[a] = inherited
                        continue
                    }
                }
                syncTop()
                if let done = finish(resolveIndex(L, closure, currentPC(), t, key, slot: bReg), into: a) {
                    if done == .ok { return .ok }
                    status = done
                }
            case .TSETV, .TSETS, .TSETB, .TSETR:
                let op = UInt8(truncatingIfNeeded: ins)
                let bReg = Int(ins >> 24), c = Int((ins >> 16) & 0xff)
                let key = op == Op.TSETS.rawValue ? k[-1 - c] : (op == Op.TSETB.rawValue ? Value(number: Double(c)) : base[c])
                let t = base[bReg]
                if t.isTable && !needsNewIndex(t.table, key) {
                    // No __newindex to consult: a plain store (a bad key or no memory
                    // changes nothing, and the slow path below reports it).
                    let tab = t.table
                    let stored = op == Op.TSETS.rawValue ? tab.set(string: key.string, base[a], g)
                        : (op == Op.TSETB.rawValue ? tab.set(integer: c, base[a], g) : tab.set(key, base[a], g))
                    if stored == .ok { continue }
                }
                syncTop()
                if let done = finish(resolveNewIndex(L, closure, currentPC(), base[bReg], key, base[a], slot: bReg), into: -1) {
                    if done == .ok { return .ok }
                    status = done
                }
            case .TSETM:
                // Stores base[a] ..< base[a + multres] at t[start ...], t = base[a - 1] (a
                // table in compiled code; checked for bytecode loaded from a dump).
                guard base[a - 1].isTable else {
                    status = errorAt(L, closure, currentPC(), "internal error: TSETM on a non-table")
                    break
                }
                let t = base[a - 1].table
                let start = Int(k[Int(ins >> 16)].number - 4_503_599_627_370_496)
                L.pointee.base = UInt32(slotIndex(base))
                L.pointee.top = UInt32(slotIndex(base) + a + multres)
                if !storeMultiple(t, from: base + a, count: multres, at: start) { status = outOfMemory(L); break }
                syncTop()

            // MARK: Calls
            case .CALL, .CALLM, .CALLT, .CALLMT:
                let op = UInt8(truncatingIfNeeded: ins)
                let isMulti = op == Op.CALLM.rawValue || op == Op.CALLMT.rawValue
                let isTail = op == Op.CALLT.rawValue || op == Op.CALLMT.rawValue
                var n = Int(ins >> 16 & (isTail ? 0xffff : 0xff)) - 1
                if isMulti { n += 1 + multres }
                let funcSlot = slotIndex(base) + a
                L.pointee.top = UInt32(funcSlot + 2 + n)
                if !base[a].isFunction {
                    L.pointee.base = UInt32(slotIndex(base))
                    guard resolveCallable(L, funcSlot, &n) else {
                        status = callError(L, closure, currentPC(), slot: a)
                        break
                    }
                    rebase(Int(L.pointee.base))
                }
                let f = base[a].function
                if isTail {
                    // Replace this frame: move function and arguments down to our own slots.
                    let link = base[-1]
                    if link.isReturnPC || link.frameType != 0 {
                        L.closeUpvalues(from: slotIndex(base), g)
                        var target = base
                        var linkValue = link
                        if link.frameType == FrameType.vararg && !link.isReturnPC {
                            target = base - link.frameValue
                            linkValue = target[-1]
                        }
                        target[-2] = base[a]
                        for i in 0..<n { target[i] = base[a + 2 + i] }
                        target[-1] = linkValue
                        base = target
                        nargs = n
                        if f.isLua {
                            guard enter(slotIndex(base)) else { status = errorAt(L, closure, currentPC(), "stack overflow"); break }
                            continue
                        }
                        // A builtin in tail position: run it, then return its results.
                        let r = invokeBuiltin(f, slotIndex(base), n)
                        rebase(Int(L.pointee.base))
                        if r < 0 {
                            if r == builtinYield { return .yield }
                            status = .error
                            errorFrameBase = slotIndex(base)
                            break
                        }
                        let first = Int(L.pointee.top) - Int(r) - slotIndex(base)
                        if let done = returnFrom(first, Int(r)) { return done }
                        continue
                    }
                }
                let wanted = Int(ins >> 24) - 1
                let newBase = funcSlot + 2
                L.pointee.stack[newBase - 1] = returnLink(pc)
                nargs = n
                if f.isLua {
                    guard enter(newBase) else {
                        status = errorAt(L, closure, currentPC(), "stack overflow")
                        break
                    }
                    continue
                }
                if f == pcallFunction || f == xpcallFunction {
                    // The protected function runs in this loop, in a frame marked pcall.
                    L.pointee.base = UInt32(newBase)
                    if hooks.onCalls && callHook(L, base: newBase, header: nil) != .ok {
                        status = .error
                        errorFrameBase = newBase
                        break
                    }
                    guard let (fBase, fArgs) = setUpProtectedFrame(L, newBase, n, xpcall: f == xpcallFunction) else {
                        status = .error
                        errorFrameBase = newBase
                        break
                    }
                    rebase(fBase)
                    nargs = fArgs
                    let target = base[-2].function
                    if target.isLua {
                        guard enter(fBase) else { status = errorAt(L, closure, currentPC(), "stack overflow"); break }
                        continue
                    }
                    let r = invokeBuiltin(target, fBase, fArgs)
                    if r < 0 {
                        if r == builtinYield { return .yield }
                        status = .error
                        errorFrameBase = fBase
                        break
                    }
                    let first = Int(L.pointee.top) - Int(r) - fBase
                    if let done = returnFrom(first, Int(r)) { return done }
                    continue
                }
                let r = invokeBuiltin(f, newBase, n)
                if r < 0 {
                    // On a yield the coroutine stops here; `resume` continues it by returning
                    // from this builtin frame.
                    if r == builtinYield { return .yield }
                    status = .error
                    errorFrameBase = newBase
                    break
                }
                rebase(newBase - 2 - a)
                let top = Int(L.pointee.top)
                let count = Int(r)
                let dst = funcSlot
                let stack = L.pointee.stack
                if wanted < 0 {
                    for i in 0..<count { stack[dst + i] = stack[top - count + i] }
                    multres = count
                } else {
                    for i in 0..<wanted { stack[dst + i] = i < count ? stack[top - count + i] : .nil }
                }
                syncTop()
                if wanted < 0 && Int(L.pointee.top) < dst + count { L.pointee.top = UInt32(dst + count) }
            case .ITERC, .ITERN:
                // Generic `for`: call base[a-3](base[a-2], base[a-1]), results from base[a].
                // The hidden position is a small non-negative number unless bytecode from a
                // dump wrote something else there; then the plain call below runs instead.
                if UInt8(truncatingIfNeeded: ins) == Op.ITERN.rawValue && base[a - 1].isNumber
                    && base[a - 1].number >= 0 && base[a - 1].number < 2_147_483_648
                    && base[a - 3].isFunction && base[a - 3].function == nextFunction && base[a - 2].isTable {
                    var key = Value.nil, value = Value.nil
                    let next = base[a - 2].table.entry(from: Int(base[a - 1].number), &key, &value)
                    // ITERN does the following ITERL's work: loop with the position kept hidden.
                    if next < 0 {
                        pc += 1
                    } else {
                        base[a - 1] = Value(number: Double(next))
                        base[a] = key
                        base[a + 1] = value
                        pc = pc + 1 + Int(Int32(pc.pointee >> 16) - 0x8000)
                    }
                    continue
                }
                base[a] = base[a - 3]
                base[a + 2] = base[a - 2]
                base[a + 3] = base[a - 1]
                let funcSlot = slotIndex(base) + a
                var n = 2
                L.pointee.top = UInt32(funcSlot + 4)
                if !base[a].isFunction {
                    L.pointee.base = UInt32(slotIndex(base))
                    guard resolveCallable(L, funcSlot, &n) else {
                        status = callError(L, closure, currentPC(), slot: a - 3)
                        break
                    }
                    rebase(Int(L.pointee.base))
                }
                let f = base[a].function
                L.pointee.stack[funcSlot + 1] = returnLink(pc)
                nargs = n
                if f.isLua {
                    guard enter(funcSlot + 2) else { status = errorAt(L, closure, currentPC(), "stack overflow"); break }
                    continue
                }
                let wanted = Int(ins >> 24) - 1
                let r = invokeBuiltin(f, funcSlot + 2, n)
                if r < 0 {
                    if r == builtinYield { return .yield }
                    status = .error
                    errorFrameBase = funcSlot + 2
                    break
                }
                let callerIndex = funcSlot - a
                rebase(callerIndex)
                moveResults(L, from: Int(L.pointee.top) - Int(r), count: Int(r), to: funcSlot, wanted: wanted)
                syncTop()
            case .VARG:
                // Varargs sit below this frame: from the original base + parameter count.
                let link = base[-1]
                let delta = link.frameValue
                let params = Int(closure.proto.pointee.parameterCount)
                let available = max(0, delta - 2 - params)
                let from = base - delta + params
                let wanted = Int(ins >> 24) - 1
                if wanted < 0 {
                    let needed = slotIndex(base) + a + available + 4
                    if needed > Int(L.pointee.stackSize) {
                        let index = slotIndex(base)
                        guard L.ensureStack(needed - Int(L.pointee.top), g) else { status = errorAt(L, closure, currentPC(), "stack overflow"); break }
                        rebase(index)
                    }
                    let src = base - delta + params
                    for i in 0..<available { base[a + i] = src[i] }
                    multres = available
                    L.pointee.top = UInt32(max(Int(L.pointee.top), slotIndex(base) + a + available))
                } else {
                    for i in 0..<wanted { base[a + i] = i < available ? from[i] : .nil }
                }
            case .ISNEXT:
                // `pairs`/`next` loops: a hidden traversal position instead of the key, when
                // the iterator really is `next` on a table; otherwise fall back for good.
                if base[a - 3].isFunction && base[a - 3].function == nextFunction && base[a - 2].isTable && base[a - 1].isNil {
                    base[a - 1] = Value(number: 0)
                } else {
                    despecializeIterator(pc - 1)
                }
                pc += Int(Int32(ins >> 16) - 0x8000)

            // MARK: Returns
            case .RETM:
                if quickReturn(a, Int(ins >> 16) + multres) { break }
                if let done = returnFrom(a, Int(ins >> 16) + multres) { return done }
            case .RET:
                if quickReturn(a, Int(ins >> 16) - 1) { break }
                if let done = returnFrom(a, Int(ins >> 16) - 1) { return done }
            case .RET0:
                if quickReturn(a, 0) { break }
                if let done = returnFrom(a, 0) { return done }
            case .RET1:
                if quickReturn(a, 1) { break }
                if let done = returnFrom(a, 1) { return done }

            // MARK: Loops and jumps
            case .FORI, .JFORI:
                let idx = base[a], stop = base[a + 1], step = base[a + 2]
                guard let i = forNumber(idx), let s = forNumber(stop), let st = forNumber(step) else {
                    let what = forNumber(idx) == nil ? "initial value" : (forNumber(stop) == nil ? "limit" : "step")
                    status = errorAt(L, closure, currentPC(), "'for' \(what) must be a number")
                    break
                }
                base[a] = Value(number: i); base[a + 1] = Value(number: s); base[a + 2] = Value(number: st)
                if st >= 0 ? i <= s : i >= s {
                    base[a + 3] = Value(number: i)
                } else {
                    pc += Int(Int32(ins >> 16) - 0x8000)
                }
            case .FORL, .IFORL, .JFORL:
                if hotCounters.isCounting { hotCounters.count(pc - 1, by: 2) }
                let st = base[a + 2].number
                let i = base[a].number + st
                let s = base[a + 1].number
                if st >= 0 ? i <= s : i >= s {
                    base[a] = Value(number: i)
                    base[a + 3] = Value(number: i)
                    pc += Int(Int32(ins >> 16) - 0x8000)
                }
            case .ITERL, .IITERL, .JITERL:
                if hotCounters.isCounting { hotCounters.count(pc - 1, by: 2) }
                let v = base[a]
                if !v.isNil {
                    base[a - 1] = v
                    pc += Int(Int32(ins >> 16) - 0x8000)
                }
            case .LOOP, .ILOOP, .JLOOP:
                if hotCounters.isCounting { hotCounters.count(pc - 1, by: 2) }
            case .JMP:
                pc += Int(Int32(ins >> 16) - 0x8000)
            }

            if status != .ok, let done = recover() { return done }
        }

    }

    /// A vararg function's frame moves above its `nargs` arguments at `oldBase`: the
    /// function and the fixed parameters go up, the varargs stay below in the original
    /// frame, which the new link points back to. The new base.
    func moveVarargFrame(_ L: ThreadRef, from oldBase: Int, nargs: Int, params: Int, frameSize: Int) -> Int {
        let newBase = oldBase + nargs + 2
        let stack = L.pointee.stack
        stack[newBase - 2] = stack[oldBase - 2]
        stack[newBase - 1] = frameLink(FrameType.vararg, newBase - oldBase)
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
        // The resume PC; bit 1 (PCs are 4-byte aligned) marks a comparison to negate, and
        // bits 48... (above any user-space address) hold a concatenation's top register.
        stack[frameBase] = Value(bits: returnLink(resumePC).bits | (inverted ? 2 : 0) | UInt64(concatTop) << 48)
        stack[frameBase + 1] = mm
        let newBase = frameBase + 3
        stack[newBase - 1] = frameLink(FrameType.continuation, newBase - callerBase)
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
        let ins = isnext.pointee
        let p = UnsafeMutablePointer(mutating: isnext)
        p.pointee = (ins & 0xffff_ff00) | UInt32(Opcode.JMP.rawValue)
        let target = p + 1 + Int(Int32(ins >> 16) - 0x8000)
        target.pointee = (target.pointee & 0xffff_ff00) | UInt32(Opcode.ITERC.rawValue)
    }

    func outOfMemory(_ L: ThreadRef) -> CallStatus {
        errorValue = memoryErrorValue
        return .error
    }

    /// The table of TNEW with operand `d`: array size (as LuaJIT counts it) in the low 11
    /// bits, log2 of the hash size above.
    func newTable(sizes d: Int) -> TableRef? {
        let arraySize = arraySlots(luajitArraySize: d & 0x7ff), hashLog2 = d >> 11
        return g.newTable(arraySize: arraySize, hashSize: hashLog2 > 0 ? 1 << hashLog2 : 0)
    }

    /// A copy of a constructor template.
    func duplicateTable(_ template: TableRef) -> TableRef? {
        guard let t = g.newTable(arraySize: Int(template.pointee.arraySize), hashSize: template.nodeCount) else { return nil }
        if let array = template.pointee.array, let dst = t.pointee.array {
            for i in 0..<Int(template.pointee.arraySize) { dst[i] = array[i] }
        }
        var key = Value.nil, value = Value.nil
        var position = Int(template.pointee.arraySize)
        while true {
            position = template.entry(from: position, &key, &value)
            if position < 0 { break }
            if t.set(key, value, g) != .ok { return nil }
        }
        return t
    }
}
