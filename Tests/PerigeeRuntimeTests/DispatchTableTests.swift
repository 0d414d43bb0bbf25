/// The interpreter's C dispatch table is generated from the opcode table: the committed
/// header must be what the generator writes now.
import Foundation
import PerigeeFrontend
import PerigeeRuntime
import XCTest

final class DispatchTableTests: XCTestCase {
    var headerPath: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/CSupport/DispatchTable.h")
    }

    func testCommittedHeaderIsCurrent() throws {
        let expected = dispatchTableSource()
        if ProcessInfo.processInfo.environment["PERIGEE_WRITE_GENERATED"] != nil {
            try expected.write(to: headerPath, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: headerPath, encoding: .utf8)
        XCTAssertEqual(committed, expected, "DispatchTable.h is stale: run Utilities/generate-dispatch-table")
    }

    func testEveryOpcodeHasOneEntryInOrder() {
        let source = dispatchTableSource()
        let entries = source.split(separator: "\n").filter { $0.hasPrefix("    X(") && $0.contains(",") }
        XCTAssertEqual(entries.map { String($0.dropFirst(6).prefix { $0 != "," }) }, Opcode.allCases.map(\.name))
        XCTAssertEqual(source.components(separatedBy: "\n    X \\").count - 1, 256 - Opcode.allCases.count)
    }

    func testVariantsRunTheirPlainFormsHandler() {
        XCTAssertEqual(Opcode.JFORL.dispatchHandler, "JFORL")
        XCTAssertEqual(Opcode.IFORL.dispatchHandler, "FORL")
        XCTAssertEqual(Opcode.IFUNCV.dispatchHandler, "FUNCV")
        XCTAssertEqual(Opcode.FNEW.dispatchHandler, "cold")
        XCTAssertEqual(Opcode.ADDVV.dispatchHandler, "ADDVV")
    }
}
