/// `perigee profile` and `perigee build --profile`: profiles record what a run saw, merge,
/// and are checked on reading; a build with a profile behaves exactly as one without, with
/// a profile of the program itself, of other input, of another version of it, or a damaged one.
import XCTest

final class ProfileTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-profile-test-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: work.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func text(_ name: String) throws -> String {
        try String(contentsOf: work.appendingPathComponent(name), encoding: .utf8)
    }

    /// A program whose types and callees depend on its input: numbers, or strings and
    /// tables with metamethods; one callee, or another.
    static let program = """
        local mode = arg[1] or "numbers"
        local V = {}
        V.__index = V
        V.__add = function(a, b) return setmetatable({x = a.x + b.x}, V) end
        local function add(a, b) return a + b end
        local function twice(x) return x * 2 end
        local function thrice(x) return x * 3 end
        local f = mode == "numbers" and twice or thrice
        local g = mode == "numbers" and math.floor or tostring
        local s, t = 0, setmetatable({x = 0}, V)
        for i = 1, 300 do
          if mode == "numbers" then s = add(s, i) else s = add(s, tostring(i)) ; t = add(t, setmetatable({x = i}, V)) end
          s = s + f(i)
          local r = g(i / 2)
          if i % 7 == 0 then s = s - (tonumber(r) or 0) end
        end
        print(mode, s, t.x)
        """

    func testProfileRecordsTypesCallsBranchesAndTraces() throws {
        try write("app.lua", ProfileTests.program)
        let run = try runPerigee(["profile", "-o", "app.profile", "app.lua"], in: work)
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertEqual(String(decoding: run.out, as: UTF8.self), "numbers\t132300\t0\n")
        let profile = try text("app.profile")
        let lines = profile.split(separator: "\n")
        XCTAssertEqual(lines.first, "perigee-profile 2")
        XCTAssertEqual(lines.last, "end")
        XCTAssertTrue(lines.contains { $0.hasPrefix("chunk 0 ") && $0.hasSuffix(" @app.lua") }, profile)
        XCTAssertTrue(lines.contains { $0.hasPrefix("site ") && $0.hasSuffix(" number number") }, profile)
        XCTAssertTrue(lines.contains { $0.hasPrefix("branch ") }, profile)
        XCTAssertTrue(lines.contains { $0.hasPrefix("call ") && $0.contains(" lua 0 ") }, profile)
        XCTAssertTrue(lines.contains { $0.hasPrefix("call ") && $0.hasSuffix(" builtin 3") }, profile)  // math.floor
        // The JIT's traces: a loop in a function (the main chunk above is a vararg function,
        // whose loops the JIT does not record yet).
        try write("loop.lua", "local function f() local t = {} for i = 1, 5000 do t[i] = i * 2 end return #t end print(f())")
        XCTAssertEqual(try runPerigee(["profile", "-o", "loop.profile", "-Ocompilethread=0", "loop.lua"], in: work).status, 0)
        let loopProfile = try text("loop.profile")
        let loopLines = loopProfile.split(separator: "\n")
        XCTAssertTrue(loopLines.contains { $0.hasPrefix("trace 0:1:") && $0.contains(" loop 0:1:") }, loopProfile)
        // ... with its code, in portable form: functions named by chunk and index, the
        // IR's constants by what they are.
        XCTAssertTrue(loopLines.contains { $0.hasPrefix("tracecode 1 - 0 - ") && $0.hasSuffix(" 0:1") }, loopProfile)
        XCTAssertTrue(loopLines.contains { $0.hasPrefix("tir head ") }, loopProfile)
        XCTAssertTrue(loopLines.contains { $0.hasPrefix("tir i SLOAD ") }, loopProfile)
        XCTAssertTrue(loopLines.contains { $0.hasPrefix("tir s 0 ") }, loopProfile)

        // The option of the plain command line writes the same kind of file.
        let option = try runPerigee(["--profile-out=other.profile", "app.lua", "strings"], in: work)
        XCTAssertEqual(option.status, 0, option.err)
        XCTAssertTrue(try text("other.profile").contains(" number,table string,table"))
    }

    func testProfileIsWrittenWhenTheProgramExitsOrFails() throws {
        try write("exits.lua", "local s = 0 for i = 1, 100 do s = s + i end print(s) os.exit(3)")
        let exits = try runPerigee(["profile", "-o", "exits.profile", "exits.lua"], in: work)
        XCTAssertEqual(exits.status, 3)
        XCTAssertTrue(try text("exits.profile").hasSuffix("end\n"))
        try write("fails.lua", "local t = nil\nprint(1 + 1)\nprint(t.x)")
        let fails = try runPerigee(["profile", "-o", "fails.profile", "fails.lua"], in: work)
        XCTAssertEqual(fails.status, 1)
        XCTAssertTrue(fails.err.contains("attempt to index local 't' (a nil value)"), fails.err)
        XCTAssertTrue(try text("fails.profile").hasSuffix("end\n"))
        let unwritable = try runPerigee(["profile", "-o", "/nonexistent/dir/x.profile", "exits.lua"], in: work)
        XCTAssertNotEqual(unwritable.status, 0)
        XCTAssertTrue(unwritable.err.contains("perigee: cannot write /nonexistent/dir/x.profile"), unwritable.err)
    }

    /// Built with a profile of its own run or of the other input, the program prints what
    /// luajit prints for either input.
    func testBuildWithAProfileOfOtherInputStaysCorrect() throws {
        try write("app.lua", ProfileTests.program)
        for mode in ["numbers", "strings"] {
            let run = try runPerigee(["profile", "-o", "\(mode).profile", "app.lua", mode], in: work)
            XCTAssertEqual(run.status, 0, run.err)
        }
        let merged = try runPerigee(["profile", "--merge", "numbers.profile", "strings.profile", "-o", "both.profile"], in: work)
        XCTAssertEqual(merged.status, 0, merged.err)
        let expected = ["numbers": "numbers\t132300\t0\n", "strings": "strings\t177439.5\t45150\n"]
        for profile in ["numbers", "strings", "both"] {
            let build = try runPerigee(["build", "app.lua", "--profile", "\(profile).profile", "--profile-report", "-o", "app-\(profile)"],
                                       in: work)
            XCTAssertEqual(build.status, 0, build.err)
            XCTAssertEqual(build.err, "", "a profile of this very source: no warning")
            let report = String(decoding: build.out, as: UTF8.self)
            XCTAssertTrue(report.contains("direct call"), report)
            XCTAssertTrue(report.contains("sites specialized"), report)
            if profile != "numbers" { XCTAssertTrue(report.contains("generic version"), report) }
            if profile == "numbers" { XCTAssertTrue(report.contains("call of builtin floor with 1 arguments: inline"), report) }
            for mode in ["numbers", "strings"] {
                let result = try runProgram(work.appendingPathComponent("app-\(profile)").path, [mode], in: work)
                XCTAssertEqual(result.status, 0, result.err)
                XCTAssertEqual(String(decoding: result.out, as: UTF8.self), expected[mode], "built with the \(profile) profile, run on \(mode)")
            }
        }
    }

    /// Fields inherited through `__index` tables, read inline where the profile saw them:
    /// the same results when the classes change after the profiled part (a method replaced,
    /// `__index` replaced by another table), through three levels, and with `__index` functions.
    func testInheritedFieldsReadInlineStayCorrect() throws {
        try write("oo.lua", """
            local Base = {} Base.__index = Base
            function Base.new(x) return setmetatable({x = x}, Base) end
            function Base:get() return self.x end
            function Base:kind() return "base" end
            local Derived = setmetatable({}, {__index = Base}) Derived.__index = Derived
            function Derived.new(x) return setmetatable({x = x}, Derived) end
            function Derived:kind() return "derived" end
            local Third = setmetatable({}, {__index = Derived}) Third.__index = Third
            function Third.new(x) return setmetatable({x = x}, Third) end
            local Fn = setmetatable({}, {__index = function(t, k) return k .. "!" end})
            local objs = {Base.new(1), Derived.new(2), Third.new(3)}
            local s, names = 0, {}
            for i = 1, 3000 do
              local o = objs[i % 3 + 1]
              s = s + o:get()
              names[o:kind()] = (names[o:kind()] or 0) + 1
              local m = o.missing
              if m ~= nil then s = s + 1000 end
            end
            print(s, names.base, names.derived, Fn.hello, Fn.x)
            Base.get = function(self) return -self.x end
            Derived.__index = {get = function() return 100 end, kind = Derived.kind}
            s = 0
            for i = 1, 30 do local o = objs[i % 3 + 1] s = s + o:get() .. "" end
            print(s, objs[2]:kind(), objs[3]:kind(), objs[3].x)
            """)
        XCTAssertEqual(try runPerigee(["profile", "-o", "oo.profile", "oo.lua"], in: work).status, 0)
        XCTAssertTrue(try text("oo.profile").contains("\ninherited "))
        let build = try runPerigee(["build", "oo.lua", "--profile", "oo.profile", "--profile-report", "-o", "oo"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        XCTAssertTrue(String(decoding: build.out, as: UTF8.self).contains("the chain read inline"))
        // Also compiled as several objects (-j 2): direct calls then cross objects.
        let split = try runPerigee(["build", "oo.lua", "--profile", "oo.profile", "-j", "2", "-o", "oo2"], in: work)
        XCTAssertEqual(split.status, 0, split.err)
        for executable in ["oo", "oo2"] {
            let result = try runProgram(work.appendingPathComponent(executable).path, [], in: work)
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), "6000\t1000\t2000\thello!\tx!\n960\tderived\tderived\t3\n", executable)
        }
    }

    /// String methods read through the string metatable inline where the profile saw only
    /// strings: the same results when the metatable's `__index` changes (another table, a
    /// function) and when a table meets the site.
    func testStringMethodsReadInlineStayCorrect() throws {
        try write("str.lua", """
            local s = "hello world"
            local n = 0
            for i = 1, 2000 do n = n + s:byte(i % #s + 1) + #s:sub(2, 4) end
            print(n, s:upper())
            local mt = getmetatable("")
            mt.__index = {byte = function() return 1 end, sub = string.sub, upper = function() return "U" end}
            n = 0
            for i = 1, 20 do n = n + s:byte(1) + #s:sub(2, 4) end
            print(n, s:upper())
            mt.__index = function(str, k) return function() return 2 end end
            n = 0
            for i = 1, 20 do n = n + s:byte(1) + s:sub(2, 4) end
            print(n, s:upper())
            local t = {byte = function() return 5 end, sub = function() return "xy" end}
            print(pcall(function() local v = t; return v:byte() + #v:sub() end))
            """)
        XCTAssertEqual(try runPerigee(["profile", "-o", "str.profile", "str.lua"], in: work).status, 0)
        let build = try runPerigee(["build", "str.lua", "--profile", "str.profile", "--profile-report", "-o", "str"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        XCTAssertTrue(String(decoding: build.out, as: UTF8.self).contains("the string metatable's __index read inline"))
        let result = try runProgram(work.appendingPathComponent("str").path, [], in: work)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), "208908\tHELLO WORLD\n80\tU\n80\t2\ntrue\t7\n")
    }

    /// FFI code with 64-bit integer constants computes cdata arithmetic on its integer paths:
    /// the profile's record of arithmetic on cdata gives it no generic version (which would
    /// box every 64-bit value), and the executable's answers stay luajit's.
    func testIntegerArithmeticOnCDataGetsNoGenericVersion() throws {
        try write("h64.lua", """
            local ffi = require("ffi")
            local h = 0xcbf29ce484222325ULL
            for i = 1, 3000 do h = (h ~= 0ULL and h or 1ULL) * 0x100000001b3ULL + i end
            local s = 5LL
            for i = 1, 100 do s = s * 3 - i end
            print(h, s, tostring(h % 1000ULL))
            """)
        XCTAssertEqual(try runPerigee(["profile", "-o", "h64.profile", "h64.lua"], in: work).status, 0)
        let build = try runPerigee(["build", "h64.lua", "--profile", "h64.profile", "--profile-report", "-o", "h64"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let report = String(decoding: build.out, as: UTF8.self)
        XCTAssertTrue(report.contains("computed by the 64-bit integer paths, no generic version"), report)
        XCTAssertFalse(report.contains("generic version besides"), report)
        let result = try runProgram(work.appendingPathComponent("h64").path, [], in: work)
        let interpreted = try runPerigee(["-joff", "h64.lua"], in: work)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), String(decoding: interpreted.out, as: UTF8.self))
    }

    func testMergeAddsCountsAndKeepsEachTraceOnce() throws {
        try write("loop.lua", "local s = 0 for i = 1, 1000 do if i % 2 == 0 then s = s + i end end print(s)")
        // (hotloop=1 and no compile budget: the same traces form at the same moment in both
        // runs, however long compiling takes)
        for n in 1...2 {
            XCTAssertEqual(try runPerigee(["profile", "-o", "\(n).profile", "-Ohotloop=1", "-Ohotexit=1", "-Ocompilebudget=0", "loop.lua"], in: work).status, 0)
        }
        XCTAssertEqual(try runPerigee(["profile", "--merge", "1.profile", "2.profile", "-o", "m.profile"], in: work).status, 0)
        let one = try text("1.profile"), two = try text("2.profile"), merged = try text("m.profile")
        func hits(_ profile: String) -> [Int] {
            profile.split(separator: "\n").filter { $0.hasPrefix("site ") }.map { Int($0.split(separator: " ")[2])! }
        }
        XCTAssertEqual(hits(merged), zip(hits(one), hits(two)).map { $0 + $1 })
        XCTAssertEqual(merged.split(separator: "\n").filter { $0.hasPrefix("trace ") },
                       one.split(separator: "\n").filter { $0.hasPrefix("trace ") })
        // Each trace's code once, its entries and rounds added.
        func codes(_ profile: String) -> [[Substring]] {
            profile.split(separator: "\n").filter { $0.hasPrefix("tracecode ") }.map { $0.split(separator: " ") }
        }
        XCTAssertEqual(codes(merged).count, codes(one).count)
        XCTAssertFalse(codes(one).isEmpty, one)
        for (m, (o, t)) in zip(codes(merged), zip(codes(one), codes(two))) { XCTAssertEqual(Int(m[5])!, Int(o[5])! + Int(t[5])!) }
        let bad = try runPerigee(["profile", "--merge", "1.profile", "loop.lua", "-o", "x.profile"], in: work)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.err.contains("perigee: loop.lua: not a valid profile (line 1:"), bad.err)
    }

    /// The recorded traces go into the executable and run there: its loops enter them (the
    /// executable counts entries with PERIGEE_JIT_STATS), on other input too.
    static let traceProgram = """
        local n = tonumber(arg and arg[1]) or 20000
        local function kernel(t, k)
          local s = 0
          for i = 1, #t do s = s + t[i] * k end
          return s
        end
        local t = {}
        for i = 1, 200 do t[i] = i * 0.5 end
        local total, marks = 0, 0
        for r = 1, n do
          total = total + kernel(t, r % 5)
          if r % 1000 == 0 then marks = marks + 1 end
        end
        print(total, marks)
        """

    func testRecordedTracesRunInTheExecutable() throws {
        try write("traces.lua", ProfileTests.traceProgram)
        XCTAssertEqual(try runPerigee(["profile", "-o", "traces.profile", "traces.lua", "2000"], in: work).status, 0)
        let profile = try text("traces.profile")
        XCTAssertTrue(profile.contains("\ntracecode "), profile)
        let build = try runPerigee(["build", "traces.lua", "--profile", "traces.profile", "--profile-report", "-o", "traces"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        XCTAssertEqual(build.err, "")
        let report = String(decoding: build.out, as: UTF8.self)
        XCTAssertTrue(report.contains(": compiled into the executable (loop)"), report)
        let without = try runPerigee(["build", "traces.lua", "--profile", "traces.profile", "--no-traces", "-o", "plain"], in: work)
        XCTAssertEqual(without.status, 0, without.err)
        let plain = try runProgram(work.appendingPathComponent("plain").path, ["7"], in: work, environment: ["PERIGEE_JIT_STATS": "1"])
        XCTAssertEqual(String(decoding: plain.out, as: UTF8.self), "130650\t0\n")
        XCTAssertFalse(plain.err.contains("compiled traces"), plain.err)
        for (input, expected) in [("20000", "402000000\t20\n"), ("7", "130650\t0\n")] {
            let result = try runProgram(work.appendingPathComponent("traces").path, [input], in: work,
                                        environment: ["PERIGEE_JIT_STATS": "1"])
            XCTAssertEqual(result.status, 0, result.err)
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), expected, "input \(input)")
            let stats = result.err.split(separator: " ")
            XCTAssertTrue(result.err.hasPrefix("compiled traces: "), result.err)
            if input == "20000", let i = stats.firstIndex(of: "entries,"), let n = Int(stats[i - 1]) {
                XCTAssertGreaterThan(n, 10, result.err)
            } else if input == "20000" {
                XCTFail(result.err)
            }
        }
    }

    /// Trace code that does not decode or does not fit the program: a warning, the trace is
    /// left out, and the executable is right.
    func testDamagedTraceCodeIsLeftOut() throws {
        try write("traces.lua", ProfileTests.traceProgram)
        XCTAssertEqual(try runPerigee(["profile", "-o", "good.profile", "traces.lua", "2000"], in: work).status, 0)
        let good = try text("good.profile").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let firstIR = good.firstIndex { $0.hasPrefix("tir i ") }!
        let firstSnapshot = good.firstIndex { $0.hasPrefix("tir s ") }!
        var cases: [(String, [String], String)] = []
        var bogus = good
        bogus[firstIR] = "tir i BOGUS number 0 0 0 0"
        cases.append(("op.profile", bogus, "trace code: bad instruction"))
        var range = good
        range[firstIR] = "tir i ADD number 0 40000 40001 0"
        cases.append(("range.profile", range, "trace code: an operand out of range"))
        var position = good
        var fields = position[firstSnapshot].split(separator: " ").map(String.init)
        fields[3] = "99999"
        position[firstSnapshot] = fields.joined(separator: " ")
        cases.append(("position.profile", position, "does not match the program's bytecode"))
        for (name, lines, problem) in cases {
            try write(name, lines.joined(separator: "\n"))
            let build = try runPerigee(["build", "traces.lua", "--profile", name, "-o", "traces"], in: work)
            XCTAssertEqual(build.status, 0, "\(name): \(build.err)")
            XCTAssertTrue(build.err.hasPrefix("perigee: \(name): trace "), "\(name): \(build.err)")
            XCTAssertTrue(build.err.contains(problem), "\(name): \(build.err)")
            let result = try runProgram(work.appendingPathComponent("traces").path, ["3000"], in: work)
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), "60300000\t3\n", name)
        }
    }

    /// Damaged profiles, profiles of another version of the source or of another Perigee:
    /// a warning naming the profile, and the same executable as without one.
    func testUnusableProfilesAreWarningsAndTheBuildGoesOn() throws {
        try write("app.lua", ProfileTests.program)
        XCTAssertEqual(try runPerigee(["profile", "-o", "good.profile", "app.lua"], in: work).status, 0)
        let good = try text("good.profile")
        let goodLines = good.split(separator: "\n", omittingEmptySubsequences: false)
        let cases: [(String, String, String)] = [
            ("empty.profile", "", "not a valid profile (line 1"),
            ("binary.profile", "\u{1}\u{2}\u{0}garbage", "not a valid profile (line 1"),
            ("truncated.profile", String(good.prefix(good.count / 2)), "not a valid profile"),
            ("noend.profile", good.replacingOccurrences(of: "end\n", with: ""), "ends without 'end'"),
            ("version.profile", good.replacingOccurrences(of: "perigee-profile 2", with: "perigee-profile 7"), "profile format version 7"),
            ("producer.profile", good.replacingOccurrences(of: "producer Perigee%200.1.0", with: "producer Perigee%209.9"), "recorded by Perigee 9.9"),
            ("field.profile", goodLines.map { $0.hasPrefix("site ") ? $0 + " extra" : String($0) }.joined(separator: "\n"), "'site' takes 4 fields"),
            ("number.profile", goodLines.map { $0.hasPrefix("branch ") ? "branch 3 -1 x" : String($0) }.joined(separator: "\n"), "bad count"),
            ("chunk.profile", good.replacingOccurrences(of: "\nend\n", with: "\ntrace 9:0:1 loop 9:0:1\nend\n"), "no chunk 9"),
            ("changed.profile", good.replacingOccurrences(of: "@app.lua", with: "@app.lua").replacingOccurrences(of: "chunk 0 ", with: "chunk 0 0"), "bad source hash"),
        ]
        for (name, contents, problem) in cases {
            try write(name, contents)
            let build = try runPerigee(["build", "app.lua", "--profile", name, "-o", "app"], in: work)
            XCTAssertEqual(build.status, 0, "\(name): \(build.err)")
            XCTAssertTrue(build.err.hasPrefix("perigee: \(name): "), "\(name): \(build.err)")
            XCTAssertTrue(build.err.contains(problem), "\(name): \(build.err)")
            let result = try runProgram(work.appendingPathComponent("app").path, [], in: work)
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), "numbers\t132300\t0\n", name)
        }
        // Another version of the source: its hash differs, the profile is not applied.
        try write("app.lua", ProfileTests.program.replacingOccurrences(of: "i % 7", with: "i % 5"))
        let changed = try runPerigee(["build", "app.lua", "--profile", "good.profile", "--profile-report", "-o", "app"], in: work)
        XCTAssertEqual(changed.status, 0, changed.err)
        XCTAssertTrue(changed.err.contains("perigee: good.profile: app.lua changed since it was profiled"), changed.err)
        XCTAssertTrue(String(decoding: changed.out, as: UTF8.self).contains("nothing specialized"))
        let missing = try runPerigee(["build", "app.lua", "--profile", "none.profile", "-o", "app"], in: work)
        XCTAssertEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("perigee: none.profile: cannot open the profile"), missing.err)
    }

    /// The conformance suite, each script built with a profile of its own run: the same
    /// output as luajit's (and profiling does not change what the run prints).
    func testConformanceScriptsBuiltWithTheirOwnProfile() throws {
        let directory = testsDirectory.appendingPathComponent("conformance")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".lua") }.sorted()
        XCTAssertGreaterThan(names.count, 10)
        var specialized = 0, withTraces = 0
        for name in names {
            let expected = String(decoding: try Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".lua", with: ".out"))),
                                  as: UTF8.self)
            let profile = work.appendingPathComponent(name + ".profile").path
            // Low thresholds, so that the scripts' loops become traces the build compiles in.
            let run = try runPerigee(["profile", "-o", profile, "-Ohotloop=1", "-Ohotexit=1", "-Ocompilethread=0",
                                      "-Ocompilebudget=0", name], in: directory)
            XCTAssertEqual(run.status, 0, "\(name) (profiled): \(run.err)")
            XCTAssertEqual(String(decoding: run.out, as: UTF8.self), expected, "\(name) (profiled)")
            let executable = work.appendingPathComponent(String(name.dropLast(4))).path
            // Every portable trace, whether or not it would pay: the traces themselves are tested.
            let build = try runPerigee(["build", name, "-O1", "--profile", profile, "--profile-report", "--all-traces",
                                        "-o", executable], in: directory)
            XCTAssertEqual(build.status, 0, "\(name): \(build.err)")
            XCTAssertFalse(build.err.contains(profile), "\(name): its own profile applies: \(build.err)")
            let report = String(decoding: build.out, as: UTF8.self)
            if report.contains(": direct call") { specialized += 1 }
            if report.contains("compiled into the executable (") { withTraces += 1 }
            let result = try runProgram(executable, [], in: directory)
            XCTAssertEqual(result.status, 0, "\(name) (compiled with its profile): \(result.err)")
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self), expected, "\(name) (compiled with its profile)")
        }
        XCTAssertGreaterThan(specialized, 10, "profiles lead to specialized calls")
        XCTAssertGreaterThan(withTraces, 40, "recorded traces are compiled into the executables")
    }
}
