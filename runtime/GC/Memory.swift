/// The one allocator every Lua object goes through: it counts bytes, feeds the GC debt and enforces the memory limit.
import Glibc
import CSupport

/// Small blocks (1...512 bytes, in 16-byte size classes) come from per-class free lists,
/// refilled from 64 KiB chunks by bumping a cursor, instead of malloc: a collection frees
/// thousands of same-sized tables, nodes and strings at once, which overflows malloc's
/// per-size caches and makes its slow paths the allocation-heavy programs' hot spot. A freed
/// block goes back on its class's list for the next allocation of that class; chunks go back
/// to the system when the state is destroyed. Memory is touched only as blocks are handed
/// out (a state's start stays cheap). Callers always release a block with the size they
/// allocated it with, which is what makes the class known without a header.
enum SmallBlocks {
    static let granule = 16
    static let largest = 512
    static let classes = largest / granule
    static let chunkBytes = 64 * 1024
    /// Entries of `GlobalState.smallBlocks`: the chunk list, the free list of each class,
    /// then the bump cursor and end in the newest chunk.
    static let chunkList = 0
    static let cursor = classes + 1
    static let end = classes + 2
    static let entries = classes + 3

    /// The class of a size in 1...largest.
    @inline(__always) static func sizeClass(_ size: Int) -> Int { (size + granule - 1) / granule }
    @inline(__always) static func isSmall(_ size: Int) -> Bool { size > 0 && size <= largest }
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// `size` bytes of fresh memory, or nil when the memory limit or the system says no.
    /// Beyond the limit a full collection runs first (without finalizers), so anything the
    /// caller holds must already be reachable from a root.
    @inline(__always) func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        if pointee.memoryLimit != 0 && pointee.totalBytes + size > pointee.memoryLimit {
            return allocateAfterCollecting(size)
        }
        guard let p = takeBlock(size) else { return allocateAfterCollecting(size) }
        pointee.totalBytes += size
        return p
    }

    /// Resizes a block from `oldSize` to `newSize` bytes (> 0); nil leaves the old block untouched.
    func reallocate(_ block: UnsafeMutableRawPointer?, from oldSize: Int, to newSize: Int) -> UnsafeMutableRawPointer? {
        let growth = newSize - oldSize
        if growth > 0 && pointee.memoryLimit != 0 && pointee.totalBytes + growth > pointee.memoryLimit {
            collectForMemory()
            if pointee.totalBytes + growth > pointee.memoryLimit { return nil }
        }
        guard let block else {
            guard let p = takeBlock(newSize) ?? { collectForMemory(); return takeBlock(newSize) }() else { return nil }
            pointee.totalBytes += newSize
            return p
        }
        let result: UnsafeMutableRawPointer
        if !SmallBlocks.isSmall(oldSize) && !SmallBlocks.isSmall(newSize) {
            guard let p = realloc(block, newSize) ?? (growth > 0 ? { collectForMemory(); return realloc(block, newSize) }() : nil)
            else { return nil }
            result = p
        } else if SmallBlocks.isSmall(oldSize) && SmallBlocks.isSmall(newSize)
                    && SmallBlocks.sizeClass(oldSize) == SmallBlocks.sizeClass(newSize) {
            result = block
        } else {
            guard let p = takeBlock(newSize) ?? { collectForMemory(); return takeBlock(newSize) }() else { return nil }
            p.copyMemory(from: block, byteCount: min(oldSize, newSize))
            giveBack(block, size: oldSize)
            result = p
        }
        pointee.totalBytes += growth
        return result
    }

    @inline(__always) func release(_ block: UnsafeMutableRawPointer?, size: Int) {
        guard let block else { return }
        giveBack(block, size: size)
        pointee.totalBytes -= size
    }

    /// A block of `size` bytes from its pool or malloc, without accounting.
    @inline(__always) private func takeBlock(_ size: Int) -> UnsafeMutableRawPointer? {
        guard SmallBlocks.isSmall(size) else { return malloc(size) }
        let c = SmallBlocks.sizeClass(size)
        guard let p = pointee.smallBlocks[c] else { return refill(c) }
        let next = p.load(as: UnsafeMutableRawPointer?.self)
        pointee.smallBlocks[c] = next
        // The next block of this class is handed out soon, and written: its line has
        // usually left the cache since the sweep freed it.
        perigee_prefetch_for_write(next)
        return p
    }

    @inline(__always) private func giveBack(_ block: UnsafeMutableRawPointer, size: Int) {
        guard SmallBlocks.isSmall(size) else { free(block); return }
        let c = SmallBlocks.sizeClass(size)
        block.storeBytes(of: pointee.smallBlocks[c], as: UnsafeMutableRawPointer?.self)
        pointee.smallBlocks[c] = block
    }

    /// A block of class `c` when its free list is empty: from the newest chunk's unused
    /// end, or from a new chunk (the old chunk's rest then serves as blocks of smaller classes).
    @inline(never)
    private func refill(_ c: Int) -> UnsafeMutableRawPointer? {
        let blockSize = c * SmallBlocks.granule
        let blocks = pointee.smallBlocks
        if let cursor = blocks[SmallBlocks.cursor], let end = blocks[SmallBlocks.end], end - cursor >= blockSize {
            blocks[SmallBlocks.cursor] = cursor + blockSize
            return cursor
        }
        if let cursor = blocks[SmallBlocks.cursor], let end = blocks[SmallBlocks.end], end - cursor >= SmallBlocks.granule {
            // The rest of the old chunk becomes a free block of the class that fits it.
            let rest = SmallBlocks.sizeClass(end - cursor + 1) - 1
            cursor.storeBytes(of: blocks[rest], as: UnsafeMutableRawPointer?.self)
            blocks[rest] = cursor
        }
        guard let chunk = malloc(SmallBlocks.chunkBytes) else { return nil }
        chunk.storeBytes(of: blocks[SmallBlocks.chunkList], as: UnsafeMutableRawPointer?.self)
        blocks[SmallBlocks.chunkList] = chunk
        let first = chunk + SmallBlocks.granule
        blocks[SmallBlocks.cursor] = first + blockSize
        blocks[SmallBlocks.end] = chunk + SmallBlocks.chunkBytes
        return first
    }

    /// Returns every small-block chunk to the system (the state is being destroyed).
    func releaseSmallBlockChunks() {
        var chunk = pointee.smallBlocks[SmallBlocks.chunkList]
        while let c = chunk {
            chunk = c.load(as: UnsafeMutableRawPointer?.self)
            free(c)
        }
        free(pointee.smallBlocks)
    }

    /// The slow path of `allocate`: collect, then try once more within the limit.
    @inline(never)
    private func allocateAfterCollecting(_ size: Int) -> UnsafeMutableRawPointer? {
        collectForMemory()
        if pointee.memoryLimit != 0 && pointee.totalBytes + size > pointee.memoryLimit { return nil }
        guard let p = takeBlock(size) else { return nil }
        pointee.totalBytes += size
        return p
    }

    /// Whether `size` more bytes fit under the memory limit (always, without one), after a
    /// full collection if need be: for code about to build that many bytes outside the
    /// allocator (a long string's bytes before they are interned), so that the limit holds
    /// on the way too. Like `allocate`, it may collect: what the caller holds must be reachable.
    func hasRoom(for size: Int) -> Bool {
        if pointee.memoryLimit == 0 || pointee.totalBytes + size <= pointee.memoryLimit { return true }
        collectForMemory()
        return pointee.totalBytes + size <= pointee.memoryLimit
    }

    /// `body`'s result, with allocations that never collect (past the memory limit they
    /// fail at once): for code whose values are not all reachable from a root, such as a
    /// trace's, which are in its registers.
    func withoutCollecting<T>(_ body: () -> T) -> T {
        let collecting = pointee.collecting
        pointee.collecting = true
        defer { pointee.collecting = collecting }
        return body()
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

    /// A new table's block of `size` bytes with its header set, linked into one of the table
    /// lists (alternately).
    @inline(__always) func newTableObject(size: Int) -> ObjectRef? {
        guard let raw = allocate(size) else { return nil }
        let o = raw.bindMemory(to: GCHeader.self, capacity: 1)
        let odd = pointee.nextTableOdd
        pointee.nextTableOdd = !odd
        if odd {
            o.pointee = GCHeader(next: pointee.tablesOdd, marked: pointee.currentWhite, gct: GCObjectType.table)
            pointee.tablesOdd = o
        } else {
            o.pointee = GCHeader(next: pointee.tablesEven, marked: pointee.currentWhite, gct: GCObjectType.table)
            pointee.tablesEven = o
        }
        return o
    }
}
