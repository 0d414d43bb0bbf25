/// The frame layout shared by the interpreter and compiled code: each frame is a window of
/// stack slots, `base[-2]` holds the function, `base[-1]` the frame link, `base[0...]` the
/// arguments and registers.
///
/// The link says how to get back: the return PC for a frame called from Lua (PCs are
/// 4-byte aligned, so the low two bits are 0), or `(value << 3) | type` otherwise. Links
/// read as small numbers to the collector, which ignores them.
import PerigeeFrontend

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
    /// A debug hook called before an instruction or at a function's entry: the value is the
    /// distance back to the hooked frame; the slot below the function holds the hooked PC
    /// (0 for a builtin), in the same form as a continuation's.
    static let hook: UInt64 = 7
}

/// Where a frame's parts sit relative to its base slot, and the room a frame needs: the one
/// definition every engine (and the code generators, through its public constants) uses.
public enum FrameLayout {
    /// The function being run.
    public static let functionSlot = -2
    /// The frame link (a return PC or a tagged `(value << 3) | type`).
    public static let linkSlot = -1
    /// For a continuation or hook frame: the packed resume point (`Continuation`).
    public static let continuationSlot = -3
    /// Slots every frame keeps free above its registers: enough for a call's function,
    /// link and two arguments before the callee checks the stack.
    public static let entrySlack = 4
    /// Extra slots a vararg function's frame needs when it moves above its arguments (the
    /// function and link again).
    public static let varargMoveSlots = 2
    /// A link whose low two bits are 0 is a return PC (PCs are 4-byte aligned).
    public static let returnPCMask: UInt64 = 3
    /// A tagged link keeps its type in the low three bits.
    public static let linkTypeBits: UInt64 = 3

    /// The stack slot index a frame at `base` with `frameSize` registers must fit below,
    /// entered with `nargs` arguments.
    @inline(__always) public static func end(base: Int, frameSize: Int, vararg: Bool, nargs: Int) -> Int {
        base + frameSize + (vararg ? nargs &+ varargMoveSlots : 0) + entrySlack
    }
}

extension FrameLayout {
    /// The link of a metamethod's frame `distance` slots above the frame of the instruction
    /// that called it (what compiled code writes when it calls the metamethod inlined).
    public static func continuationLink(distance: Int) -> UInt64 { frameLink(FrameType.continuation, distance).bits }

    /// The link of a vararg function's frame moved `distance` slots above its original
    /// frame (what compiled code writes when it records FUNCV's move).
    public static func varargLink(distance: Int) -> UInt64 { frameLink(FrameType.vararg, distance).bits }

    /// The distance back to the original frame when `link` is a vararg frame's link, else nil.
    public static func varargDistance(_ link: Value) -> Int? {
        !link.isReturnPC && link.frameType == FrameType.vararg ? link.frameValue : nil
    }

    /// The resume point below such a metamethod's function: go on at `pc` with its result.
    /// `inverted`: a comparison whose result is negated (`__le` answered by `__lt`);
    /// `concatTop`: a concatenation's pair joined by the metamethod.
    public static func continuationResume(_ pc: UnsafePointer<UInt32>, inverted: Bool = false, concatTop: Int = 0) -> UInt64 {
        Continuation(resumePC: pc, inverted: inverted, concatTop: concatTop).packed.bits
    }
}

/// The resume point saved below a metamethod's or hook's function: the PC to go on at, bit 1
/// (PCs are 4-byte aligned) marking a comparison whose result is negated, and bits 48 up
/// (above any user-space address) a concatenation's top register.
struct Continuation {
    let resumePC: UnsafePointer<UInt32>
    let inverted: Bool
    let concatTop: Int

    init(resumePC: UnsafePointer<UInt32>, inverted: Bool, concatTop: Int) {
        self.resumePC = resumePC
        self.inverted = inverted
        self.concatTop = concatTop
    }

    init(_ packed: Value) {
        resumePC = Value(bits: packed.bits & 0x0000_ffff_ffff_fffc).returnPC
        inverted = packed.bits & 2 != 0
        concatTop = Int(packed.bits >> 48)
    }

    var packed: Value { Value(bits: returnLink(resumePC).bits | (inverted ? 2 : 0) | UInt64(concatTop) << 48) }
}

extension UnsafeMutablePointer where Pointee == GCThread {
    /// Whether an upvalue is open on stack slot `slot` or above: the open list is ordered by
    /// slot, highest first, so one compare says.
    @inline(__always) func hasOpenUpvalues(atOrAbove slot: Int) -> Bool { hasOpenUpvalues(atOrAbove: pointee.stack + slot) }

    /// The same for the slot at `address` (the interpreter's frames are addresses).
    @inline(__always) func hasOpenUpvalues(atOrAbove address: UnsafeMutablePointer<Value>) -> Bool {
        guard let open = pointee.openUpvalues else { return false }
        return UnsafeMutableRawPointer(open).assumingMemoryBound(to: GCUpvalue.self).pointee.v >= address
    }
}

@inline(__always) func frameLink(_ type: UInt64, _ value: Int) -> Value {
    Value(bits: UInt64(value) << FrameLayout.linkTypeBits | type)
}

@inline(__always) func returnLink(_ pc: UnsafePointer<UInt32>) -> Value {
    Value(bits: UInt64(UInt(bitPattern: pc)))
}

