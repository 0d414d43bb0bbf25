/// Collector correctness: roots, cycles, memory returning to baseline, weak tables, finalizers, upvalues, limits.
@testable import PerigeeRuntime
import XCTest

/// Userdata whose finalizer ran, in order, and one to resurrect (finalizer hooks are C functions).
var finalized: [UInt64] = []
var resurrectInto: TableRef?

let recordingFinalizer: FinalizerHook = { graw, uraw, _ in
    let g = graw.assumingMemoryBound(to: GlobalState.self)
    let u = uraw.assumingMemoryBound(to: GCUserdata.self)
    finalized.append(u.payload.load(as: UInt64.self))
    if let t = resurrectInto { _ = t.set(integer: t.length() + 1, Value(userdata: u), g) }
    return true
}

final class GCTests: XCTestCase {
    var g: GlobalRef!
    override func setUp() {
        g = makeState()
        finalized = []
        resurrectInto = nil
    }
    override func tearDown() { g.destroy() }

    func testReachableFromRegistryAndStackSurvive() {
        let fromRegistry = g.newTable()!
        _ = g.pointee.registry.set(g.key("keep"), Value(table: fromRegistry), g)
        _ = fromRegistry.set(integer: 1, g.key("payload"), g)
        let fromStack = g.newTable()!
        g.push(Value(table: fromStack))
        _ = fromStack.set(g.key("x"), .num(42), g)
        let garbage = g.newTable()!
        _ = garbage.set(g.key("unreferenced-string-value"), .true, g)
        let countBefore = g.objectCount
        g.fullCollect()
        XCTAssertEqual(fromRegistry.get(integer: 1), g.key("payload"))
        XCTAssertEqual(fromStack.get(g.key("x")), .num(42))
        XCTAssertEqual(g.objectCount, countBefore - 2, "the table and its key string")
    }

    func testCyclicGarbageIsFreed() {
        g.fullCollect()
        let baseline = g.pointee.totalBytes
        for _ in 0..<100 {
            let a = g.newTable()!, b = g.newTable()!
            _ = a.set(g.key("other"), Value(table: b), g)
            _ = b.set(g.key("other"), Value(table: a), g)
            a.pointee.metatable = b
            b.pointee.metatable = a
        }
        XCTAssertGreaterThan(g.pointee.totalBytes, baseline)
        g.fullCollect()
        XCTAssertEqual(g.pointee.totalBytes, baseline)
    }

    func testMemoryReturnsToBaselineAcrossIncrementalCycles() {
        g.fullCollect()
        let baseline = g.objectBytes
        var peak = 0
        var cycles = 0
        for round in 0..<3000 {
            // A ring of tables with a closure, a userdata and strings, then dropped.
            let first = g.newTable()!
            g.push(Value(table: first))
            var previous = first
            for i in 0..<5 {
                let t = g.newTable(arraySize: 2, hashSize: 2)!
                _ = previous.set(integer: 1, Value(table: t), g)
                _ = t.set(g.key("r\(round % 50)-\(i)"), Value(table: previous), g)
                previous = t
            }
            let u = g.newUserdata(size: 16)!
            u.setMetatable(first, g)
            _ = previous.set(integer: 2, Value(userdata: u), g)
            _ = previous.set(integer: 1, Value(table: first), g)
            g.popAll()
            if g.stepDue { if g.step() { cycles += 1 } }
            peak = max(peak, g.pointee.totalBytes)
        }
        XCTAssertGreaterThan(cycles, 5, "the incremental collector completed cycles on its own")
        XCTAssertLessThan(peak, baseline + 2_000_000, "the debt-driven steps bounded memory")
        g.fullCollect()
        XCTAssertEqual(g.objectBytes, baseline)
    }

