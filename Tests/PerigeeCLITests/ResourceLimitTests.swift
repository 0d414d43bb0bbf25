/// Resource limits end a program with Lua's errors, never with a crash: past the memory
/// limit "not enough memory" (catchable by pcall, exit status 1 when uncaught), past the
/// stack limit "stack overflow" with a traceback cut as luajit cuts it, in the interpreter
/// and in executables made by `perigee build` (which read `PERIGEE_MEMORY_LIMIT`); past the
/// instruction limit (`--max-instructions`, `PERIGEE_MAX_INSTRUCTIONS`) "instruction limit
/// exceeded", with exit status 1 even when a pcall caught it.
import XCTest

final class ResourceLimitTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-limits-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    /// Programs that allocate without end in every way the runtime has: each one's
    /// allocation fails inside pcall, the program goes on, then fails uncaught.
    let hungryProgram = """
        local kinds = {
          strings = function(t, i) t[i] = ("x"):rep(100) .. i end,
          repeated = function(t, i) t[i] = string.rep("y", 1000 + i) end,
          tables = function(t, i) t[i] = {i, i, i} end,
          closures = function(t, i) t[i] = function() return i end end,
          coroutines = function(t, i) t[i] = coroutine.create(print) end,
          buffers = function(t, i) local b = require("string.buffer").new() b:put(("z"):rep(1000)) t[i] = b end,
          formatted = function(t, i) t[i] = string.format("%d%s", i, ("w"):rep(200)) end,
        }
        for _, name in ipairs({"strings", "repeated", "tables", "closures", "coroutines", "buffers", "formatted"}) do
          local t = {}
          print(name, pcall(function() for i = 1, 1e8 do kinds[name](t, i) end end))
        end
        print("doubling", pcall(function() local s = "x" while true do s = s .. s end end))
        print("rep", pcall(string.rep, "x", 2^30))
        local all = {}
        for i = 1, 1e8 do all[i] = ("x"):rep(100) .. i end
        """

    let hungryOutput = """
        strings\tfalse\tnot enough memory
        repeated\tfalse\tnot enough memory
        tables\tfalse\tnot enough memory
        closures\tfalse\tnot enough memory
        coroutines\tfalse\tnot enough memory
        buffers\tfalse\tnot enough memory
        formatted\tfalse\tnot enough memory
        doubling\tfalse\tnot enough memory
        rep\tfalse\tnot enough memory

        """

    func testMemoryLimitInTheInterpreter() throws {
        try hungryProgram.write(to: work.appendingPathComponent("hungry.lua"), atomically: true, encoding: .utf8)
        let result = try runPerigee(["--memory-limit=24m", "hungry.lua"], in: work)
        XCTAssertEqual(result.status, 1, result.err)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), hungryOutput)
        XCTAssertTrue(result.err.hasPrefix("perigee: not enough memory\nstack traceback:\n"), result.err)
        // The environment sets the same limit.
        let fromEnvironment = try runProgram(perigeeBinary.path, ["hungry.lua"], in: work,
                                             environment: ["PERIGEE_MEMORY_LIMIT": "24m"])
        XCTAssertEqual(fromEnvironment.status, 1, fromEnvironment.err)
        XCTAssertEqual(String(decoding: fromEnvironment.out, as: UTF8.self), hungryOutput)
    }

    func testMemoryLimitInABuiltExecutable() throws {
        try hungryProgram.write(to: work.appendingPathComponent("hungry.lua"), atomically: true, encoding: .utf8)
        let build = try runPerigee(["build", "hungry.lua", "-O1", "-o", "hungry"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let executable = work.appendingPathComponent("hungry").path
        let result = try runProgram(executable, [], in: work, environment: ["PERIGEE_MEMORY_LIMIT": "24m"])
        XCTAssertEqual(result.status, 1, result.err)
        XCTAssertEqual(String(decoding: result.out, as: UTF8.self), hungryOutput)
        XCTAssertTrue(result.err.hasPrefix("hungry: not enough memory\nstack traceback:\n"), result.err)
        let malformed = try runProgram(executable, [], in: work, environment: ["PERIGEE_MEMORY_LIMIT": "lots"])
        XCTAssertEqual(malformed.status, 1)
        XCTAssertEqual(malformed.err, "hungry: bad memory limit in PERIGEE_MEMORY_LIMIT\n")
    }

    /// A limit below what the libraries take fails the program's first allocation, not the start.
    func testTinyAndMalformedLimits() throws {
        let tiny = try runPerigee(["--memory-limit=1k", "-e", "local t = {} print(#t)"])
        XCTAssertEqual(tiny.status, 1)
        XCTAssertTrue(tiny.err.hasPrefix("perigee: not enough memory"), tiny.err)
        for bad in ["--memory-limit=0", "--memory-limit=12q", "--memory-limit=99999999999999999999g", "--memory-limit=-5m"] {
            let result = try runPerigee([bad, "-e", "print(1)"])
            XCTAssertEqual(result.status, 1, bad)
            XCTAssertTrue(result.err.hasPrefix("perigee: bad memory limit '\(bad)'\n"), result.err)
        }
    }

    /// Lua recursion, recursion through metamethods and builtins, and coroutines nested
    /// without end: "stack overflow" (or luajit's C stack message), caught by pcall or
    /// ending the program with status 1 and a traceback of luajit's length.
    let deepProgram = """
        local function f() return 1 + f() end
        print(pcall(f))
        local t = setmetatable({}, {__index = function(t, k) return t[k] end})
        print(pcall(function() return t.x end))
        local mt = {}
        mt.__tostring = function(self) return tostring(self) end
        print(pcall(tostring, setmetatable({}, mt)))
        local function nest() return coroutine.wrap(nest)() end
        print(pcall(nest))
        local function g(n) if n == 0 then return 0 end return 1 + g(n - 1) end
        print(pcall(g, 1e4))
        local function v(...) return v(1, ...) end print(pcall(v))
        local function p() return pcall(p) end print((p()))
        f()
        """

    func checkDeepProgram(status: Int32, out: [UInt8], err: String, program: String) {
        XCTAssertEqual(status, 1, err)
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7)
        guard lines.count == 7 else { return }
        XCTAssertEqual(lines[0], "false\tdeep.lua:1: stack overflow")
        for line in lines[1...3] {
            XCTAssertTrue(line.hasPrefix("false\t") && line.hasSuffix("stack overflow"), line)
        }
        XCTAssertEqual(lines[4], "true\t10000")
        // Varargs growing by one per call, and results piling up through nested pcalls,
        // stop at the stack limit at once.
        XCTAssertEqual(lines[5], "false\tdeep.lua:12: stack overflow")
        XCTAssertEqual(lines[6], "true")
        let traceback = err.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(traceback.first.map(String.init), "\(program): deep.lua:1: stack overflow")
        // Message, header, 11 levels, the cut, the last 10 levels, and the final newline.
        XCTAssertEqual(traceback.count, 25, err)
        XCTAssertEqual(traceback[13], "\t...")
        XCTAssertEqual(traceback[22], "\tdeep.lua:14: in main chunk")
    }

    func testStackOverflowInTheInterpreter() throws {
        try deepProgram.write(to: work.appendingPathComponent("deep.lua"), atomically: true, encoding: .utf8)
        let result = try runPerigee(["deep.lua"], in: work)
        checkDeepProgram(status: result.status, out: result.out, err: result.err, program: "perigee")
    }

    func testStackOverflowInABuiltExecutable() throws {
        try deepProgram.write(to: work.appendingPathComponent("deep.lua"), atomically: true, encoding: .utf8)
        let build = try runPerigee(["build", "deep.lua", "-O1", "-o", "deep"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let result = try runProgram(work.appendingPathComponent("deep").path, [], in: work)
        checkDeepProgram(status: result.status, out: result.out, err: result.err, program: "deep")
    }

    /// Runaway code of every shape: a `while`, a numeric and a generic `for`, `repeat`,
    /// recursion, a tail-call loop, a loop in a coroutine and in a metamethod. `runaway.lua
    /// SHAPE caught` runs one inside pcall, `runaway.lua SHAPE` uncaught. The budget stays
    /// spent once the limit is reached (the next loop edge or Lua call fails again), so one
    /// shape per run.
    let runawayProgram = """
        local shapes = {
          ["while"] = function() local n = 0 while true do n = n + 1 end end,
          ["for"] = function() local s = 0 for i = 1, math.huge do s = s + i end end,
          pairs = function() local t = {1, 2, 3} while true do for k, v in pairs(t) do end end end,
          ["repeat"] = function() repeat until false end,
          recursion = function() local function deep(n) if n > 40 then return 0 end return deep(n + 1) + deep(n + 1) end return deep(1) end,
          tailcalls = function() local function spin(n) return spin(n + 1) end return spin(1) end,
          coroutine = function() coroutine.wrap(function() while true do end end)() end,
          metamethod = function() local t = setmetatable({}, {__index = function(t, k) while true do end end}) return t.x end,
          leaf = (function() local function inc(x) return x + 1 end return function() local s = 0 for i = 1, math.huge do s = inc(s) end end end)(),
        }
        local shape = shapes[arg[1]]
        if arg[2] == "caught" then print(pcall(shape)) else shape() end
        """
    let runawayShapes = ["while", "for", "pairs", "repeat", "recursion", "tailcalls", "coroutine", "metamethod", "leaf"]

    /// Runs every shape caught and `while` uncaught through `run` (options, environment).
    func checkRunaway(program: String, _ run: ([String]) throws -> (status: Int32, out: [UInt8], err: String)) throws {
        for (index, name) in runawayShapes.enumerated() {
            let result = try run([name, "caught"])
            XCTAssertEqual(result.status, 1, name)
            // coroutine.wrap adds its caller's position to a string error, as in luajit.
            let position = "runaway.lua:\(index + 2): "
            XCTAssertEqual(String(decoding: result.out, as: UTF8.self),
                           "false\t\(name == "coroutine" ? position + position : position)instruction limit exceeded\n", name)
            XCTAssertEqual(result.err, "\(program): instruction limit exceeded\n", name)
        }
        let uncaught = try run(["while"])
        XCTAssertEqual(uncaught.status, 1)
        XCTAssertEqual(uncaught.out, [])
        XCTAssertTrue(uncaught.err.hasPrefix("\(program): runaway.lua:2: instruction limit exceeded\nstack traceback:\n"),
                      uncaught.err)
    }

    func testInstructionLimitInTheInterpreter() throws {
        try runawayProgram.write(to: work.appendingPathComponent("runaway.lua"), atomically: true, encoding: .utf8)
        // The JIT on (traces charge the budget at their loop edges), traces forming at once,
        // and the interpreter alone.
        for options in [["--max-instructions=2m"], ["-Ohotloop=1", "-Ohotexit=1", "-Ocompilethread=0", "--max-instructions=2m"],
                        ["-joff", "--max-instructions=300k"]] {
            try checkRunaway(program: "perigee") { try runPerigee(options + ["runaway.lua"] + $0, in: work) }
        }
        try checkRunaway(program: "perigee") {
            try runProgram(perigeeBinary.path, ["runaway.lua"] + $0, in: work, environment: ["PERIGEE_MAX_INSTRUCTIONS": "500k"])
        }
        // Within the budget a program runs as without one.
        let small = try runPerigee(["--max-instructions=1m", "-e", "local s = 0 for i = 1, 1000 do s = s + i end print(s)"])
        XCTAssertEqual(small.status, 0, small.err)
        XCTAssertEqual(String(decoding: small.out, as: UTF8.self), "500500\n")
        for bad in ["--max-instructions=0", "--max-instructions=ten", "--max-instructions=99999999999999999999g"] {
            let result = try runPerigee([bad, "-e", "print(1)"])
            XCTAssertEqual(result.status, 1, bad)
            XCTAssertTrue(result.err.hasPrefix("perigee: bad instruction limit '\(bad)'\n"), result.err)
        }
    }

    func testInstructionLimitInABuiltExecutable() throws {
        try runawayProgram.write(to: work.appendingPathComponent("runaway.lua"), atomically: true, encoding: .utf8)
        let build = try runPerigee(["build", "runaway.lua", "-O1", "-o", "runaway"], in: work)
        XCTAssertEqual(build.status, 0, build.err)
        let executable = work.appendingPathComponent("runaway").path
        try checkRunaway(program: "runaway") {
            try runProgram(executable, $0, in: work, environment: ["PERIGEE_MAX_INSTRUCTIONS": "2m"])
        }
        let malformed = try runProgram(executable, ["while"], in: work, environment: ["PERIGEE_MAX_INSTRUCTIONS": "lots"])
        XCTAssertEqual(malformed.status, 1)
        XCTAssertEqual(malformed.err, "runaway: bad instruction limit in PERIGEE_MAX_INSTRUCTIONS\n")
    }
}
