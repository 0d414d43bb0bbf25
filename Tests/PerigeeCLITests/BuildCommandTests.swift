/// `perigee build`: executables that behave as `perigee script.lua` does (output, `arg`,
/// exit status, errors and tracebacks, modules compiled in, `load` at run time), and clear
/// messages for every way a build can fail.
import XCTest

final class BuildCommandTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-build-test-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("mods"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: work.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Finalizers when a program ends, as luajit runs them (expected outputs are luajit's):
    /// on return and `os.exit(code, true)` the state closes (cdata finalizers, then userdata);
    /// after an uncaught error a full collection runs them first; plain `os.exit` runs none.
    /// The same in the interpreter, with the JIT and in a built executable.
    func testFinalizersRunAtExitAsInLuaJIT() throws {
        try write("app.lua", """
            local ffi = require("ffi")
            local p = newproxy(true)
            getmetatable(p).__gc = function() print("proxy finalized") end
            local c = ffi.gc(ffi.new("int[1]"), function() print("cdata finalized") end)
            print("main chunk")
            local how = arg[1]
            if how == "exit" then os.exit(3) end
            if how == "close" then coroutine.wrap(function() os.exit(3, true) end)() end
            if how == "error" then error("boom") end
            """)
        let build = try runPerigee(["build", "app.lua", "-o", "app"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let expected: [(String, Int32, String)] = [
            ("return", 0, "main chunk\ncdata finalized\nproxy finalized\n"),
            ("exit", 3, "main chunk\n"),
            ("close", 3, "main chunk\ncdata finalized\nproxy finalized\n"),
            ("error", 1, "main chunk\nproxy finalized\ncdata finalized\n"),
        ]
        for (how, status, out) in expected {
            let runs = [("interpreter", try runPerigee(["-joff", "app.lua", how], in: work)),
                        ("JIT", try runPerigee(["-Ohotloop=1", "app.lua", how], in: work)),
                        ("built", try runProgram(work.appendingPathComponent("app").path, [how], in: work))]
            for (mode, run) in runs {
                XCTAssertEqual(run.status, status, "\(how), \(mode): \(run.err)")
                XCTAssertEqual(String(decoding: run.out, as: UTF8.self), out, "\(how), \(mode)")
            }
        }
    }

    func testBuiltProgramBehavesAsInterpreted() throws {
        try write("util.lua", """
            local M = {}
            function M.double(x) return x * 2 end
            print("loading", ...)
            return M
            """)
        try write("app.lua", """
            local util = require("util")
            print(util.double(21), arg[0], arg[1], #arg, select("#", ...))
            print(loadstring("return 1 + 2")())
            local f = io.open("side.lua", "w"); f:write("return 'from dofile'"); f:close()
            print(dofile("side.lua"))
            local function inner() local t = nil; return t.field end
            local function outer() inner() end
            if arg[1] == "fail" then outer() end
            os.exit(tonumber(arg[1]) or 0)
            """)
        let build = try runPerigee(["build", "app.lua", "-o", "app", "-v"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        XCTAssertTrue(build.err.contains("module 'util' compiled in"), build.err)
        // The module's source is not needed at run time: it is in the executable.
        try FileManager.default.removeItem(at: work.appendingPathComponent("util.lua"))
        let run = try runProgram(work.appendingPathComponent("app").path, ["7"], in: work)
        XCTAssertEqual(run.status, 7, run.err)
        XCTAssertEqual(String(decoding: run.out, as: UTF8.self),
                       "loading\tutil\n42\t\(work.appendingPathComponent("app").path)\t7\t1\t1\n3\nfrom dofile\n")

        let failed = try runProgram(work.appendingPathComponent("app").path, ["fail"], in: work)
        XCTAssertEqual(failed.status, 1)
        // The last line is the native code that started the program, at an address that
        // changes from run to run (luajit prints the same line).
        let address = try Regex("0x[0-9a-f]+")
        XCTAssertEqual(failed.err.replacing(address, with: "0x..."), """
            app: app.lua:6: attempt to index local 't' (a nil value)
            stack traceback:
            \tapp.lua:6: in function 'inner'
            \tapp.lua:7: in function 'outer'
            \tapp.lua:8: in main chunk
            \t[C]: at 0x...

            """)
    }

    /// Once a compiled module's main function is collected, chunks loaded later (which may
    /// reuse its prototype's memory) still run as themselves, never as its native code.
    func testChunksLoadedAfterACollectionRunAsThemselves() throws {
        try write("mod.lua", "local M = {}\nfunction M.f() return 'module' end\nreturn M\n")
        try write("app.lua", """
            local m = require("mod")
            collectgarbage()
            local sum = 0
            for i = 1, 200 do
              local f = loadstring("local t = {" .. i .. "} return function() return t[1] end")
              sum = sum + f()()
              if i % 50 == 0 then collectgarbage() end
            end
            print(m.f(), sum)
            """)
        let build = try runPerigee(["build", "app.lua", "-o", "app"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let run = try runProgram(work.appendingPathComponent("app").path, [], in: work)
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertEqual(String(decoding: run.out, as: UTF8.self), "module\t20100\n")
    }

    func testModulesNotFoundAtBuildTimeLoadAtRunTime() throws {
        try write("main.lua", "package.path = './mods/?.lua'\nprint(require('later').value)\n")
        let build = try runPerigee(["build", "main.lua", "-o", "main", "-v"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        XCTAssertTrue(build.err.contains("perigee: warning: module 'later' not found: require will look for it when the program runs"), build.err)
        try write("mods/later.lua", "return { value = 'loaded from disk' }\n")
        let run = try runProgram(work.appendingPathComponent("main").path, [], in: work)
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertEqual(String(decoding: run.out, as: UTF8.self), "loaded from disk\n")
    }

    /// Optional dependencies as programs write them: `pcall(require, ...)` of a module that
    /// is nowhere, and of one beside the script (compiled in); a Lua 5.3 module behind a
    /// `_VERSION` test. The build warns and succeeds; the executable prints what luajit
    /// prints for the script (luajit main.lua in app/).
    func testOptionalModules() throws {
        try FileManager.default.createDirectory(at: work.appendingPathComponent("app"), withIntermediateDirectories: true)
        try write("app/present.lua", "return { name = 'present' }\n")
        try write("app/compat53.lua", "return 7 // 2\n")
        try write("app/main.lua", """
            local ok, err = pcall(require, "lpeg_missing")
            print(ok, (err:gsub("\\n.*", "")))
            local found, present = pcall(require, "present")
            print(found, present.name)
            local compat = "5.1 path"
            if _VERSION == "Lua 5.3" then compat = require("compat53") end
            print(compat)
            local ok2, err2 = pcall(require, "compat53")
            print(ok2, (err2:gsub("\\n.*", "")))
            """)
        let build = try runPerigee(["build", "app/main.lua", "-o", "main", "-v"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        XCTAssertTrue(build.err.contains("perigee: warning: module 'lpeg_missing' not found: require will look for it when the program runs"), build.err)
        XCTAssertTrue(build.err.contains("module 'present' compiled in"), build.err)
        XCTAssertTrue(build.err.contains("perigee: warning: module 'compat53' does not compile (app/compat53.lua:1: unexpected symbol near '/')"), build.err)
        // The module compiled in is not read at run time.
        try FileManager.default.removeItem(at: work.appendingPathComponent("app/present.lua"))
        let run = try runProgram(work.appendingPathComponent("main").path, [], in: work.appendingPathComponent("app"))
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertEqual(String(decoding: run.out, as: UTF8.self), """
            false\tmodule 'lpeg_missing' not found:
            true\tpresent
            5.1 path
            false\terror loading module 'compat53' from file './compat53.lua':

            """)
        let strict = try runPerigee(["build", "app/main.lua", "-o", "strict", "--strict"], in: work)
        XCTAssertEqual(strict.status, 1)
    }

    func testEmitsLLVMAndObject() throws {
        try write("k.lua", "local s = 0 for i = 1, 10 do s = s + i end print(s)\n")
        let build = try runPerigee(["build", "k.lua", "-O0", "--emit-llvm", "k.ll", "--emit-obj", "k.o", "-o", "k"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let ir = try String(contentsOf: work.appendingPathComponent("k.ll"), encoding: .utf8)
        XCTAssertTrue(ir.contains("define i32 @main"), ir)
        XCTAssertTrue(ir.contains("fadd double"), "the loop's addition is inline")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("k.o").path))
        let run = try runProgram(work.appendingPathComponent("k").path, [], in: work)
        XCTAssertEqual(String(decoding: run.out, as: UTF8.self), "55\n")
    }

    /// Modules beside the main script are found when the build runs elsewhere; one that is
    /// missing or does not compile is a warning, and the executable raises luajit's error at
    /// the require; `--strict` makes the warning the build's error.
    func testModulesBesideTheScriptAndWarnings() throws {
        try FileManager.default.createDirectory(at: work.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try write("sub/helper.lua", "return { v = 'beside' }\n")
        try write("sub/broken.lua", "local x = = 1\n")
        try write("sub/app.lua", """
            print(require("helper").v)
            if arg[1] == "broken" then require("broken") end
            require("absent")
            """)
        let build = try runPerigee(["build", "sub/app.lua", "-o", "app"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        XCTAssertEqual(build.err, """
            perigee: warning: module 'broken' does not compile (sub/broken.lua:1: unexpected symbol near '='): require will raise the error when the program runs
            perigee: warning: module 'absent' not found: require will look for it when the program runs

            """)
        let app = work.appendingPathComponent("app").path
        let missing = try runProgram(app, [], in: work.appendingPathComponent("sub"))
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(String(decoding: missing.out, as: UTF8.self), "beside\n")
        XCTAssertTrue(missing.err.hasPrefix("app: sub/app.lua:3: module 'absent' not found:\n\tno field package.preload['absent']\n"), missing.err)
        let broken = try runProgram(app, ["broken"], in: work.appendingPathComponent("sub"))
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.err.hasPrefix("""
            app: error loading module 'broken' from file './broken.lua':
            \t./broken.lua:1: unexpected symbol near '='
            """), broken.err)

        let strict = try runPerigee(["build", "sub/app.lua", "-o", "strict", "--strict"], in: work)
        XCTAssertEqual(strict.status, 1)
        XCTAssertEqual(strict.err, "perigee: module 'broken' does not compile (sub/broken.lua:1: unexpected symbol near '='): require will raise the error when the program runs\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("strict").path))
    }

    /// `--emit-llvm` or `--emit-obj` without `-o` writes only what was asked; `-s` leaves the
    /// symbol table out and the program still runs.
    func testEmitOnlyAndStrip() throws {
        try write("e.lua", "print('e')\n")
        XCTAssertEqual(try runPerigee(["build", "e.lua", "--emit-llvm", "e.ll"], in: work).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("e.ll").path))
        XCTAssertEqual(try runPerigee(["build", "e.lua", "--emit-obj", "e.o"], in: work).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("e.o").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("e").path))
        let plain = try runPerigee(["build", "e.lua", "-o", "plain"], in: work)
        XCTAssertEqual(plain.status, 0, plain.err)
        let stripped = try runPerigee(["build", "e.lua", "-s", "-o", "stripped"], in: work)
        XCTAssertEqual(stripped.status, 0, stripped.err)
        let size = { (name: String) in try FileManager.default.attributesOfItem(atPath: self.work.appendingPathComponent(name).path)[.size] as! Int }
        XCTAssertLessThan(try size("stripped"), try size("plain"))
        let run = try runProgram(work.appendingPathComponent("stripped").path, [], in: work)
        XCTAssertEqual(String(decoding: run.out, as: UTF8.self), "e\n")
    }

    /// `-g`: each Lua function is a DWARF subprogram whose instructions carry Lua lines.
    func testDebugInformationNamesLuaLines() throws {
        try write("dbg.lua", "local function f(x)\n  return x * 2\nend\nprint(f(21))\n")
        let build = try runPerigee(["build", "dbg.lua", "-g", "--emit-llvm", "dbg.ll", "--emit-obj", "dbg.o", "-o", "dbg"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let ir = try String(contentsOf: work.appendingPathComponent("dbg.ll"), encoding: .utf8)
        XCTAssertTrue(ir.contains("DISubprogram(name: \"function <dbg.lua:1>\""), ir)
        XCTAssertTrue(ir.contains("!DILocation(line: 2"), "the multiplication's line")
        XCTAssertTrue(ir.contains("DIFile(filename: \"dbg.lua\""), ir)
        let run = try runProgram(work.appendingPathComponent("dbg").path, [], in: work)
        XCTAssertEqual(String(decoding: run.out, as: UTF8.self), "42\n")
        // The object's line table names the Lua file (where binutils can show it).
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/objdump") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/objdump")
            process.arguments = ["--dwarf=decodedline", work.appendingPathComponent("dbg.o").path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertTrue(text.contains("dbg.lua"), text)
        }
    }

    /// A function long enough to be compiled in the compact way (runtime calls for table
    /// access and calls) computes what the interpreter computes.
    func testLongFunctionsMatchTheInterpreter() throws {
        var lines = ["local t, acc = {1, 2, 3, 4, 5}, 0", "local obj = {n = 0}",
                     "function obj:bump(k) self.n = self.n + k; return self.n end",
                     "local function f(x, s) return x * 2 + #s end"]
        for i in 0..<300 {
            lines.append("acc = acc + f(t[\(i % 5 + 1)], \"s\(i)\") + obj:bump(\(i % 3)); t.k\(i % 7) = acc % 97; G\(i % 4) = acc")
        }
        lines.append("print(acc, obj.n, t.k3, G2, pcall(function() return t.missing.x end))")
        try write("long.lua", lines.joined(separator: "\n") + "\n")
        let interpreted = try runPerigee(["long.lua"], in: work)
        XCTAssertEqual(interpreted.status, 0, interpreted.err)
        let build = try runPerigee(["build", "long.lua", "-o", "long"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let compiled = try runProgram(work.appendingPathComponent("long").path, [], in: work)
        XCTAssertEqual(String(decoding: compiled.out, as: UTF8.self), String(decoding: interpreted.out, as: UTF8.self))
        XCTAssertTrue(String(decoding: compiled.out, as: UTF8.self).contains("attempt to index field 'missing'"))
    }

    /// A stack overflow where pcall or xpcall enters its function, in tail position or not:
    /// the message and the traceback an xpcall handler sees are the interpreter's.
    func testStackOverflowsInProtectedCallsMatchTheInterpreter() throws {
        try write("overflow.lua", """
            local function tailtraceback(n) return xpcall(tailtraceback, debug.traceback, n + 1) end
            local results = {tailtraceback(1)}
            print(#results, results[#results])
            local function tailpcall(n) return pcall(tailpcall, n + 1) end
            results = {tailpcall(1)}
            print(#results, results[#results])
            local function nested(n) local ok, e = xpcall(nested, debug.traceback, n + 1) return ok, e end
            print(nested(1))
            local function handled(n) return xpcall(handled, function(m) return "handled " .. m end, n + 1) end
            results = {handled(1)}
            print(#results, results[#results])
            """)
        let interpreted = try runPerigee(["-joff", "overflow.lua"], in: work)
        XCTAssertEqual(interpreted.status, 0, interpreted.err)
        let build = try runPerigee(["build", "overflow.lua", "-o", "overflow"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let compiled = try runProgram(work.appendingPathComponent("overflow").path, [], in: work)
        XCTAssertEqual(compiled.status, 0, compiled.err)
        // The native code that started the program is at another address in each.
        let address = try Regex("0x[0-9a-f]+")
        let expected = String(decoding: interpreted.out, as: UTF8.self).replacing(address, with: "0x...")
        XCTAssertEqual(String(decoding: compiled.out, as: UTF8.self).replacing(address, with: "0x..."), expected)
        XCTAssertTrue(expected.contains("\toverflow.lua:1: stack overflow\nstack traceback:\n\t[C]: in function 'xpcall'"), expected)
    }

    func testFunctionsCompiledOnSeveralThreadsMatchOneModule() throws {
        try write("shapes.lua", """
            local M = {}
            function M.area(w, h) return w * h end
            function M.describe(s) return string.format("%s:%g", s.name, M.area(s.w, s.h)) end
            return M
            """)
        try write("threads.lua", """
            local shapes = require("shapes")
            local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
            local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(fib(i + 10)) end end)
            local list = {}
            for i = 1, 5 do list[i] = {name = "s" .. i, w = i, h = i + 0.5} end
            local out = {}
            for _, s in ipairs(list) do out[#out + 1] = shapes.describe(s) end
            print(table.concat(out, " "), co(), co(), co(), math.sqrt(fib(12)))
            print(pcall(shapes.area, {}, 1))
            """)
        let interpreted = try runPerigee(["threads.lua"], in: work)
        XCTAssertEqual(interpreted.status, 0, interpreted.err)
        for jobs in ["1", "2", "3"] {
            let build = try runPerigee(["build", "threads.lua", "-o", "threads\(jobs)", "-j", jobs, "-v"], in: work)
            XCTAssertEqual(build.status, 0, build.err)
            XCTAssertEqual(build.err.contains("functions compiled on"), jobs != "1", build.err)
            let run = try runProgram(work.appendingPathComponent("threads\(jobs)").path, [], in: work)
            XCTAssertEqual(run.status, 0, run.err)
            XCTAssertEqual(String(decoding: run.out, as: UTF8.self), String(decoding: interpreted.out, as: UTF8.self))
        }
    }

    func testBuildErrorsAreMessages() throws {
        try write("bad.lua", "local x = = 1\n")
        try write("good.lua", "print(1)\n")
        let cases: [([String], String)] = [
            (["build", "bad.lua"], "perigee: bad.lua:1: unexpected symbol near '='\n"),
            (["build", "absent.lua"], "perigee: cannot open absent.lua\n"),
            (["build", "good.lua", "-o", "/nonexistent-dir/x"], "perigee: cannot write /nonexistent-dir/x: No such file or directory\n"),
            (["build", "good.lua", "--bogus"], "perigee: unrecognized option '--bogus'\n"),
            (["build"], "perigee: no input file\n"),
            (["build", "good.lua", "-o"], "perigee: '-o' needs an argument\n"),
            (["build", "good.lua", "-j", "0"], "perigee: '-j' needs a number of threads from 1 to 64\n"),
            (["build", "good.lua", "--jobs"], "perigee: '--jobs' needs a number of threads from 1 to 64\n"),
        ]
        for (arguments, message) in cases {
            let r = try runPerigee(arguments, in: work)
            XCTAssertEqual(r.status, 1, arguments.joined(separator: " "))
            XCTAssertTrue(r.err.hasPrefix(message), "\(arguments): \(r.err)")
        }
    }

    func testMissingRuntimeLibraryNamesWhereItLooked() throws {
        // A copy of perigee in a directory without the runtime library, and a variable
        // pointing nowhere: the message names both places.
        let lonely = work.appendingPathComponent("perigee")
        try FileManager.default.copyItem(at: perigeeBinary, to: lonely)
        try write("good.lua", "print(1)\n")
        let process = Process()
        process.executableURL = lonely
        process.arguments = ["build", "good.lua", "-o", "good"]
        process.currentDirectoryURL = work
        process.environment = ["PERIGEE_RUNTIME_DIR": "/nonexistent-runtime", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? ""]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1)
        XCTAssertTrue(text.contains("PERIGEE_RUNTIME_DIR (/nonexistent-runtime)"), text)
        XCTAssertTrue(text.contains("running executable (\(work.path))"), text)
    }
}