    func testWeakTables() {
        for (mode, keysWeak, valuesWeak) in [("k", true, false), ("v", false, true), ("kv", true, true)] {
            let weak = g.newTable()!
            g.push(Value(table: weak))
            let mt = g.newTable()!
            _ = mt.set(g.key("__mode"), g.key(mode), g)
            weak.pointee.metatable = mt
            let liveKey = g.newTable()!, liveValue = g.newTable()!
            g.push(Value(table: liveKey))
            g.push(Value(table: liveValue))
            _ = weak.set(Value(table: liveKey), Value(table: liveValue), g)   // both live: stays
            _ = weak.set(Value(table: g.newTable()!), Value(table: liveValue), g)  // dead key
            _ = weak.set(Value(table: g.newTable()!), .true, g)  // dead key, plain value
            _ = weak.set(g.key("s"), Value(table: g.newTable()!), g)  // dead value
            _ = weak.set(g.key("str"), g.key("string values are never cleared"), g)
            _ = weak.set(integer: 1, Value(table: g.newTable()!), g)  // dead value in the array part
            _ = weak.set(g.key("n"), .num(1), g)
            g.fullCollect()
            var entries = 0
            var k = Value.nil, v = Value.nil
            while weak.next(&k, &v) == .found { entries += 1 }
            XCTAssertEqual(weak.get(Value(table: liveKey)), Value(table: liveValue), mode)
            XCTAssertEqual(weak.get(g.key("str")), g.key("string values are never cleared"), mode)
            XCTAssertEqual(weak.get(g.key("n")), .num(1))
            XCTAssertEqual(weak.get(g.key("s")).isNil, valuesWeak, mode)
            XCTAssertEqual(weak.get(integer: 1).isNil, valuesWeak, mode)
            let expected = 3 + (valuesWeak ? 0 : 2) + (keysWeak ? 0 : 2)
            XCTAssertEqual(entries, expected, mode)
            g.popAll()
        }
    }

    func testWeakValuesDropFinalizedUserdataButKeysKeepThem() {
        g.pointee.finalizerHook = recordingFinalizer
        let mt = g.newTable()!
        _ = mt.set(g.key("__gc"), .true, g)
        let wv = g.newTable()!, wk = g.newTable()!
        g.push(Value(table: wv)); g.push(Value(table: wk)); g.push(Value(table: mt))
        let wvm = g.newTable()!, wkm = g.newTable()!
        _ = wvm.set(g.key("__mode"), g.key("v"), g)
        _ = wkm.set(g.key("__mode"), g.key("k"), g)
        wv.pointee.metatable = wvm
        wk.pointee.metatable = wkm
        let u = g.newUserdata(size: 8)!
        u.payload.storeBytes(of: 7, as: UInt64.self)
        u.setMetatable(mt, g)
        _ = wv.set(integer: 1, Value(userdata: u), g)
        _ = wk.set(Value(userdata: u), .true, g)
        g.fullCollect()
        XCTAssertEqual(finalized, [7])
        XCTAssertTrue(wv.get(integer: 1).isNil, "finalized userdata leave weak values at once")
        XCTAssertEqual(wk.get(Value(userdata: u)), .true, "resurrected for its finalizer: kept as a weak key")
        g.fullCollect()
        var k = Value.nil, v = Value.nil
        XCTAssertEqual(wk.next(&k, &v), .end, "gone the cycle after")
    }

    func testFinalizersRunOnceResurrectAndFreeNextCycle() {
        g.pointee.finalizerHook = recordingFinalizer
        let mt = g.newTable()!
        g.push(Value(table: mt))
        _ = mt.set(g.key("__gc"), .true, g)
        g.fullCollect()
        let baseline = g.pointee.totalBytes
        for i in 0..<10 {
            let u = g.newUserdata(size: 8)!
            u.payload.storeBytes(of: UInt64(i), as: UInt64.self)
            u.setMetatable(mt, g)
        }
        let plain = g.newUserdata(size: 8)!  // no __gc: never queued
        plain.payload.storeBytes(of: 99, as: UInt64.self)
        g.fullCollect()
        XCTAssertEqual(finalized, Array((0..<10).reversed()).map(UInt64.init), "each once, newest first (Lua 5.1)")
        XCTAssertGreaterThan(g.pointee.totalBytes, baseline, "resurrected until the next cycle")
        g.fullCollect()
        XCTAssertEqual(finalized.count, 10, "never twice")
        XCTAssertEqual(g.pointee.totalBytes, baseline)

        // Resurrection: the finalizer stores the userdata; it lives on, not finalized again.
        let keep = g.newTable()!
        g.push(Value(table: keep))
        resurrectInto = keep
        finalized = []
        let u = g.newUserdata(size: 8)!
        u.payload.storeBytes(of: 1234, as: UInt64.self)
        u.setMetatable(mt, g)
        g.fullCollect()
        XCTAssertEqual(finalized, [1234])
        XCTAssertEqual(keep.get(integer: 1), Value(userdata: u))
        g.fullCollect()
        g.fullCollect()
        XCTAssertEqual(finalized, [1234])
        XCTAssertEqual(u.payload.load(as: UInt64.self), 1234, "still alive")
        _ = keep.set(integer: 1, .nil, g)
        resurrectInto = nil
        let before = g.pointee.totalBytes
        g.fullCollect()
        XCTAssertEqual(finalized, [1234])
        XCTAssertLessThan(g.pointee.totalBytes, before)
    }

