/// Table semantics: array/hash parts, key normalization, errors, `#`, `next` and preallocation.
@testable import PerigeeRuntime
import XCTest

final class TableTests: XCTestCase {
    var g: GlobalRef!
    override func setUp() { g = makeState() }
    override func tearDown() { g.destroy() }

    func table(_ narray: Int = 0, _ nhash: Int = 0) -> TableRef {
        let t = g.newTable(arraySize: narray, hashSize: nhash)!
        g.push(Value(table: t))
        return t
    }

    func testGetSetAllKeyKinds() {
        let t = table()
        let other = g.newTable()!
        g.push(Value(table: other))
        let keys: [Value] = [g.key("x"), .num(1), .num(2.5), .num(-3), .true, .false, Value(table: other),
                             Value(lightUserdata: UnsafeRawPointer(bitPattern: 0x1000)!), .num(1e300)]
        for (i, k) in keys.enumerated() { XCTAssertEqual(t.set(k, .num(Double(i)), g), .ok) }
        for (i, k) in keys.enumerated() { XCTAssertEqual(t.get(k), .num(Double(i)), "\(i)") }
        XCTAssertEqual(t.get(string: g.string("x")), .num(0))
        XCTAssertEqual(t.get(integer: 1), .num(1))
        XCTAssertEqual(t.get(number: 2.5), .num(2))
        XCTAssertTrue(t.get(g.key("y")).isNil)
        XCTAssertTrue(t.get(.nil).isNil)
        XCTAssertNotNil(t.slot(g.key("x")))
        XCTAssertNil(t.slot(g.key("nope")))
    }

    func testNilAndNaNKeysAreErrors() {
        let t = table()
        XCTAssertEqual(t.set(.nil, .true, g), .nilKey)
        XCTAssertEqual(t.set(.num(.nan), .true, g), .nanKey)
        XCTAssertEqual(t.set(number: -.nan, .true, g), .nanKey)
        XCTAssertTrue(t.get(.num(.nan)).isNil)
        var k = Value.nil, v = Value.nil
        XCTAssertEqual(t.next(&k, &v), .end)
    }

    func testNegativeZeroFoldsToPositive() {
        let t = table()
        XCTAssertEqual(t.set(.num(-0.0), g.key("zero"), g), .ok)
        XCTAssertEqual(t.get(.num(0)), g.key("zero"))
        XCTAssertEqual(t.get(.num(-0.0)), g.key("zero"))
        XCTAssertEqual(t.set(.num(0), .true, g), .ok)
        XCTAssertEqual(t.get(.num(-0.0)), .true)
        var k = Value.nil, v = Value.nil
        XCTAssertEqual(t.next(&k, &v), .found)
        XCTAssertEqual(k.bits, Value.num(0).bits, "stored as +0")
        XCTAssertEqual(t.next(&k, &v), .end)
    }

    func testFloatKeys() {
        let t = table()
        let big = 9007199254740992.0  // 2^53
        XCTAssertEqual(t.set(.num(big), .true, g), .ok)
        XCTAssertEqual(t.set(.num(big + 2), .false, g), .ok)
        XCTAssertEqual(t.get(.num(big)), .true)
        XCTAssertEqual(t.get(.num(big + 2)), .false)
        XCTAssertEqual(t.set(.num(1.5), g.key("a"), g), .ok)
        XCTAssertTrue(t.get(.num(1)).isNil)
        XCTAssertTrue(t.get(.num(2)).isNil)
        XCTAssertEqual(t.get(.num(1.5)), g.key("a"))
        // A float key with an integer value is the integer key.
        XCTAssertEqual(t.set(.num(3.0), g.key("three"), g), .ok)
        XCTAssertEqual(t.get(integer: 3), g.key("three"))
        XCTAssertEqual(t.set(integer: 7, g.key("seven"), g), .ok)
        XCTAssertEqual(t.get(.num(7.0)), g.key("seven"))
        XCTAssertEqual(t.get(.num(-.infinity)), .nil)
        XCTAssertEqual(t.set(.num(.infinity), .true, g), .ok)
        XCTAssertEqual(t.get(.num(.infinity)), .true)
    }

