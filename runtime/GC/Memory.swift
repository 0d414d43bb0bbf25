/// The one allocator every Lua object goes through: it counts bytes, feeds the GC debt and enforces the memory limit.
import Glibc
import CSupport

/// Small blocks (1...512 bytes, in 16-byte size classes) come from 64 KiB pages, each page
/// holding blocks of one class, instead of malloc: a collection frees thousands of
/// same-sized tables, nodes and strings at once, which overflows malloc's per-size caches
/// and makes its slow paths the allocation-heavy programs' hot spot.
///
/// A freed block goes back to its own page (found by address: pages are aligned), and a
/// class allocates from one page at a time: the blocks freed in its current page, then the
/// page's untouched end, then another page that has freed blocks, then a new page. So blocks
/// handed out one after the other lie close together, as they did when first carved: with
/// one free list per class, reuse after a few collections scattered each new object over the
/// whole heap and every walk over new objects (the program's, the collector's marking and
/// sweeping) missed the cache at each step (binary-trees ran twice as long with reuse as
/// without). Memory is touched only as blocks are handed out (a state's start stays cheap);
/// pages go back to the system when the state is destroyed. Callers always release a block
/// with the size they allocated it with, which is what makes the class known without a header.
enum SmallBlocks {
    static let granule = 16
    static let largest = 512
    static let classes = largest / granule
    static let pageBytes = 64 * 1024
    /// Blocks start past the page's header (`SmallPage`) and a page's colour: a cache line
    /// count that differs from page to page and class to class. Pages are aligned, so
    /// without it the first blocks of every page would share the same cache sets, and a
    /// program's few hot objects (one per class) would evict each other (richards' L1 misses
    /// were four times as many).
    @inline(__always) static func firstBlock(_ page: UnsafeMutableRawPointer, sizeClass c: Int) -> Int {
        let colour = (Int(UInt(bitPattern: page) >> 16) &+ c &* 13) & 63
        return 64 + colour * 64
    }
    /// Entries of `GlobalState.smallBlocks`: the list of all pages, each class's list of
    /// blocks to hand out (index = class, 1...classes), each class's current page, and
    /// each class's queue of other pages holding freed blocks.
    static let pageList = 0
    static let currentPage = classes + 1
    static let queue = 2 * classes + 2
    static let entries = 3 * classes + 3

    /// The class of a size in 1...largest.
    @inline(__always) static func sizeClass(_ size: Int) -> Int { (size + granule - 1) / granule }
    @inline(__always) static func isSmall(_ size: Int) -> Bool { size > 0 && size <= largest }
    /// The page holding `block`.
    @inline(__always) static func page(of block: UnsafeMutableRawPointer) -> UnsafeMutablePointer<SmallPage> {
        UnsafeMutablePointer(bitPattern: UInt(bitPattern: block) & ~UInt(pageBytes - 1)).unsafelyUnwrapped
    }
}

/// The header at the start of each small-block page.
struct SmallPage {
    /// Blocks given back since the page last handed out its freed blocks.
    var freed: UnsafeMutableRawPointer?
    /// The next page in its class's queue of pages with freed blocks.
    var nextQueued: UnsafeMutablePointer<SmallPage>?
    /// The next page of the state (all classes).
    var nextPage: UnsafeMutablePointer<SmallPage>?
    /// Where the page's never-used end begins.
    var untouched: UnsafeMutableRawPointer
    var sizeClass: Int
    /// Whether the page is in its class's queue.
    var queued: Bool
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
        let page = SmallBlocks.page(of: block)
        block.storeBytes(of: page.pointee.freed, as: UnsafeMutableRawPointer?.self)
        page.pointee.freed = block
        if !page.pointee.queued {
            let c = page.pointee.sizeClass
            let blocks = pointee.smallBlocks
            if UnsafeMutableRawPointer(page) != blocks[SmallBlocks.currentPage + c] {
                page.pointee.queued = true
                page.pointee.nextQueued = blocks[SmallBlocks.queue + c]?.assumingMemoryBound(to: SmallPage.self)
                blocks[SmallBlocks.queue + c] = UnsafeMutableRawPointer(page)
            }
        }
    }

    /// A block of class `c` when its list of blocks to hand out is empty: the blocks freed
    /// in its current page, or the page's untouched end, or the freed blocks of another page
    /// (which becomes current), or a new page.
    @inline(never)
    private func refill(_ c: Int) -> UnsafeMutableRawPointer? {
        let blockSize = c * SmallBlocks.granule
        let blocks = pointee.smallBlocks
        if let current = blocks[SmallBlocks.currentPage + c]?.assumingMemoryBound(to: SmallPage.self) {
            if let freed = takeFreed(current) { return freed }
            let untouched = current.pointee.untouched
            if untouched + blockSize <= UnsafeMutableRawPointer(current) + SmallBlocks.pageBytes {
                current.pointee.untouched = untouched + blockSize
                return untouched
            }
        }
        if let queued = blocks[SmallBlocks.queue + c]?.assumingMemoryBound(to: SmallPage.self) {
            blocks[SmallBlocks.queue + c] = queued.pointee.nextQueued.map { UnsafeMutableRawPointer($0) }
            queued.pointee.queued = false
            queued.pointee.nextQueued = nil
            blocks[SmallBlocks.currentPage + c] = UnsafeMutableRawPointer(queued)
            return takeFreed(queued)
        }
        guard let raw = aligned_alloc(SmallBlocks.pageBytes, SmallBlocks.pageBytes) else { return nil }
        let page = raw.bindMemory(to: SmallPage.self, capacity: 1)
        page.initialize(to: SmallPage(freed: nil, nextQueued: nil,
                                      nextPage: blocks[SmallBlocks.pageList]?.assumingMemoryBound(to: SmallPage.self),
                                      untouched: raw + SmallBlocks.firstBlock(raw, sizeClass: c) + blockSize,
                                      sizeClass: c, queued: false))
        blocks[SmallBlocks.pageList] = raw
        blocks[SmallBlocks.currentPage + c] = raw
        return raw + SmallBlocks.firstBlock(raw, sizeClass: c)
    }

    /// The first of the blocks freed in `page` (the current page of its class), the rest
    /// becoming the class's blocks to hand out; nil when none were freed.
    @inline(__always)
    private func takeFreed(_ page: UnsafeMutablePointer<SmallPage>) -> UnsafeMutableRawPointer? {
        guard let first = page.pointee.freed else { return nil }
        page.pointee.freed = nil
        let next = first.load(as: UnsafeMutableRawPointer?.self)
        pointee.smallBlocks[page.pointee.sizeClass] = next
        perigee_prefetch_for_write(next)
        return first
    }

    /// Returns every small-block page to the system (the state is being destroyed).
    func releaseSmallBlockChunks() {
        var page = pointee.smallBlocks[SmallBlocks.pageList]?.assumingMemoryBound(to: SmallPage.self)
        while let p = page {
            page = p.pointee.nextPage
            free(p)
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
