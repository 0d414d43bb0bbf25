/// Hot counting: loops and function entries fire the hook after LuaJIT's thresholds, and
/// nothing is counted while no hook is installed.
import XCTest
@testable import PerigeeRuntime
import PerigeeFrontend

final class HotCounterTests: XCTestCase {
    private func run(_ vm: LuaVM, _ source: String) {
        let (status, f) = vm.load(Array(source.utf8), chunkName: "=test")
        XCTAssertEqual(status, .ok)
        let (callStatus, _) = vm.call(Value(function: f!), [])
        XCTAssertEqual(callStatus, .ok, vm.describeError())
    }

    func testLoopBecomesHotAfterFiftySixIterations() {
        guard let vm = LuaVM() else { return XCTFail("no VM") }
        var fired: [UnsafePointer<UInt32>] = []
        vm.hotCounters.onHot = { fired.append($0) }
        run(vm, "local s = 0 for i = 1, 55 do s = s + i end")
        XCTAssertTrue(fired.isEmpty, "55 iterations stay cold")
        run(vm, "local s = 0 for i = 1, 200 do s = s + i end")
        XCTAssertFalse(fired.isEmpty, "200 iterations get hot")
        let opcode = fired[0].pointee & 0xff
        XCTAssertEqual(opcode, UInt32(Opcode.FORL.rawValue))
    }

    func testFunctionEntriesAndWhileLoopsAreCounted() {
        guard let vm = LuaVM() else { return XCTFail("no VM") }
        var opcodes = Set<UInt32>()
        vm.hotCounters.hotLoop = 5
        vm.hotCounters.onHot = { opcodes.insert($0.pointee & 0xff) }
        run(vm, "local function f(x) return x end local i = 0 while i < 100 do i = i + f(1) end")
        XCTAssertTrue(opcodes.contains(UInt32(Opcode.LOOP.rawValue)))
        XCTAssertTrue(opcodes.contains(UInt32(Opcode.FUNCF.rawValue)))
    }

    func testNoCountingWithoutHook() {
        guard let vm = LuaVM() else { return XCTFail("no VM") }
        XCTAssertFalse(vm.hotCounters.isCounting)
        run(vm, "for i = 1, 1000 do end")
        for i in 0..<HotCounters.slots { XCTAssertEqual(vm.hotCounters.counters[i], 0, "untouched while off") }
    }
}