    func testArrayHashMigration() {
        let t = table()
        // Keys 1..100 inserted backwards start in the hash and end in the array part.
        for i in stride(from: 100, through: 1, by: -1) { XCTAssertEqual(t.set(integer: i, .num(Double(i * 10)), g), .ok) }
        XCTAssertGreaterThanOrEqual(Int(t.pointee.arraySize), 64)
        for i in 1...100 { XCTAssertEqual(t.get(integer: i), .num(Double(i * 10))) }
        XCTAssertEqual(t.length(), 100)
        // A sparse table stays in the hash part.
        let s = table()
        for i in 0..<20 { XCTAssertEqual(s.set(integer: 1 << i, .true, g), .ok) }
        XCTAssertLessThanOrEqual(Int(s.pointee.arraySize), 16, "1, 2, 4, 8 and 16 fill more than a quarter of 1...16 (LuaJIT's rule)")
        for i in 0..<20 { XCTAssertEqual(s.get(integer: 1 << i), .true) }
        // Shrinking: clear most array keys, force a rehash with many string keys.
        for i in 3...100 { XCTAssertEqual(t.set(integer: i, .nil, g), .ok) }
        for i in 0..<200 { XCTAssertEqual(t.set(g.key("k\(i)"), .num(Double(i)), g), .ok) }
        XCTAssertLessThan(Int(t.pointee.arraySize), 64)
        XCTAssertEqual(t.get(integer: 1), .num(10))
        XCTAssertEqual(t.get(integer: 2), .num(20))
        for i in 0..<200 { XCTAssertEqual(t.get(g.key("k\(i)")), .num(Double(i))) }
        XCTAssertEqual(t.length(), 2)
    }

    /// Key 0 is in the array part whenever there is one (LuaJIT's slot 0), counts towards
    /// its size, moves out when the array part goes, and `next` visits it first.
    func testKeyZeroLivesInTheArrayPart() {
        let t = table(0, 0)
        XCTAssertEqual(t.set(integer: 0, .num(10), g), .ok)
        XCTAssertEqual(t.pointee.arrayLimit, 3, "LuaJIT's rehash gives key 0 alone an array part for 0...2")
        XCTAssertEqual(t.pointee.array![-1], .num(10))
        for i in 1...4 { XCTAssertEqual(t.set(integer: i, .num(Double(i)), g), .ok) }
        XCTAssertGreaterThan(t.pointee.arrayLimit, 4)
        XCTAssertEqual(t.pointee.array![-1], .num(10))
        XCTAssertEqual(t.get(number: -0.0), .num(10))
        XCTAssertEqual(t.slot(.num(0)), t.pointee.array! - 1)
        var key = Value.nil, value = Value.nil
        XCTAssertEqual(t.next(&key, &value), .found)
        XCTAssertEqual(key, .num(0))
        XCTAssertEqual(t.length(), 4)
        XCTAssertEqual(t.resize(arraySize: 0, hashSize: 8, g), .ok)
        XCTAssertNil(t.pointee.array)
        XCTAssertEqual(t.get(integer: 0), .num(10))
        for i in 1...4 { XCTAssertEqual(t.get(integer: i), .num(Double(i))) }
        g.popAll()
    }

