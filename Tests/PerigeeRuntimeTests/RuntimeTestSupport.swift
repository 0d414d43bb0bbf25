/// Helpers shared by the runtime tests: a fresh state, rooting and object counting.
@testable import PerigeeRuntime
import XCTest

/// A new state with a fixed hash seed; the test destroys it.
func makeState(file: StaticString = #filePath, line: UInt = #line) -> GlobalRef {
    guard let g = GlobalRef.create(hashSeed: 0x5EED) else {
        XCTFail("state creation failed", file: file, line: line)
        fatalError()
    }
    return g
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    func string(_ text: String) -> StringRef { intern(text)! }
    func key(_ text: String) -> Value { Value(string: intern(text)!) }

    /// Pushes a value on the main thread's stack (a root).
    func push(_ v: Value) {
        let t = pointee.mainThread
        XCTAssertTrue(t.ensureStack(1, self))
        t.pointee.stack[Int(t.pointee.top)] = v
        t.pointee.top += 1
    }

    /// Bytes in use without the string table's buckets (whose size lags behind the count).
    var objectBytes: Int { pointee.totalBytes - (pointee.stringMask + 1) * MemoryLayout<ObjectRef?>.stride }

    func popAll() { pointee.mainThread.pointee.top = 0 }

    /// Objects on the all-objects list and the table lists plus interned strings.
    var objectCount: Int {
        var n = 0
        for list in [pointee.allObjects, pointee.tablesEven, pointee.tablesOdd] {
            var o = list
            while let x = o { n += 1; o = x.pointee.next }
        }
        return n + pointee.stringCount
    }
}

extension Value {
    static func num(_ d: Double) -> Value { Value(number: d) }
}
