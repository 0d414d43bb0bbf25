/// The collector's mark side: roots, graying, traversal of each object type, the atomic phase and weak-table clearing.
import CSupport

/// How many entries ahead of the one being marked a table traversal starts loading the
/// header of the object an entry refers to: marking reads and writes every child's header,
/// and children lie anywhere in memory, so loading several at once hides most of the wait.
let markPrefetchDistance = 4

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// Starts a cycle: grays the roots.
    func markRoots() {
        pointee.gray = nil
        pointee.grayAgain = nil
        pointee.weakTables = nil
        markObject(pointee.mainThread)
        markObject(pointee.currentThread)
        markObject(pointee.registry)
        markTypeMetatables()
        markPendingFinalizers()
        markKeptPrototypes()
        pointee.phase = .propagate
    }

    /// The JIT's prototypes; marked again in the atomic phase, since the JIT adds them
    /// without a barrier.
    private func markKeptPrototypes() {
        for p in pointee.keptPrototypes { markObject(p) }
    }

    private func markTypeMetatables() {
        for i in 0..<typeMetatableCount {
            markObject(pointee.typeMetatables[i])
        }
    }

    @inline(__always) func markValue(_ v: Value) {
        if v.isCollectable && v.object.isWhite { mark(v.object) }
    }

    /// Starts loading the header of the object `v` refers to, if any (it is about to be marked).
    @inline(__always) func prefetchHeader(_ v: Value) {
        if v.isCollectable { perigee_prefetch_for_write(v.rawPointer) }
    }

    @inline(__always) func markObject<T>(_ p: UnsafeMutablePointer<T>?) {
        if let p = p, header(p).isWhite { mark(header(p)) }
    }

    /// Grays a white object (never call it on one that is not white: a gray object is
    /// already on a list its `gclist` links): leaves (strings, userdata, closed upvalues) go straight to
    /// black, objects with children join the gray list.
    func mark(_ o: ObjectRef) {
        o.pointee.marked &= ~GCMark.whites
        switch o.pointee.gct {
        case GCObjectType.string, GCObjectType.cdata:
            o.pointee.marked |= GCMark.black
        case GCObjectType.userdata:
            let u = o.cast(to: GCUserdata.self)
            o.pointee.marked |= GCMark.black
            markObject(u.pointee.metatable)
            markObject(u.pointee.env)
        case GCObjectType.upvalue:
            let uv = o.cast(to: GCUpvalue.self)
            markValue(uv.pointee.v.pointee)
            // An open upvalue stays gray: its slot changes without barriers (see `atomic`).
            if uv.pointee.closed != 0 { o.pointee.marked |= GCMark.black }
        default:
            o.gclist = pointee.gray
            pointee.gray = o
        }
    }

    /// Blackens the first gray object and grays its children; returns the bytes traversed.
    func propagateMark() -> Int {
        let o = pointee.gray.unsafelyUnwrapped
        o.pointee.marked |= GCMark.black
        pointee.gray = o.gclist
        switch o.pointee.gct {
        case GCObjectType.table:
            let t = o.cast(to: GCTable.self)
            if traverseTable(t) { o.pointee.marked &= ~GCMark.black }
            return MemoryLayout<GCTable>.stride + Int(t.pointee.arrayLimit) * 8 + t.nodeCount * MemoryLayout<TableNode>.stride
        case GCObjectType.function:
            let f = o.cast(to: GCFunction.self)
            traverseFunction(f)
            return f.allocationSize
        case GCObjectType.thread:
            // Stacks change without barriers: the thread stays gray and is traversed again
            // in the atomic phase.
            let t = o.cast(to: GCThread.self)
            o.gclist = pointee.grayAgain
            pointee.grayAgain = o
            o.pointee.marked &= ~GCMark.black
            traverseThread(t)
            return MemoryLayout<GCThread>.stride + t.stackCapacity * 8
        default:
            let p = o.cast(to: GCProto.self)
            traverseProto(p)
            return Int(p.pointee.allocationSize)
        }
    }

    /// Marks what a table holds; a weak table joins `weakTables` and returns true (it stays
    /// gray, so stores into it need no barrier, and it is cleared in the atomic phase).
    private func traverseTable(_ t: TableRef) -> Bool {
        markObject(t.pointee.metatable)
        var weakKeys = false
        var weakValues = false
        let mode = metamethod(.mode, in: t.pointee.metatable)
        if mode.isString {
            let s = mode.string
            for i in 0..<s.count {
                if s.bytes[i] == UInt8(ascii: "k") { weakKeys = true }
                if s.bytes[i] == UInt8(ascii: "v") { weakValues = true }
            }
            if weakKeys || weakValues {
                t.pointee.marked &= ~GCMark.weak
                t.pointee.marked |= (weakKeys ? GCMark.weakKey : 0) | (weakValues ? GCMark.weakValue : 0)
                t.pointee.gclist = pointee.weakTables
                pointee.weakTables = header(t)
            }
        }
        if weakKeys && weakValues { return true }
        if !weakValues, let array = t.pointee.array.map({ $0 - 1 }) {
            // From key 0's slot.
            // One test per slot that holds no object (arrays of numbers are common and can be
            // large); a run of objects prefetches headers ahead of marking them.
            let n = Int(t.pointee.arrayLimit)
            for i in 0..<min(n, markPrefetchDistance) { prefetchHeader(array[i]) }
            for i in 0..<n where array[i].isCollectable {
                if i + markPrefetchDistance < n { prefetchHeader(array[i + markPrefetchDistance]) }
                markValue(array[i])
            }
        }
        let node = t.pointee.node
        let count = t.nodeCount
        // A dead key (nil value) may name a freed object: never follow it.
        @inline(__always) func prefetchNode(_ n: UnsafeMutablePointer<TableNode>) {
            if n.pointee.value.isNil { return }
            if !weakKeys { prefetchHeader(n.pointee.key) }
            if !weakValues { prefetchHeader(n.pointee.value) }
        }
        for i in 0..<min(count, markPrefetchDistance) { prefetchNode(node + i) }
        for i in 0..<count {
            if i + markPrefetchDistance < count { prefetchNode(node + i + markPrefetchDistance) }
            let n = node + i
            if n.pointee.value.isNil { continue }
            if !weakKeys { markValue(n.pointee.key) }
            if !weakValues { markValue(n.pointee.value) }
        }
        return weakKeys || weakValues
    }

    private func traverseFunction(_ f: FunctionRef) {
        markObject(f.pointee.env)
        let n = Int(f.pointee.upvalueCount)
        if f.isLua {
            markObject(f.proto)
            let upvalues = f.upvalueObjects
            for i in 0..<n { markObject(upvalues[i]) }
        } else {
            let upvalues = f.upvalueValues
            for i in 0..<n { markValue(upvalues[i]) }
        }
    }

    /// Marks the stack below `top` and clears the slots above it (dead values there must
    /// not survive, and must not be seen as live by a later traversal).
    private func traverseThread(_ t: ThreadRef) {
        markObject(t.pointee.env)
        let stack = t.pointee.stack
        let top = Int(t.pointee.top)
        for i in 0..<top { markValue(stack[i]) }
        let size = Int(t.pointee.stackSize)
        if top < size { (stack + top).update(repeating: .nil, count: size - top) }
    }

    private func traverseProto(_ p: ProtoRef) {
        markObject(p.pointee.chunkName)
        let constants = p.pointee.constants
        for i in 0..<Int(p.pointee.constantCount) { markValue(constants[i]) }
    }

    @discardableResult
    func propagateAll() -> Int {
        var work = 0
        while pointee.gray != nil { work += propagateMark() }
        return work
    }

    /// The indivisible end of marking: re-marks what changed without barriers, separates
    /// finalizable userdata, clears weak tables and flips the white.
    func atomic() {
        pointee.phase = .atomic
        var uv = pointee.openUpvalues
        while let u = uv {
            if header(u).isGray { markValue(u.pointee.v.pointee) }
            uv = u.pointee.openNext
        }
        propagateAll()
        pointee.gray = pointee.weakTables
        pointee.weakTables = nil
        markObject(pointee.currentThread)
        markTypeMetatables()
        propagateAll()
        pointee.gray = pointee.grayAgain
        pointee.grayAgain = nil
        propagateAll()
        var finalizableBytes = separateFinalizable()
        separateFinalizableCData()
        markBeingFinalized()
        markPendingFinalizers()
        markKeptPrototypes()
        finalizableBytes += propagateAll()
        clearWeakTables()
        pointee.currentWhite ^= GCMark.whites
        pointee.sweepStringBucket = 0
        startSweep()
        pointee.phase = .sweepString
        pointee.estimate = pointee.totalBytes - finalizableBytes
    }

    /// Whether a weak entry goes: its object was not reached (strings count as values and
    /// always stay; finalized userdata leave weak values though resurrected).
    @inline(__always)
    private func isCleared(_ v: Value, isKey: Bool) -> Bool {
        guard v.isCollectable else { return false }
        let o = v.object
        if v.isString {
            if o.isWhite { o.pointee.marked = (o.pointee.marked & ~GCMark.whites) | GCMark.black }
            return false
        }
        if o.isWhite { return true }
        return !isKey && v.isUserdata && o.pointee.marked & GCMark.finalized != 0
    }

    private func clearWeakTables() {
        var list = pointee.weakTables
        while let o = list {
            let t = o.cast(to: GCTable.self)
            if o.pointee.marked & GCMark.weakValue != 0, let array = t.pointee.array.map({ $0 - 1 }) {
                var cleared = false
                for i in 0..<Int(t.pointee.arrayLimit) where isCleared(array[i], isKey: false) {
                    array[i] = .nil
                    cleared = true
                }
                if cleared { t.recomputeBorder() }
            }
            let node = t.pointee.node
            for i in 0..<t.nodeCount {
                let n = node + i
                if n.pointee.value.isNil { continue }
                if isCleared(n.pointee.key, isKey: true) || isCleared(n.pointee.value, isKey: false) {
                    n.pointee.value = .nil  // the key stays, dead, until a resize
                }
            }
            list = t.pointee.gclist
        }
    }
}