    /// Small tables are one block; parts that outgrow it move out, and whatever the mix,
    /// collecting the tables gives every byte back.
    func testColocatedPartsGrowShrinkAndAreFreed() {
        g.fullCollect()
        let baseline = g.objectBytes
        let small = table(2, 4)
        XCTAssertTrue(small.isColocated(small.pointee.array!))
        XCTAssertTrue(small.isColocated(small.pointee.node))
        XCTAssertEqual(small.pointee.marked & GCMark.separateParts, 0)
        // Keys 0, 1 and 2 in the array part.
        XCTAssertEqual(small.allocationSize, MemoryLayout<GCTable>.stride + 3 * 8 + 4 * MemoryLayout<TableNode>.stride)
        for i in 1...40 { XCTAssertEqual(small.set(integer: i, .num(Double(i)), g), .ok) }
        for i in 0..<20 { XCTAssertEqual(small.set(g.key("k\(i)"), .num(Double(i)), g), .ok) }
        XCTAssertFalse(small.isColocated(small.pointee.array!))
        XCTAssertFalse(small.isColocated(small.pointee.node))
        XCTAssertNotEqual(small.pointee.marked & GCMark.separateParts, 0)
        for i in 1...40 { XCTAssertEqual(small.get(integer: i), .num(Double(i))) }
        for i in 0..<20 { XCTAssertEqual(small.get(g.key("k\(i)")), .num(Double(i))) }
        XCTAssertEqual(small.length(), 40)
        // A colocated array that shrinks stays in its room; growing again copies it out.
        let shrinking = table(8, 0)
        for i in 1...8 { _ = shrinking.set(integer: i, .num(Double(i)), g) }
        XCTAssertEqual(shrinking.resize(arraySize: 2, hashSize: 8, g), .ok)
        XCTAssertTrue(shrinking.isColocated(shrinking.pointee.array!))
        XCTAssertEqual(shrinking.resize(arraySize: 16, hashSize: 0, g), .ok)
        XCTAssertFalse(shrinking.isColocated(shrinking.pointee.array!))
        for i in 1...8 { XCTAssertEqual(shrinking.get(integer: i), .num(Double(i))) }
        // Large sizes get blocks of their own from the start.
        let large = table(100, 50)
        XCTAssertEqual(large.pointee.colocatedWords, 0)
        XCTAssertNotEqual(large.pointee.marked & GCMark.separateParts, 0)
        g.popAll()
        g.fullCollect()
        XCTAssertEqual(g.objectBytes, baseline)
    }

    func testPreallocation() {
        let t = table(100, 50)
        XCTAssertEqual(t.pointee.arraySize, 100)
        XCTAssertEqual(t.nodeCount, 64)
        let node = t.pointee.node
        for i in 1...100 { XCTAssertEqual(t.set(integer: i, .true, g), .ok) }
        for i in 0..<50 { XCTAssertEqual(t.set(g.key("s\(i)"), .true, g), .ok) }
        XCTAssertEqual(t.pointee.node, node, "no resize needed")
        XCTAssertEqual(t.pointee.arraySize, 100)
        let empty = table()
        XCTAssertEqual(empty.pointee.node, g.pointee.emptyNode)
        XCTAssertEqual(empty.pointee.hashMask, 0)
        XCTAssertEqual(empty.length(), 0)
        t.clear(g)
        XCTAssertTrue(t.get(integer: 5).isNil)
        XCTAssertTrue(t.get(g.key("s3")).isNil)
        XCTAssertEqual(t.length(), 0)
        XCTAssertEqual(t.set(g.key("again"), .true, g), .ok)
        XCTAssertEqual(t.pointee.node, node)
    }

    func testLengthBorders() {
        // The manual: a border n with t[n] ~= nil and t[n+1] == nil, or 0 if t[1] == nil.
        let t = table()
        XCTAssertEqual(t.length(), 0)
        for i in 1...10 { _ = t.set(integer: i, .true, g) }
        XCTAssertEqual(t.length(), 10)
        _ = t.set(integer: 10, .nil, g)
        XCTAssertEqual(t.length(), 9)
        // With a hole, any border is valid.
        _ = t.set(integer: 5, .nil, g)
        let n = t.length()
        XCTAssertTrue(n == 4 || n == 9, "border \(n)")
        XCTAssertFalse(t.get(integer: n).isNil && n != 0)
        XCTAssertTrue(t.get(integer: n + 1).isNil)
        // Integer keys only in the hash part: unbound search.
        let h = table()
        _ = h.set(g.key("x"), .true, g)
        for i in [1, 2, 3] { _ = h.set(integer: i, .true, g) }
        XCTAssertEqual(h.length(), 3)
        let onlyHash = table(0, 8)
        for i in 1...5 { _ = onlyHash.set(integer: i, .true, g) }
        XCTAssertEqual(onlyHash.length(), 5)
        // t[1] nil: 0 is a border.
        let noOne = table()
        _ = noOne.set(integer: 2, .true, g)
        let m = noOne.length()
        XCTAssertTrue(m == 0 || m == 2)
        // Full array part, continuing into the hash part.
        let full = table(4, 4)
        for i in 1...6 { _ = full.set(integer: i, .true, g) }
        XCTAssertEqual(full.length(), 6)
    }

