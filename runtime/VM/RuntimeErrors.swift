/// Runtime error messages in Lua's words: positions (`chunk:line:`), names of the variables
/// involved (`local 't'`, `global 'f'`, `field 'x'`, `method 'm'`, `upvalue 'u'`), and
/// unwinding to the nearest protected call.
import PerigeeFrontend

extension LuaVM {
    /// The source line of instruction `pc` of `closure`.
    func line(_ closure: FunctionRef, _ pc: Int) -> Int {
        let lines = closure.proto.source.lines
        return pc >= 0 && pc < lines.count ? Int(lines[pc]) : 0
    }

    func chunkLabel(_ closure: FunctionRef) -> String {
        shortChunkName(closure.proto.source.chunkName)
    }

    /// An error raised by instruction `pc` of `closure`.
    func errorAt(_ L: ThreadRef, _ closure: FunctionRef, _ pc: Int, _ message: String) -> CallStatus {
        setError("\(chunkLabel(closure)):\(line(closure, pc)): \(message)")
        return .error
    }

    func callError(_ L: ThreadRef, _ closure: FunctionRef, _ pc: Int, slot: Int) -> CallStatus {
        let base = Int(L.pointee.base)
        let v = L.pointee.stack[base + slot]
        return errorAt(L, closure, pc, "attempt to call \(describe(closure, pc, slot: slot, v))")
    }

    /// `local 't' (a nil value)`, or `a nil value` when the slot has no name.
    func describe(_ closure: FunctionRef, _ pc: Int, slot: Int, _ v: Value) -> String {
        let type = typeName(v)
        if slot >= 0, let (kind, name) = closure.proto.source.slotName(pc, slot) {
            // luajit formats the name as a C string: it ends at a zero byte.
            return "\(kind) '\(name.prefix { $0 != "\0" })' (a \(type) value)"
        }
        return "a \(type) value"
    }

    /// `chunk:line: ` of the Lua function `level` frames up from the running builtin (1 =
    /// the function that called it), or "" when that is not a Lua function.
    func currentPosition(_ L: ThreadRef, level: Int) -> String {
        let list = frames(L, innermostBase: Int(L.pointee.base), innermostPC: nil)
        // The innermost frame is the builtin itself when a builtin is running.
        var index = level
        let innermost = L.pointee.stack[Int(L.pointee.base) + FrameLayout.functionSlot]
        if innermost.isFunction && innermost.function.isLua { index = level - 1 }
        guard index >= 0 && index < list.count else { return "" }
        let frame = list[index]
        let f = L.pointee.stack[frame.base + FrameLayout.functionSlot]
        guard f.isFunction && f.function.isLua, let pc = frame.pc else { return "" }
        return "\(chunkLabel(f.function)):\(line(f.function, pc)): "
    }

    /// Walks out from the frame at `innermostBase` to the nearest pcall/xpcall frame of this
    /// run. Found: upvalues are closed, `false` and the error value are stored at the
    /// protected call's base (for `xpcall`, the handler's result), and that base is
    /// returned. Nil when the error leaves this run.
    func unwindToProtectedCall(_ L: ThreadRef, innermostBase: Int, stopAt: Int = -1) -> Int? {
        var base = innermostBase
        while base >= 2 {
            if base == stopAt { return nil }
            switch frameStep(L, base) {
            case .lua(let next, _), .continuation(let next, _): base = next
            case .vararg(let originalBase): base = originalBase
            case .protected(let pcallBase, let isX):
                var message = errorValue
                if isX {
                    message = runErrorHandler(L, L.pointee.stack[pcallBase], message, above: max(Int(L.pointee.top), base))
                }
                L.closeUpvalues(from: pcallBase, g)
                L.pointee.stack[pcallBase] = .false
                L.pointee.stack[pcallBase + 1] = message
                L.pointee.base = UInt32(pcallBase)
                L.pointee.top = UInt32(pcallBase + 2)
                L.relimitStack()
                return pcallBase
            case .native, .hook, .unknown:
                return nil  // a hook runs nested: its errors leave this run
            }
        }
        return nil
    }

    /// Calls an `xpcall` handler with the error; its first result is the new error value.
    /// An error inside the handler gives LuaJIT's "error in error handling", or "stack
    /// overflow" when the handler ran in the reserve a stack overflow opened (luajit has
    /// no room left to run the handler again there).
    func runErrorHandler(_ L: ThreadRef, _ handler: Value, _ error: Value, above top: Int) -> Value {
        let overflowed = L.isHandlingStackOverflow
        func failure() -> Value { string(overflowed ? "stack overflow" : "error in error handling") }
        L.pointee.top = UInt32(top)
        guard L.ensureStack(4, g) else { return failure() }
        let slot = Int(L.pointee.top)
        L.pointee.stack[slot] = handler
        L.pointee.stack[slot + 2] = error
        L.pointee.top = UInt32(slot + 3)
        let status = callSlot(L, slot, argumentCount: 1, wanted: 1)
        let result = status == .ok ? L.pointee.stack[slot] : failure()
        L.pointee.top = UInt32(slot)
        return result
    }

