/// Threads (coroutines): a growable Lua value stack, its open upvalues, status and environment.
///
/// Layout of `GCThread` (size 64):
///
///     0  next  8 marked  9 gct (= 6)
///     10 status       UInt8   `ThreadStatus`
///     16 gclist
///     24 stack        UnsafeMutablePointer<Value>   `stackSize` slots, nil above `top` (and
///                     `overflowReserveSlots` more once it reached `maximumStackSize`)
///     32 stackSize    UInt32
///     36 base         UInt32  first slot of the running frame
///     40 top          UInt32  first free slot; the GC marks slots below it
///     48 openUpvalues the open list (through the upvalues' `next`), highest slot first
///     56 env          UnsafeMutablePointer<GCTable>?  the thread's globals
///
/// The native stack and context switch of coroutines running compiled code belong to the
/// interpreter and are not here.
import Glibc

public struct GCThread {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var status: UInt8
    public var gclist: ObjectRef?
    public var stack: UnsafeMutablePointer<Value>
    public var stackSize: UInt32
    public var base: UInt32
    public var top: UInt32
    public var openUpvalues: ObjectRef?
    public var env: TableRef?
}

public typealias ThreadRef = UnsafeMutablePointer<GCThread>

/// Thread status codes, Lua's numbering.
public enum ThreadStatus {
    public static let ok: UInt8 = 0
    public static let yielded: UInt8 = 1
    public static let runtimeError: UInt8 = 2
    public static let syntaxError: UInt8 = 3
    public static let memoryError: UInt8 = 4
    public static let errorInHandler: UInt8 = 5
}

/// Slots a new thread starts with (LuaJIT starts near this too).
public let initialStackSize = 48
/// The most slots one thread may have ("stack overflow" beyond), chosen so recursion ends at
/// the depth luajit's does: luajit checks a frame's registers alone against LJ_STACK_MAX
/// (65500) where a Perigee frame also keeps `FrameLayout.entrySlack` slots free above them,
/// and a luajit coroutine's body sits two slots higher than ours (above the thread itself
/// and a nil slot). The limit also stops a runaway program (varargs growing by one per call,
/// results piling up through nested pcalls) before its copying, quadratic in the depth,
/// takes minutes.
public let maximumStackSize = 65500 + FrameLayout.entrySlack - 2

/// Slots below the main chunk's function on the main thread, so that its frames sit where
/// luajit's do (where the command line's own frame, its argument and the traceback handler
/// lie below the chunk, beside the thread and nil slots every luajit stack starts with).
public let mainThreadReservedSlots = 4

/// Slots above `maximumStackSize` an error handler may use after a stack overflow: luajit's
/// one for the message and 2*LUA_MINSTACK, enough for `debug.traceback` or a short Lua
/// function (so a handler that recurses gets as deep as luajit's).
public let overflowReserveSlots = 41

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// A new thread with an empty stack of `initialStackSize` nil slots.
    public func newThread(env: TableRef? = nil) -> ThreadRef? {
        let stackBytes = initialStackSize * MemoryLayout<Value>.stride
        guard let stackMemory = allocate(stackBytes) else { return nil }
        guard let o = newObject(size: MemoryLayout<GCThread>.stride, type: GCObjectType.thread) else {
            release(stackMemory, size: stackBytes)
            return nil
        }
        let t = o.cast(to: GCThread.self)
        let stack = stackMemory.bindMemory(to: Value.self, capacity: initialStackSize)
        stack.initialize(repeating: .nil, count: initialStackSize)
        t.pointee.status = ThreadStatus.ok
        t.pointee.gclist = nil
        t.pointee.stack = stack
        t.pointee.stackSize = UInt32(initialStackSize)
        t.pointee.base = 0
        t.pointee.top = 0
        t.pointee.openUpvalues = nil
        t.pointee.env = env
        return t
    }

    /// Frees a dead thread, closing its open upvalues first (a closure may still use them).
    func freeThread(_ t: ThreadRef) {
        t.closeUpvalues(from: 0, self)
        release(t.pointee.stack, size: t.stackCapacity * MemoryLayout<Value>.stride)
        release(t, size: MemoryLayout<GCThread>.stride)
    }
}

extension UnsafeMutablePointer where Pointee == GCThread {
    /// Makes room for `slots` slots above `top`; false when memory runs out or the stack
    /// would pass `maximumStackSize`. The stack may move: pointers into it are stale after a
    /// `true`, open upvalues are rebased here. A `false` never moves it.
    @inline(__always)
    public func ensureStack(_ slots: Int, _ g: GlobalRef) -> Bool {
        if Int(pointee.top) + slots <= Int(pointee.stackSize) { return true }
        return growStack(to: Int(pointee.top) + slots, g)
    }

    /// The slots allocated: `stackSize`, and `overflowReserveSlots` more on a stack that
    /// reached `maximumStackSize`.
    var stackCapacity: Int {
        let size = Int(pointee.stackSize)
        return size < maximumStackSize ? size : maximumStackSize + overflowReserveSlots
    }

    /// True while the thread uses the reserve above `maximumStackSize`: an overflow is
    /// being handled.
    public var isHandlingStackOverflow: Bool { Int(pointee.stackSize) > maximumStackSize }

    @inline(never)
    func growStack(to needed: Int, _ g: GlobalRef) -> Bool {
        guard needed <= maximumStackSize else {
            // luajit's lj_state_growstack: the error handler runs in a reserve above the
            // limit; an overflow while handling one fails for good. Opening the reserve
            // moves nothing, as it is allocated with the stack's last growth.
            if Int(pointee.stackSize) == maximumStackSize { pointee.stackSize = UInt32(maximumStackSize + overflowReserveSlots) }
            return false
        }
        let oldSize = Int(pointee.stackSize)
        var newSize = oldSize * 2
        while newSize < needed { newSize *= 2 }
        newSize = min(newSize, maximumStackSize)
        let allocated = newSize < maximumStackSize ? newSize : maximumStackSize + overflowReserveSlots
        let stride = MemoryLayout<Value>.stride
        let oldStack = pointee.stack
        guard let raw = g.reallocate(oldStack, from: oldSize * stride, to: allocated * stride) else { return false }
        let stack = raw.bindMemory(to: Value.self, capacity: allocated)
        (stack + oldSize).initialize(repeating: .nil, count: allocated - oldSize)
        var o = pointee.openUpvalues
        while let object = o {
            let uv = object.cast(to: GCUpvalue.self)
            uv.pointee.v = stack + (uv.pointee.v - oldStack)
            o = object.pointee.next
        }
        pointee.stack = stack
        pointee.stackSize = UInt32(newSize)
        return true
    }

    /// Closes the reserve opened by a stack overflow once an error has unwound to `top`
    /// well below the limit (luajit's lj_state_relimitstack); its slots go back to nil.
    public func relimitStack() {
        guard isHandlingStackOverflow && Int(pointee.top) < maximumStackSize - 1 else { return }
        (pointee.stack + maximumStackSize).update(repeating: .nil, count: overflowReserveSlots)
        pointee.stackSize = UInt32(maximumStackSize)
    }

    /// Sets the thread's environment, with the write barrier.
    public func setEnv(_ env: TableRef, _ g: GlobalRef) {
        pointee.env = env
        g.barrierForward(header(self), header(env))
    }
}
