/// The global state of one Lua universe: GC state, memory accounting, the string table and the roots.
///
/// `GlobalState` lives in malloc'd memory (`GlobalRef`) so generated code can reach its fields
/// by offset; `RuntimeLayout` lists the offsets compiled code reads. Everything reachable
/// from the roots here (main thread, current thread, registry, per-type metatables) is live;
/// the interpreter adds its own roots by storing them in the registry or on a thread's stack.
///
/// Rules for code using the object model (the interpreter, builtins, compiled code):
/// - Safepoints: a GC step runs only when someone calls `step()`/`checkGC()` (due when
///   `totalBytes >= threshold`): after TNEW, TDUP, FNEW, CAT and after every builtin returns. Then every live value must be reachable from a root: a
///   thread's stack below `top`, the registry, the type metatables, or through those.
///   A safepoint raises the error of a finalizer the step ran (`checkGC()` answers false).
/// - Allocation can collect: past `memoryLimit` an allocation first runs a full collection
///   (without finalizers), so anchor new objects on the stack before allocating again, as
///   Lua does. Failure is a return value (nil or `TableStatus.outOfMemory`), never a trap.
/// - Barriers: `GCTable.set` runs the backward barrier; `UpvalueRef.set`, builtin upvalue,
///   metatable and environment setters run the forward one. Stack stores need none
///   (threads are traversed again in the atomic phase). A direct field store must call
///   `barrierBack(table)` or `barrierForward(object, value)` itself.
/// - Dead table keys may name freed objects: compare keys by bits, never follow them.
import Glibc

public struct GlobalState {
    // Memory accounting and GC pacing: a GC step is due when `totalBytes >= threshold`.
    public var totalBytes: Int
    public var threshold: Int
    /// 0 means no limit; otherwise an allocation that would pass it first runs a full
    /// collection, then fails (the caller reports "not enough memory").
    public var memoryLimit: Int
    /// Bytes of work the collector is behind (Lua 5.1's `gcdept`).
    var stepDebt: Int
    /// Live bytes estimated at the end of the last atomic phase.
    var estimate: Int
    public var pause: Int
    public var stepMultiplier: Int
    public var currentWhite: UInt8
    public var phase: GCPhase
    /// Set while the collector itself runs, so no allocation inside it starts another collection.
    var collecting: Bool
    /// Set by `collectgarbage("stop")`.
    public var stopped: Bool
    /// Set when a finalizer raised an error: the collector stops where it is, and the
    /// safepoint that ran it raises the error (`checkGC`).
    var finalizerFailed: Bool

    // Object lists.
    var allObjects: ObjectRef?
    /// The link the sweep continues from (a pointer to some object's `next` field).
    var sweepCursor: UnsafeMutablePointer<ObjectRef?>?
    var sweepStringBucket: Int
    var gray: ObjectRef?
    var grayAgain: ObjectRef?
    var weakTables: ObjectRef?
    /// Unreached userdata with `__gc`, resurrected and waiting for their finalizer (FIFO).
    var finalizeHead: ObjectRef?
    var finalizeTail: ObjectRef?
    /// Every open upvalue of every thread (doubly linked through `openPrev`/`openNext`),
    /// so the atomic phase can re-mark their values.
    var openUpvalues: UpvalueRef?

    // String table: chains through `GCHeader.next`, power-of-two bucket count.
    var stringBuckets: UnsafeMutablePointer<ObjectRef?>
    var stringMask: Int
    var stringCount: Int
    public var hashSeed: UInt32

    // Roots.
    public var mainThread: ThreadRef
    /// The coroutine now running; the interpreter keeps it current.
    public var currentThread: ThreadRef
    public var registry: TableRef
    /// Metatables of non-table types, indexed by value tag; slot `numberMetatableSlot` holds
    /// the one for numbers (the string metatable is at `ValueTag.string`).
    public var typeMetatables: UnsafeMutablePointer<TableRef?>
    /// Interned, fixed metamethod names indexed by `Metamethod.rawValue`.
    public var metamethodNames: UnsafeMutablePointer<StringRef>
    /// The shared empty hash part of every table without one; never written.
    public var emptyNode: UnsafeMutablePointer<TableNode>

