/// A randomized, fixed-seed stress test of upvalues: closures over coroutine stack slots stay right while slots change, upvalues close, coroutines die and the collector steps.
@testable import PerigeeRuntime
import XCTest

final class GCUpvalueStressTests: XCTestCase {
    struct ModelThread {
        var thread: ThreadRef
        var slots: [Value]
    }
    /// Where a closure's upvalue reads from: an open slot of a thread, or its closed value.
    enum Source { case open(thread: Int, slot: Int), closed(Value) }

    func testClosuresOverCoroutineSlots() {
        let g = makeState()
        defer { g.destroy() }
        var rng = SplitMix(seed: 77)
        let slotCount = 12
        let threadRoots = g.newTable()!, closureRoots = g.newTable()!
        _ = g.pointee.registry.set(g.key("threads"), Value(table: threadRoots), g)
        _ = g.pointee.registry.set(g.key("closures"), Value(table: closureRoots), g)
        let proto = g.newProto(bytecodeCount: 1, constantCount: 0, upvalueCount: 1)!
        _ = g.pointee.registry.set(g.key("proto"), Value(proto: proto), g)
        var threads: [ModelThread] = []
        var closures: [(f: FunctionRef, source: Source)] = []
        var serial = 0

        func expected(_ source: Source) -> Value {
            switch source {
            case let .open(t, s): return threads[t].slots[s]
            case let .closed(v): return v
            }
        }
        func newValue() -> Value {
            serial += 1
            if rng.below(3) == 0 { return .num(Double(serial)) }
            let t = g.newTable()!
            _ = t.set(integer: 1, .num(Double(serial)), g)
            return Value(table: t)
        }
        func verify() {
            for c in closures {
                let v = c.f.upvalueObjects[0]!.value
                XCTAssertEqual(v, expected(c.source))
                if v.isTable { XCTAssertEqual(header(v.table).pointee.gct, GCObjectType.table); _ = v.table.get(integer: 1) }
            }
        }

        var live: [Int] = []
        var cycles = 0
        for step in 0..<20_000 {
            switch rng.below(8) {
            case 0:
                if live.count >= 16 { break }
                live.append(threads.count)
                let t = g.newThread()!
                _ = threadRoots.set(integer: threads.count + 1, Value(thread: t), g)
                XCTAssertTrue(t.ensureStack(slotCount, g))
                t.pointee.top = UInt32(slotCount)
                threads.append(ModelThread(thread: t, slots: [Value](repeating: .nil, count: slotCount)))
            case 1, 2:
                if let i = live.randomElement(using: &rng) {
                    let s = rng.below(slotCount)
                    let v = newValue()
                    threads[i].thread.pointee.stack[s] = v
                    threads[i].slots[s] = v
                }
            case 3, 4:
                if let i = live.randomElement(using: &rng) {
                    let s = rng.below(slotCount)
                    let f = g.newLuaClosure(proto, env: nil)!
                    _ = closureRoots.set(integer: closures.count + 1, Value(function: f), g)
                    f.setUpvalue(0, threads[i].thread.findUpvalue(slot: s, g)!, g)
                    closures.append((f, .open(thread: i, slot: s)))
                }
            case 5:
                if let i = live.randomElement(using: &rng) {
                    let level = rng.below(slotCount)
                    threads[i].thread.closeUpvalues(from: level, g)
                    for k in closures.indices {
                        if case let .open(t, s) = closures[k].source, t == i, s >= level {
                            closures[k].source = .closed(threads[i].slots[s])
                        }
                    }
                }
            case 6:
                // A coroutine dies: its open upvalues must close when it is freed.
                if !live.isEmpty && rng.below(3) == 0 {
                    let i = live.remove(at: rng.below(live.count))
                    _ = threadRoots.set(integer: i + 1, .false, g)
                }
            default:
                // A closure goes away.
                if !closures.isEmpty && rng.below(2) == 0 {
                    let k = rng.below(closures.count)
                    _ = closureRoots.set(integer: k + 1, Value(function: closures.last!.f), g)
                    _ = closureRoots.set(integer: closures.count, .nil, g)
                    closures.swapAt(k, closures.count - 1)
                    closures.removeLast()
                }
            }
            for _ in 0..<rng.below(5) {
                _ = g.singleStep()
                if g.pointee.phase == .pause { cycles += 1 }
            }
            if step % 200 == 0 { verify() }
        }
        XCTAssertGreaterThan(threads.count, 100, "coroutines came and went")
        XCTAssertGreaterThan(closures.count, 100)
        XCTAssertGreaterThan(cycles, 10)
        verify()
        g.fullCollect()
        verify()
        // Every coroutine dies: all open upvalues close, the closures still see their values.
        for i in live { _ = threadRoots.set(integer: i + 1, .false, g) }
        g.fullCollect()
        XCTAssertNil(g.pointee.openUpvalues)
        for c in closures { XCTAssertEqual(c.f.upvalueObjects[0]!.pointee.closed, 1) }
        verify()
    }
}

extension Array {
    func randomElement(using rng: inout SplitMix) -> Element? { isEmpty ? nil : self[rng.below(count)] }
}