extension Value {
    /// For a frame link: true when the frame was called from Lua (the link is a PC).
    @inline(__always) public var isReturnPC: Bool { bits & FrameLayout.returnPCMask == 0 }
    @inline(__always) public var returnPC: UnsafePointer<UInt32> { UnsafePointer(bitPattern: UInt(bits))! }
    @inline(__always) var frameType: UInt64 { bits & (1 << FrameLayout.linkTypeBits - 1) }
    @inline(__always) var frameValue: Int { Int(bits >> FrameLayout.linkTypeBits) }
}

/// One step outwards from a frame, as its link says.
enum FrameStep {
    /// Called from Lua: the caller's base and its current instruction (the call), when the
    /// caller is a Lua function.
    case lua(callerBase: Int, callerPC: Int?)
    /// A vararg function's frame: the same function's original base.
    case vararg(originalBase: Int)
    /// Entered from native code: the native caller's saved base.
    case native(savedBase: Int)
    /// The function run by pcall/xpcall: the protected call's own frame.
    case protected(pcallBase: Int, xpcall: Bool)
    /// A metamethod called by an instruction: that instruction's frame and index.
    case continuation(callerBase: Int, callerPC: Int?)
    /// A debug hook: the hooked frame and the instruction it is at (nil for a builtin).
    case hook(hookedBase: Int, hookedPC: Int?)
    case unknown
}

/// One frame while walking the stack from the innermost outwards (tracebacks, errors).
struct FrameCursor {
    /// Slot index of the frame's base.
    var base: Int
    /// For Lua functions, the index of the instruction being executed (nil for builtins).
    var pc: Int?
}

extension LuaVM {
    /// The base a frame returns through: a vararg function's original frame (below its
    /// arguments), else the frame itself.
    func originalFrameBase(_ L: ThreadRef, _ base: Int) -> Int {
        if case .vararg(let originalBase) = frameStep(L, base) { return originalBase }
        return base
    }

    /// Where the frame at slot `base` leads: the one place that reads frame links.
    func frameStep(_ L: ThreadRef, _ base: Int) -> FrameStep {
        let stack = L.pointee.stack
        let link = stack[base + FrameLayout.linkSlot]
        /// The instruction index of `pc - 1` in the Lua function at `callerBase`, if it is one.
        func instruction(_ callerBase: Int, _ pc: UnsafePointer<UInt32>) -> Int? {
            guard callerBase >= 2 else { return nil }
            let caller = stack[callerBase + FrameLayout.functionSlot]
            guard caller.isFunction && caller.function.isLua else { return nil }
            return pc - 1 - UnsafePointer(caller.function.proto.pointee.bytecode)
        }
        if link.isReturnPC {
            let returnPC = link.returnPC
            let callerBase = base + FrameLayout.functionSlot - Instruction(returnPC[-1]).ra
            return .lua(callerBase: callerBase, callerPC: instruction(callerBase, returnPC))
        }
        switch link.frameType {
        case FrameType.vararg:
            return .vararg(originalBase: base - link.frameValue)
        case FrameType.native:
            return .native(savedBase: link.frameValue)
        case FrameType.pcall:
            return .protected(pcallBase: base - 2, xpcall: false)
        case FrameType.xpcall:
            return .protected(pcallBase: base - 3, xpcall: true)
        case FrameType.continuation:
            let callerBase = base - link.frameValue
            let resumePC = Continuation(stack[base + FrameLayout.continuationSlot]).resumePC
            return .continuation(callerBase: callerBase, callerPC: instruction(callerBase, resumePC))
        case FrameType.hook:
            let hookedBase = base - link.frameValue
            let saved = stack[base + FrameLayout.continuationSlot].bits
            return .hook(hookedBase: hookedBase, hookedPC: saved == 0 ? nil : instruction(hookedBase, Value(bits: saved).returnPC))
        default:
            return .unknown
        }
    }

    /// The frames of `L` from the innermost outwards. `innermostPC` is the running Lua
    /// function's current instruction when the innermost frame is a Lua function.
    func frames(_ L: ThreadRef, innermostBase: Int, innermostPC: Int?) -> [FrameCursor] {
        var result: [FrameCursor] = []
        var base = innermostBase
        var pc = innermostPC
        // Every frame takes two slots or more: the bound only stops a corrupt chain.
        while base >= 2 && result.count < maximumStackSize {
            let function = L.pointee.stack[base + FrameLayout.functionSlot]
            let isLua = function.isFunction && function.function.isLua
            switch frameStep(L, base) {
            case .vararg(let originalBase):
                base = originalBase  // the same function, at its original base
                continue
            case .lua(let callerBase, let callerPC), .continuation(let callerBase, let callerPC):
                result.append(FrameCursor(base: base, pc: isLua ? pc : nil))
                guard callerPC != nil else { return result }
                base = callerBase
                pc = callerPC
            case .hook(let hookedBase, let hookedPC):
                result.append(FrameCursor(base: base, pc: isLua ? pc : nil))
                base = hookedBase
                pc = hookedPC
            case .native(let saved):
                result.append(FrameCursor(base: base, pc: isLua ? pc : nil))
                if saved < 2 || saved >= base { return result }
                // The native caller's frame: a builtin (its own link leads on) or a Lua
                // function that called a metamethod (its current instruction is unknown).
                base = saved
                pc = nil
            case .protected(let pcallBase, _):
                result.append(FrameCursor(base: base, pc: pc))
                base = pcallBase
                pc = nil
            case .unknown:
                return result
            }
        }
        return result
    }

}
