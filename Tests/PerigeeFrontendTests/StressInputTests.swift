/// Huge and hostile inputs (deep nesting, 50 MB literals, unterminated tokens at the end of
/// large files, binary junk) end in luajit's error or compile, never in a crash or a hang.
import XCTest
import PerigeeFrontend

final class StressInputTests: XCTestCase {
    func testGeneratedStressInputs() throws {
        let generator = Corpus.directory("syntax/generate-stress")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-stress-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", generator.path, "--all", dir.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "generate-stress failed")

        let rows = try Corpus.rows("syntax/stress.tsv")
        XCTAssertGreaterThan(rows.count, 10)
        for row in rows where row.count >= 5 {
            let (name, expect) = (row[0], row[3])
            let file = dir.appendingPathComponent(name + ".lua")
            let source = try Corpus.bytes(file)
            do {
                _ = try compileChunk(source, chunkName: "@" + name + ".lua")
                XCTAssertEqual(expect, "stdout", "\(name) compiled but luajit rejects it")
            } catch {
                XCTAssertEqual(expect, "error", "\(name): \(error.message)")
                let expected = String(decoding: Corpus.unescape(row[4]), as: UTF8.self)
                    .replacingOccurrences(of: "FILE", with: name + ".lua")
                XCTAssertEqual(error.message, expected, name)
            }
        }
    }
}
