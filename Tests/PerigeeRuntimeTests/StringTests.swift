/// String interning: equal bytes give the same object; hashes are cached; the table grows.
@testable import PerigeeRuntime
import XCTest

final class StringTests: XCTestCase {
    func testEqualBytesSamePointer() {
        let g = makeState()
        defer { g.destroy() }
        let a = g.string("hello")
        let b = g.string("hel" + "lo")
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, g.string("hellO"))
        XCTAssertEqual(a.count, 5)
        XCTAssertEqual(a.bytes[5], 0, "NUL-terminated")
        XCTAssertEqual(a.description, "hello")
        XCTAssertEqual(g.intern(nil, count: 0), g.string(""))
        XCTAssertEqual(g.string("").count, 0)
    }

    func testEmbeddedZeros() {
        let g = makeState()
        defer { g.destroy() }
        let bytes: [UInt8] = [0x61, 0, 0x62, 0]
        let s1 = bytes.withUnsafeBufferPointer { g.intern($0)! }
        let s2 = bytes.withUnsafeBufferPointer { g.intern($0)! }
        let prefix = bytes.withUnsafeBufferPointer { g.intern($0.baseAddress, count: 3)! }
        XCTAssertEqual(s1, s2)
        XCTAssertNotEqual(s1, prefix)
        XCTAssertEqual(s1.count, 4)
        XCTAssertEqual(Array(s1.buffer), bytes)
        XCTAssertNotEqual(s1, g.string("a"))
    }

    func testLongStringsSampledHashStillCompareFully() {
        let g = makeState()
        defer { g.destroy() }
        // Differ in one byte the sampling hash skips: same hash likely, still different strings.
        var a = [UInt8](repeating: 0x41, count: 10_000)
        var b = a
        b[1] = 0x42
        let sa = a.withUnsafeBufferPointer { g.intern($0)! }
        let sb = b.withUnsafeBufferPointer { g.intern($0)! }
        XCTAssertNotEqual(sa, sb)
        a[1] = 0x42
        XCTAssertEqual(a.withUnsafeBufferPointer { g.intern($0)! }, sb)
        XCTAssertEqual(sb.count, 10_000)
    }

    func testTableGrowsAndKeepsIdentity() {
        let g = makeState()
        defer { g.destroy() }
        var strings: [StringRef] = []
        for i in 0..<5000 {
            let s = g.string("key\(i)")
            g.push(Value(string: s))
            strings.append(s)
        }
        XCTAssertGreaterThan(g.pointee.stringMask, 4096)
        for i in stride(from: 0, to: 5000, by: 7) { XCTAssertEqual(g.string("key\(i)"), strings[i]) }
        // Reachable from the stack: a full collection keeps every one.
        g.fullCollect()
        for i in stride(from: 0, to: 5000, by: 13) { XCTAssertEqual(g.string("key\(i)"), strings[i]) }
        // Dropped: collected, and the table shrinks.
        g.popAll()
        let before = g.pointee.stringCount
        g.fullCollect()
        XCTAssertLessThan(g.pointee.stringCount, before - 4900)
        XCTAssertLessThan(g.pointee.stringMask, 4096)
    }

    func testSeedChangesHash() {
        let g1 = GlobalRef.create(hashSeed: 1)!
        let g2 = GlobalRef.create(hashSeed: 2)!
        defer { g1.destroy(); g2.destroy() }
        XCTAssertNotEqual(g1.string("same bytes").pointee.hash, g2.string("same bytes").pointee.hash)
    }

    func testMetamethodNamesAreFixed() {
        let g = makeState()
        defer { g.destroy() }
        let index = g.name(of: .index)
        XCTAssertEqual(index.description, "__index")
        g.fullCollect()
        g.fullCollect()
        XCTAssertEqual(g.string("__index"), index)
        XCTAssertEqual(g.name(of: .tostring).description, "__tostring")
    }
}
