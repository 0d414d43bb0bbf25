/// Ctrl-C (SIGINT) while Lua code runs: "interrupted!" with a traceback and status 1 in the
/// interpreter, in a compiled trace's loop and in a built executable; in the interactive
/// loop the running line stops and the next one runs.
import XCTest

final class InterruptTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-interrupt-test-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try """
            print("started")
            io.stdout:flush()
            local x = 0
            while true do x = x + 1 end
            """.write(to: work.appendingPathComponent("spin.lua"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    /// Starts `path`, sends SIGINT once it printed `started` and a moment passed (for a
    /// trace to form), and returns its status, stdout and stderr.
    func interrupt(_ path: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = work
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("started") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        usleep(300_000)
        process.interrupt()
        // A program the interrupt did not stop fails the test instead of hanging it.
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        if input != nil { try stdin.fileHandleForWriting.close() }
        seen.append(out.fileHandleForReading.readDataToEndOfFile())
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: seen, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    func assertInterrupted(_ result: (status: Int32, out: String, err: String), program: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 1, result.err, file: file, line: line)
        XCTAssertTrue(result.err.hasPrefix("\(program): spin.lua:4: interrupted!\nstack traceback:\n\tspin.lua:4: in main chunk\n"),
                      result.err, file: file, line: line)
    }

    func testInterpreterStops() throws {
        assertInterrupted(try interrupt(perigeeBinary.path, ["-joff", "spin.lua"]), program: "perigee")
    }

    func testCompiledTraceStops() throws {
        let result = try interrupt(perigeeBinary.path, ["-jv", "-Ohotloop=1", "spin.lua"])
        XCTAssertTrue(result.err.contains("[TRACE   1 spin.lua:4 loop]"), result.err)
        XCTAssertEqual(result.status, 1, result.err)
        XCTAssertTrue(result.err.contains("perigee: spin.lua:4: interrupted!\nstack traceback:\n"), result.err)
    }

    func testBuiltExecutableStops() throws {
        let build = try runPerigee(["build", "spin.lua", "-o", "spin"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        assertInterrupted(try interrupt(work.appendingPathComponent("spin").path, []), program: "spin")
    }

    func testInteractiveLoopGoesOn() throws {
        let result = try interrupt(perigeeBinary.path, ["-i"], input: """
            print("started") io.stdout:flush() x = 0 while true do x = x + 1 end
            print("next", x > 0)

            """)
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertTrue(result.out.contains("next\ttrue\n"), result.out)
        XCTAssertTrue(result.err.hasPrefix("stdin:1: interrupted!\nstack traceback:\n"), result.err)
    }
}
