/// The frame layout shared by the interpreter and compiled code: each frame is a window of
/// stack slots, `base[-2]` holds the function, `base[-1]` the frame link, `base[0...]` the
/// arguments and registers.
///
/// The link says how to get back: the return PC for a frame called from Lua (PCs are
/// 4-byte aligned, so the low two bits are 0), or `(value << 3) | type` otherwise. Links
/// read as small numbers to the collector, which ignores them.

enum FrameType {
    /// Entered from native code; the value is the native caller's saved base slot.
    static let native: UInt64 = 1
    /// A vararg function's frame, moved up above its arguments; the value is the distance
    /// in slots back to the original frame.
    static let vararg: UInt64 = 3
    /// The function called by `pcall`.
    static let pcall: UInt64 = 5
    /// The function called by `xpcall` (its handler sits two slots below the function).
    static let xpcall: UInt64 = 6
    /// A metamethod called by an instruction: the value is the distance back to the
    /// instruction's frame; the slot below the function holds the PC to continue at, and
    /// the instruction before that PC says where the result goes.
    static let continuation: UInt64 = 2
}

@inline(__always) func frameLink(_ type: UInt64, _ value: Int) -> Value {
    Value(bits: UInt64(value) << 3 | type)
}

@inline(__always) func returnLink(_ pc: UnsafePointer<UInt32>) -> Value {
    Value(bits: UInt64(UInt(bitPattern: pc)))
}

extension Value {
    /// For a frame link: true when the frame was called from Lua (the link is a PC).
    @inline(__always) var isReturnPC: Bool { bits & 3 == 0 }
    @inline(__always) var returnPC: UnsafePointer<UInt32> { UnsafePointer(bitPattern: UInt(bits))! }
    @inline(__always) var frameType: UInt64 { bits & 7 }
    @inline(__always) var frameValue: Int { Int(bits >> 3) }
}

/// Fields of a call instruction that returns land in.
@inline(__always) func callA(_ ins: UInt32) -> Int { Int((ins >> 8) & 0xff) }
@inline(__always) func callB(_ ins: UInt32) -> Int { Int(ins >> 24) }

/// One frame while walking the stack from the innermost outwards (tracebacks, errors).
struct FrameCursor {
    /// Slot index of the frame's base.
    var base: Int
    /// For Lua functions, the index of the instruction being executed (nil for builtins).
    var pc: Int?
}

extension LuaVM {
    /// The frames of `L` from the innermost outwards. `innermostPC` is the running Lua
    /// function's current instruction when the innermost frame is a Lua function.
    func frames(_ L: ThreadRef, innermostBase: Int, innermostPC: Int?) -> [FrameCursor] {
        var result: [FrameCursor] = []
        var base = innermostBase
        var pc = innermostPC
        let stack = L.pointee.stack
        while base >= 2 && result.count < 100_000 {
            let function = stack[base - 2]
            let link = stack[base - 1]
            if link.isReturnPC {
                result.append(FrameCursor(base: base, pc: function.isFunction && function.function.isLua ? pc : nil))
                let returnPC = link.returnPC
                let callIns = returnPC[-1]
                let callerBase = base - 2 - callA(callIns)
                // The caller is a Lua function; its current instruction is the call.
                if callerBase < 2 { break }
                let caller = stack[callerBase - 2]
                guard caller.isFunction && caller.function.isLua else { break }
                pc = returnPC - 1 - UnsafePointer(caller.function.proto.pointee.bytecode)
                base = callerBase
                continue
            }
            switch link.frameType {
            case FrameType.vararg:
                base -= link.frameValue
                continue  // the same function, at its original base
            case FrameType.native:
                result.append(FrameCursor(base: base, pc: function.isFunction && function.function.isLua ? pc : nil))
                let saved = link.frameValue
                if saved < 2 || saved >= base { return result }
                // The native caller's frame: a builtin (its own link leads on) or a Lua
                // function that called a metamethod (its current instruction is unknown).
                base = saved
                pc = nil
            case FrameType.pcall, FrameType.xpcall:
                result.append(FrameCursor(base: base, pc: pc))
                base -= link.frameType == FrameType.pcall ? 2 : 3
                pc = nil
            case FrameType.continuation:
                result.append(FrameCursor(base: base, pc: function.isFunction && function.function.isLua ? pc : nil))
                let resumePC = stack[base - 3].returnPC
                base -= link.frameValue
                let caller = stack[base - 2]
                guard caller.isFunction && caller.function.isLua else { return result }
                pc = resumePC - 1 - UnsafePointer(caller.function.proto.pointee.bytecode)
            default:
                return result
            }
        }
        return result
    }
}
