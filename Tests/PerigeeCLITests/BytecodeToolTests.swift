/// `perigee -b`: luajit's options and messages, C source and object output by extension,
/// listings of Perigee's own dumps; and the options beside it (`-E`, `-v`, `--help`).
import XCTest

final class BytecodeToolTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("perigee-bc-test-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try "print('hello')\n".write(to: work.appendingPathComponent("my-mod.lua"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func text(_ name: String) throws -> String {
        try String(contentsOf: work.appendingPathComponent(name), encoding: .utf8)
    }

    func testCSourceAndHeader() throws {
        XCTAssertEqual(try runPerigee(["-b", "my-mod.lua", "out.c"], in: work).status, 0)
        let c = try text("out.c")
        XCTAssertTrue(c.hasPrefix("#ifdef __cplusplus\nextern \"C\"\n#endif\n#ifdef _WIN32\n__declspec(dllexport)\n#endif\nconst unsigned char luaJIT_BC_my_mod[] = {\n27,80,71,"), c)
        XCTAssertTrue(c.hasSuffix("\n};\n"), c)
        XCTAssertTrue(c.split(separator: "\n").allSatisfy { $0.count <= 78 }, c)
        XCTAssertEqual(try runPerigee(["-b", "-n", "a.b", "my-mod.lua", "out.h"], in: work).status, 0)
        let h = try text("out.h")
        XCTAssertTrue(h.hasPrefix("#define luaJIT_BC_a_b_SIZE "), h)
        XCTAssertEqual(try runPerigee(["-bt", "h", "my-mod.lua", "out.txt"], in: work).status, 0)
        XCTAssertTrue(try text("out.txt").contains("static const unsigned char luaJIT_BC_my_mod[] = {\n"))
    }

    func testObjectFileExportsLuaJITSymbol() throws {
        let r = try runPerigee(["-b", "my-mod.lua", "out.o"], in: work)
        XCTAssertEqual(r.status, 0, r.err)
        let object = [UInt8](try Data(contentsOf: work.appendingPathComponent("out.o")))
        XCTAssertEqual(Array(object.prefix(4)), [0x7f, 0x45, 0x4c, 0x46], "an ELF object")
        XCTAssertNotNil(object.firstRange(of: Array("luaJIT_BC_my_mod".utf8)))
        let windows = try runPerigee(["-b", "-a", "x64", "-o", "windows", "my-mod.lua", "out.obj"], in: work)
        XCTAssertEqual(windows.status, 0, windows.err)
        let coff = [UInt8](try Data(contentsOf: work.appendingPathComponent("out.obj")))
        XCTAssertEqual(Array(coff.prefix(2)), [0x64, 0x86], "an x64 COFF object")
    }

    func testListsItsOwnDumpsAndStripsByDefault() throws {
        XCTAssertEqual(try runPerigee(["-b", "my-mod.lua", "stripped.raw"], in: work).status, 0)
        XCTAssertEqual(try runPerigee(["-bg", "my-mod.lua", "full.raw"], in: work).status, 0)
        let size = { (n: String) in try FileManager.default.attributesOfItem(atPath: self.work.appendingPathComponent(n).path)[.size] as! Int }
        XCTAssertLessThan(try size("stripped.raw"), try size("full.raw"))
        let fromSource = try runPerigee(["-bl", "my-mod.lua"], in: work)
        let fromDump = try runPerigee(["-bl", "full.raw"], in: work)
        XCTAssertEqual(fromDump.status, 0, fromDump.err)
        XCTAssertEqual(fromDump.out, fromSource.out)
        let chunk = try runPerigee(["-b", "-e", "return 1", "-F", "named.lua", "-l"], in: work)
        XCTAssertEqual(String(decoding: chunk.out, as: UTF8.self).split(separator: "\n").first, "-- BYTECODE -- named.lua:0-1")
    }

    func testLuaJITMessages() throws {
        let cases: [([String], String)] = [
            (["-b", "-e", "x = = 1", "o.raw"], "perigee: [string \"x = = 1\"]:1: unexpected symbol near '='\n"),
            (["-b", "-e", "x = 1", "o.c"], "perigee: cannot derive module name, use -n name\n"),
            (["-b", "-n", "a b", "my-mod.lua", "o.c"], "perigee: bad module name\n"),
            (["-b", "-t", "zz", "my-mod.lua", "o.c"], "perigee: unknown file type\n"),
            (["-b", "-a", "zz", "my-mod.lua", "o.o"], "perigee: unknown architecture\n"),
            (["-b", "-o", "zz", "my-mod.lua", "o.o"], "perigee: unknown OS name\n"),
            (["-b", "-a", "ppc", "my-mod.lua", "o.o"], "perigee: no support for writing ppc object files\n"),
            (["-b", "my-mod.lua"], "Save LuaJIT bytecode: perigee -b[options] input output\n"),
            (["-bl"], "Save LuaJIT bytecode: perigee -b[options] input output\n"),
            (["-b", "-x", "my-mod.lua", "o.raw"], "Save LuaJIT bytecode: perigee -b[options] input output\n"),
        ]
        for (arguments, message) in cases {
            let r = try runPerigee(arguments, in: work)
            XCTAssertEqual(r.status, 1, arguments.joined(separator: " "))
            XCTAssertTrue(r.err.hasPrefix(message), "\(arguments): \(r.err)")
        }
    }

    /// `-E` ignores LUA_INIT and LUA_PATH; `-v` comes before the script's output on a pipe;
    /// `--help` names `perigee build`; `-O` rejects what it does not know as luajit does.
    func testOtherOptions() throws {
        let env = ["LUA_INIT": "print('init')", "LUA_PATH": "/elsewhere/?.lua"]
        let ignored = try runProgram(perigeeBinary.path, ["-E", "-e", "print(package.path:sub(1, 8))"], environment: env)
        XCTAssertEqual(String(decoding: ignored.out, as: UTF8.self), "./?.lua;\n")
        let used = try runProgram(perigeeBinary.path, ["-e", "print(package.path)"], environment: env)
        XCTAssertEqual(String(decoding: used.out, as: UTF8.self), "init\n/elsewhere/?.lua\n")
        let version = try runPerigee(["-v", "-e", "print(1)"])
        XCTAssertTrue(String(decoding: version.out, as: UTF8.self).hasSuffix("implementation\n1\n"))
        XCTAssertTrue(try runPerigee(["--help"]).err.contains("perigee build script.lua"))
        let flag = try runPerigee(["-O+bogus", "-e", ""])
        XCTAssertEqual(flag.status, 1)
        XCTAssertEqual(flag.err, "perigee: unknown or malformed optimization flag '+bogus'\n")
    }
}
