/// The tracing JIT as users meet it: libLLVM only once a trace compiles, debug hooks obeyed
/// while traces exist, `-j`/`-O` arguments checked, `-jdump` listings.
import Foundation
import XCTest

final class TraceJITTests: XCTestCase {
    /// Prints whether libLLVM is mapped into the running process.
    let mapsProbe = "local f = io.open('/proc/self/maps') local m = f:read('*a') f:close() "
        + "print(m:find('libLLVM', 1, true) and 'llvm' or 'no llvm')"

    func testLibLLVMLoadsOnlyWhenTheFirstTraceCompiles() throws {
        let cold = try runPerigee(["-jon", "-e", "local s = 0 for i = 1, 10 do s = s + i end " + mapsProbe])
        XCTAssertEqual(cold.status, 0, cold.err)
        XCTAssertEqual(String(decoding: cold.out, as: UTF8.self), "no llvm\n")
        let empty = try runPerigee(["-jon", "-e", "", "-e", mapsProbe])
        XCTAssertEqual(String(decoding: empty.out, as: UTF8.self), "no llvm\n")
        let hot = try runPerigee(["-jv", "-Ohotloop=1", "-Ocompilethread=0", "-e", "local s = 0 for i = 1, 10 do s = s + i end " + mapsProbe])
        XCTAssertEqual(hot.status, 0, hot.err)
        XCTAssertEqual(String(decoding: hot.out, as: UTF8.self), "llvm\n")
        XCTAssertTrue(hot.err.contains("[TRACE   1 (command line):1 loop]"), hot.err)
    }

    /// A line hook set after a loop compiled sees every line of the loop's later iterations,
    /// exactly as the interpreter's: traces are not entered while a hook is set.
    func testDebugHookSetAfterCompilationIsObeyed() throws {
        let script = """
        local t = {}
        local function run(n) local s = 0 for i = 1, n do
          s = s + i
          t[1] = s
        end return s end
        print(run(100))
        local lines = 0
        debug.sethook(function() lines = lines + 1 end, "l")
        print(run(50))
        debug.sethook()
        print(lines > 100, run(100))
        """
        let interpreted = try runPerigee(["-joff", "-e", script])
        let traced = try runPerigee(["-jv", "-Ohotloop=1", "-Ocompilethread=0", "-e", script])
        XCTAssertEqual(interpreted.status, 0, interpreted.err)
        XCTAssertEqual(traced.status, 0, traced.err)
        XCTAssertEqual(String(decoding: traced.out, as: UTF8.self), String(decoding: interpreted.out, as: UTF8.self))
        XCTAssertTrue(traced.err.contains("loop]"), "the loop compiled before the hook: \(traced.err)")
        XCTAssertEqual(String(decoding: traced.out, as: UTF8.self), "5050\n1275\ntrue\t5050\n")
    }

    /// A loop trace longer than TraceJIT.longLoopSize IR instructions is compiled with the
    /// quick passes and code generator: its results are the interpreter's.
    func testLongLoopTraceCompilesQuicklyAndCorrectly() throws {
        let updates = (1...60).map { "t[\($0)] = t[\($0)] + i * \($0) - s % \($0 + 2)" }.joined(separator: "\n")
        let script = """
        local t = {}
        for k = 1, 60 do t[k] = 0 end
        local s = 0
        for i = 1, 300 do
        \(updates)
        s = s + t[60] % 7
        end
        local sum = 0
        for k = 1, 60 do sum = sum + t[k] end
        print(sum, s)
        """
        let interpreted = try runPerigee(["-joff", "-e", script])
        XCTAssertEqual(String(decoding: interpreted.out, as: UTF8.self), "82346620\t576\n", interpreted.err)
        let traced = try runPerigee(["-jdump=ti", "-Ohotloop=1", "-Ocompilethread=0", "-e", script])
        XCTAssertEqual(traced.status, 0, traced.err)
        XCTAssertEqual(String(decoding: traced.out, as: UTF8.self), "82346620\t576\n")
        // The long loop's trace is there, with more IR than the quick compile's threshold.
        let listing = traced.err.components(separatedBy: "---- TRACE ").filter { $0.hasPrefix("2 IR") }
        XCTAssertEqual(listing.count, 1, traced.err)
        let instructions = listing.first?.split(separator: "\n").filter { $0.first?.isNumber == true }.count ?? 0
        XCTAssertGreaterThan(instructions, 300, traced.err)
    }

