/// The trace IR's table and buffer: constants interned below the bias, CSE merging equal pure
/// instructions (not loads or stores), comparison inversion, and the `-jdump` listing.
import PerigeeJIT
import PerigeeRuntime
import XCTest

final class TraceIRTests: XCTestCase {
    func testConstantsAreInternedBelowTheBias() {
        let ir = TraceIR()
        XCTAssertTrue(IRRef.nil.isConstant)
        XCTAssertEqual(ir[.true].type, .true)
        let one = ir.int(1), minus = ir.int(-7)
        XCTAssertEqual(ir.int(1), one)
        XCTAssertNotEqual(one, minus)
        XCTAssertEqual(ir.intValue(minus), -7)
        let half = ir.number(0.5)
        XCTAssertEqual(ir.number(0.5), half)
        XCTAssertNotEqual(ir.number(-0.0), ir.number(0.0), "-0 and +0 are different constants")
        XCTAssertEqual(Double(bitPattern: ir.payload(half)), 0.5)
        XCTAssertTrue(half.isConstant)
        XCTAssertEqual(ir.count, 0)
    }

    func testCSEMergesPureInstructionsOnly() {
        let ir = TraceIR()
        let a = ir.emit(.SLOAD, .number, 1, 0), b = ir.emit(.SLOAD, .number, 2, 0)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(ir.emit(.SLOAD, .number, 1, 0).raw, a.raw + 2, "loads are never merged")
        let sum = ir.emit(.ADD, .number, a, b)
        XCTAssertEqual(ir.emit(.ADD, .number, b, a), sum, "ADD commutes")
        XCTAssertNotEqual(ir.emit(.SUB, .number, a, b), ir.emit(.SUB, .number, b, a))
        XCTAssertNotEqual(ir.emit(.ADD, .int, a, b), sum, "a different type is a different value")
        let stores = ir.count
        ir.emit(.ASTORE, .number, a, b)
        ir.emit(.ASTORE, .number, a, b)
        XCTAssertEqual(ir.count, stores + 2)
    }

    func testComparisonTableAndInversion() {
        XCTAssertEqual(IROp.LT.inverted, .GE)
        XCTAssertEqual(IROp.GT.inverted, .LE)
        XCTAssertEqual(IROp.UGE.inverted, .ULT)
        XCTAssertEqual(IROp.NE.inverted, .EQ)
        XCTAssertNil(IROp.ABC.inverted)
        XCTAssertTrue(IROp.EQ.info.commutative)
        XCTAssertEqual(IROp.HLOAD.info.effect, .load)
        XCTAssertEqual(IROp.TNEW.info.effect, .allocation)
        XCTAssertFalse(IROp.KNUM.isCSEable)
        for op in IROp.allCases where op.isComparison { XCTAssertEqual(op.inverted?.inverted, op) }
    }

    func testDumpListsInstructionsAndSnapshotsAsLuajitDoes() {
        let ir = TraceIR()
        let i = ir.emit(.SLOAD, .int, 1, 0)
        let x = ir.emit(.SLOAD, .number, 2, 0, guard: true)
        ir.snapshot(pc: UnsafePointer(bitPattern: 0x1000)!, depth: 0, [SnapshotEntry(slot: 1, ref: x)])
        let sum = ir.emit(.ADD, .number, x, ir.number(1))
        ir.emit(.LE, .int, i, ir.int(100), guard: true)
        ir.emit(.LOOP, .nil)
        let listing = ir.dump().split(separator: "\n").map(String.init)
        XCTAssertEqual(listing, [
            "0001    int SLOAD  #1    0",
            "0002 >  num SLOAD  #2    0",
            "....        SNAP   #0   [ ---- 0002 ]",
            "0003    num ADD    0002  +1",
            "0004 >  int LE     0001  +100",
            "0005 ------ LOOP ------------",
        ])
        XCTAssertEqual(ir.snapshots[0].ref, sum)
    }
}
