/// The small-block allocator: blocks come from pages of one size class, freed blocks go back
/// to their page, and a class hands out one page's blocks at a time.
@testable import PerigeeRuntime
import XCTest

final class SmallBlockTests: XCTestCase {
    var g: GlobalRef!
    override func setUp() { g = makeState() }
    override func tearDown() { g.destroy() }

    private func page(_ block: UnsafeMutableRawPointer) -> UInt {
        UInt(bitPattern: block) & ~UInt(SmallBlocks.pageBytes - 1)
    }

    func testBlocksOfOneClassShareAPageAndDoNotOverlap() {
        let size = 48
        let blocks = (0..<200).map { _ in g.allocate(size)! }
        let addresses = blocks.map { UInt(bitPattern: $0) }.sorted()
        for (a, b) in zip(addresses, addresses.dropFirst()) { XCTAssertGreaterThanOrEqual(b - a, UInt(size)) }
        for b in blocks {
            XCTAssertEqual(UInt(bitPattern: b) % UInt(SmallBlocks.granule), 0)
            XCTAssertEqual(SmallBlocks.page(of: b).pointee.sizeClass, SmallBlocks.sizeClass(size))
            // Inside its page, past the header.
            XCTAssertGreaterThanOrEqual(UInt(bitPattern: b) - page(b), 64)
            XCTAssertLessThanOrEqual(UInt(bitPattern: b) - page(b) + UInt(size), UInt(SmallBlocks.pageBytes))
        }
        // 200 blocks of 48 bytes fit one 64 KiB page.
        XCTAssertEqual(Set(blocks.map(page)).count, 1)
        for b in blocks { g.release(b, size: size) }
    }

    func testClassesUseTheirOwnPages() {
        let small = g.allocate(32)!, large = g.allocate(256)!
        XCTAssertNotEqual(page(small), page(large))
        g.release(small, size: 32)
        g.release(large, size: 256)
    }

    /// After blocks of two pages are freed in an interleaved order, a run of allocations
    /// takes the blocks of one page before those of the other: objects made together stay
    /// together.
    func testReuseTakesOnePageAtATime() {
        let size = 512
        func isFull(_ b: UnsafeMutableRawPointer) -> Bool {
            let p = SmallBlocks.page(of: b)
            return p.pointee.untouched + size > UnsafeMutableRawPointer(p) + SmallBlocks.pageBytes
        }
        // Two pages, the second (the class's current page) used up.
        var blocks: [UnsafeMutableRawPointer] = []
        repeat { blocks.append(g.allocate(size)!) } while Set(blocks.map(page)).count < 2 || !isFull(blocks.last!)
        XCTAssertEqual(Set(blocks.map(page)).count, 2)
        let first = blocks.filter { page($0) == page(blocks[0]) }
        let second = blocks.filter { page($0) != page(blocks[0]) }
        // Free every other block of the two pages, alternating between them.
        let freed = zip(first, second).enumerated().filter { $0.offset % 2 == 0 }.flatMap { [$0.element.0, $0.element.1] }
        for b in freed { g.release(b, size: size) }
        let again = (0..<freed.count).map { _ in g.allocate(size)! }
        XCTAssertEqual(Set(again.map { UInt(bitPattern: $0) }), Set(freed.map { UInt(bitPattern: $0) }),
                       "the freed blocks are handed out again before new memory")
        // The current page's freed blocks, then the other page's: the page changes once.
        XCTAssertEqual(zip(again, again.dropFirst()).filter { page($0.0) != page($0.1) }.count, 1)
        XCTAssertEqual(page(again[0]), page(blocks.last!))
        let kept = Set(freed.map { UInt(bitPattern: $0) })
        for b in blocks where !kept.contains(UInt(bitPattern: b)) { g.release(b, size: size) }
        for b in again { g.release(b, size: size) }
    }

    func testAccountingAndMemoryLimitAreKept() {
        let before = g.pointee.totalBytes
        let blocks = (0..<1000).map { _ in g.allocate(80)! }
        XCTAssertEqual(g.pointee.totalBytes, before + 80 * 1000)
        for b in blocks { g.release(b, size: 80) }
        XCTAssertEqual(g.pointee.totalBytes, before)
        g.pointee.memoryLimit = g.pointee.totalBytes + 1000
        XCTAssertNotNil(g.allocate(512))
        XCTAssertNil(g.allocate(512))
        g.pointee.memoryLimit = 0
    }

    /// The first block of a page is placed by a colour that depends on the page and the
    /// class, so the first blocks of pages do not all share one cache set.
    func testPagesStartAtDifferentOffsets() {
        var offsets: Set<UInt> = []
        for c in 1...SmallBlocks.classes {
            let size = c * SmallBlocks.granule
            let b = g.allocate(size)!
            offsets.insert((UInt(bitPattern: b) - page(b)) % 4096)
            g.release(b, size: size)
        }
        XCTAssertGreaterThan(offsets.count, SmallBlocks.classes / 2)
    }
}
