/// The trace optimizer's rules on IR built by hand: FOLD's families (number arithmetic,
/// conversions, bit operations, guards on known values), FWD's alias analysis (array, hash
/// and upvalue memory, calls through the runtime), CSE's guard merging, and the `-O` flags
/// that switch each off.
@testable import PerigeeJIT
import PerigeeRuntime
import XCTest

final class FoldTests: XCTestCase {
    func testNumberArithmeticOnConstantsFolds() {
        let ir = TraceIR()
        XCTAssertEqual(ir.emit(.ADD, .number, ir.number(2), ir.number(3)), ir.number(5))
        XCTAssertEqual(ir.emit(.MOD, .number, ir.number(-5), ir.number(3)), ir.number(1), "Lua's modulo: a - floor(a/b)*b")
        XCTAssertEqual(ir.emit(.NEG, .number, ir.number(0)), ir.number(-0.0))
        XCTAssertEqual(ir.count, 0)
        // 0/0 is the machine's NaN, whose sign Lua prints: left to run time.
        ir.emit(.DIV, .number, ir.number(0), ir.number(0))
        XCTAssertEqual(ir.count, 1)
    }

    func testOnlyExactIdentitiesFold() {
        let ir = TraceIR()
        let x = ir.emit(.SLOAD, .number, 1, 0, guard: true)
        XCTAssertEqual(ir.emit(.SUB, .number, x, ir.number(0)), x)
        XCTAssertEqual(ir.emit(.MUL, .number, ir.number(1), x), x, "constants go second in commutative operations")
        XCTAssertEqual(ir.emit(.DIV, .number, x, ir.number(1)), x)
        XCTAssertEqual(ir.emit(.ADD, .number, x, ir.number(-0.0)), x)
        let count = ir.count
        // -0 + 0 is +0: x + 0 is not x.
        XCTAssertNotEqual(ir.emit(.ADD, .number, x, ir.number(0)), x)
        XCTAssertNotEqual(ir.emit(.MUL, .number, x, ir.number(0)), ir.number(0), "x * 0 may be -0 or NaN")
        XCTAssertEqual(ir.count, count + 2)
    }

    func testConversionsAndBitOperations() {
        let ir = TraceIR()
        let n = ir.emit(.SLOAD, .number, 1, 0, guard: true)
        let i = ir.emit(.TOBIT, .int, n)
        XCTAssertEqual(ir.emit(.TOBIT, .int, ir.emit(.CONV, .number, i.raw, 0)), i, "tobit of an integer's number is the integer")
        XCTAssertEqual(ir.emit(.TOBIT, .int, ir.number(4294967295)), ir.int(-1))
        XCTAssertEqual(ir.emit(.CONV, .number, ir.int(-3).raw, 0), ir.number(-3))
        XCTAssertEqual(ir.emit(.BAND, .int, i, ir.int(-1)), i)
        XCTAssertEqual(ir.emit(.BAND, .int, i, ir.int(0)), ir.int(0))
        XCTAssertEqual(ir.emit(.BOR, .int, ir.int(0), i), i)
        XCTAssertEqual(ir.emit(.BXOR, .int, i, i), ir.int(0))
        XCTAssertEqual(ir.emit(.BSHL, .int, i, ir.int(32)), i, "shift counts are taken modulo 32")
        XCTAssertEqual(ir.emit(.BROL, .int, ir.int(Int32(bitPattern: 0x8000_0001)), ir.int(1)), ir.int(3))
        XCTAssertEqual(ir.emit(.BSAR, .int, ir.int(-8), ir.int(1)), ir.int(-4))
        XCTAssertEqual(ir.emit(.BSHR, .int, ir.int(-8), ir.int(28)), ir.int(15))
        XCTAssertEqual(ir.emit(.BSWAP, .int, ir.int(0x0102_0304)), ir.int(0x0403_0201))
        XCTAssertEqual(ir.count, 3, "the load, TOBIT and CONV")
    }

