/// The interpreter's fast stubs (Sources/CSupport/DispatchFastPaths.h) read the run state,
/// values and objects from C, through the numbers of Sources/CSupport/include/ObjectLayout.h:
/// each must be what the Swift definitions lay out.
import CSupport
@testable import PerigeeRuntime
import XCTest

final class InterpreterLayoutTests: XCTestCase {
    func testRunStateOffsets() {
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.k), Int(PERIGEE_RUN_K_OFFSET))
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.closure), Int(PERIGEE_RUN_CLOSURE_OFFSET))
    }

    func testValueEncoding() {
        XCTAssertEqual(UInt64(PERIGEE_TAG_SHIFT), Value.tagShift)
        XCTAssertEqual(PERIGEE_PAYLOAD_MASK, Value.payloadMask)
        XCTAssertEqual(PERIGEE_NIL_BITS, Value.nil.bits)
        XCTAssertEqual(PERIGEE_FALSE_BITS, Value.false.bits)
        XCTAssertEqual(PERIGEE_TRUE_BITS, Value.true.bits)
        XCTAssertEqual(PERIGEE_CDATA_ITYPE, UInt64(0x1FFFF ^ ValueTag.cdata.rawValue))
        XCTAssertEqual(PERIGEE_FIRST_FALSY_ITYPE, Value.false.top17)
        XCTAssertFalse(Value.false.isTruthy)
        XCTAssertTrue(Value(bits: (PERIGEE_FIRST_FALSY_ITYPE - 1) << Value.tagShift).isTruthy)
        XCTAssertEqual(PERIGEE_TABLE_ITYPE, UInt64(0x1FFFF ^ ValueTag.table.rawValue))
        XCTAssertEqual(PERIGEE_FIRST_COLLECTABLE_ITYPE, UInt64(0x1FFFF ^ ValueTag.userdata.rawValue))
        XCTAssertEqual(PERIGEE_LAST_COLLECTABLE_ITYPE, UInt64(0x1FFFF ^ ValueTag.string.rawValue))
        // Every collectable tag lies in the range, and no other.
        for tag in [ValueTag.nil, .false, .true, .lightUserdata, .string, .upvalue, .thread, .proto, .function, .trace,
                    .cdata, .table, .userdata] {
            let itype = UInt64(0x1FFFF ^ tag.rawValue)
            let inRange = itype >= PERIGEE_FIRST_COLLECTABLE_ITYPE && itype <= PERIGEE_LAST_COLLECTABLE_ITYPE
            XCTAssertEqual(inRange, Value(bits: itype << Value.tagShift).isCollectable, "\(tag)")
        }
    }

    func testObjectOffsets() {
        XCTAssertEqual(RuntimeLayout.tableMarked, Int(PERIGEE_TABLE_MARKED))
        XCTAssertEqual(RuntimeLayout.tableAbsentMetamethods, Int(PERIGEE_TABLE_ABSENT_METAMETHODS))
        XCTAssertEqual(RuntimeLayout.tableArrayLimit, Int(PERIGEE_TABLE_ARRAY_LIMIT))
        XCTAssertEqual(RuntimeLayout.tableArray, Int(PERIGEE_TABLE_ARRAY))
        XCTAssertEqual(RuntimeLayout.tableNode, Int(PERIGEE_TABLE_NODE))
        XCTAssertEqual(RuntimeLayout.tableHashMask, Int(PERIGEE_TABLE_HASH_MASK))
        XCTAssertEqual(RuntimeLayout.tableMetatable, Int(PERIGEE_TABLE_METATABLE))
        XCTAssertEqual(RuntimeLayout.nodeValue, Int(PERIGEE_NODE_VALUE))
        XCTAssertEqual(RuntimeLayout.nodeKey, Int(PERIGEE_NODE_KEY))
        XCTAssertEqual(RuntimeLayout.nodeNext, Int(PERIGEE_NODE_NEXT))
        XCTAssertEqual(RuntimeLayout.nodeSize, Int(PERIGEE_NODE_SIZE))
        XCTAssertEqual(RuntimeLayout.stringHash, Int(PERIGEE_STRING_HASH))
        XCTAssertEqual(GCMark.black, UInt8(PERIGEE_GC_BLACK))
        XCTAssertEqual(RuntimeLayout.functionEnv, Int(PERIGEE_FUNCTION_ENV))
        XCTAssertEqual(RuntimeLayout.functionUpvalues, Int(PERIGEE_FUNCTION_UPVALUES))
        XCTAssertEqual(RuntimeLayout.upvalueValue, Int(PERIGEE_UPVALUE_VALUE))
        XCTAssertEqual(MemoryLayout<UpvalueRef?>.stride, 8)
    }
}