    // Hooks the interpreter installs.
    /// Called once per unreached userdata with `__gc` (and cdata with a finalizer), during a
    /// GC step's finalize phase.
    public var finalizerHook: FinalizerHook?
    /// Called when a prototype holding debug information is freed.
    public var debugInfoRelease: DebugInfoRelease?
    /// The small-block pools (see `SmallBlocks`): the chunks, each class's free blocks, the
    /// bump cursor.
    var smallBlocks: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    // Finalizers of cdata (`ffi.gc`, metatype `__gc`; see runtime/FFI/CDataFinalizers.swift).
    /// The weak-keyed table of finalizers by cdata, once the FFI made it.
    var cdataFinalizers: TableRef? = nil
    /// Unreached cdata and their finalizers, in pairs, waiting to run (roots until then).
    var pendingFinalizers: UnsafeMutablePointer<Value>? = nil
    var pendingFinalizerCount = 0
    var pendingFinalizerCapacity = 0
    /// The C types' core facts and member cache the FFI's hot paths read (CDataAccess.swift).
    var cdataAccess: UnsafeMutablePointer<CDataAccess>? = nil

    // Tables live on two lists of their own, new tables alternating between them, so that
    // the sweep follows three lists at once (see `sweepObjectsAndTables`): each object it
    // reaches is a cache miss, and three independent chains keep three misses in flight.
    var tablesEven: ObjectRef? = nil
    var tablesOdd: ObjectRef? = nil
    /// Which list the next table joins.
    var nextTableOdd = false
    /// The sweep's links in the table lists, as `sweepCursor` in `allObjects`.
    var sweepCursorEven: UnsafeMutablePointer<ObjectRef?>? = nil
    var sweepCursorOdd: UnsafeMutablePointer<ObjectRef?>? = nil

    /// Prototypes the JIT keeps alive (roots): those it recorded traces in, whose bytecode
    /// its anchors point into until the traces are flushed, as LuaJIT's traces keep their
    /// starting prototype.
    var keptPrototypes: Set<ProtoRef> = []
}

public typealias GlobalRef = UnsafeMutablePointer<GlobalState>
/// Runs a finalizer (`__gc` of a userdata, or a cdata's): arguments are the `GlobalRef`, the
/// object and the handler's `Value.bits`; errors are the hook's business.
/// Runs a finalizer: (global state, the object, the handler's bits); false when it raised
/// an error (the interpreter's pending error).
public typealias FinalizerHook = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UInt64) -> Bool
public typealias DebugInfoRelease = @convention(c) (UnsafeMutableRawPointer) -> Void

/// Collector phases in Lua 5.1's order.
public enum GCPhase: UInt8 {
    case pause, propagate, atomic, sweepString, sweep, finalize
}

