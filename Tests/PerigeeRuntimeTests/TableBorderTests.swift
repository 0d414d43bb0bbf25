/// The border hint (TableBorder.swift): whatever stores and resizes a table goes through, `#t`
/// answers what luajit's search over the array part (and the hash part past it) answers.
@testable import PerigeeRuntime
import XCTest

final class TableBorderTests: XCTestCase {
    var g: GlobalRef!
    override func setUp() { g = makeState() }
    override func tearDown() { g.destroy() }

    /// `#t` as it is without the hint: the search alone.
    private func searchedLength(_ t: TableRef) -> Int {
        let saved = t.pointee.border
        t.pointee.border = GCTable.unknownBorder
        defer { t.pointee.border = saved }
        return t.length()
    }

    /// Whether the hint holds what it claims: keys 1...border hold values, the rest of the
    /// array part is nil.
    private func hintHolds(_ t: TableRef) -> Bool {
        let b = t.pointee.border
        if b == GCTable.unknownBorder { return true }
        let size = Int(t.pointee.arraySize)
        return (1...max(size, 1)).allSatisfy { k in k > size || (k <= Int(b)) == !t.get(integer: k).isNil }
    }

    func testAppendingAndPoppingKeepAKnownBorder() {
        let t = g.newTable()!
        for k in 1...300 {
            XCTAssertEqual(t.set(integer: k, Value(number: Double(k)), g), .ok)
            XCTAssertEqual(t.length(), k)
        }
        XCTAssertNotEqual(t.pointee.border, GCTable.unknownBorder)
        for k in stride(from: 300, through: 1, by: -1) {
            _ = t.set(integer: k, .nil, g)
            XCTAssertEqual(t.length(), k - 1)
            XCTAssertNotEqual(t.pointee.border, GCTable.unknownBorder)
        }
    }

    func testAHoleMakesTheBorderUnknownAndTheSearchDecides() {
        let t = g.newTable(arraySize: 16)!
        for k in 1...10 { _ = t.set(integer: k, .true, g) }
        XCTAssertEqual(t.pointee.border, 10)
        _ = t.set(integer: 4, .nil, g)
        XCTAssertEqual(t.pointee.border, GCTable.unknownBorder)
        XCTAssertEqual(t.length(), searchedLength(t))
        _ = t.set(integer: 13, .true, g)
        XCTAssertEqual(t.length(), searchedLength(t))
        // Key 0 is no part of the prefix.
        let z = g.newTable(arraySize: 4)!
        for k in 0...3 { _ = z.set(integer: k, .true, g) }
        XCTAssertEqual(z.length(), 3)
        XCTAssertTrue(hintHolds(z))
    }

    /// Random stores of nil and values on keys around the array part's end, through growth
    /// and shrinking resizes: after each, the hint (when known) is true and `#t` is the
    /// search's answer.
    func testRandomStoresAlwaysGiveTheSearchedLength() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<40 {
            let t = g.newTable(arraySize: round % 3 == 0 ? 0 : 8)!
            var appended = 0
            for _ in 0..<600 {
                let roll = Int.random(in: 0..<100, using: &rng)
                if roll < 50 {
                    appended += 1
                    _ = t.set(integer: appended, Value(number: Double(appended)), g)
                } else if roll < 65, appended > 0 {
                    _ = t.set(integer: appended, .nil, g)
                    appended -= 1
                } else {
                    let k = Int.random(in: 0...(appended + 20), using: &rng)
                    _ = t.set(integer: k, Bool.random(using: &rng) ? .nil : .true, g)
                }
                XCTAssertTrue(hintHolds(t), "round \(round)")
                XCTAssertEqual(t.length(), searchedLength(t), "round \(round)")
            }
        }
    }

    func testClearAndCopyKeepTheHint() {
        let t = g.newTable(arraySize: 8)!
        for k in 1...5 { _ = t.set(integer: k, .true, g) }
        t.clear(g)
        XCTAssertEqual(t.pointee.border, 0)
        XCTAssertEqual(t.length(), 0)
        for k in 1...3 { _ = t.set(integer: k, .true, g) }
        let copy = g.duplicateTable(t)!
        XCTAssertEqual(copy.pointee.border, 3)
        XCTAssertEqual(copy.length(), 3)
    }
}