    func testGuardsOnKnownValuesAreDropped() {
        let ir = TraceIR()
        XCTAssertEqual(ir.emit(.LT, .number, ir.number(1), ir.number(2), guard: true), .true)
        XCTAssertEqual(ir.emit(.GE, .number, ir.number(.nan), ir.number(2), guard: true), .true, "GE holds when LT fails")
        XCTAssertEqual(ir.emit(.LE, .int, ir.int(3), ir.int(3), guard: true), .true)
        let f = ir.emit(.SLOAD, .function, 1, 0, guard: true)
        XCTAssertEqual(ir.emit(.EQ, .function, f, f, guard: true), .true)
        XCTAssertEqual(ir.emit(.NE, .pointer, ir.pointer(8), ir.pointer(16), guard: true), .true)
        XCTAssertEqual(ir.count, 1)
        // A guard known to fail stays (the trace always leaves there); a number may be NaN.
        ir.emit(.GT, .number, ir.number(1), ir.number(2), guard: true)
        let x = ir.emit(.SLOAD, .number, 2, 0, guard: true)
        ir.emit(.EQ, .number, x, x, guard: true)
        XCTAssertEqual(ir.count, 4)
    }

    func testFlagsSwitchFoldAndCSEOff() {
        let ir = TraceIR()
        ir.optimizations.remove(.fold)
        ir.emit(.ADD, .number, ir.number(2), ir.number(3))
        XCTAssertEqual(ir.count, 1)
        ir.optimizations.remove(.cse)
        let x = ir.emit(.SLOAD, .number, 1, 0, guard: true)
        XCTAssertNotEqual(ir.emit(.NEG, .number, x), ir.emit(.NEG, .number, x))
        var parameters = JITParameters()
        XCTAssertEqual(Optimizations(parameters), .all)
        XCTAssertNil(parameters.applying(["-fold", "-fwd"]))
        XCTAssertEqual(Optimizations(parameters), Optimizations.all.subtracting([.fold, .fwd]))
        XCTAssertNil(parameters.applying(["1"]))
        XCTAssertEqual(Optimizations(parameters), [.fold, .cse, .dce])
    }

    func testCSEMergesAGuardOnlyIntoAGuard() {
        let ir = TraceIR()
        let t = ir.emit(.SLOAD, .table, 1, 0, guard: true), key = ir.emit(.SLOAD, .string, 2, 0, guard: true)
        let maybe = ir.emit(.HREF, .pointer, t, key)
        let found = ir.emit(.HREF, .pointer, t, key, guard: true)
        XCTAssertNotEqual(found, maybe, "a lookup that may miss does not check that the key is there")
        XCTAssertEqual(ir.emit(.HREF, .pointer, t, key), found, "the guarded one answers for both")
    }
}

final class LoadForwardingTests: XCTestCase {
    private func hashSlot(_ ir: TraceIR, _ t: IRRef, _ key: Double) -> IRRef {
        ir.emit(.HREFK, .pointer, t, ir.slot(ir.number(key), 0), guard: true)
    }

    func testHashLoadsForwardStoresAndLoadsOfTheSameKey() {
        let ir = TraceIR()
        let t = ir.emit(.SLOAD, .table, 1, 0, guard: true), u = ir.emit(.SLOAD, .table, 2, 0, guard: true)
        let v = ir.emit(.SLOAD, .number, 3, 0, guard: true)
        let x = hashSlot(ir, t, 1), y = hashSlot(ir, u, 2)
        ir.emit(.HSTORE, .nil, x, v, guard: true)
        ir.emit(.HSTORE, .nil, y, ir.number(7), guard: true)
        XCTAssertEqual(ir.emit(.HLOAD, .number, x, guard: true), v, "another key is another slot, in any table")
        XCTAssertEqual(ir.emit(.HLOAD, .number, y, guard: true), ir.number(7))
        // Another table's slot for the same key may be this one (the same table in two slots).
        let z = hashSlot(ir, u, 1)
        ir.emit(.HSTORE, .nil, z, ir.number(9), guard: true)
        let count = ir.count
        XCTAssertNotEqual(ir.emit(.HLOAD, .number, x, guard: true), v)
        XCTAssertEqual(ir.count, count + 1)
        // A load of another type would fail its guard: it stays.
        ir.emit(.HSTORE, .nil, y, ir.number(8), guard: true)
        XCTAssertNotEqual(ir.emit(.HLOAD, .string, y, guard: true), ir.number(8))
    }

