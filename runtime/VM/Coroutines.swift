/// Coroutines: each has its own Lua stack; `resume` runs it in a nested interpreter run and
/// `yield` ends that run with the coroutine's frames left in place, so a yield works from
/// any depth of Lua calls, through pcall, but not across a native call into Lua.

/// Where a coroutine is in its life, kept in the thread's `status` byte (0 for threads that
/// are not coroutines, such as the main thread).
enum CoroutineState: UInt8 {
    case none = 0, fresh, suspended, running, normal, dead
}

/// The coroutine builtins a call instruction runs without calling their entry
/// (Interpreter/CoroutineSwitches.swift): `coroutine.resume`, `coroutine.yield` and the
/// functions `coroutine.wrap` makes carry these ids. They lie above every `FastFunction` and
/// `FastBuiltin` id, so compiled code and the fast-function paths, which know only those,
/// call them as any other builtin.
public enum CoroutineSwitch: UInt8 {
    case resume = 0xf0, yield, wrapped

    /// The builtin's name, as luajit's `-jv` names it.
    public var builtinName: String {
        switch self {
        case .resume: return "coroutine.resume"
        case .yield: return "coroutine.yield"
        case .wrapped: return "coroutine.wrap_aux"
        }
    }

    /// The switch with id `id`, or nil (a case is stored as its index, as `FastBuiltin`).
    @inline(__always) public init?(id: UInt8) {
        let index = id &- CoroutineSwitch.resume.rawValue
        guard index <= CoroutineSwitch.wrapped.rawValue &- CoroutineSwitch.resume.rawValue else { return nil }
        self = unsafeBitCast(index, to: CoroutineSwitch.self)
    }
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
        let resume = register("resume", in: C) { raw in
            let c = BuiltinCall(raw, "resume")
            guard c.arg(1).isThread else { return c.argumentError(1, "coroutine expected") }
            let (L, co) = (c.L, c.arg(1).thread)
            // Without reference counting: this runs at every switch.
            return LuaVM.withCurrent { $0.resumeBuiltin(L, co) }
        }
        resume.pointee.ffid = CoroutineSwitch.resume.rawValue
        let yield = register("yield", in: C) { raw in
            let L = raw.assumingMemoryBound(to: GCThread.self)
            return LuaVM.withCurrent { $0.yieldBuiltin(L) }
        }
        yield.pointee.ffid = CoroutineSwitch.yield.rawValue
        register("status", in: C) { raw in
            let c = BuiltinCall(raw, "status")
            guard c.arg(1).isThread else { return c.argumentError(1, "coroutine expected") }
            return c.results(c.vm.string(c.vm.statusName(c.arg(1).thread, from: c.L)))
        }
        register("running", in: C) { raw in
            let c = BuiltinCall(raw, "running")
            if c.L == c.vm.mainThread { return c.results(.nil) }
            return c.results(Value(thread: c.L))
        }
        register("isyieldable", in: C) { raw in
            let c = BuiltinCall(raw, "isyieldable")
            guard c.L != c.vm.mainThread, let depth = c.vm.resumeDepth(of: c.L) else { return c.results(.false) }
            return c.results(Value(bool: c.vm.canYield(c.L, resumedAt: depth)))
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
                let L = raw.assumingMemoryBound(to: GCThread.self)
                let callee = L.pointee.stack[Int(L.pointee.base) + FrameLayout.functionSlot].function
                return LuaVM.withCurrent { $0.resumeWrapped(L, callee.upvalueValues[0].thread) }
            }, upvalueCount: 1, env: vm.globals) else {
                vm.errorValue = vm.memoryErrorValue
                return builtinError
            }
            wrapper.setUpvalue(0, Value(thread: co), vm.g)
            wrapper.pointee.ffid = CoroutineSwitch.wrapped.rawValue
            return c.results(Value(function: wrapper))
        }
    }

    /// `coroutine.resume(co, ...)` on the frame at `L.base` (`co` is its first argument):
    /// pushes true and the values `co` yielded or returned, or false and the error.
    func resumeBuiltin(_ L: ThreadRef, _ co: ThreadRef) -> Int32 {
        let base = Int(L.pointee.base)
        let count = max(Int(L.pointee.top) - base - 1, 0)
        _ = L.ensureStack(2, g)
        return resume(L, co, from: base + 1, count: count, withStatus: true).1
    }

    /// A `coroutine.wrap` function's call on the frame at `L.base`, resuming `co`: pushes
    /// the values `co` yielded or returned, or raises its error as the caller's.
    func resumeWrapped(_ L: ThreadRef, _ co: ThreadRef) -> Int32 {
        // Resuming a dead wrapper is the caller's mistake: the message gets its position.
        if co.coroutineState == .dead {
            setError(currentPosition(L, level: 1) + "cannot resume dead coroutine")
            return builtinError
        }
        let base = Int(L.pointee.base)
        let count = Int(L.pointee.top) - base
        _ = L.ensureStack(2, g)
        let (ok, n) = resume(L, co, from: base, count: count, withStatus: false)
        if !ok {
            errorValue = callerMessage(L, L.pointee.stack[Int(L.pointee.top) - 1])
            return builtinError
        }
        return n
    }

    /// `coroutine.yield(...)` on the frame at `L.base`: `builtinYield`, which ends the
    /// coroutine's run with this frame (its arguments the yielded values) left for the
    /// next resume, or the error when a native call is in the way.
    func yieldBuiltin(_ L: ThreadRef) -> Int32 {
        if L != mainThread, let depth = resumeDepth(of: L), canYield(L, resumedAt: depth) { return builtinYield }
        setError(currentPosition(L, level: 1) + "attempt to yield across C-call boundary")
        return builtinError
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

    /// Runs `co` with the `count` values at slot `from` of `L` as arguments, until it yields,
    /// returns or fails. Pushes onto `L` (after `true`/`false` when `withStatus`) the yielded
    /// or returned values, or the error value; returns whether it went well and how many
    /// values it pushed.
    func resume(_ L: ThreadRef, _ co: ThreadRef, from: Int, count: Int, withStatus: Bool) -> (Bool, Int32) {
        func fail(_ message: Value) -> (Bool, Int32) {
            var n: Int32 = 0
            if withStatus { push(L, .false); n += 1 }
            push(L, message)
            return (false, n + 1)
        }
        let state = co.coroutineState
        switch state {
        case .dead, .none:
            return fail(string("cannot resume dead coroutine"))
        case .running, .normal:
            // LuaJIT says "running" for a coroutine in the normal state too.
            return fail(string("cannot resume running coroutine"))
        case .fresh, .suspended:
            break
        }
        guard co.ensureStack(count + 4, g) else { return fail(string("stack overflow")) }
        let top = Int(co.pointee.top)
        for i in 0..<count { co.pointee.stack[top + i] = L.pointee.stack[from + i] }
        co.pointee.top = UInt32(top + count)

        co.coroutineState = .running
        if L.coroutineState == .running { L.coroutineState = .normal }
        let previous = g.pointee.currentThread
        g.pointee.currentThread = co
        let outerDepth = resumedAtDepth
        resumedAtDepth = nativeDepth
        let status: CallStatus
        if state == .fresh {
            let body = co.pointee.stack[0]
            if body.isFunction && (body.function == pcallFunction || body.function == xpcallFunction) {
                status = startProtectedBody(co, argumentCount: count)
            } else {
                status = callSlot(co, 0, argumentCount: count, wanted: -1)
            }
        } else {
            nativeDepth += 1
            let f = co.pointee.stack[0]
            // Frames above the body's own (a Lua body's, or those of the function a body
            // pcall protects) go on in the interpreter.
            if f.isFunction && (f.function.isLua || Int(co.pointee.base) != -FrameLayout.functionSlot) {
                status = continueCoroutine(co, resumeCount: count)
            } else {
                // The body was a builtin that yielded (`coroutine.wrap(coroutine.yield)`): the
                // resume's values are its results, and the coroutine returns them.
                for i in 0..<count { co.pointee.stack[i] = co.pointee.stack[top + i] }
                co.pointee.top = UInt32(count)
                status = .ok
            }
            nativeDepth -= 1
        }
        g.pointee.currentThread = previous
        resumedAtDepth = outerDepth
        if L.coroutineState == .normal { L.coroutineState = .running }

        switch status {
        case .ok, .yield:
            // Returned values sit from slot 0; yielded ones are the arguments of yield's frame.
            let isYield = status == .yield
            co.coroutineState = isYield ? .suspended : .dead
            let first = isYield ? Int(co.pointee.base) : 0
            let n = Int(co.pointee.top) - first
            guard L.ensureStack(n + 1, g) else { return fail(string("stack overflow")) }
            if withStatus { push(L, .true) }
            for i in 0..<n { push(L, co.pointee.stack[first + i]) }
            co.pointee.top = UInt32(first)
            return (true, Int32(n + (withStatus ? 1 : 0)))
        case .error:
            co.coroutineState = .dead
            lastTraceback = ""
            return fail(errorValue)
        }
    }

    /// A wrapped coroutine's error as its caller sees it (LuaJIT's rethrow): a string gets
    /// the position of the Lua function that called the wrapper, when one did.
    func callerMessage(_ L: ThreadRef, _ error: Value) -> Value {
        error.isString ? withPosition(L, level: 1, error) : error
    }

    /// Whether the builtin running on `L` (resumed at native depth `depth`) may yield: a
    /// Lua function called it from the coroutine's own run, or it is the coroutine's body.
    func canYield(_ L: ThreadRef, resumedAt depth: Int) -> Bool {
        nativeDepth == depth + 2 || (nativeDepth == depth + 1 && Int(L.pointee.base) == -FrameLayout.functionSlot)  // body at slot 0
    }

    @inline(__always) func push(_ L: ThreadRef, _ v: Value) {
        L.pointee.stack[Int(L.pointee.top)] = v
        L.pointee.top += 1
    }

    /// The native nesting depth at which `co` was resumed, if it is the running coroutine.
    @inline(__always) func resumeDepth(of co: ThreadRef) -> Int? {
        co == g.pointee.currentThread && co != mainThread ? resumedAtDepth : nil
    }
}
