/// NaN-boxing: numbers round-trip bit-exactly, tags sit where LuaJIT's GC64 layout puts them.
@testable import PerigeeRuntime
import XCTest

final class ValueTests: XCTestCase {
    func testNumbersRoundTrip() {
        let samples: [Double] = [0, -0.0, 1, -1, 0.5, .pi, 1e308, -1e308, .infinity, -.infinity,
                                 .leastNonzeroMagnitude, .greatestFiniteMagnitude, 9007199254740992]
        for d in samples {
            let v = Value(number: d)
            XCTAssertTrue(v.isNumber, "\(d)")
            XCTAssertEqual(v.number.bitPattern, d.bitPattern)
            XCTAssertEqual(v.luaType, .number)
            XCTAssertFalse(v.isNil || v.isString || v.isTable || v.isCollectable)
            XCTAssertTrue(v.isTruthy)
        }
        XCTAssertEqual(Value(number: -0.0).bits, 0x8000_0000_0000_0000)
    }

    func testRandomDoublesAreNumbers() {
        var rng = SplitMix(seed: 42)
        for _ in 0..<100_000 {
            let d = Double(bitPattern: rng.next())
            let v = Value(normalizingNaN: d)
            XCTAssertTrue(v.isNumber)
            if d == d { XCTAssertEqual(v.bits, d.bitPattern) } else { XCTAssertTrue(v.number.isNaN) }
        }
    }

    func testBothNaNsAreNumbers() {
        // x86's default NaN (sign set) and the positive quiet NaN.
        let x86 = Double(bitPattern: 0xFFF8_0000_0000_0000)
        let positive = Double(bitPattern: 0x7FF8_0000_0000_0000)
        for d in [x86, positive, Double.nan, -Double.nan, 0.0 / Double(0).magnitude] {
            let v = Value(number: d)
            XCTAssertTrue(v.isNumber)
            XCTAssertTrue(v.number.isNaN)
            XCTAssertFalse(v.rawEquals(v), "NaN ~= NaN")
        }
        let computed = Value(number: -Double.infinity + Double.infinity)
        XCTAssertTrue(computed.isNumber)
        // A NaN whose payload bits land in the tag space is normalized.
        let tagged = Double(bitPattern: 0xFFFD_0000_0000_1234)
        XCTAssertFalse(Value(number: tagged).isNumber)
        XCTAssertTrue(Value(normalizingNaN: tagged).isNumber)
        XCTAssertEqual(Value(normalizingNaN: tagged).bits, Value.canonicalNaN)
    }

    func testPrimitivesAndTags() {
        XCTAssertEqual(Value.nil.bits, ~0)
        XCTAssertEqual(Value.nil.itype, ~UInt32(0))
        XCTAssertEqual(Value.false.itype, ~UInt32(1))
        XCTAssertEqual(Value.true.itype, ~UInt32(2))
        XCTAssertTrue(Value.nil.isNil && !Value.nil.isTruthy && !Value.nil.isNumber)
        XCTAssertTrue(Value.false.isFalse && !Value.false.isTruthy && Value.false.isBoolean)
        XCTAssertTrue(Value.true.isTrue && Value.true.isTruthy && Value.true.isBoolean)
        XCTAssertEqual(Value(bool: true), .true)
        XCTAssertEqual(Value.nil.luaType.name.description, "nil")
        XCTAssertEqual(Value.true.luaType, .boolean)
        let p = UnsafeMutableRawPointer(bitPattern: 0x7FFF_FFFF_FFF0)!
        let light = Value(lightUserdata: p)
        XCTAssertEqual(light.itype, ~UInt32(3))
        XCTAssertTrue(light.isLightUserdata && !light.isCollectable && !light.isNumber)
        XCTAssertEqual(light.rawPointer, p)
        XCTAssertEqual(light.luaType, .userdata)
        // Every object tag: top 13 bits ones, 4-bit tag, 47-bit payload.
        let tags: [(ValueTag, UInt32)] = [(.string, 4), (.upvalue, 5), (.thread, 6), (.proto, 7), (.function, 8),
                                          (.trace, 9), (.cdata, 10), (.table, 11), (.userdata, 12)]
        for (tag, n) in tags {
            let v = Value(tag: tag, pointer: p)
            XCTAssertEqual(v.itype, ~n)
            XCTAssertEqual(v.bits >> 51, 0x1FFF)
            XCTAssertEqual(v.payload, 0x7FFF_FFFF_FFF0)
            XCTAssertFalse(v.isNumber)
            XCTAssertTrue(v.isCollectable)
            XCTAssertEqual(v.tag, tag)
            XCTAssertTrue(v.isTruthy)
        }
        XCTAssertEqual(Value(tag: .table, pointer: p).luaType, .table)
        XCTAssertEqual(Value(tag: .function, pointer: p).luaType.name.description, "function")
    }

    func testRawEquality() {
        XCTAssertTrue(Value(number: 0).rawEquals(Value(number: -0.0)))
        XCTAssertFalse(Value(number: 0) == Value(number: -0.0), "== compares bits")
        XCTAssertTrue(Value(number: 3).rawEquals(Value(number: 3)))
        XCTAssertFalse(Value.nil.rawEquals(.false))
        XCTAssertTrue(Value.true.rawEquals(.true))
    }

    func testObjectValuesRoundTrip() {
        let g = makeState()
        defer { g.destroy() }
        let t = g.newTable()!
        let s = g.string("abc")
        XCTAssertEqual(Value(table: t).table, t)
        XCTAssertEqual(Value(object: header(t)).bits, Value(table: t).bits)
        XCTAssertEqual(Value(string: s).string, s)
        XCTAssertEqual(Value(object: header(s)), Value(string: s))
        XCTAssertEqual(Value(thread: g.pointee.mainThread).luaType, .thread)
        let u = g.newUserdata(size: 8)!
        XCTAssertEqual(Value(userdata: u).luaType, .userdata)
        XCTAssertEqual(Value(userdata: u).userdata, u)
    }
}

/// A fixed-seed generator so randomized tests repeat exactly.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