    func testTablesMadeInTheTraceAreDifferentFromOtherTables() {
        let ir = TraceIR()
        let old = ir.emit(.SLOAD, .table, 1, 0, guard: true)
        let template = ir.object(Value.nil, .table)
        let a = ir.emit(.TDUP, .table, template, guard: true), b = ir.emit(.TDUP, .table, template, guard: true)
        let x = hashSlot(ir, a, 1)
        ir.emit(.HSTORE, .nil, x, ir.number(1), guard: true)
        ir.emit(.HSTORE, .nil, hashSlot(ir, b, 1), ir.number(2), guard: true)
        ir.emit(.HSTORE, .nil, hashSlot(ir, old, 1), ir.number(3), guard: true)
        XCTAssertEqual(ir.emit(.HLOAD, .number, x, guard: true), ir.number(1),
                       "neither another new table nor a table the trace had before is this one")
        // A new table has no metatable until one is stored.
        let meta = ir.emit(.FLOAD, .pointer, a.raw, IRField.tableMetatable.rawValue)
        XCTAssertEqual(meta, ir.pointer(0))
        ir.emit(.FSTORE, .nil, ir.emit(.FREF, .pointer, b.raw, IRField.tableMetatable.rawValue), old)
        XCTAssertNotEqual(ir.emit(.FLOAD, .pointer, b.raw, IRField.tableMetatable.rawValue), ir.pointer(0))
        // A table loaded after the new one was made may be it (stored somewhere, read back).
        let later = ir.emit(.SLOAD, .table, 2, 0, guard: true)
        ir.emit(.HSTORE, .nil, hashSlot(ir, later, 1), ir.number(4), guard: true)
        XCTAssertNotEqual(ir.emit(.HLOAD, .number, x, guard: true), ir.number(1))
    }

    func testArraySlotsAtDifferentOffsetsDoNotAlias() {
        let ir = TraceIR()
        let t = ir.emit(.SLOAD, .table, 1, 0, guard: true), i = ir.emit(.SLOAD, .number, 2, 0, guard: true)
        let here = ir.emit(.AREF, .pointer, t, i, guard: true)
        let next = ir.emit(.AREF, .pointer, t, ir.emit(.ADD, .number, i, ir.number(1)), guard: true)
        let loaded = ir.emit(.ALOAD, .number, here, guard: true)
        ir.emit(.ASTORE, .nil, next, ir.number(5), guard: true)
        XCTAssertEqual(ir.emit(.ALOAD, .number, here, guard: true), loaded)
        XCTAssertEqual(ir.emit(.ALOAD, .number, next, guard: true), ir.number(5))
        // An index the trace cannot relate to i may be i.
        let j = ir.emit(.SLOAD, .number, 3, 0, guard: true)
        ir.emit(.ASTORE, .nil, ir.emit(.AREF, .pointer, t, j, guard: true), ir.number(6), guard: true)
        XCTAssertNotEqual(ir.emit(.ALOAD, .number, here, guard: true), loaded)
        // A hash store never touches the array part.
        let again = ir.emit(.ALOAD, .number, here, guard: true)
        ir.emit(.HSTORE, .nil, hashSlot(ir, t, 1.5), ir.number(1), guard: true)
        XCTAssertEqual(ir.emit(.ALOAD, .number, here, guard: true), again)
    }

    func testUpvaluesOfOneClosureAreDistinctCells() {
        let ir = TraceIR()
        let f = ir.emit(.SLOAD, .function, 0, 0, guard: true), g = ir.emit(.SLOAD, .function, 1, 0, guard: true)
        let first = ir.emit(.UREFC, .pointer, f.raw, 0), second = ir.emit(.UREFC, .pointer, f.raw, 1)
        XCTAssertEqual(ir.emit(.UREFC, .pointer, f.raw, 0), first, "CSE: a closure's upvalue cell")
        let a = ir.emit(.ULOAD, .number, first, guard: true)
        ir.emit(.USTORE, .nil, second, ir.number(2))
        XCTAssertEqual(ir.emit(.ULOAD, .number, first, guard: true), a)
        XCTAssertEqual(ir.emit(.ULOAD, .number, second, guard: true), ir.number(2))
        // Another closure may share the upvalue.
        ir.emit(.USTORE, .nil, ir.emit(.UREFC, .pointer, g.raw, 1), ir.number(3))
        XCTAssertNotEqual(ir.emit(.ULOAD, .number, first, guard: true), a)
    }

