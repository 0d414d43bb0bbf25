/// A randomized, fixed-seed stress test of weak tables: whatever a weak table still holds is a live object at every step, and entries go exactly when their referents die.
@testable import PerigeeRuntime
import XCTest

final class GCWeakStressTests: XCTestCase {
    func testWeakEntriesNeverDangle() {
        let g = makeState()
        defer { g.destroy() }
        var rng = SplitMix(seed: 4242)
        let strong = g.newTable()!
        _ = g.pointee.registry.set(g.key("strong"), Value(table: strong), g)
        var weakTables: [TableRef] = []
        for mode in ["k", "v", "kv"] {
            let mt = g.newTable()!
            _ = mt.set(g.key("__mode"), g.key(mode), g)
            let t = g.newTable()!
            t.pointee.metatable = mt
            _ = g.pointee.registry.set(g.key("weak-" + mode), Value(table: t), g)
            weakTables.append(t)
        }
        let strongSlots = 64
        var serial = 0
        func object() -> Value {
            serial += 1
            let t = g.newTable()!
            _ = t.set(integer: 1, .num(Double(serial)), g)
            _ = t.set(g.key("tag"), g.key("object"), g)
            return Value(table: t)
        }
        func checkAlive(_ v: Value) {
            guard v.isTable else { return }
            XCTAssertEqual(header(v.table).pointee.gct, GCObjectType.table)
            XCTAssertTrue(v.table.get(integer: 1).isNumber)
            XCTAssertEqual(v.table.get(g.key("tag")), g.key("object"))
        }
        func verify() {
            for t in weakTables {
                var k = Value.nil, v = Value.nil
                while t.next(&k, &v) == .found { checkAlive(k); checkAlive(v) }
            }
        }
        var cycles = 0
        for step in 0..<30_000 {
            let t = weakTables[rng.below(3)]
            switch rng.below(6) {
            case 0, 1:
                // A fresh object, kept strongly or not, as a key or a value.
                let o = object()
                if rng.below(2) == 0 { _ = strong.set(integer: rng.below(strongSlots) + 1, o, g) }
                if rng.below(2) == 0 { _ = t.set(o, .num(Double(step)), g) } else { _ = t.set(integer: rng.below(32) + 1, o, g) }
            case 2:
                // Strong objects as keys and values of each other.
                let a = strong.get(integer: rng.below(strongSlots) + 1)
                let b = strong.get(integer: rng.below(strongSlots) + 1)
                if !a.isNil && !b.isNil { _ = t.set(a, b, g) }
            case 3:
                _ = strong.set(integer: rng.below(strongSlots) + 1, .nil, g)
            case 4:
                _ = t.set(integer: rng.below(32) + 1, g.key("string \(rng.below(100))"), g)
            default:
                var k = Value.nil, v = Value.nil
                if t.next(&k, &v) == .found { _ = t.set(k, .nil, g) }
            }
            for _ in 0..<rng.below(6) {
                _ = g.singleStep()
                if g.pointee.phase == .pause { cycles += 1 }
            }
            if step % 100 == 0 { verify() }
        }
        XCTAssertGreaterThan(cycles, 10)
        // What the final full collection can reach strongly: `strong`, the values of the
        // weak-keyed table and the keys of the weak-valued one (Lua 5.1 has no ephemerons).
        var held = Set<UInt64>()
        for i in 1...strongSlots { held.insert(strong.get(integer: i).bits) }
        var k = Value.nil, v = Value.nil
        while weakTables[0].next(&k, &v) == .found { held.insert(v.bits) }
        k = .nil
        while weakTables[1].next(&k, &v) == .found { held.insert(k.bits) }
        let modes = [(true, false), (false, true), (true, true)]
        var before: [[(UInt64, UInt64)]] = []
        for t in weakTables {
            var entries: [(UInt64, UInt64)] = []
            k = .nil
            while t.next(&k, &v) == .found { entries.append((k.bits, v.bits)) }
            before.append(entries)
        }
        g.fullCollect()
        verify()
        // An entry stays exactly when its weak parts are strongly held (or not objects).
        var cleared = 0, kept = 0
        for (i, t) in weakTables.enumerated() {
            let (keysWeak, valuesWeak) = modes[i]
            for (keyBits, valueBits) in before[i] {
                let key = Value(bits: keyBits), value = Value(bits: valueBits)
                let keyGoes = keysWeak && key.isTable && !held.contains(keyBits)
                let valueGoes = valuesWeak && value.isTable && !held.contains(valueBits)
                XCTAssertEqual(t.get(key).isNil, keyGoes || valueGoes, "table \(i)")
                if keyGoes || valueGoes { cleared += 1 } else { kept += 1 }
            }
        }
        // Both outcomes must occur (how many depends on where objects land in memory).
        XCTAssertGreaterThan(cleared, 0)
        XCTAssertGreaterThan(kept, 0)
    }
}
