/// Debug hooks (`debug.sethook`): the hook state and the calls the interpreter makes when an
/// event is due. As in LuaJIT there is one hook per universe, whatever thread it was set
/// for, and it does not fire while it runs.
///
/// With no hook set the interpreter pays nothing per instruction (a line, count or return
/// hook swaps in the dispatch table whose stubs call the hook first) and one predictable
/// branch per call (on `onCalls`); everything else is here, out of line.
import CSupport
import PerigeeFrontend

/// The events a hook asks for, Lua's mask bits.
struct HookMask: OptionSet {
    let rawValue: UInt8
    static let call = HookMask(rawValue: 1)
    static let `return` = HookMask(rawValue: 2)
    static let line = HookMask(rawValue: 4)
    static let count = HookMask(rawValue: 8)
}

enum HookEvent {
    case call, `return`, line, count

    var name: String {
        switch self {
        case .call: return "call"
        case .return: return "return"
        case .line: return "line"
        case .count: return "count"
        }
    }
}

/// What `debug.sethook` installed.
struct DebugHooks {
    /// The hook as `debug.gethook` reports it (kept even when the mask turns hooks off).
    var function: Value = .nil
    var mask: HookMask = []
    /// `count` as given, and the instructions left until the next count event.
    var countStart = 0
    var countLeft = 0
    /// Set while the hook or a `__gc` finalizer runs: no event fires then.
    var isRunning = false
    /// The last PC that passed the instruction hook in this interpreter run (LuaJIT's saved
    /// PC): a line event fires when the line differs from its line, on a jump backwards, and
    /// when it is nil or in another function. Cleared by a call hook.
    var previousPC: UnsafePointer<UInt32>? = nil
    /// Whether the interpreter must stop before each instruction (line, count or return);
    /// `install` switches the dispatch table to match.
    private(set) var onInstructions = false
    /// Whether function entries fire the call hook.
    private(set) var onCalls = false

    mutating func install(_ function: Value, _ mask: HookMask, count: Int) {
        self.function = function
        self.mask = function.isFunction ? mask : []
        countStart = count
        countLeft = count
        previousPC = nil
        onInstructions = !self.mask.intersection([.line, .count, .return]).isEmpty
        onCalls = self.mask.contains(.call)
        perigee_set_instruction_hook(onInstructions ? 1 : 0)
        perigee_set_call_hook(onCalls ? 1 : 0)
    }
}

extension LuaVM {
    /// `debug.sethook([thread,] [f, mask [, count]])`: the thread is accepted and ignored, as
    /// in LuaJIT, whose hook is global.
    func setHook(_ c: BuiltinCall) -> Int32 {
        let arg = c.arg(1).isThread ? 1 : 0
        let hook = c.arg(arg + 1)
        var mask: HookMask = []
        var count = 0
        if !hook.isNil {
            guard let maskText = c.string(arg + 2) else { return c.typeError(arg + 2, expected: "string") }
            guard hook.isFunction else { return c.typeError(arg + 1, expected: "function") }
            if !c.arg(arg + 3).isNil {
                guard let n = c.integer(arg + 3) else { return c.typeError(arg + 3, expected: "number") }
                count = Int(Int32(truncatingIfNeeded: n))
            }
            for ch in UnsafeBufferPointer(start: maskText.bytes, count: maskText.count) {
                switch ch {
                case UInt8(ascii: "c"): mask.insert(.call)
                case UInt8(ascii: "r"): mask.insert(.return)
                case UInt8(ascii: "l"): mask.insert(.line)
                default: break
                }
            }
            if count > 0 { mask.insert(.count) }
        }
        // The registry keeps the hook alive for the collector.
        _ = g.pointee.registry.set(hookRegistryKey, hook, g)
        hooks.install(hook, mask, count: count)
        // Compiled code runs no hooks: while one is set, it hands its frames to the interpreter.
        compiledHookFlag?.pointee = hooks.mask.isEmpty ? 0 : 1
        return 0
    }

    /// `debug.gethook([thread])`: the hook, its mask as letters and its count.
    func getHook(_ c: BuiltinCall) -> Int32 {
        var letters = ""
        if hooks.mask.contains(.call) { letters += "c" }
        if hooks.mask.contains(.return) { letters += "r" }
        if hooks.mask.contains(.line) { letters += "l" }
        return c.results(hooks.function, string(letters), Value(number: Double(hooks.countStart)))
    }