    func testRuntimeCallsEndForwardingAndAddressReuse() {
        let ir = TraceIR()
        let t = ir.emit(.SLOAD, .table, 1, 0, guard: true)
        let x = hashSlot(ir, t, 1)
        let a = ir.emit(.HLOAD, .number, x, guard: true)
        // A new key's store may grow the table and move its nodes.
        ir.emit(.CALLS, .nil, ir.emit(.CARG, .nil, t, ir.number(2)), IRRef(raw: IRCall.store.rawValue), guard: true)
        XCTAssertNotEqual(hashSlot(ir, t, 1), x, "the node's address is computed again")
        XCTAssertNotEqual(ir.emit(.HLOAD, .number, x, guard: true), a)
        // Immutable memory: a string's length survives anything.
        let s = ir.emit(.SLOAD, .string, 2, 0, guard: true)
        let length = ir.emit(.FLOAD, .number, s.raw, IRField.stringLength.rawValue)
        ir.emit(.CALLS, .nil, 0, IRCall.call.rawValue)
        XCTAssertEqual(ir.emit(.FLOAD, .number, s.raw, IRField.stringLength.rawValue), length)
    }

    func testFwdFlagOff() {
        let ir = TraceIR()
        ir.optimizations.remove(.fwd)
        let t = ir.emit(.SLOAD, .table, 1, 0, guard: true)
        let x = hashSlot(ir, t, 1)
        XCTAssertNotEqual(ir.emit(.HLOAD, .number, x, guard: true), ir.emit(.HLOAD, .number, x, guard: true))
    }
}

final class LoopInvariantTests: XCTestCase {
    func testInvariantLoadsAndGuardsAreHoistedAndTheRestStays() {
        let ir = TraceIR()
        let t = ir.emit(.SLOAD, .table, 1, 0, guard: true), i = ir.emit(.SLOAD, .number, 2, 0, guard: true)
        let field = ir.emit(.HREFK, .pointer, t, ir.slot(ir.number(7), 0), guard: true)
        let f = ir.emit(.HLOAD, .function, field, guard: true)
        let check = ir.emit(.EQ, .function, f, ir.pointer(64), guard: true)
        let slot = ir.emit(.AREF, .pointer, t, i, guard: true)
        let v = ir.emit(.ALOAD, .number, slot, guard: true)
        let next = ir.emit(.ADD, .number, i, ir.number(1))
        let stored = ir.emit(.ASTORE, .nil, ir.emit(.AREF, .pointer, t, next, guard: true), v, guard: true)
        let hoisted = LoopInvariants.hoistable(ir, changedSlots: [2])
        XCTAssertEqual(hoisted, Set([t, field, f, check].map(\.raw)))
        XCTAssertFalse(hoisted.contains(stored.raw))
        ir.optimizations.remove(.loop)
        XCTAssertTrue(LoopInvariants.hoistable(ir, changedSlots: [2]).isEmpty, "-O-loop")
    }

    func testStoresThatMayAliasKeepALoadInTheLoop() {
        let ir = TraceIR()
        let t = ir.emit(.SLOAD, .table, 1, 0, guard: true), u = ir.emit(.SLOAD, .table, 2, 0, guard: true)
        let key = ir.slot(ir.number(7), 0)
        let x = ir.emit(.HLOAD, .number, ir.emit(.HREFK, .pointer, t, key, guard: true), guard: true)
        // u's slot for the same key may be t's.
        ir.emit(.HSTORE, .nil, ir.emit(.HREFK, .pointer, u, key, guard: true), ir.number(1), guard: true)
        XCTAssertFalse(LoopInvariants.hoistable(ir, changedSlots: []).contains(x.raw))
    }

    func testNothingIsHoistedFromATraceThatCallsTheRuntime() {
        let ir = TraceIR()
        ir.emit(.SLOAD, .number, 1, 0, guard: true)
        ir.emitRuntimeCall(RuntimeCall(helper: IRCall.call.rawValue, instruction: 0, pc: 0, frameOffset: 0,
                                       writeBack: 0, failure: 0, yield: 0, multres: 0))
        XCTAssertTrue(LoopInvariants.hoistable(ir, changedSlots: []).isEmpty)
    }
}