    func testIncrementalFinalization() {
        g.pointee.finalizerHook = recordingFinalizer
        let mt = g.newTable()!
        g.push(Value(table: mt))
        _ = mt.set(g.key("__gc"), .true, g)
        for i in 0..<100 {
            let u = g.newUserdata(size: 64)!
            u.payload.storeBytes(of: UInt64(i), as: UInt64.self)
            u.setMetatable(mt, g)
        }
        var steps = 0
        while finalized.count < 100 && steps < 100_000 { _ = g.collectStep(kilobytes: 0); steps += 1 }
        XCTAssertEqual(finalized.sorted(), Array(0..<100).map(UInt64.init))
        XCTAssertGreaterThan(steps, 1)
    }

    func testStackMarkedBelowTopClearedAbove() {
        let t = g.pointee.mainThread
        XCTAssertTrue(t.ensureStack(10, g))
        let live = g.newTable()!
        let dead = g.newTable()!
        t.pointee.stack[0] = Value(table: live)
        t.pointee.stack[5] = Value(table: dead)
        t.pointee.top = 1
        g.fullCollect()
        XCTAssertEqual(header(live).pointee.gct, GCObjectType.table)
        XCTAssertTrue(t.pointee.stack[5].isNil, "slots above top are cleared")
        // Growing keeps values and stays nil above.
        t.pointee.top = 40
        XCTAssertTrue(t.ensureStack(1000, g))
        XCTAssertEqual(t.pointee.stack[0], Value(table: live))
        XCTAssertTrue(t.pointee.stack[1039].isNil)
        XCTAssertFalse(t.ensureStack(maximumStackSize, g))
    }

    /// An overflow opens the reserve above the limit for the error handler, without moving
    /// the stack; a second one fails; unwinding below the limit closes it again.
    func testStackOverflowReserve() {
        let co = g.newThread()!
        g.push(Value(thread: co))
        XCTAssertTrue(co.ensureStack(maximumStackSize, g))
        XCTAssertFalse(co.isHandlingStackOverflow)
        co.pointee.top = UInt32(maximumStackSize - 10)
        let stack = co.pointee.stack
        XCTAssertFalse(co.ensureStack(20, g))
        XCTAssertTrue(co.isHandlingStackOverflow)
        XCTAssertEqual(co.pointee.stack, stack, "opening the reserve moves nothing")
        XCTAssertTrue(co.ensureStack(10 + overflowReserveSlots, g))
        co.pointee.stack[maximumStackSize + 5] = .true
        XCTAssertFalse(co.ensureStack(11 + overflowReserveSlots, g), "an overflow while handling one fails")
        co.pointee.top = UInt32(maximumStackSize - 1)
        co.relimitStack()
        XCTAssertTrue(co.isHandlingStackOverflow, "not relimited while the top is at the limit")
        co.pointee.top = 100
        co.relimitStack()
        XCTAssertFalse(co.isHandlingStackOverflow)
        XCTAssertEqual(Int(co.pointee.stackSize), maximumStackSize)
        XCTAssertTrue(co.pointee.stack[maximumStackSize + 5].isNil)
    }

    func testUpvaluesOpenCloseAndOutliveTheirThread() {
        let co = g.newThread()!
        g.push(Value(thread: co))
        XCTAssertTrue(co.ensureStack(8, g))
        co.pointee.top = 4
        let captured = g.newTable()!
        co.pointee.stack[2] = Value(table: captured)
        let uv = co.findUpvalue(slot: 2, g)!
        XCTAssertEqual(co.findUpvalue(slot: 2, g), uv, "one upvalue per slot")
        let uv3 = co.findUpvalue(slot: 3, g)!
        let uv1 = co.findUpvalue(slot: 1, g)!
        XCTAssertEqual(co.pointee.openUpvalues, header(uv3), "sorted, highest slot first")
        XCTAssertEqual(uv.value, Value(table: captured))
        // Stack growth rebases open upvalues.
        XCTAssertTrue(co.ensureStack(500, g))
        XCTAssertEqual(uv.value, Value(table: captured))
        XCTAssertEqual(uv.pointee.v, co.pointee.stack + 2)
        // A closure holding the upvalue keeps it; closing copies the value.
        let proto = g.newProto(bytecodeCount: 1, constantCount: 1, upvalueCount: 1)!
        proto.pointee.constants[0] = g.key("constant")
        let f = g.newLuaClosure(proto, env: g.pointee.registry)!
        f.setUpvalue(0, uv, g)
        _ = g.pointee.registry.set(g.key("f"), Value(function: f), g)
        co.closeUpvalues(from: 3, g)
        XCTAssertEqual(co.pointee.openUpvalues, header(uv), "slot 3 closed, 2 and 1 open")
        XCTAssertEqual(uv3.pointee.closed, 1)
        _ = uv1
        // The thread dies with the upvalue open: the closure still sees the value.
        g.popAll()
        g.fullCollect()
        XCTAssertEqual(uv.pointee.closed, 1)
        XCTAssertEqual(uv.value, Value(table: captured))
        XCTAssertEqual(header(captured).pointee.gct, GCObjectType.table)
        XCTAssertEqual(proto.pointee.constants[0], g.key("constant"))
        g.fullCollect()
        XCTAssertEqual(f.upvalueObjects[0]!.value, Value(table: captured))
        // Upvalue writes after closing go through the barrier.
        uv.set(.num(5), g)
        XCTAssertEqual(uv.value, .num(5))
        XCTAssertNil(g.pointee.openUpvalues)
    }

