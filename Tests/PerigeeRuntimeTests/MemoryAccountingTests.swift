/// Memory accounting seen from Lua: what builtins allocate counts towards the collector's
/// debt and is paid off at the builtin's return, string buffers' storage is counted and
/// given back, and memory a finalizer frees leaves the collector's live estimate.
import XCTest
@testable import PerigeeRuntime
import PerigeeFrontend

final class MemoryAccountingTests: XCTestCase {
    /// Runs `source` and returns its results (numbers here).
    private func run(_ vm: LuaVM, _ source: String, file: StaticString = #filePath, line: UInt = #line) -> [Value] {
        let (status, f) = vm.load(Array(source.utf8), chunkName: "=test")
        XCTAssertEqual(status, .ok, vm.describeError(), file: file, line: line)
        guard let f else { return [] }
        let (callStatus, results) = vm.call(Value(function: f), [])
        XCTAssertEqual(callStatus, .ok, vm.describeError(), file: file, line: line)
        return results
    }

    /// A loop whose only allocations are made by a builtin (no TNEW, FNEW or CAT of its own)
    /// still runs the collector: 200,000 strings of 24 bytes and more are made, a few kept.
    func testBuiltinAllocationsDriveTheCollector() {
        guard let vm = LuaVM() else { return XCTFail("no VM") }
        let results = run(vm, """
            collectgarbage()
            local start, peak = collectgarbage("count"), 0
            local s
            for i = 1, 200000 do
              s = tostring(i)
              if i % 1000 == 0 then peak = math.max(peak, collectgarbage("count") - start) end
            end
            return peak
            """)
        XCTAssertEqual(results.count, 1)
        XCTAssertLessThan(results.first?.number ?? .infinity, 1024, "kilobytes kept by the loop")
    }

    /// A string buffer's storage is counted while it lives and given back by `free`.
    func testStringBufferStorageIsCounted() {
        guard let vm = LuaVM() else { return XCTFail("no VM") }
        let results = run(vm, """
            local buffer = require("string.buffer")
            collectgarbage(); collectgarbage("stop")
            local before = collectgarbage("count")
            local b = buffer.new()
            b:put(string.rep("x", 1000000))
            local filled = collectgarbage("count")
            b:free()
            local freed = collectgarbage("count")
            collectgarbage("restart")
            return filled - before, filled - freed
            """)
        XCTAssertEqual(results.count, 2)
        // One megabyte of content: at least that much storage (the string itself is one more).
        XCTAssertGreaterThan(results.first?.number ?? 0, 1900)
        XCTAssertGreaterThanOrEqual(results.last?.number ?? 0, 977)
    }

    /// New buffers in a loop are freed by their `__gc`: what the finalizers give back leaves
    /// the live estimate, so each cycle does not wait for twice the garbage of the last (a
    /// million buffers of 1 KB would otherwise keep about a gigabyte).
    func testFinalizedBuffersKeepMemoryBounded() {
        guard let vm = LuaVM() else { return XCTFail("no VM") }
        let results = run(vm, """
            local buffer = require("string.buffer")
            collectgarbage()
            local start, peak = collectgarbage("count"), 0
            local pad = string.rep("x", 1000)
            for i = 1, 100000 do
              local b = buffer.new()
              b:put(pad)
              if i % 1000 == 0 then peak = math.max(peak, collectgarbage("count") - start) end
            end
            return peak
            """)
        XCTAssertEqual(results.count, 1)
        XCTAssertLessThan(results.first?.number ?? .infinity, 4096, "kilobytes kept by the loop")
    }
}