/// Index of the number metatable in `GlobalState.typeMetatables` (the tag numbers lack).
public let numberMetatableSlot = 13
let typeMetatableCount = 14

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// A new Lua universe with its main thread, registry and metamethod names, or nil when
    /// memory runs out. `hashSeed` nil picks a seed from the clock and an address.
    public static func create(hashSeed: UInt32? = nil) -> GlobalRef? {
        guard let raw = malloc(MemoryLayout<GlobalState>.stride) else { return nil }
        let g = raw.bindMemory(to: GlobalState.self, capacity: 1)
        // 128 buckets: bucket arrays stay above the small-block sizes, so they are always
        // malloc'ed, whoever frees them.
        let bucketBytes = 128 * MemoryLayout<ObjectRef?>.stride
        guard let bucketMemory = malloc(bucketBytes) else { free(raw); return nil }
        guard let pools = calloc(SmallBlocks.entries, MemoryLayout<UnsafeMutableRawPointer?>.stride) else {
            free(bucketMemory); free(raw); return nil
        }
        let buckets = bucketMemory.bindMemory(to: ObjectRef?.self, capacity: 128)
        buckets.initialize(repeating: nil, count: 128)
        let empty = UnsafeMutablePointer<TableNode>.allocate(capacity: 1)
        empty.initialize(to: TableNode(value: .nil, key: .nil, next: nil))
        let metatables = UnsafeMutablePointer<TableRef?>.allocate(capacity: typeMetatableCount)
        metatables.initialize(repeating: nil, count: typeMetatableCount)
        let names = UnsafeMutablePointer<StringRef>.allocate(capacity: Metamethod.count)
        // Stand-ins until the main thread and registry exist; no collection runs before then.
        let placeholder = UnsafeMutableRawPointer(raw).assumingMemoryBound(to: GCThread.self)
        g.initialize(to: GlobalState(
            totalBytes: bucketBytes, threshold: Int.max, memoryLimit: 0, stepDebt: 0, estimate: 0,
            pause: 200, stepMultiplier: 200, currentWhite: GCMark.white0, phase: .pause,
            collecting: false, stopped: false, finalizerFailed: false,
            allObjects: nil, sweepCursor: nil, sweepStringBucket: 0, gray: nil, grayAgain: nil,
            weakTables: nil, finalizeHead: nil, finalizeTail: nil, openUpvalues: nil,
            stringBuckets: buckets, stringMask: 127, stringCount: 0,
            hashSeed: hashSeed ?? GlobalState.freshSeed(raw),
            mainThread: placeholder, currentThread: placeholder,
            registry: UnsafeMutableRawPointer(raw).assumingMemoryBound(to: GCTable.self),
            typeMetatables: metatables, metamethodNames: names, emptyNode: empty,
            finalizerHook: nil, debugInfoRelease: nil,
            smallBlocks: pools.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: SmallBlocks.entries)))
        // The main thread is the first object, so it stays last in the all-objects list and
        // userdata are kept right behind it (see `newUserdata`).
        guard let thread = g.newThread(), let registry = g.newTable() else { g.destroy(); return nil }
        thread.pointee.top = UInt32(mainThreadReservedSlots)
        g.pointee.mainThread = thread
        g.pointee.currentThread = thread
        g.pointee.registry = registry
        for mm in 0..<Metamethod.count {
            guard let name = g.intern(Metamethod(rawValue: UInt8(mm))!.name) else { g.destroy(); return nil }
            name.pointee.marked |= GCMark.fixed
            names[mm] = name
        }
        g.pointee.estimate = g.pointee.totalBytes
        g.setThreshold()
        return g
    }

    /// Frees every object, then the state itself. Finalizers do not run.
    public func destroy() {
        var o = pointee.allObjects
        while let object = o {
            if object.pointee.gct == GCObjectType.thread {
                let t = object.cast(to: GCThread.self)
                var uv = t.pointee.openUpvalues
                while let u = uv { uv = u.pointee.next; release(u, size: MemoryLayout<GCUpvalue>.stride) }
                t.pointee.openUpvalues = nil
            }
            o = object.pointee.next
        }
        o = pointee.allObjects
        while let object = o { o = object.pointee.next; freeObject(object) }
        for tables in [pointee.tablesEven, pointee.tablesOdd] {
            o = tables
            while let object = o { o = object.pointee.next; freeObject(object) }
        }
        var list = pointee.finalizeHead
        while let object = list { list = object.pointee.next; freeObject(object) }
        for bucket in 0...pointee.stringMask {
            var s = pointee.stringBuckets[bucket]
            while let string = s { s = string.pointee.next; freeObject(string) }
        }
        free(pointee.stringBuckets)
        free(pointee.pendingFinalizers)
        pointee.keptPrototypes = []
        releaseSmallBlockChunks()
        pointee.emptyNode.deallocate()
        pointee.typeMetatables.deallocate()
        pointee.metamethodNames.deallocate()
        free(self)
    }

    /// Keeps `p` alive until `releaseKeptPrototypes` (see `GlobalState.keptPrototypes`).
    public func keepPrototype(_ p: ProtoRef) {
        pointee.keptPrototypes.insert(p)
    }

    public func releaseKeptPrototypes() {
        pointee.keptPrototypes.removeAll()
    }

    /// The metatable of any value: its own for tables and userdata, else the type's.
    @inline(__always) public func metatable(of value: Value) -> TableRef? {
        if value.isTable { return value.table.pointee.metatable }
        if value.isUserdata { return value.userdata.pointee.metatable }
        if value.isNumber { return pointee.typeMetatables[numberMetatableSlot] }
        return pointee.typeMetatables[Int(value.tag.rawValue)]
    }
}

extension GlobalState {
    /// A seed that differs between runs: clock nanoseconds mixed with an address.
    static func freshSeed(_ address: UnsafeMutableRawPointer) -> UInt32 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let mixed = UInt64(UInt(bitPattern: address)) ^ UInt64(bitPattern: Int64(now.tv_nsec)) ^ UInt64(bitPattern: Int64(now.tv_sec) << 20)
        return hashBits(mixed) | 1
    }
}
