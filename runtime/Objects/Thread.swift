/// Threads (coroutines): a growable Lua value stack, its open upvalues, status and environment.
///
/// Layout of `GCThread` (size 64):
///
///     0  next  8 marked  9 gct (= 6)
///     10 status       UInt8   `ThreadStatus`
///     16 gclist
///     24 stack        UnsafeMutablePointer<Value>   `stackSize` slots, nil above `top`
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
/// The most slots one thread may have ("stack overflow" beyond): luajit's LJ_STACK_MAX, so
/// recursion ends at the depth luajit's does, and a runaway program (varargs growing by one
/// per call, results piling up through nested pcalls) stops before its copying, quadratic
/// in the depth, takes minutes.
public let maximumStackSize = 65500

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
        release(t.pointee.stack, size: Int(t.pointee.stackSize) * MemoryLayout<Value>.stride)
        release(t, size: MemoryLayout<GCThread>.stride)
    }
}

extension UnsafeMutablePointer where Pointee == GCThread {
    /// Makes room for `slots` slots above `top`; false when memory runs out or the stack
    /// would pass `maximumStackSize`. The stack may move: pointers into it are stale after a
    /// `true`, open upvalues are rebased here.
    @inline(__always)
    public func ensureStack(_ slots: Int, _ g: GlobalRef) -> Bool {
        if Int(pointee.top) + slots <= Int(pointee.stackSize) { return true }
        return growStack(to: Int(pointee.top) + slots, g)
    }

    @inline(never)
    func growStack(to needed: Int, _ g: GlobalRef) -> Bool {
        guard needed <= maximumStackSize else { return false }
        let oldSize = Int(pointee.stackSize)
        var newSize = oldSize * 2
        while newSize < needed { newSize *= 2 }
        newSize = min(newSize, maximumStackSize)
        let stride = MemoryLayout<Value>.stride
        let oldStack = pointee.stack
        guard let raw = g.reallocate(oldStack, from: oldSize * stride, to: newSize * stride) else { return false }
        let stack = raw.bindMemory(to: Value.self, capacity: newSize)
        (stack + oldSize).initialize(repeating: .nil, count: newSize - oldSize)
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

    /// Sets the thread's environment, with the write barrier.
    public func setEnv(_ env: TableRef, _ g: GlobalRef) {
        pointee.env = env
        g.barrierForward(header(self), header(env))
    }
}
