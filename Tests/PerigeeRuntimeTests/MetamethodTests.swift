/// The "metamethod absent" byte: set by a failed lookup, cleared by any string-key store.
@testable import PerigeeRuntime
import XCTest

final class MetamethodTests: XCTestCase {
    func testAbsentFlagsCacheAndReset() {
        let g = makeState()
        defer { g.destroy() }
        let t = g.newTable()!
        let mt = g.newTable()!
        g.push(Value(table: t))
        g.push(Value(table: mt))
        t.pointee.metatable = mt
        XCTAssertEqual(mt.pointee.absentMetamethods, 0)
        XCTAssertTrue(g.metamethod(.index, of: Value(table: t)).isNil)
        XCTAssertNotEqual(mt.pointee.absentMetamethods & Metamethod.index.bit, 0, "one-test check now says absent")
        XCTAssertTrue(g.metamethod(.newindex, in: mt).isNil)
        XCTAssertTrue(g.metamethod(.eq, in: mt).isNil)
        XCTAssertEqual(mt.pointee.absentMetamethods, Metamethod.index.bit | Metamethod.newindex.bit | Metamethod.eq.bit)
        // Slow metamethods have no bit.
        XCTAssertTrue(g.metamethod(.add, in: mt).isNil)
        XCTAssertEqual(mt.pointee.absentMetamethods, Metamethod.index.bit | Metamethod.newindex.bit | Metamethod.eq.bit)
        // Adding __index to the metatable clears the cache.
        let handler = Value(table: g.newTable()!)
        XCTAssertEqual(mt.set(Value(string: g.name(of: .index)), handler, g), .ok)
        XCTAssertEqual(mt.pointee.absentMetamethods, 0)
        XCTAssertEqual(g.metamethod(.index, of: Value(table: t)), handler)
        // Any string store clears it, even an existing key's.
        XCTAssertTrue(g.metamethod(.len, in: mt).isNil)
        XCTAssertNotEqual(mt.pointee.absentMetamethods, 0)
        _ = mt.set(Value(string: g.name(of: .index)), handler, g)
        XCTAssertEqual(mt.pointee.absentMetamethods, 0)
        XCTAssertTrue(g.metamethod(.index, in: nil).isNil)
    }

    func testTypeMetatables() {
        let g = makeState()
        defer { g.destroy() }
        let smt = g.newTable()!
        g.pointee.typeMetatables[Int(ValueTag.string.rawValue)] = smt
        XCTAssertEqual(g.metatable(of: g.key("s")), smt)
        XCTAssertNil(g.metatable(of: .num(1)))
        XCTAssertNil(g.metatable(of: .true))
        // Type metatables are roots.
        g.fullCollect()
        XCTAssertEqual(header(smt).pointee.gct, GCObjectType.table)
        _ = smt.set(g.key("__index"), .true, g)
        g.fullCollect()
        XCTAssertEqual(smt.get(g.key("__index")), .true)
    }
}
