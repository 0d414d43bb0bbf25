/// The `perigee` executable as a user runs it: bytecode listing and dumps, messages and exit
/// statuses on bad input.
import XCTest

/// Runs the freshly built `perigee` with `arguments`; returns exit status, stdout and stderr.
func runPerigee(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, out: [UInt8], err: String) {
    try runProgram(perigeeBinary.path, arguments, in: directory)
}

let perigeeBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("perigee")

/// Runs an executable (a program `perigee build` made).
/// `environment` adds variables to this process's own.
func runProgram(_ path: String, _ arguments: [String], in directory: URL? = nil,
                environment: [String: String] = [:]) throws -> (status: Int32, out: [UInt8], err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes at once: a program that fills one while the other is read would wait forever
    // (long -jv reports on standard error, say).
    let errors = PipeReader(err.fileHandleForReading)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = errors.wait()
    process.waitUntilExit()
    return (process.terminationStatus, [UInt8](outData), String(decoding: errData, as: UTF8.self))
}

/// Reads a pipe to its end on a thread of its own.
final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

final class CommandLineTests: XCTestCase {
    func testListingMatchesLuaJIT() throws {
        let dir = testsDirectory.appendingPathComponent("syntax/valid")
        let result = try runPerigee(["-bl", "control.lua"], in: dir)
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(result.out, [UInt8](try Data(contentsOf: dir.appendingPathComponent("control.bl"))))
    }

    func testSyntaxErrorIsReportedWithProgramName() throws {
        let dir = testsDirectory.appendingPathComponent("syntax/invalid")
        let result = try runPerigee(["-bl", "unfinished-string-line3.lua"], in: dir)
        XCTAssertEqual(result.status, 1)
        let expected = try String(contentsOf: dir.appendingPathComponent("unfinished-string-line3.err"), encoding: .utf8)
        XCTAssertEqual(result.err, "perigee: " + expected.trimmingCharacters(in: .newlines) + "\n")
    }

    /// A string that doubles forever stops at luajit's limit with luajit's error, instead of
    /// growing until memory runs out.
    func testRunawayConcatenationStopsAtTheStringLimit() throws {
        let result = try runPerigee(["-e", "local s = ('x'):rep(2^30) print(pcall(function() return s .. s end)) s = s .. s"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), "false\t(command line):1: string length overflow\n")
        XCTAssertTrue(result.err.hasPrefix("perigee: (command line):1: string length overflow\nstack traceback:"), result.err)
    }

    /// `perigee -i`: prompts, statements read on while incomplete, the values of `=expr` and
    /// `return` printed, a bare expression a syntax error, and errors as luajit's REPL prints
    /// them (message and traceback, no program name).
    func testInteractiveLoop() throws {
        let input = "x = 1 + 1\n=x\nreturn 1, nil, 3\n1 + 1\nfor i = 1, 2 do\nprint(i)\nend\nerror('e')\nx = = 2\nprint('after')\n"
        let result = try runProgram("/bin/sh", ["-c", "printf \"$0\" | \"$1\" -i", input, perigeeBinary.path])
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), """
            Perigee 0.1.0 -- a Lua 5.1 / LuaJIT 2.1 implementation
            > > 2
            > 1\tnil\t3
            > > >> >> 1
            2
            > > > after
            > \n
            """)
        let address = try Regex("0x[0-9a-f]+")
        XCTAssertEqual(result.err.replacing(address, with: "0x..."), """
            stdin:1: unexpected symbol near '1'
            stdin:1: e
            stack traceback:
            \t[C]: in function 'error'
            \tstdin:1: in main chunk
            \t[C]: at 0x...
            stdin:1: unexpected symbol near '='

            """)
    }

    /// Two builtin positions luajit cannot run (builtin_positions.lua leaves them out): pcall as
    /// its own object's __call crashes luajit, tostring as __tostring never returns. Perigee
    /// raises "stack overflow", in the interpreter and with the JIT.
    func testSelfCallingBuiltinsOverflowCleanly() throws {
        let script = """
            local t = setmetatable({}, {__call = pcall})
            local results = {pcall(function() return t(1) end)}
            print(results[#results])
            print(pcall(tostring, setmetatable({}, {__tostring = tostring})))
            """
        for mode in [["-joff"], ["-Ohotloop=1"]] {
            let result = try runPerigee(mode + ["-e", script])
            XCTAssertEqual(result.status, 0, result.err)
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), "stack overflow\nfalse\tstack overflow\n")
        }
    }

    func testMissingFile() throws {
        let result = try runPerigee(["-bl", "/nonexistent/app.lua"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.err, "perigee: cannot open /nonexistent/app.lua: No such file or directory\n")
    }

    func testBytecodeDumpIsWritten() throws {
        let dir = FileManager.default.temporaryDirectory
        let input = dir.appendingPathComponent("perigee-dump-\(getpid()).lua")
        let output = dir.appendingPathComponent("perigee-dump-\(getpid()).out")
        try "local s = 'hello dump'\nreturn function() return s end\n".write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input); try? FileManager.default.removeItem(at: output) }
        let result = try runPerigee(["-b", input.path, output.path])
        XCTAssertEqual(result.status, 0, result.err)
        let dump = [UInt8](try Data(contentsOf: output))
        XCTAssertEqual(Array(dump.prefix(3)), [0x1b, 0x50, 0x47])
        XCTAssertNotNil(dump.firstRange(of: Array("hello dump".utf8)), "string constant missing from the dump")
        XCTAssertNotNil(dump.firstRange(of: Array(input.path.utf8)), "chunk name missing from the dump")
    }

    func testUnwritableOutput() throws {
        let dir = testsDirectory.appendingPathComponent("syntax/valid")
        let result = try runPerigee(["-b", "control.lua", "/nonexistent/dir/out"], in: dir)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.err, "perigee: /nonexistent/dir/out: No such file or directory\n")
    }
}
