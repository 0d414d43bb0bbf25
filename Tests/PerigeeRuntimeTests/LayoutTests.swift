/// The field offsets the struct comments document, which compiled code reads, checked against the compiler's layout.
@testable import PerigeeRuntime
import XCTest

final class LayoutTests: XCTestCase {
    func offset<T>(_ key: PartialKeyPath<T>) -> Int { MemoryLayout<T>.offset(of: key)! }

    func testHeaderIsSharedByEveryObject() {
        XCTAssertEqual(offset(\GCHeader.marked), 8)
        XCTAssertEqual(offset(\GCHeader.gct), 9)
        XCTAssertEqual(offset(\GCString.marked), 8)
        XCTAssertEqual(offset(\GCTable.gct), 9)
        XCTAssertEqual(offset(\GCUserdata.gct), 9)
        XCTAssertEqual(offset(\GCUpvalue.gct), 9)
        XCTAssertEqual(offset(\GCFunction.gct), 9)
        XCTAssertEqual(offset(\GCProto.gct), 9)
        XCTAssertEqual(offset(\GCThread.gct), 9)
        // Gray-list links share one offset.
        XCTAssertEqual(offset(\GCTable.gclist), gcListOffset)
        XCTAssertEqual(offset(\GCFunction.gclist), gcListOffset)
        XCTAssertEqual(offset(\GCProto.gclist), gcListOffset)
        XCTAssertEqual(offset(\GCThread.gclist), gcListOffset)
    }

    func testStringLayout() {
        XCTAssertEqual(offset(\GCString.reserved), 10)
        XCTAssertEqual(offset(\GCString.hash), 12)
        XCTAssertEqual(offset(\GCString.length), 16)
        XCTAssertEqual(GCString.bytesOffset, 24)
    }

    func testTableLayout() {
        XCTAssertEqual(offset(\GCTable.absentMetamethods), 10)
        XCTAssertEqual(offset(\GCTable.arrayLimit), 12)
        XCTAssertEqual(offset(\GCTable.array), 24)
        XCTAssertEqual(offset(\GCTable.node), 32)
        XCTAssertEqual(offset(\GCTable.hashMask), 40)
        XCTAssertEqual(offset(\GCTable.lastFree), 48)
        XCTAssertEqual(offset(\GCTable.metatable), 56)
        XCTAssertEqual(MemoryLayout<GCTable>.stride, 64)
        XCTAssertEqual(offset(\TableNode.value), 0)
        XCTAssertEqual(offset(\TableNode.key), 8)
        XCTAssertEqual(offset(\TableNode.next), 16)
        XCTAssertEqual(MemoryLayout<TableNode>.stride, 24)
        XCTAssertEqual(MemoryLayout<Value>.size, 8)
    }

    func testOtherObjectLayouts() {
        XCTAssertEqual(offset(\GCUserdata.kind), 10)
        XCTAssertEqual(offset(\GCUserdata.size), 12)
        XCTAssertEqual(offset(\GCUserdata.env), 16)
        XCTAssertEqual(offset(\GCUserdata.metatable), 24)
        XCTAssertEqual(GCUserdata.payloadOffset, 32)

        XCTAssertEqual(offset(\GCUpvalue.closed), 10)
        XCTAssertEqual(offset(\GCUpvalue.v), 16)
        XCTAssertEqual(offset(\GCUpvalue.closedValue), 24)
        XCTAssertEqual(offset(\GCUpvalue.openPrev), 32)
        XCTAssertEqual(offset(\GCUpvalue.openNext), 40)
        XCTAssertEqual(MemoryLayout<GCUpvalue>.stride, 48)

        XCTAssertEqual(offset(\GCFunction.ffid), 10)
        XCTAssertEqual(offset(\GCFunction.upvalueCount), 11)
        XCTAssertEqual(offset(\GCFunction.env), 24)
        XCTAssertEqual(offset(\GCFunction.target), 32)
        XCTAssertEqual(GCFunction.upvaluesOffset, 40)

        XCTAssertEqual(offset(\GCProto.parameterCount), 10)
        XCTAssertEqual(offset(\GCProto.flags), 11)
        XCTAssertEqual(offset(\GCProto.frameSize), 12)
        XCTAssertEqual(offset(\GCProto.upvalueCount), 13)
        XCTAssertEqual(offset(\GCProto.bytecode), 24)
        XCTAssertEqual(offset(\GCProto.bytecodeCount), 32)
        XCTAssertEqual(offset(\GCProto.constantCount), 36)
        XCTAssertEqual(offset(\GCProto.constants), 40)
        XCTAssertEqual(offset(\GCProto.upvalueDescriptors), 48)
        XCTAssertEqual(offset(\GCProto.chunkName), 56)
        XCTAssertEqual(offset(\GCProto.debugInfo), 64)
        XCTAssertEqual(offset(\GCProto.allocationSize), 72)
        XCTAssertEqual(offset(\GCProto.numbers), 80)
        XCTAssertEqual(offset(\GCProto.native), 88)
        XCTAssertEqual(MemoryLayout<GCProto>.stride, 96)

        XCTAssertEqual(offset(\GCThread.status), 10)
        XCTAssertEqual(offset(\GCThread.stack), 24)
        XCTAssertEqual(offset(\GCThread.stackSize), 32)
        XCTAssertEqual(offset(\GCThread.base), 36)
        XCTAssertEqual(offset(\GCThread.top), 40)
        XCTAssertEqual(offset(\GCThread.openUpvalues), 48)
        XCTAssertEqual(offset(\GCThread.env), 56)
        XCTAssertEqual(MemoryLayout<GCThread>.stride, 64)
    }

    func testGlobalStateOffsetsForCompiledCode() {
        XCTAssertEqual(RuntimeLayout.globalTotalBytes, 0)
        XCTAssertEqual(RuntimeLayout.globalThreshold, 8)
        XCTAssertGreaterThan(RuntimeLayout.globalEmptyNode, 0)
    }
}
