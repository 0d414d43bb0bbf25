/// The one allocator every Lua object goes through: it counts bytes, feeds the GC debt and enforces the memory limit.
import Glibc

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// `size` bytes of fresh memory, or nil when the memory limit or the system says no.
    /// Beyond the limit a full collection runs first (without finalizers), so anything the
    /// caller holds must already be reachable from a root.
    @inline(__always) func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        if pointee.memoryLimit != 0 && pointee.totalBytes + size > pointee.memoryLimit {
            return allocateAfterCollecting(size)
        }
        guard let p = malloc(size) else { return allocateAfterCollecting(size) }
        pointee.totalBytes += size
        return p
    }

    /// Resizes a block from `oldSize` to `newSize` bytes; nil leaves the old block untouched.
    func reallocate(_ block: UnsafeMutableRawPointer?, from oldSize: Int, to newSize: Int) -> UnsafeMutableRawPointer? {
        let growth = newSize - oldSize
        if growth > 0 && pointee.memoryLimit != 0 && pointee.totalBytes + growth > pointee.memoryLimit {
            collectForMemory()
            if pointee.totalBytes + growth > pointee.memoryLimit { return nil }
        }
        var p = realloc(block, newSize)
        if p == nil && growth > 0 {
            collectForMemory()
            p = realloc(block, newSize)
        }
        guard let result = p else { return nil }
        pointee.totalBytes += growth
        return result
    }

    @inline(__always) func release(_ block: UnsafeMutableRawPointer?, size: Int) {
        free(block)
        pointee.totalBytes -= size
    }

    /// The slow path of `allocate`: collect, then try once more within the limit.
    @inline(never)
    private func allocateAfterCollecting(_ size: Int) -> UnsafeMutableRawPointer? {
        collectForMemory()
        if pointee.memoryLimit != 0 && pointee.totalBytes + size > pointee.memoryLimit { return nil }
        guard let p = malloc(size) else { return nil }
        pointee.totalBytes += size
        return p
    }

    /// An emergency full collection; skipped when the collector itself is allocating.
    private func collectForMemory() {
        if pointee.collecting { return }
        fullCollect(runFinalizers: false)
    }

    /// A new object of `size` bytes with its header set and linked into the all-objects list.
    @inline(__always) func newObject(size: Int, type: UInt8) -> ObjectRef? {
        guard let raw = allocate(size) else { return nil }
        let o = raw.bindMemory(to: GCHeader.self, capacity: 1)
        o.pointee = GCHeader(next: pointee.allObjects, marked: pointee.currentWhite, gct: type)
        pointee.allObjects = o
        return o
    }
}
