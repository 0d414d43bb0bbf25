/// The interpreter's numeric stubs (Sources/CSupport/DispatchNumeric.h) read the run state
/// from C: the offsets they use must be the Swift layout's.
import CSupport
@testable import PerigeeRuntime
import XCTest

final class InterpreterLayoutTests: XCTestCase {
    func testNumberConstantsOffsetMatchesTheRunState() {
        XCTAssertEqual(MemoryLayout<InterpreterRun>.offset(of: \InterpreterRun.k), Int(PERIGEE_RUN_K_OFFSET))
    }
}