    func testNextVisitsEveryKeyOnce() {
        let t = table()
        var expected = Set<UInt64>()
        for i in 1...50 { _ = t.set(integer: i, .true, g); expected.insert(Value.num(Double(i)).bits) }
        for i in 0..<50 { let k = g.key("s\(i)"); _ = t.set(k, .true, g); expected.insert(k.bits) }
        var seen = Set<UInt64>()
        var k = Value.nil, v = Value.nil
        while t.next(&k, &v) == .found {
            XCTAssertTrue(seen.insert(k.bits).inserted)
            XCTAssertEqual(v, .true)
        }
        XCTAssertEqual(seen, expected)
        XCTAssertEqual(t.next(&k, &v), .end)
        var bad = g.key("absent")
        XCTAssertEqual(t.next(&bad, &v), .invalidKey)
    }

    func testNextOrderStableWhileClearingAndAssigning() {
        let t = table()
        for i in 0..<300 { _ = t.set(g.key("k\(i)"), .num(Double(i)), g) }
        for i in 1...40 { _ = t.set(integer: i, .num(Double(i)), g) }
        var order: [UInt64] = []
        var k = Value.nil, v = Value.nil
        while t.next(&k, &v) == .found { order.append(k.bits) }
        // Traverse again, clearing every other key and reassigning the rest.
        var visited: [UInt64] = []
        var flip = false
        k = .nil
        while true {
            let status = t.next(&k, &v)
            if status == .end { break }
            XCTAssertEqual(status, .found)
            visited.append(k.bits)
            flip.toggle()
            XCTAssertEqual(t.set(k, flip ? .nil : .false, g), .ok)
            // A GC cycle mid-traversal must not disturb it either.
            if visited.count == 100 { g.fullCollect() }
        }
        XCTAssertEqual(visited, order)
        var live = 0
        k = .nil
        while t.next(&k, &v) == .found { live += 1; XCTAssertEqual(v, .false) }
        XCTAssertEqual(live, order.count / 2)
    }

    func testDeadKeysStayUntilResize() {
        let t = table(0, 4)
        let a = g.key("a")
        _ = t.set(a, .true, g)
        let slot = t.slot(a)
        _ = t.set(a, .nil, g)
        XCTAssertEqual(t.slot(a), slot, "dead key keeps its node")
        XCTAssertTrue(t.get(a).isNil)
        _ = t.set(a, .false, g)
        XCTAssertEqual(t.slot(a), slot, "same node reused")
        XCTAssertEqual(t.get(a), .false)
    }

    func testManyCollisionsAndRemovals() {
        let t = table()
        var rng = SplitMix(seed: 7)
        var model: [Double: Double] = [:]
        for step in 0..<20_000 {
            let key = Double(rng.below(2000)) * (rng.below(2) == 0 ? 1 : 0.5) - 300
            if rng.below(3) == 0 {
                _ = t.set(.num(key), .nil, g)
                model[key] = nil
            } else {
                _ = t.set(.num(key), .num(Double(step)), g)
                model[key] = Double(step)
            }
        }
        for (k, v) in model { XCTAssertEqual(t.get(.num(k)), .num(v)) }
        var count = 0
        var k = Value.nil, v = Value.nil
        while t.next(&k, &v) == .found { count += 1; XCTAssertEqual(model[k.number], v.number) }
        XCTAssertEqual(count, model.count)
    }
}
