/// SINK's choices on IR built by hand over a real constructor template: a table filled and
/// read only within the trace is sunk with its stores; any other use, or a snapshot that
/// hands the state on (a loop's back edge), keeps it; a table stored into another follows
/// it. And FWD's part: a lookup of a key a new table does not have reads nil.
@testable import PerigeeJIT
@testable import PerigeeRuntime
import XCTest

final class AllocationSinkingTests: XCTestCase {
    private var g: GlobalRef!
    private var template: TableRef!
    private var keys: [String: Value] = [:]

    override func setUp() {
        g = GlobalRef.create(hashSeed: 0x5EED)!
        template = g.newTable(arraySize: 0, hashSize: 2)!
        for name in ["x", "y", "absent"] { keys[name] = Value(string: g.intern(name)!) }
        // Dead keys, as the constructor `{x = ..., y = ...}` leaves them.
        for name in ["x", "y"] { _ = template.set(keys[name]!, .true, g) }
        for name in ["x", "y"] { _ = template.set(keys[name]!, .nil, g) }
    }

    override func tearDown() { g.destroy() }

    private func key(_ ir: TraceIR, _ name: String) -> IRRef { ir.object(keys[name]!, .string) }

    /// A TDUP of the template with stores of `value` into x and y.
    private func filledTable(_ ir: TraceIR, _ value: IRRef) -> (table: IRRef, stores: [IRRef]) {
        let t = ir.emit(.TDUP, .table, ir.object(Value(table: template), .table), guard: true)
        var stores: [IRRef] = []
        for name in ["x", "y"] {
            let index = template.nodeIndex(ofString: keys[name]!.string)!
            let slot = ir.emit(.HREFK, .pointer, t, ir.slot(key(ir, name), index), guard: true)
            stores.append(ir.emit(.HSTORE, .nil, slot, value))
        }
        return (t, stores)
    }

    func testATableUsedOnlyByItsStoresAndExitsIsSunk() {
        let ir = TraceIR()
        let v = ir.emit(.SLOAD, .number, 1, 0, guard: true)
        let (t, stores) = filledTable(ir, v)
        // An exit that names it, then a lookup of a key it lacks (FWD makes it nil).
        let exit = ir.snapshot(pc: UnsafePointer(bitPattern: 8)!, depth: 0, [SnapshotEntry(slot: 2, ref: t)])
        let missing = ir.emit(.HREF, .pointer, t, key(ir, "absent"))
        XCTAssertEqual(ir.emit(.HLOAD, .nil, missing, guard: true), .nil, "a new table lacks what its template lacks")
        let end = ir.snapshot(pc: UnsafePointer(bitPattern: 16)!, depth: 0, [SnapshotEntry(slot: 1, ref: v)])
        let plan = AllocationSinking.plan(ir, escaping: [end])
        XCTAssertTrue(plan.isSunk(t))
        XCTAssertEqual(plan.stores[t.raw], stores)
        XCTAssertTrue(plan.skipped.isSuperset(of: [t.raw, missing.raw] + stores.map(\.raw)))
        XCTAssertFalse(plan.skipped.contains(v.raw))
        // The snapshot handed on, or the flag off: made.
        XCTAssertFalse(AllocationSinking.plan(ir, escaping: [exit]).isSunk(t))
        ir.optimizations.remove(.sink)
        XCTAssertFalse(AllocationSinking.plan(ir, escaping: [end]).isSunk(t))
    }

    func testAnyOtherUseKeepsTheTable() {
        let ir = TraceIR()
        let v = ir.emit(.SLOAD, .number, 1, 0, guard: true)
        let (compared, _) = filledTable(ir, v)
        ir.emit(.EQ, .table, compared, ir.emit(.SLOAD, .table, 2, 0, guard: true), guard: true)
        let (stored, _) = filledTable(ir, v)
        let other = ir.emit(.SLOAD, .table, 3, 0, guard: true)
        ir.emit(.HSTORE, .nil, ir.emit(.HREFK, .pointer, other, ir.slot(key(ir, "x"), 0), guard: true), stored)
        let (read, _) = filledTable(ir, v)
        // A load FWD could not forward (a key the template lacks, after a new key's store).
        ir.emit(.CALLS, .nil, ir.emit(.CARG, .nil, read, key(ir, "absent")).raw, IRCall.store.rawValue)
        let plan = AllocationSinking.plan(ir, escaping: [])
        XCTAssertFalse(plan.isSunk(compared))
        XCTAssertFalse(plan.isSunk(stored))
        XCTAssertFalse(plan.isSunk(read))
    }

