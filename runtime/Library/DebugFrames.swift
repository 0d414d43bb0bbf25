/// The stack as the debug library sees it: levels (0 = the running builtin), each frame's
/// registers, its current instruction, and the names LuaJIT gives its locals and varargs.
import PerigeeFrontend

/// One level of the stack, innermost first.
struct DebugFrame {
    /// Slot index where the frame's registers start (for a vararg function, above its
    /// arguments).
    var base: Int
    /// Slot index where the function was called: equals `base` except for vararg
    /// functions, whose extra arguments sit from `originalBase + parameters` to `base - 2`.
    var originalBase: Int
    /// For Lua functions, the index of the instruction being executed (nil when unknown).
    var pc: Int?
    var function: Value
}

extension LuaVM {
    /// The frames of `L` from the innermost outwards (the same walk as `frames`, keeping
    /// where each vararg frame's registers are).
    func debugFrames(_ L: ThreadRef) -> [DebugFrame] {
        var result: [DebugFrame] = []
        var base = Int(L.pointee.base)
        var actual = base
        var pc: Int? = nil
        while base >= 2 && result.count < 100_000 {
            let function = L.pointee.stack[base + FrameLayout.functionSlot]
            let isLua = function.isFunction && function.function.isLua
            let frame = DebugFrame(base: actual, originalBase: base, pc: isLua ? pc : nil, function: function)
            switch frameStep(L, base) {
            case .vararg(let originalBase):
                base = originalBase  // the same function; `actual` keeps its registers
                continue
            case .lua(let callerBase, let callerPC), .continuation(let callerBase, let callerPC):
                result.append(frame)
                guard callerPC != nil else { return result }
                base = callerBase
                pc = callerPC
            case .hook(let hookedBase, let hookedPC):
                result.append(frame)
                base = hookedBase
                pc = hookedPC
            case .native(let saved):
                result.append(frame)
                if saved < 2 || saved >= base { return result }
                base = saved
                pc = nil
            case .protected(let pcallBase, _):
                result.append(frame)
                base = pcallBase
                pc = nil
            case .unknown:
                return result
            }
            actual = base
        }
        return result
    }

    /// LuaJIT's `debug_varname`: the name of the `index`-th (0-based) variable live at
    /// instruction `pc`, counting in order of declaration.
    func liveVariableName(_ proto: Prototype, pc: Int, index: Int) -> String? {
        guard index >= 0 else { return nil }
        var remaining = index
        for v in proto.locals {
            if Int(v.startPC) > pc { break }
            if pc < Int(v.endPC) {
                if remaining == 0 { return proto.strings.string(v.name) }
                remaining -= 1
            }
        }
        return nil
    }

    /// The name and slot of local `n` of the frame at `level` in `list` (LuaJIT's
    /// `debug_localname`): named variables, `(*temporary)` for other used slots, and
    /// `(*vararg)` for negative `n`. Nil when there is no such local.
    func debugLocal(_ L: ThreadRef, _ list: [DebugFrame], level: Int, n: Int) -> (String, Int)? {
        let frame = list[level]
        // The slot below which this frame's values end: the next inner frame's function, or
        // the hooked PC below a hook function.
        var limit = level > 0 ? list[level - 1].originalBase - 2 : Int(L.pointee.top)
        if level > 0 && isHookFrame(L, list[level - 1].originalBase) { limit -= 1 }
        let f = frame.function
        let isLua = f.isFunction && f.function.isLua
        if n < 0 {
            guard isLua, frame.pc != nil else { return nil }
            let proto = f.function.proto.source
            guard proto.isVararg, frame.base != frame.originalBase else { return nil }
            let slot = frame.originalBase + Int(proto.parameterCount) + (-n) - 1
            return slot < frame.base - 2 ? ("(*vararg)", slot) : nil
        }
        let slot = frame.base + n - 1
        if isLua, let pc = frame.pc, let name = liveVariableName(f.function.proto.source, pc: pc, index: n - 1) {
            return (name, slot)
        }
        if n > 0 && slot < limit { return ("(*temporary)", slot) }
        return nil
    }

    /// How the frame at `level` was named by its caller's call instruction
    /// (`namewhat`, `name`), as LuaJIT's `lj_debug_funcname` finds it.
    func debugFunctionName(_ L: ThreadRef, _ list: [DebugFrame], level: Int) -> (String, String)? {
        guard level + 1 < list.count, !isHookFrame(L, list[level].originalBase) else { return nil }
        let caller = list[level + 1]
        guard caller.function.isFunction && caller.function.function.isLua, let pc = caller.pc else { return nil }
        return calledName(caller.function.function.proto.source, pc: pc)
    }

    /// How the instruction at `pc` of `proto` named the function it called (`namewhat`,
    /// `name`), as LuaJIT's `lj_debug_funcname` finds it: the called slot's name for calls
    /// and iterators, `metamethod` and its name for an operator that fell back to one.
    func calledName(_ proto: Prototype, pc: Int) -> (String, String)? {
        guard pc >= 0 && pc < proto.bytecode.count else { return nil }
        let ins = proto.bytecode[pc]
        switch ins.opcode {
        case .CALLM, .CALL, .CALLMT, .CALLT:
            return proto.slotName(pc, Int(ins.a))
        case .ITERC, .ITERN:
            return proto.slotName(pc, Int(ins.a) - 3)
        default:
            let mm = ins.opcode.format.mm
            guard mm != .none && mm != .call else { return nil }
            return ("metamethod", "__\(mm)")
        }
    }
}