    func testBuiltinsAndProtosAreTraced() {
        let entry: BuiltinEntry = { _ in 0 }
        let f = g.newBuiltin(entry, upvalueCount: 2, env: nil)!
        _ = g.pointee.registry.set(g.key("builtin"), Value(function: f), g)
        f.setUpvalue(0, Value(table: g.newTable()!), g)
        f.setUpvalue(1, g.key("up"), g)
        let inner = g.newProto(bytecodeCount: 0, constantCount: 0, upvalueCount: 0)!
        let outer = g.newProto(bytecodeCount: 4, constantCount: 2, upvalueCount: 0)!
        outer.pointee.constants[0] = Value(proto: inner)
        outer.pointee.constants[1] = .num(1.5)
        outer.pointee.chunkName = g.string("=chunk")
        let closure = g.newLuaClosure(outer, env: nil)!
        f.setUpvalue(0, Value(function: closure), g)
        g.fullCollect()
        g.fullCollect()
        XCTAssertEqual(f.entry(UnsafeMutableRawPointer(g.pointee.mainThread)), 0)
        XCTAssertEqual(f.upvalueValues[1], g.key("up"))
        XCTAssertEqual(closure.proto, outer)
        XCTAssertEqual(header(inner).pointee.gct, GCObjectType.proto)
        XCTAssertEqual(outer.pointee.chunkName!.description, "=chunk")
        _ = g.pointee.registry.set(g.key("builtin"), .nil, g)
        let before = g.pointee.totalBytes
        g.fullCollect()
        XCTAssertLessThan(g.pointee.totalBytes, before)
    }

    func testMemoryLimitFailsAsStatus() {
        g.fullCollect()
        g.pointee.memoryLimit = g.pointee.totalBytes + 200_000
        let anchor = g.newTable()!
        g.push(Value(table: anchor))
        var status = TableStatus.ok
        var i = 1
        while status == .ok && i < 1_000_000 {
            status = anchor.set(integer: i, Value(table: g.newTable() ?? anchor), g)
            i += 1
        }
        XCTAssertEqual(status, .outOfMemory)
        XCTAssertLessThanOrEqual(g.pointee.totalBytes, g.pointee.memoryLimit)
        XCTAssertNil(g.newUserdata(size: 300_000))
        let big = [UInt8](repeating: 1, count: 300_000)
        XCTAssertNil(big.withUnsafeBufferPointer { g.intern($0) })
        // The table is intact after the failed growth.
        XCTAssertEqual(anchor.length(), i - 2)
        // Garbage is reclaimed by the collection that runs before failing.
        g.popAll()
        XCTAssertNotNil(g.newUserdata(size: 100_000))
        g.pointee.memoryLimit = 0
        g.fullCollect()
    }

    func testBackwardBarrierRegraysBlackTable() {
        let a = g.newTable()!
        _ = g.pointee.registry.set(g.key("a"), Value(table: a), g)
        g.fullCollect()
        _ = g.singleStep()
        XCTAssertEqual(g.pointee.phase, .propagate)
        while !header(a).isBlack { _ = g.singleStep() }
        let b = g.newTable()!
        _ = b.set(g.key("inner"), g.key("payload"), g)
        XCTAssertTrue(header(b).isWhite)
        _ = a.set(g.key("b"), Value(table: b), g)
        XCTAssertFalse(header(a).isBlack, "turned gray again")
        XCTAssertEqual(g.pointee.grayAgain, header(a))
        while g.pointee.phase != .pause { _ = g.singleStep() }
        XCTAssertEqual(b.get(g.key("inner")), g.key("payload"))
        g.fullCollect()
        XCTAssertEqual(a.get(g.key("b")), Value(table: b))
        XCTAssertEqual(b.get(g.key("inner")), g.key("payload"))
    }

