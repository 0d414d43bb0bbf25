/// A randomized, fixed-seed stress test: mutations with barriers interleaved with single collector steps must keep every reachable object intact.
@testable import PerigeeRuntime
import XCTest

final class GCStressTests: XCTestCase {
    /// A model object: a table (id under "id", name string under "name", edges at keys 1...3)
    /// or a builtin (id and edges in its upvalues 0...3).
    struct Shadow {
        var value: Value
        var edges: [Int?]
    }

    func testIncrementalStepsKeepReachableObjectsAlive() {
        let g = makeState()
        defer { g.destroy() }
        _ = g.setStepMultiplier(100)
        var rng = SplitMix(seed: 20260501)
        let rootCount = 16
        let roots = g.newTable()!
        _ = g.pointee.registry.set(g.key("roots"), Value(table: roots), g)
        let thread = g.pointee.mainThread
        XCTAssertTrue(thread.ensureStack(rootCount, g))
        thread.pointee.top = UInt32(rootCount)
        var objects: [Int: Shadow] = [:]
        var rootIDs = [Int?](repeating: nil, count: rootCount * 2)  // first half registry, second stack
        var nextID = 0
        let edgeCount = 3
        let entry: BuiltinEntry = { _ in 0 }

        func store(root i: Int, _ id: Int?) {
            rootIDs[i] = id
            let v = id.map { objects[$0]!.value } ?? .nil
            if i < rootCount { XCTAssertEqual(roots.set(integer: i + 1, id == nil ? .false : v, g), .ok) } else { thread.pointee.stack[i - rootCount] = v }
        }
        func storeEdge(_ from: Int, _ k: Int, _ to: Int?) {
            objects[from]!.edges[k] = to
            let v = to.map { objects[$0]!.value } ?? .nil
            let o = objects[from]!.value
            if o.isTable { XCTAssertEqual(o.table.set(integer: k + 1, v, g), .ok) } else { o.function.setUpvalue(k + 1, v, g) }
        }
        func reachable() -> [Int] {
            var seen = Set<Int>()
            var work = rootIDs.compactMap { $0 }
            while let id = work.popLast() {
                if !seen.insert(id).inserted { continue }
                work.append(contentsOf: objects[id]!.edges.compactMap { $0 })
            }
            return Array(seen)
        }
        func verify() {
            for id in reachable() {
                let o = objects[id]!.value
                XCTAssertTrue(o.isTable || o.isFunction)
                XCTAssertEqual(o.object.pointee.marked & g.otherWhite == 0 || g.pointee.phase != .sweep, true, "not dead")
                if o.isTable {
                    XCTAssertEqual(header(o.table).pointee.gct, GCObjectType.table)
                    XCTAssertEqual(o.table.get(g.key("id")), .num(Double(id)))
                    XCTAssertEqual(o.table.get(g.key("name")).string.description, "object-\(id)")
                    for k in 0..<edgeCount {
                        XCTAssertEqual(o.table.get(integer: k + 1), objects[id]!.edges[k].map { objects[$0]!.value } ?? .nil)
                    }
                } else {
                    XCTAssertEqual(o.function.upvalueValues[0], .num(Double(id)))
                    for k in 0..<edgeCount {
                        XCTAssertEqual(o.function.upvalueValues[k + 1], objects[id]!.edges[k].map { objects[$0]!.value } ?? .nil)
                    }
                }
            }
        }

        for i in 0..<rootCount { _ = roots.set(integer: i + 1, .false, g) }
        g.fullCollect()
        let baseline = g.objectBytes
        var cyclesFinished = 0
        for step in 0..<60_000 {
            let live = reachable()
            switch rng.below(10) {
            case 0, 1, 2:
                // A new object, hung from a root or from a live object.
                let id = nextID
                nextID += 1
                let value: Value
                if rng.below(3) == 0 {
                    let f = g.newBuiltin(entry, upvalueCount: edgeCount + 1, env: nil)!
                    f.setUpvalue(0, .num(Double(id)), g)
                    value = Value(function: f)
                } else {
                    let t = g.newTable(arraySize: rng.below(2) * edgeCount)!
                    // Allocate before any step can run: the table is reachable only once stored.
                    XCTAssertEqual(t.set(g.key("name"), g.key("object-\(id)"), g), .ok)
                    XCTAssertEqual(t.set(g.key("id"), .num(Double(id)), g), .ok)
                    value = Value(table: t)
                }
                objects[id] = Shadow(value: value, edges: [Int?](repeating: nil, count: edgeCount))
                if live.isEmpty || rng.below(2) == 0 {
                    store(root: rng.below(rootIDs.count), id)
                } else {
                    storeEdge(live[rng.below(live.count)], rng.below(edgeCount), id)
                }
            case 3, 4, 5:
                // Rewire an edge between live objects (the barrier's case).
                if live.count >= 2 {
                    storeEdge(live[rng.below(live.count)], rng.below(edgeCount), live[rng.below(live.count)])
                }
            case 6:
                if !live.isEmpty { storeEdge(live[rng.below(live.count)], rng.below(edgeCount), nil) }
            case 7:
                // Move a live object into a root, then drop a root.
                if !live.isEmpty { store(root: rng.below(rootIDs.count), live[rng.below(live.count)]) }
                store(root: rng.below(rootIDs.count), nil)
            default:
                // Churn: garbage strings and tables.
                for i in 0..<4 { _ = g.newTable(arraySize: 4, hashSize: i) ; _ = g.intern("junk-\(step)-\(i)") }
            }
            // Interleave collector work at the finest grain, and the paced steps.
            for _ in 0..<rng.below(4) {
                _ = g.singleStep()
                if g.pointee.phase == .pause { cyclesFinished += 1 }
            }
            if g.stepDue && g.step() { cyclesFinished += 1 }
            if step % 100 == 0 {
                verify()
                // Forget dead objects: they may be freed now.
                let keep = Set(reachable())
                objects = objects.filter { keep.contains($0.key) }
            }
        }
        verify()
        XCTAssertGreaterThan(cyclesFinished, 20)
        g.fullCollect()
        verify()
        for i in 0..<rootIDs.count { store(root: i, nil) }
        g.fullCollect()
        XCTAssertEqual(g.objectBytes, baseline)
    }
}
