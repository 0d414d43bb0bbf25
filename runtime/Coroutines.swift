/// Coroutines: each has its own Lua stack; `resume` runs it in a nested interpreter run and
/// `yield` ends that run with the coroutine's frames left in place, so a yield works from
/// any depth of Lua calls, through pcall, but not across a native call into Lua.

/// Where a coroutine is in its life, kept in the thread's `status` byte (0 for threads that
/// are not coroutines, such as the main thread).
enum CoroutineState: UInt8 {
    case none = 0, fresh, suspended, running, normal, dead
}

extension UnsafeMutablePointer where Pointee == GCThread {
    var coroutineState: CoroutineState {
        get { CoroutineState(rawValue: pointee.status) ?? .none }
        nonmutating set { pointee.status = newValue.rawValue }
    }
}

extension LuaVM {
    func openCoroutineLibrary() {
        let C = library("coroutine")
        register("create", in: C) { raw in
            let c = BuiltinCall(raw, "create")
            let f = c.arg(1)
            guard f.isFunction else { return c.typeError(1, expected: "function") }
            guard let co = c.vm.g.newThread(env: c.L.pointee.env) else {
                c.vm.errorValue = c.vm.memoryErrorValue
                return builtinError
            }
            co.pointee.stack[0] = f
            co.pointee.top = 2
            co.coroutineState = .fresh
            return c.results(Value(thread: co))
        }
        register("resume", in: C) { raw in
            let c = BuiltinCall(raw, "resume")
            guard c.arg(1).isThread else { return c.typeError(1, expected: "coroutine") }
            let co = c.arg(1).thread
            let base = Int(c.L.pointee.base)
            let args = (1..<max(c.count, 1)).map { c.L.pointee.stack[base + $0] }
            let (ok, values) = c.vm.resume(c.L, co, args)
            if !ok && values.isEmpty { return builtinError }
            c.push(Value(bool: ok))
            for v in values { c.push(v) }
            return Int32(values.count + 1)
        }
        register("yield", in: C) { raw in
            let c = BuiltinCall(raw, "yield")
            let vm = c.vm
            let L = c.L
            guard L != vm.mainThread, let depth = vm.resumeDepth[L] else {
                return c.error("attempt to yield across C-call boundary")
            }
            if vm.nativeDepth != depth + 2 { return c.error("attempt to yield across C-call boundary") }
            return builtinYield
        }
        register("status", in: C) { raw in
            let c = BuiltinCall(raw, "status")
            guard c.arg(1).isThread else { return c.typeError(1, expected: "coroutine") }
            return c.results(c.vm.string(c.vm.statusName(c.arg(1).thread, from: c.L)))
        }
        register("running", in: C) { raw in
            let c = BuiltinCall(raw, "running")
            if c.L == c.vm.mainThread { return c.results(.nil) }
            return c.results(Value(thread: c.L))
        }
        register("isyieldable", in: C) { raw in
            let c = BuiltinCall(raw, "isyieldable")
            guard c.L != c.vm.mainThread, let depth = c.vm.resumeDepth[c.L] else { return c.results(.false) }
            return c.results(Value(bool: c.vm.nativeDepth == depth + 2))
        }
        register("wrap", in: C) { raw in
            let c = BuiltinCall(raw, "wrap")
            let f = c.arg(1)
            guard f.isFunction else { return c.typeError(1, expected: "function") }
            let vm = c.vm
            guard let co = vm.g.newThread(env: c.L.pointee.env) else {
                vm.errorValue = vm.memoryErrorValue
                return builtinError
            }
            co.pointee.stack[0] = f
            co.pointee.top = 2
            co.coroutineState = .fresh
            c.push(Value(thread: co))  // anchored while the wrapper is made
            guard let wrapper = vm.g.newBuiltin({ raw in
                let c = BuiltinCall(raw, "wrap")
                let callee = c.L.pointee.stack[Int(c.L.pointee.base) - 2].function
                let co = callee.upvalueValues[0].thread
                let base = Int(c.L.pointee.base)
                let args = (0..<c.count).map { c.L.pointee.stack[base + $0] }
                let (ok, values) = c.vm.resume(c.L, co, args)
                if !ok {
                    if !values.isEmpty { c.vm.errorValue = values[0] }
                    return builtinError
                }
                for v in values { c.push(v) }
                return Int32(values.count)
            }, upvalueCount: 1, env: vm.globals) else {
                vm.errorValue = vm.memoryErrorValue
                return builtinError
            }
            wrapper.setUpvalue(0, Value(thread: co), vm.g)
            return c.results(Value(function: wrapper))
        }
    }

    func statusName(_ co: ThreadRef, from L: ThreadRef) -> String {
        if co == L { return "running" }
        switch co.coroutineState {
        case .fresh, .suspended: return "suspended"
        case .running: return "running"
        case .normal: return "normal"
        case .dead, .none: return "dead"
        }
    }

    /// Runs `co` until it yields, returns or fails. Returns (true, yielded or returned
    /// values), (false, [error value]), or (false, []) when the resume itself raised an error
    /// in `L` (already set as the pending error).
    func resume(_ L: ThreadRef, _ co: ThreadRef, _ args: [Value]) -> (Bool, [Value]) {
        let state = co.coroutineState
        switch state {
        case .dead, .none:
            return (false, [string("cannot resume dead coroutine")])
        case .running, .normal:
            return (false, [string(co == L ? "cannot resume running coroutine" : "cannot resume non-suspended coroutine")])
        case .fresh, .suspended:
            break
        }
        guard co.ensureStack(args.count + 4, g) else { return (false, [string("stack overflow")]) }
        let top = Int(co.pointee.top)
        for (i, a) in args.enumerated() { co.pointee.stack[top + i] = a }
        co.pointee.top = UInt32(top + args.count)

        co.coroutineState = .running
        if L.coroutineState == .running { L.coroutineState = .normal }
        let previous = g.pointee.currentThread
        g.pointee.currentThread = co
        resumeDepth[co] = nativeDepth
        let status: CallStatus
        if state == .fresh {
            status = callSlot(co, 0, argumentCount: args.count, wanted: -1)
        } else {
            nativeDepth += 1
            let f = co.pointee.stack[0]
            status = f.isFunction && f.function.isLua
                ? execute(co, funcSlot: 0, argumentCount: 0, wanted: -1, resumeCount: args.count)
                : .error
            nativeDepth -= 1
        }
        g.pointee.currentThread = previous
        resumeDepth[co] = nil
        if L.coroutineState == .normal { L.coroutineState = .running }

        switch status {
        case .ok:
            co.coroutineState = .dead
            let values = (0..<Int(co.pointee.top)).map { co.pointee.stack[$0] }
            co.pointee.top = 0
            return (true, values)
        case .yield:
            co.coroutineState = .suspended
            // The values given to yield are the arguments of its frame.
            let from = Int(co.pointee.base), to = Int(co.pointee.top)
            let values = (from..<to).map { co.pointee.stack[$0] }
            co.pointee.top = UInt32(from)
            return (true, values)
        case .error:
            co.coroutineState = .dead
            lastTraceback = ""
            return (false, [errorValue])
        }
    }
}