    /// A key no Lua code can make: a light userdata holding this VM's address.
    var hookRegistryKey: Value {
        Value(lightUserdata: UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()))
    }

    /// Whether the frame at `base` was called by a debug hook (it has no name then).
    func isHookFrame(_ L: ThreadRef, _ base: Int) -> Bool {
        if case .hook = frameStep(L, base) { return true }
        return false
    }

    /// The hooks due before the instruction at `pc - 1` of `closure`, whose frame is at slot
    /// `base`: count, line, then return, in LuaJIT's order. The stack may move.
    @inline(never)
    func instructionHook(_ L: ThreadRef, _ closure: FunctionRef, _ pc: UnsafePointer<UInt32>, base: Int) -> CallStatus {
        if hooks.isRunning { return .ok }
        let op = UInt8(truncatingIfNeeded: pc[-1])
        // Function headers are not instructions to the hooks (the call hook covers them).
        if op >= Opcode.FUNCF.rawValue { return .ok }
        let previous = hooks.previousPC
        hooks.previousPC = pc
        let p = closure.proto
        // The frame's extent, as LuaJIT sets it: its registers, and the values an instruction
        // taking a variable number of them is about to use.
        let frameTop = base + Int(p.pointee.frameSize)
        let takesMultipleResults = op == Opcode.CALLM.rawValue || op == Opcode.CALLMT.rawValue
            || op == Opcode.RETM.rawValue || op == Opcode.TSETM.rawValue
        L.pointee.base = UInt32(base)
        L.pointee.top = UInt32(takesMultipleResults ? max(Int(L.pointee.top), frameTop) : frameTop)
        let mask = hooks.mask
        if !mask.intersection([.line, .count]).isEmpty {
            hooks.countLeft &-= 1
            if mask.contains(.count) && hooks.countLeft == 0 {
                hooks.countLeft = hooks.countStart
                let status = runHook(L, .count, line: nil, hookedBase: base, hookedPC: pc)
                if status != .ok { return status }
            }
        }
        if mask.contains(.line) {
            let start = UnsafePointer(p.pointee.bytecode)
            let index = pc - 1 - start
            let lines = p.source.lines
            let line = index < lines.count ? Int(lines[index]) : 0
            var sameLine = false
            if let previous, previous < pc {
                let before = previous - 1 - start
                sameLine = before >= 0 && before < lines.count && Int(lines[before]) == line
            }
            if !sameLine {
                let status = runHook(L, .line, line: line, hookedBase: base, hookedPC: pc)
                if status != .ok { return status }
            }
        }
        if mask.contains(.return) && op >= Opcode.RETM.rawValue && op <= Opcode.RET1.rawValue {
            return runHook(L, .return, line: nil, hookedBase: base, hookedPC: pc)
        }
        return .ok
    }

    /// The call hook on entry to the function whose frame is at slot `base` (registers or
    /// arguments up to `L.top`); `header` is a Lua function's first instruction, nil for a
    /// builtin. The stack may move.
    @inline(never)
    func callHook(_ L: ThreadRef, base: Int, header: UnsafePointer<UInt32>?) -> CallStatus {
        if hooks.isRunning { return .ok }
        L.pointee.base = UInt32(base)
        let status = runHook(L, .call, line: nil, hookedBase: base, hookedPC: header.map { $0 + 1 })
        // LuaJIT forgets its saved PC here, so the next instruction is on a new line.
        hooks.previousPC = nil
        return status
    }

    /// Calls the hook function with the event name and line, in a frame above `L.top` linked
    /// to the hooked frame at `hookedBase` and its PC, so `debug.getinfo(2)` describes it.
    /// `L.base` and `L.top` are as they were afterwards.
    func runHook(_ L: ThreadRef, _ event: HookEvent, line: Int?, hookedBase: Int,
                 hookedPC: UnsafePointer<UInt32>?) -> CallStatus {
        let hook = hooks.function
        guard hook.isFunction else { return .ok }
        let savedBase = L.pointee.base, savedTop = L.pointee.top
        // Room for the frame and the builtin minimum (LUA_MINSTACK).
        guard L.ensureStack(5 + 20, g) else {
            setError("stack overflow")
            return .error
        }
        nativeDepth += 1
        hooks.isRunning = true
        defer {
            hooks.isRunning = false
            nativeDepth -= 1
            L.pointee.base = savedBase
            L.pointee.top = savedTop
        }
        if nativeDepth > maxNativeDepth {
            setError("stack overflow")
            return .error
        }
        let slot = Int(savedTop)
        let newBase = slot + 3
        let stack = L.pointee.stack
        stack[slot] = Value(bits: hookedPC.map { returnLink($0).bits } ?? 0)
        stack[slot + 1] = hook
        stack[newBase + FrameLayout.linkSlot] = frameLink(FrameType.hook, newBase - hookedBase)
        stack[newBase] = string(event.name)
        stack[newBase + 1] = line.map { Value(number: Double($0)) } ?? .nil
        L.pointee.top = UInt32(newBase + 2)
        let f = hook.function
        if f.isLua {
            return execute(L, funcSlot: slot + 1, argumentCount: 2, wanted: 0)
        }
        return callBuiltin(L, f, slot + 1, 2, 0)
    }
}