    /// Abort reasons name the bytecode, and a loop that keeps aborting is tried less and
    /// less often (luajit's penalties), then blacklisted.
    func testAbortsAreReportedAndBlacklisted() throws {
        // A builtin's results, all wanted, are not recorded (string.byte of a range).
        let script = "local t = 0 for r = 1, 20 do for i = 1, 20 do t = t + math.max(string.byte('ab', 1, 2)) + 1 end end print(t)"
        let result = try runPerigee(["-jv", "-Ohotloop=1", "-Ocompilethread=0", "-e", script])
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), "39600\n")
        let aborts = result.err.split(separator: "\n").filter { $0.contains("NYI: bytecode") }
        XCTAssertFalse(aborts.isEmpty, result.err)
        XCTAssertLessThanOrEqual(aborts.count, 4, "a failing loop must stop being recorded: \(result.err)")
    }

    /// Traces compile on the compiler thread while the interpreter goes on, and are
    /// installed once ready; a flush while a compile is under way drops its result.
    func testTracesCompileOnTheCompilerThread() throws {
        let script = """
        local s = 0
        for r = 1, 12 do
          for i = 1, 300000 do s = s + i % 7 end
          if r == 6 then jit.flush() end
        end
        local t = {}
        for i = 1, 40 do t["k" .. i] = i end
        for r = 1, 4000 do
          for k, v in pairs(t) do s = s + v + #k end
        end
        print(s)
        """
        let interpreted = try runPerigee(["-joff", "-e", script])
        let threaded = try runPerigee(["-jv", "-e", script])
        XCTAssertEqual(threaded.status, 0, threaded.err)
        XCTAssertEqual(String(decoding: threaded.out, as: UTF8.self), String(decoding: interpreted.out, as: UTF8.self))
        XCTAssertTrue(threaded.err.contains("[TRACE   1 (command line):3 loop]"), threaded.err)
        // os.exit while traces may still be compiling ends the process cleanly.
        let exiting = try runPerigee(["-Ohotloop=1", "-e", "for r = 1, 50 do for i = 1, 100 do local x = i * r end end os.exit(3)"])
        XCTAssertEqual(exiting.status, 3, exiting.err)
    }

    func testDumpListsTheTraceIR() throws {
        let result = try runPerigee(["-jdump", "-Ohotloop=1", "-Ocompilethread=0", "-e", "local s = 0 for i = 1, 100 do s = s + i * 2 end print(s)"])
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), "10100\n")
        XCTAssertTrue(result.err.contains("---- TRACE 1 IR"), result.err)
        XCTAssertTrue(result.err.contains(" num MUL "), result.err)
        XCTAssertTrue(result.err.contains("SNAP   #"), result.err)
    }

    func testDumpFlagsChooseWhatIsListed() throws {
        let program = "local function f(n) if n < 2 then return n end return f(n - 1) + f(n - 2) end print(f(15))"
        // t and b: starts, stops and the recorded bytecode, without IR or LLVM.
        let brief = try runPerigee(["-jdump=tb", "-Ohotloop=1", "-Ocompilethread=0", "-e", program])
        XCTAssertEqual(String(decoding: brief.out, as: UTF8.self), "610\n", brief.err)
        XCTAssertTrue(brief.err.contains("---- TRACE 1 start (command line):1"), brief.err)
        XCTAssertTrue(brief.err.contains("---- TRACE 1 stop -> "), brief.err)
        XCTAssertTrue(brief.err.contains(" ISGE "), brief.err)
        XCTAssertFalse(brief.err.contains("---- TRACE 1 IR"), brief.err)
        XCTAssertFalse(brief.err.contains("define i64"), brief.err)
        XCTAssertFalse(brief.err.contains("mcode"), brief.err)
        // m: each trace's machine code, one instruction a line after its address.
        let code = try runPerigee(["-jdump=m", "-Ohotloop=1", "-Ocompilethread=0", "-e", program])
        XCTAssertEqual(String(decoding: code.out, as: UTF8.self), "610\n", code.err)
        XCTAssertTrue(code.err.range(of: "---- TRACE 1 mcode [1-9][0-9]*\n[0-9a-f]{8,} ", options: .regularExpression) != nil,
                      code.err)
        XCTAssertTrue(code.err.contains(" ret"), code.err)
        XCTAssertFalse(code.err.contains("not decoded"), code.err)
        // i without s: IR without snapshots; l: LLVM IR; into a file.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-dump-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let ir = try runPerigee(["-jdump=il,\(file.path)", "-Ohotloop=1", "-Ocompilethread=0", "-e", program])
        XCTAssertEqual(ir.status, 0, ir.err)
        let listing = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(listing.contains("---- TRACE 1 IR"), listing)
        XCTAssertFalse(listing.contains("SNAP"), listing)
        XCTAssertTrue(listing.contains("define i64 @perigee_trace_1"), listing)
        // -jv=file: the one-line reports go there; a recursive function's trace says so.
        let verbose = try runPerigee(["-jv=\(file.path)", "-Ohotloop=1", "-Ocompilethread=0", "-e", program])
        XCTAssertEqual(verbose.status, 0, verbose.err)
        XCTAssertTrue(try String(contentsOf: file, encoding: .utf8).contains("up-recursion]"))
        let bad = try runPerigee(["-jdump=q", "-e", "print(1)"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.err.contains("unknown dump flag"), bad.err)
    }

    /// Exits leave out slots the bytecode no longer reads: the swap's temporaries are dead at
    /// the break's test, so its snapshot holds fewer values than with `-O-dce`, which keeps
    /// them. (One loop and no side traces: the same trace forms every run.)
    func testExitSnapshotsLeaveOutDeadSlots() throws {
        let program = """
            local p = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
            local r = 0
            while r < 300 do
              r = r + 1
              local i, j = 1 + r % 3, 10 - r % 4
              p[i], p[j] = p[j], p[i]
              if p[i] > 100 then break end
            end
            print(table.concat(p, " "))
            """
        func snapshotValues(_ flags: [String]) throws -> (String, Int) {
            let run = try runPerigee(["-jdump=is"] + flags + ["-Ohotloop=1", "-Ohotexit=100000", "-Ocompilethread=0", "-e", program])
            XCTAssertEqual(run.status, 0, run.err)
            let values = run.err.split(separator: "\n").filter { $0.contains("SNAP") }.map { line in
                line.split(separator: " ").filter { $0.count == 4 && $0.allSatisfy(\.isNumber) }.count
            }
            return (String(decoding: run.out, as: UTF8.self), values.reduce(0, +))
        }
        let (purged, fewer) = try snapshotValues([])
        let (kept, more) = try snapshotValues(["-O-dce"])
        XCTAssertEqual(purged, kept)
        XCTAssertEqual(purged, "3 10 2 4 5 6 8 9 1 7\n")
        XCTAssertLessThan(fewer, more)
    }

    /// A loop recorded on a path it seldom takes (here its second round) leaves its trace
    /// every round through one side trace, which goes back in: the trace is taken off its
    /// anchor so that the loop is recorded again (`-Oretrace=0`: it stays).
    func testLoopRecordedOnARarePathIsRetraced() throws {
        let script = "local x, y = 0, 0 for i = 1, 20000 do if i % 1000 == 2 then x = x + i else y = y + 1 end end print(x, y)"
        let options = ["-jv", "-Ohotloop=1", "-Ohotexit=1", "-Ocompilethread=0", "-Ocompilebudget=0"]
        let retraced = try runPerigee(options + ["-e", script])
        XCTAssertEqual(String(decoding: retraced.out, as: UTF8.self), "190040\t19980\n")
        XCTAssertTrue(retraced.err.contains("[TRACE   1 retraced: its loop mostly leaves it]"), retraced.err)
        let kept = try runPerigee(options + ["-Oretrace=0", "-e", script])
        XCTAssertEqual(String(decoding: kept.out, as: UTF8.self), "190040\t19980\n")
        XCTAssertFalse(kept.err.contains("retraced"), kept.err)
    }

    /// Side traces that exits call themselves (a loop whose rounds take one of four paths,
    /// a recursive function's returns), and traces compiled again with the optimizing code
    /// generator once they have run `reoptimize` times: the same results as the
    /// interpreter's, and the recompiles counted.
    func testSideTracesLinkedDirectlyAndRecompiled() throws {
        let script = """
        local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
        local a, b, c, d = 1, 2, 3, 4
        for i = 1, 3000000 do
          local r = i % 4
          if r == 0 then a = a + i elseif r == 1 then b = b + a % 7 elseif r == 2 then c = c + b % 5 else d = d + c % 3 end
        end
        local f = 0
        for _ = 1, 4 do f = f + fib(25) end
        print(a, b, c, d, f)
        """
        let interpreted = try runPerigee(["-joff", "-e", script])
        let expected = String(decoding: interpreted.out, as: UTF8.self)
        XCTAssertEqual(expected, "1125001500001\t3000005\t1500008\t750007\t300100\n")
        let recompiled = try runProgram(perigeeBinary.path, ["-Ohotloop=2", "-Oreoptimize=50", "-e", script],
                                        environment: ["PERIGEE_JIT_STATS": "1"])
        XCTAssertEqual(String(decoding: recompiled.out, as: UTF8.self), expected, recompiled.err)
        XCTAssertTrue(recompiled.err.range(of: "reoptimized=[1-9]", options: .regularExpression) != nil, recompiled.err)
        let once = try runProgram(perigeeBinary.path, ["-Ohotloop=2", "-Oreoptimize=0", "-e", script],
                                  environment: ["PERIGEE_JIT_STATS": "1"])
        XCTAssertEqual(String(decoding: once.out, as: UTF8.self), expected, once.err)
        XCTAssertTrue(once.err.contains("reoptimized=0 "), once.err)
        // The program thread's time in recordings and the run's wall time, for bench/run.
        XCTAssertTrue(once.err.range(of: "record_us=[0-9]+ run_us=[1-9][0-9]*\\]", options: .regularExpression) != nil, once.err)
    }

    func testBadJITArgumentsAreRefused() throws {
        let flag = try runPerigee(["-Ohotlop=3", "-e", "print(1)"])
        XCTAssertEqual(flag.status, 1)
        XCTAssertTrue(flag.err.contains("unknown or malformed optimization flag 'hotlop=3'"), flag.err)
        let command = try runPerigee(["-jfoo", "-e", "print(1)"])
        XCTAssertEqual(command.status, 1)
        XCTAssertTrue(command.err.contains("-jfoo"), command.err)
        let level = try runPerigee(["-O1", "-O-fold", "-Ohotloop=5", "-e", "print(2)"])
        XCTAssertEqual(String(decoding: level.out, as: UTF8.self), "2\n", level.err)
    }

    func testOptStartSetsParametersAsLuaJITDoes() throws {
        // Outputs from luajit. hotloop=1 makes the loop below compile in its first rounds.
        let script = """
        local opt = require("jit.opt")
        print(opt == jit.opt, type(opt.start))
        opt.start("hotloop=1", "-fold", "+fold", "2")
        opt.start()
        print(pcall(opt.start, "foo"))
        print(pcall(opt.start, "hotloop=x"))
        print(pcall(opt.start, 5))
        opt.start("hotloop=1", "compilethread=0")
        local s = 0
        for i = 1, 5 do s = s + i end
        print(s)
        """
        let result = try runPerigee(["-jv", "-e", script])
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), """
            true\tfunction
            false\tunknown or malformed optimization flag 'foo'
            false\tunknown or malformed optimization flag 'hotloop=x'
            true
            15

            """)
        XCTAssertTrue(result.err.contains("[TRACE   1 (command line):10 loop]"), result.err)
    }
}
