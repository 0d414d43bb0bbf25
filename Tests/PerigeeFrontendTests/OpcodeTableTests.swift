/// The opcode table's metadata, which every engine derives its decoding and dispatch from.
import PerigeeFrontend
import XCTest

final class OpcodeTableTests: XCTestCase {
    func testArithmeticFormsFollowTheFamilies() {
        XCTAssertEqual(Opcode.SUBVN.arithmetic, ArithmeticForm(op: .sub, operands: .variableNumber))
        XCTAssertEqual(Opcode.MODNV.arithmetic?.operands, .numberVariable)
        XCTAssertEqual(Opcode.DIVVV.arithmetic?.op, .div)
        XCTAssertEqual(Opcode.POW.arithmetic?.operands, .variableVariable)
        XCTAssertEqual(Opcode.UNM.arithmetic?.operands, .unary)
        XCTAssertNil(Opcode.CAT.arithmetic)
        // Each family's metamethod agrees with its operator.
        for op in Opcode.allCases {
            guard let form = op.arithmetic else { continue }
            XCTAssertEqual("\(op.format.mm)", "\(form.op)", "\(op)")
        }
    }

    func testControlClassesAndVariants() {
        XCTAssertEqual(Opcode.ISNEP.control, .conditional)
        XCTAssertEqual(Opcode.ISF.control, .conditional)
        XCTAssertEqual(Opcode.UCLO.control, .jump)
        XCTAssertEqual(Opcode.CALLMT.control, .tailCall)
        XCTAssertTrue(Opcode.RET1.isTerminal)
        XCTAssertFalse(Opcode.CALL.isTerminal)
        XCTAssertEqual(Opcode.JFORL.variants?.plain, .FORL)
        XCTAssertEqual(Opcode.FORL.variants?.interpreter, .IFORL)
        XCTAssertEqual(Opcode.FUNCV.variants?.trace, .JFUNCV)
        XCTAssertNil(Opcode.FORI.variants?.interpreter)
        XCTAssertTrue(Opcode.ILOOP.isPatchedVariant)
        XCTAssertFalse(Opcode.LOOP.isPatchedVariant)
        // Every variant family has one plain opcode, and all point back to it.
        for op in Opcode.allCases {
            guard let v = op.variants else { continue }
            XCTAssertEqual(v.plain.variants?.plain, v.plain)
            XCTAssertEqual(v.trace.variants?.plain, v.plain)
        }
    }

    func testFieldsDecodeOnce() {
        let ins = Instruction(.TGETS, a: 3, b: 7, c: 200)
        XCTAssertEqual(ins.ra, 3)
        XCTAssertEqual(ins.rb, 7)
        XCTAssertEqual(ins.rc, 200)
        XCTAssertEqual(ins.verifiedOpcode, .TGETS)
        let jump = Instruction(.JMP, a: 0, jump: -5)
        XCTAssertEqual(jump.jumpOffset, -5)
        XCTAssertEqual(jump.jumpTarget(from: 10), 6)
        XCTAssertEqual(Instruction(.KSHORT, a: 1, d: 0xffff).signedD, -1)
    }

    func testSlotsReadAndWritten() {
        XCTAssertEqual(Instruction(.ADDVV, a: 4, b: 1, c: 2).reads, [1, 2])
        XCTAssertEqual(Instruction(.ADDVV, a: 4, b: 1, c: 2).writes, .one(4))
        XCTAssertEqual(Instruction(.ADDNV, a: 4, b: 1, c: 0).arithmeticOperands, [1])
        XCTAssertEqual(Instruction(.TSETV, a: 0, b: 1, c: 2).reads, [0, 1, 2])
        XCTAssertEqual(Instruction(.TSETV, a: 0, b: 1, c: 2).writes, .none)
        // CALL A=5 B=2 C=3: function in 5, link slot 6, two arguments 7 and 8; the callee's
        // frame may change everything from 5 up.
        let call = Instruction(.CALL, a: 5, b: 2, c: 3)
        XCTAssertEqual(call.reads, [5, 7, 8])
        XCTAssertEqual(call.writes, .range(from: 5, count: nil))
        XCTAssertTrue(call.mayWrite(9))
        XCTAssertFalse(call.mayWrite(4))
        XCTAssertEqual(Instruction(.KNIL, a: 2, d: 4).writes, .range(from: 2, count: 3))
        XCTAssertEqual(Instruction(.VARG, a: 3, b: 3, c: 0).writes, .range(from: 3, count: 2))
        XCTAssertEqual(Instruction(.FORL, a: 2, jump: -3).reads, [2, 3, 4])
        XCTAssertTrue(Instruction(.FORL, a: 2, jump: -3).mayWrite(5))
        XCTAssertEqual(Instruction(.ITERN, a: 4, b: 3, c: 3).writes, .range(from: 3, count: nil))
        XCTAssertEqual(Instruction(.RET, a: 1, d: 3).reads, [1, 2])
        XCTAssertEqual(Instruction(.CAT, a: 0, b: 1, c: 3).reads, [1, 2, 3])
    }
}