    /// Rearranges `pcall(f, ...)` / `xpcall(f, h, ...)` at `pcallBase` into a frame for `f`
    /// marked as protected; returns f's base and argument count. Nil (with the error set)
    /// when the arguments are missing.
    func setUpProtectedFrame(_ L: ThreadRef, _ pcallBase: Int, _ n: Int, xpcall: Bool) -> (Int, Int)? {
        // The builtins' own checks, named as the call site names them ('?' with no Lua caller:
        // in a tail call, or as a coroutine's body).
        L.pointee.top = UInt32(pcallBase + n)
        let c = BuiltinCall(UnsafeMutableRawPointer(L), xpcall ? "xpcall" : "pcall")
        if n < 1 { _ = c.argumentError(1, "value expected"); return nil }
        if xpcall && !c.arg(2).isFunction { _ = c.typeError(2, expected: "function"); return nil }
        let shift = xpcall ? 1 : 1
        guard L.ensureStack(n + 4, g) else { setError("stack overflow"); return nil }
        let stack = L.pointee.stack
        let f = stack[pcallBase]
        let firstArg = xpcall ? 2 : 1
        let argc = n - firstArg
        var i = n - 1
        while i >= firstArg {
            stack[pcallBase + i + shift] = stack[pcallBase + i]
            i -= 1
        }
        let fBase: Int
        if xpcall {
            let handler = stack[pcallBase + 1]
            stack[pcallBase] = handler
            stack[pcallBase + 1] = f
            stack[pcallBase + 2] = frameLink(FrameType.xpcall, 3)
            fBase = pcallBase + 3
        } else {
            stack[pcallBase] = f
            stack[pcallBase + 1] = frameLink(FrameType.pcall, 2)
            fBase = pcallBase + 2
        }
        L.pointee.top = UInt32(fBase + argc)
        var nargs = argc
        if !resolveCallable(L, fBase - 2, &nargs) {
            // Calling a non-function inside pcall is an error pcall catches.
            let v = L.pointee.stack[fBase + FrameLayout.functionSlot]
            setError("attempt to call a \(typeName(v)) value")
            L.pointee.stack[fBase + FrameLayout.functionSlot] = Value(function: errorThrower)
            nargs = 0
        }
        return (fBase, nargs)
    }
}

extension Prototype {
    /// What register `slot` holds just before instruction `pc`: a named local, or where the
    /// value came from (a global, a field, a method, an upvalue), found by scanning back.
    public func slotName(_ pc: Int, _ slot: Int) -> (String, String)? {
        var slot = slot
        let code = bytecode
        var ip = pc
        restart: while true {
            if let name = localName(pc: ip, slot: slot) { return ("local", name) }
            var i = ip - 1
            while i > 0 {
                let ins = code[i]
                let op = ins.opcode
                let a = Int(ins.a)
                let mode = op.format.a
                if mode == .base {
                    if slot >= a && (op != .KNIL || slot <= Int(ins.d)) { return nil }
                } else if mode == .dst && a == slot {
                    switch op {
                    case .MOV:
                        slot = Int(ins.d)
                        ip = i
                        continue restart
                    case .GGET:
                        return ("global", constantString(Int(ins.d)))
                    case .TGETS:
                        let name = constantString(Int(ins.c))
                        if i > 0 {
                            let previous = code[i - 1]
                            if previous.opcode == .MOV && Int(previous.a) == a + 2 && previous.d == ins.b {
                                return ("method", name)
                            }
                        }
                        return ("field", name)
                    case .UGET:
                        let d = Int(ins.d)
                        return d < upvalueNames.count ? ("upvalue", strings.string(upvalueNames[d])) : nil
                    default:
                        return nil
                    }
                }
                i -= 1
            }
            return nil
        }
    }

    private func constantString(_ d: Int) -> String {
        if case .string(let id) = gcConstants[d] { return strings.string(id) }
        return "?"
    }

    /// The name of the local in `slot` live at instruction `pc` (hidden `(for ...)` names too).
    func localName(pc: Int, slot: Int) -> String? {
        for v in locals where Int(v.slot) == slot && Int(v.startPC) <= pc && pc < Int(v.endPC) {
            return strings.string(v.name)
        }
        return nil
    }
}

extension LuaVM {
    /// `message` (a string, or a number as its text) after the position of the function at
    /// `level` (as `error` adds it), byte for byte; unchanged when that level has none.
    func withPosition(_ L: ThreadRef, level: Int, _ message: Value) -> Value {
        let position = Array(currentPosition(L, level: level).utf8)
        if position.isEmpty && message.isString { return message }
        var bytes = position
        if message.isString {
            bytes.append(contentsOf: message.string.buffer)
        } else {
            bytes.append(contentsOf: numberText(message.number).utf8)
        }
        guard let joined = bytes.withUnsafeBufferPointer({ g.intern($0) }) else { return memoryErrorValue }
        return Value(string: joined)
    }
}
