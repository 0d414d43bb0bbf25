/// The Lua conformance suite (Tests/conformance) and the benchmark programs at their small
/// sizes, run by the built `perigee` in every mode the project has: the interpreter (`-joff`),
/// the tracing JIT with thresholds so low that traces form at once (`-jon -Ohotloop=1`), and
/// compiled ahead of time (`perigee build`). Outputs are compared with luajit's, recorded in
/// the `.out` files.
import XCTest

/// Scripts that need parts of the standard library not built yet. Each must still fail, so
/// this list shrinks as the library grows and can never hide a passing script.
let pendingConformanceScripts: [String: String] = [:]

/// Benchmarks that need string patterns (`find`, `gsub`, `gmatch`, `match`).
let pendingBenchmarks: Set<String> = []

final class ConformanceTests: XCTestCase {
    let directory = testsDirectory.appendingPathComponent("conformance")

    private func scripts() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".lua") }.sorted()
    }

    func testInterpreterMatchesLuaJIT() throws {
        let names = try scripts()
        XCTAssertGreaterThan(names.count, 10)
        var passed = 0
        for name in names {
            let expected = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".lua", with: ".out"))))
            let result = try runPerigee(["-joff", name], in: directory)
            let ok = result.status == 0 && result.out == expected
            if let reason = pendingConformanceScripts[name] {
                XCTAssertFalse(ok, "\(name) passes now: remove it from the pending list (\(reason))")
                continue
            }
            XCTAssertEqual(result.status, 0, "\(name): \(result.err)")
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), String(decoding: expected, as: UTF8.self), name)
            if ok { passed += 1 }
        }
        XCTAssertGreaterThanOrEqual(passed, 6)
    }

    /// Every script under the JIT, traces forming on a loop's first iteration: the same output
    /// as luajit's, and every loop or function a script marks `-- trace` really compiled (from
    /// `-jv`: a root trace starting on that line).
    func testJITMatchesLuaJIT() throws {
        var traced = 0
        for name in try scripts() {
            let expected = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".lua", with: ".out"))))
            let result = try runPerigee(["-jv", "-Ohotloop=1", "-Ohotexit=1", "-Ocompilethread=0", "-Ocompilebudget=0", name], in: directory)
            XCTAssertEqual(result.status, 0, "\(name) (JIT): \(result.err)")
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), String(decoding: expected, as: UTF8.self), "\(name) (JIT)")
            let source = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.hasSuffix("-- trace") {
                // A loop's root trace loops (a line with a loop means the loop); a function's
                // root trace recurses or returns.
                let place = "\(name):\(index + 1)"
                let endings = line.contains("for ") || !line.contains("function")
                    ? [" loop]"] : [" up-recursion]", " tail-recursion]", " return]"]
                let formed = result.err.split(separator: "\n").contains { report in
                    report.hasPrefix("[TRACE ") && !report.contains("(") && endings.contains { report.hasSuffix(place + $0) }
                }
                XCTAssertTrue(formed, "\(name): no root trace at line \(index + 1):\n\(result.err)")
                traced += 1
            }
        }
        XCTAssertGreaterThan(traced, 15, "the scripts mark the loops that must compile")
    }

    /// Every script under the JIT with the traces that run once through (side traces,
    /// function traces) compiled by the optimizing pipeline at once (`-Oreoptimize=1`), as
    /// the often-run ones are compiled again. The same output as luajit's.
    func testJITWithOptimizedSideTracesMatchesLuaJIT() throws {
        for name in try scripts() {
            let expected = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".lua", with: ".out"))))
            let result = try runPerigee(["-Ohotloop=1", "-Ohotexit=1", "-Ocompilethread=0", "-Ocompilebudget=0",
                                         "-Oreoptimize=1", name], in: directory)
            XCTAssertEqual(result.status, 0, "\(name) (JIT, optimized side traces): \(result.err)")
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), String(decoding: expected, as: UTF8.self),
                           "\(name) (JIT, optimized side traces)")
        }
    }

    /// Every script built with `perigee build` and run: the same output as luajit's.
    func testCompiledScriptsMatchLuaJIT() throws {
        let names = try scripts()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-aot-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var passed = 0
        for name in names {
            let expected = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".lua", with: ".out"))))
            let executable = work.appendingPathComponent(String(name.dropLast(4))).path
            let build = try runPerigee(["build", name, "-O1", "-o", executable], in: directory)
            XCTAssertEqual(build.status, 0, "\(name): \(build.err)")
            let result = try runProgram(executable, [], in: directory)
            let ok = result.status == 0 && result.out == expected
            if let reason = pendingConformanceScripts[name] {
                XCTAssertFalse(ok, "\(name) passes now: remove it from the pending list (\(reason))")
                continue
            }
            XCTAssertEqual(result.status, 0, "\(name) (compiled): \(result.err)")
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), String(decoding: expected, as: UTF8.self), "\(name) (compiled)")
            if ok { passed += 1 }
        }
        XCTAssertGreaterThanOrEqual(passed, names.count - pendingConformanceScripts.count)
    }

    /// The expected outputs really are luajit's (where luajit is installed): its interpreter's
    /// for a script with the line `-- expected: luajit -joff` (what luajit's JIT cannot run).
    func testExpectedOutputsComeFromLuaJIT() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/luajit") else { return }
        for name in try scripts() {
            let expected = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".lua", with: ".out"))))
            let source = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let interpreted = source.split(separator: "\n").contains("-- expected: luajit -joff")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/luajit")
            process.arguments = interpreted ? ["-joff", name] : [name]
            process.currentDirectoryURL = directory
            let pipe = Pipe(), errors = Pipe()
            process.standardOutput = pipe
            process.standardError = errors
            try process.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(decoding: expected, as: UTF8.self), "\(name): \(err)")
        }
    }

    /// The examples print what their `.out` files say.
    func testExamples() throws {
        let examples = testsDirectory.deletingLastPathComponent().appendingPathComponent("examples")
        let names = try FileManager.default.contentsOfDirectory(atPath: examples.path).filter { $0.hasSuffix(".lua") }
        XCTAssertGreaterThanOrEqual(names.count, 3)
        for name in names.sorted() {
            let expectedURL = examples.appendingPathComponent(name.replacingOccurrences(of: ".lua", with: ".out"))
            let expected = try String(contentsOf: expectedURL, encoding: .utf8)
            let result = try runPerigee(["-joff", name], in: examples)
            XCTAssertEqual(result.status, 0, "\(name): \(result.err)")
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), expected, name)
        }
    }

    /// Every benchmark at its small size, checksums checked by the runner against luajit.
    func testBenchmarksRunInTheInterpreter() throws {
        try runBenchmarks(engine: "perigee-interp")
    }

    /// The same with the JIT on at its default thresholds.
    func testBenchmarksRunWithTheJIT() throws {
        try runBenchmarks(engine: "perigee-jit")
    }

    /// The same, each benchmark built with `perigee build` and run.
    func testBenchmarksRunCompiled() throws {
        try runBenchmarks(engine: "perigee-aot")
    }

    /// The same, each benchmark built with a profile of its run (`perigee profile`, then
    /// `perigee build --profile`).
    func testBenchmarksRunCompiledWithProfiles() throws {
        try runBenchmarks(engine: "perigee-pgo")
    }

    private func runBenchmarks(engine: String) throws {
        let repository = testsDirectory.deletingLastPathComponent()
        let manifest = try String(contentsOf: repository.appendingPathComponent("bench/programs.tsv"), encoding: .utf8)
        let names = manifest.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .compactMap { $0.split(separator: "\t").first.map(String.init) }
        let runnable = names.filter { !pendingBenchmarks.contains($0) }
        XCTAssertGreaterThan(runnable.count, 15)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("perigee")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repository.appendingPathComponent("bench/run").path, "--small",
                             "--engines", engine, "--perigee", binary.path, "--no-startup",
                             "--only", runnable.joined(separator: ","), "--out", out.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
    }
}