    func testATableInASunkTableIsSunkWithIt() {
        let ir = TraceIR()
        let v = ir.emit(.SLOAD, .number, 1, 0, guard: true)
        let (inner, _) = filledTable(ir, v)
        let (outer, stores) = filledTable(ir, inner)
        XCTAssertEqual(ir[stores[0]].ref2, inner)
        let exit = ir.snapshot(pc: UnsafePointer(bitPattern: 8)!, depth: 0, [SnapshotEntry(slot: 2, ref: outer)])
        let plan = AllocationSinking.plan(ir, escaping: [])
        XCTAssertTrue(plan.isSunk(inner) && plan.isSunk(outer))
        // The outer one handed on: both made.
        let kept = AllocationSinking.plan(ir, escaping: [exit])
        XCTAssertFalse(kept.isSunk(inner) || kept.isSunk(outer))
    }

    func testAnEmptyTableFilledWithNewKeysIsSunk() {
        let ir = TraceIR()
        let v = ir.emit(.SLOAD, .number, 1, 0, guard: true)
        let t = ir.emit(.TNEW, .table, 0, 0, guard: true)
        func store(_ table: IRRef, _ key: IRRef, _ value: IRRef) -> IRRef {
            ir.emit(.CALLS, .nil, ir.emit(.CARG, .nil, ir.emit(.CARG, .nil, table, key), value).raw,
                    IRCall.store.rawValue, guard: true)
        }
        let stores = [store(t, key(ir, "x"), v), store(t, key(ir, "y"), t)]
        // FWD: the key stored reads back as the value stored; a key never stored, as nil.
        XCTAssertEqual(ir.emit(.HLOAD, .number, ir.emit(.HREF, .pointer, t, key(ir, "x")), guard: true), v)
        XCTAssertEqual(ir.emit(.HLOAD, .nil, ir.emit(.HREF, .pointer, t, key(ir, "absent")), guard: true), .nil)
        let plan = AllocationSinking.plan(ir, escaping: [])
        XCTAssertTrue(plan.isSunk(t), "stored into itself, and read only through forwarded loads")
        XCTAssertEqual(plan.stores[t.raw], stores)
        // A key that may be nil (the exit's store would not check it) keeps it made.
        let u = ir.emit(.TNEW, .table, 0, 0, guard: true)
        _ = store(u, ir.emit(.SLOAD, .number, 2, 0, guard: true), v)
        XCTAssertFalse(AllocationSinking.plan(ir, escaping: []).isSunk(u))
    }

    func testAnArrayTemplateIsSunkAndItsConstantsForwarded() {
        let ir = TraceIR()
        let array = g.newTable(arraySize: 3, hashSize: 0)!
        _ = array.set(Value(number: 3), Value(number: 7), g)
        let v = ir.emit(.SLOAD, .number, 1, 0, guard: true)
        let t = ir.emit(.TDUP, .table, ir.object(Value(table: array), .table), guard: true)
        let store = ir.emit(.ASTORE, .nil, ir.emit(.AREF, .pointer, t, ir.number(1), guard: true), v, guard: true)
        XCTAssertEqual(ir.emit(.ALOAD, .number, ir.emit(.AREF, .pointer, t, ir.number(1), guard: true), guard: true), v)
        XCTAssertEqual(ir.emit(.ALOAD, .number, ir.emit(.AREF, .pointer, t, ir.number(3), guard: true), guard: true),
                       ir.number(7), "the template's constant")
        let plan = AllocationSinking.plan(ir, escaping: [])
        XCTAssertTrue(plan.isSunk(t))
        XCTAssertEqual(plan.stores[t.raw], [store])
        // Past the template's array part: the slot may not exist, the table stays made.
        ir.emit(.ASTORE, .nil, ir.emit(.AREF, .pointer, t, ir.number(9), guard: true), v, guard: true)
        XCTAssertFalse(AllocationSinking.plan(ir, escaping: []).isSunk(t))
    }
}
