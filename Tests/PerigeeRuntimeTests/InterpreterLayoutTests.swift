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
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.L), Int(PERIGEE_RUN_THREAD_OFFSET))
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.g), Int(PERIGEE_RUN_GLOBAL_OFFSET))
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.base), Int(PERIGEE_RUN_BASE_OFFSET))
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.pc), Int(PERIGEE_RUN_PC_OFFSET))
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.multres), Int(PERIGEE_RUN_MULTRES_OFFSET))
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.nargs), Int(PERIGEE_RUN_NARGS_OFFSET))
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.exitBase), Int(PERIGEE_RUN_EXIT_BASE_OFFSET))
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.hotCounters), Int(PERIGEE_RUN_HOT_COUNTERS_OFFSET))
        XCTAssertEqual(MemoryLayout<Int>.size, 8)
    }

    func testValueEncoding() {
        XCTAssertEqual(UInt64(PERIGEE_TAG_SHIFT), Value.tagShift)
        XCTAssertEqual(PERIGEE_PAYLOAD_MASK, Value.payloadMask)
        XCTAssertEqual(PERIGEE_NIL_BITS, Value.nil.bits)
        XCTAssertEqual(PERIGEE_FALSE_BITS, Value.false.bits)
        XCTAssertEqual(PERIGEE_TRUE_BITS, Value.true.bits)
        XCTAssertEqual(PERIGEE_STRING_ITYPE, UInt64(0x1FFFF ^ ValueTag.string.rawValue))
        XCTAssertEqual(PERIGEE_FUNCTION_ITYPE, UInt64(0x1FFFF ^ ValueTag.function.rawValue))
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
        XCTAssertEqual(RuntimeLayout.tableBorder, Int(PERIGEE_TABLE_BORDER))
        XCTAssertEqual(MemoryLayout<GCTable>.stride, 64)
        XCTAssertEqual(RuntimeLayout.tableMetatable, Int(PERIGEE_TABLE_METATABLE))
        XCTAssertEqual(RuntimeLayout.nodeValue, Int(PERIGEE_NODE_VALUE))
        XCTAssertEqual(RuntimeLayout.nodeKey, Int(PERIGEE_NODE_KEY))
        XCTAssertEqual(RuntimeLayout.nodeNext, Int(PERIGEE_NODE_NEXT))
        XCTAssertEqual(RuntimeLayout.nodeSize, Int(PERIGEE_NODE_SIZE))
        XCTAssertEqual(RuntimeLayout.stringHash, Int(PERIGEE_STRING_HASH))
        XCTAssertEqual(GCString.bytesOffset, Int(PERIGEE_STRING_BYTES))
        XCTAssertEqual(RuntimeLayout.cdataType, Int(PERIGEE_CDATA_CTYPE))
        XCTAssertEqual(RuntimeLayout.cdataPayload, Int(PERIGEE_CDATA_PAYLOAD))
        XCTAssertEqual(Value.numberLimit, PERIGEE_NUMBER_LIMIT)
        XCTAssertEqual(Value.canonicalNaN, PERIGEE_CANONICAL_NAN)
        let kinds: [(CRegisterPlan.Argument, Int32)] = [(.double, PERIGEE_C_ARGUMENT_DOUBLE), (.float, PERIGEE_C_ARGUMENT_FLOAT),
            (.integer, PERIGEE_C_ARGUMENT_INTEGER), (.pointer, PERIGEE_C_ARGUMENT_POINTER), (.text, PERIGEE_C_ARGUMENT_TEXT)]
        for (kind, c) in kinds { XCTAssertEqual(Int32(kind.rawValue), c) }
        XCTAssertEqual(GCMark.black, UInt8(PERIGEE_GC_BLACK))
        XCTAssertEqual(Metamethod.index.bit, UInt8(PERIGEE_INDEX_ABSENT_BIT))
        XCTAssertEqual(Metamethod.index.rawValue, 0)
        XCTAssertLessThan(Metamethod.index.rawValue, Metamethod.fastCount)
        XCTAssertEqual(RuntimeLayout.globalMetamethodNames, Int(PERIGEE_GLOBAL_METAMETHOD_NAMES))
        XCTAssertEqual(RuntimeLayout.functionEnv, Int(PERIGEE_FUNCTION_ENV))
        XCTAssertEqual(RuntimeLayout.functionUpvalues, Int(PERIGEE_FUNCTION_UPVALUES))
        XCTAssertEqual(RuntimeLayout.upvalueValue, Int(PERIGEE_UPVALUE_VALUE))
        XCTAssertEqual(MemoryLayout<UpvalueRef?>.stride, 8)
        XCTAssertEqual(RuntimeLayout.functionFFID, Int(PERIGEE_FUNCTION_FFID))
        XCTAssertEqual(RuntimeLayout.functionTarget, Int(PERIGEE_FUNCTION_TARGET))
        XCTAssertEqual(GCFunction.luaFFID, 0)
    }

    func testNumericFastFunctionIds() {
        for id in 0...255 {
            XCTAssertEqual(perigee_is_numeric_fast_function(UInt8(id)) != 0, NumericFastFunction.covers(UInt8(id)), "id \(id)")
        }
    }

    func testBitOperationIds() {
        let ids: [(FastBuiltin, Int)] = [
            (.tobit, PERIGEE_FF_TOBIT), (.bnot, PERIGEE_FF_BNOT), (.bswap, PERIGEE_FF_BSWAP),
            (.band, PERIGEE_FF_BAND), (.bor, PERIGEE_FF_BOR), (.bxor, PERIGEE_FF_BXOR),
            (.lshift, PERIGEE_FF_LSHIFT), (.rshift, PERIGEE_FF_RSHIFT),
            (.arshift, PERIGEE_FF_ARSHIFT), (.rol, PERIGEE_FF_ROL), (.ror, PERIGEE_FF_ROR),
        ]
        for (builtin, id) in ids { XCTAssertEqual(Int(builtin.rawValue), id, "\(builtin)") }
    }

    func testMathFunctionIds() {
        let functions: [(FastFunction, Int)] = [
            (.sqrt, PERIGEE_FF_SQRT), (.floor, PERIGEE_FF_FLOOR), (.ceil, PERIGEE_FF_CEIL), (.abs, PERIGEE_FF_ABS),
            (.sin, PERIGEE_FF_SIN), (.cos, PERIGEE_FF_COS), (.tan, PERIGEE_FF_TAN), (.exp, PERIGEE_FF_EXP),
            (.log, PERIGEE_FF_LOG), (.min, PERIGEE_FF_MIN), (.max, PERIGEE_FF_MAX), (.fmod, PERIGEE_FF_FMOD),
        ]
        for (function, id) in functions { XCTAssertEqual(Int(function.rawValue), id, "\(function)") }
        let builtins: [(FastBuiltin, Int)] = [
            (.mathUnary, PERIGEE_FF_MATH_UNARY), (.mathBinary, PERIGEE_FF_MATH_BINARY), (.atan, PERIGEE_FF_ATAN),
        ]
        for (builtin, id) in builtins { XCTAssertEqual(Int(builtin.rawValue), id, "\(builtin)") }
    }

    func testHotCounterFlags() {
        XCTAssertEqual(HotCounters.slots, Int(PERIGEE_HOT_COUNTER_SLOTS))
        var counters = HotCounters()
        XCTAssertEqual(counters.counters[-1], 0)
        counters.onHot = { _ in }
        XCTAssertEqual(Int32(counters.counters[-1]), PERIGEE_HOT_COUNTING_LOOPS | PERIGEE_HOT_COUNTING_FUNCTIONS)
        counters.countsFunctions = false
        XCTAssertEqual(Int32(counters.counters[-1]), PERIGEE_HOT_COUNTING_LOOPS)
        counters.onHot = nil
        XCTAssertEqual(counters.counters[-1], 0)
    }

    func testProtoThreadAndFrameLayout() {
        XCTAssertEqual(MemoryLayout<GCProto>.offset(of: \GCProto.parameterCount), Int(PERIGEE_PROTO_PARAMETER_COUNT))
        XCTAssertEqual(MemoryLayout<GCProto>.offset(of: \GCProto.flags), Int(PERIGEE_PROTO_FLAGS))
        XCTAssertEqual(MemoryLayout<GCProto>.offset(of: \GCProto.frameSize), Int(PERIGEE_PROTO_FRAME_SIZE))
        XCTAssertEqual(RuntimeLayout.protoBytecode, Int(PERIGEE_PROTO_BYTECODE))
        XCTAssertEqual(RuntimeLayout.protoNumbers, Int(PERIGEE_PROTO_NUMBERS))
        XCTAssertEqual(ProtoFlag.vararg, UInt8(PERIGEE_PROTO_VARARG))
        XCTAssertEqual(ProtoFlag.compiled, UInt8(PERIGEE_PROTO_COMPILED))
        XCTAssertEqual(RuntimeLayout.threadStack, Int(PERIGEE_THREAD_STACK))
        XCTAssertEqual(RuntimeLayout.threadStackSize, Int(PERIGEE_THREAD_STACK_SIZE))
        XCTAssertEqual(MemoryLayout<GCThread>.offset(of: \GCThread.base), Int(PERIGEE_THREAD_BASE))
        XCTAssertEqual(RuntimeLayout.threadTop, Int(PERIGEE_THREAD_TOP))
        XCTAssertEqual(RuntimeLayout.threadOpenUpvalues, Int(PERIGEE_THREAD_OPEN_UPVALUES))
        XCTAssertEqual(FrameLayout.returnPCMask, UInt64(PERIGEE_RETURN_PC_MASK))
        XCTAssertEqual(FrameLayout.entrySlack, Int(PERIGEE_ENTRY_SLACK))
        XCTAssertEqual(FrameLayout.functionSlot, -2)
        XCTAssertEqual(FrameLayout.linkSlot, -1)
    }
}