    /// A new white key stored with a non-collectable value into a black table must survive
    /// the cycle: the key itself needs the barrier.
    func testNewKeyInBlackTableSurvives() {
        let a = g.newTable()!
        _ = g.pointee.registry.set(g.key("a"), Value(table: a), g)
        g.fullCollect()
        _ = g.singleStep()
        while !header(a).isBlack { _ = g.singleStep() }
        let key = g.intern("fresh key made while the table is black")!
        XCTAssertTrue(header(key).isWhite)
        _ = a.set(Value(string: key), Value(number: 1), g)
        while g.pointee.phase != .pause { _ = g.singleStep() }
        g.fullCollect()
        XCTAssertEqual(a.get(string: g.intern("fresh key made while the table is black")!), Value(number: 1))
        XCTAssertEqual(a.get(string: key), Value(number: 1), "the key string was freed and interned anew")
    }

    func testForwardBarrierMarksWhileMarkingAndWhitensWhileSweeping() {
        let entry: BuiltinEntry = { _ in 0 }
        let f = g.newBuiltin(entry, upvalueCount: 2, env: nil)!
        _ = g.pointee.registry.set(g.key("f"), Value(function: f), g)
        g.fullCollect()
        _ = g.singleStep()
        while !header(f).isBlack { _ = g.singleStep() }
        let c = g.newTable()!
        f.setUpvalue(0, Value(table: c), g)
        XCTAssertFalse(header(c).isWhite, "marked at once")
        while g.pointee.phase != .sweepString { _ = g.singleStep() }
        XCTAssertTrue(header(f).isBlack)
        let d = g.newTable()!
        f.setUpvalue(1, Value(table: d), g)
        XCTAssertTrue(header(f).isWhite, "the function turned white instead")
        while g.pointee.phase != .pause { _ = g.singleStep() }
        g.fullCollect()
        XCTAssertEqual(f.upvalueValues[0], Value(table: c))
        XCTAssertEqual(f.upvalueValues[1], Value(table: d))
        XCTAssertEqual(header(d).pointee.gct, GCObjectType.table)
    }

    func testEmergencyCollectionLeavesFinalizersQueued() {
        g.pointee.finalizerHook = recordingFinalizer
        let mt = g.newTable()!
        g.push(Value(table: mt))
        _ = mt.set(g.key("__gc"), .true, g)
        let u = g.newUserdata(size: 8)!
        u.payload.storeBytes(of: 5, as: UInt64.self)
        u.setMetatable(mt, g)
        g.pointee.memoryLimit = g.pointee.totalBytes + 1000
        XCTAssertNotNil(g.newUserdata(size: 100), "fits")
        XCTAssertNil(g.newUserdata(size: 5000), "past the limit even after collecting")
        XCTAssertEqual(finalized, [], "no finalizer inside an allocation")
        XCTAssertNotNil(g.pointee.finalizeHead)
        g.pointee.memoryLimit = 0
        g.fullCollect()
        XCTAssertEqual(finalized, [5])
    }

    func testStopRestartAndSettings() {
        XCTAssertEqual(g.setPause(150), 200)
        XCTAssertEqual(g.setPause(200), 150)
        XCTAssertEqual(g.setStepMultiplier(400), 200)
        g.stopCollector()
        for _ in 0..<1000 { _ = g.newTable() }
        XCTAssertFalse(g.stepDue)
        g.restartCollector()
        XCTAssertTrue(g.stepDue)
        g.fullCollect()
        XCTAssertGreaterThan(g.kilobytesInUse, 0)
        XCTAssertEqual(g.pointee.phase, .pause)
        _ = g.setStepMultiplier(1)
        XCTAssertFalse(g.collectStep(kilobytes: 0), "one small step does not finish a cycle")
        XCTAssertNotEqual(g.pointee.phase, .pause)
        _ = g.setStepMultiplier(200)
        XCTAssertTrue(g.collectStep(kilobytes: 1 << 20), "a large step finishes it")
        XCTAssertEqual(g.pointee.phase, .pause)
    }
}
