/// Binary chunks: every valid program survives dump → load unchanged, and damaged dumps
/// (every truncation, thousands of random mutations) are refused or load only as bytecode
/// the verifier accepts — never a crash.
import XCTest
import PerigeeFrontend

final class BytecodeUndumpTests: XCTestCase {
    private func compile(_ file: URL) throws -> Prototype {
        try compileChunk(try Corpus.bytes(file), chunkName: "@" + file.lastPathComponent)
    }

    func testValidProgramsRoundTrip() throws {
        let files = Corpus.luaFiles(in: "syntax/valid")
        XCTAssertGreaterThan(files.count, 10, "the valid corpus is missing")
        for file in files {
            let name = file.lastPathComponent
            let original = try compile(file)
            XCTAssertNil(verifyBytecode(original), "\(name): the verifier refuses the frontend's own output")
            let dump = dumpBytecode(original)
            let loaded: Prototype
            do {
                loaded = try loadBytecodeDump(dump, chunkName: "=test")
            } catch {
                XCTFail("\(name): \(error)")
                continue
            }
            XCTAssertEqual(listBytecode(loaded), listBytecode(original), "\(name): listing differs after a round trip")
            XCTAssertEqual(dumpBytecode(loaded), dump, "\(name): dump differs after a round trip")
            XCTAssertEqual(loaded.lines, original.lines, name)
            XCTAssertEqual(loaded.chunkName, original.chunkName, name)

            // Stripped: no debug information, the code itself unchanged.
            let stripped = dumpBytecode(original, stripDebugInfo: true)
            do {
                let s = try loadBytecodeDump(stripped, chunkName: "=test")
                XCTAssertEqual(s.bytecode, original.bytecode, name)
                XCTAssertEqual(s.lines.count, original.bytecode.count, name)
                XCTAssertEqual(dumpBytecode(s, stripDebugInfo: true), stripped, name)
            } catch {
                XCTFail("\(name) stripped: \(error)")
            }
        }
    }

    func testMessages() throws {
        let dump = dumpBytecode(try compileChunk(Array("return 1".utf8), chunkName: "=x"))
        func message(_ bytes: [UInt8], _ name: String) -> String {
            do {
                _ = try loadBytecodeDump(bytes, chunkName: name)
                return "loaded"
            } catch {
                return error.message
            }
        }
        XCTAssertEqual(message(Array(dump.prefix(6)), "=name"), "name: cannot load malformed bytecode (unexpected end of chunk)")
        XCTAssertEqual(message([0x1b, 0x4c, 0x4a, 1], "@f.lua"), "f.lua: cannot load incompatible bytecode")
        var wrongVersion = dump
        wrongVersion[3] = 99
        XCTAssertEqual(message(wrongVersion, "\u{1b}PG"), "(binary): cannot load incompatible bytecode")
        XCTAssertEqual(message(dump + [0], "=t"), "t: cannot load malformed bytecode (trailing bytes after chunk)")
    }

    /// Hand-made bad code inside an otherwise well-formed dump is refused by the verifier.
    func testVerifierRefusesBadInstructions() throws {
        let source = "local a, b = ... ; local t = {f(a)} ; for i = 1, 3 do b = b + i end ; return a, g(b)"
        let proto = try compileChunk(Array(source.utf8), chunkName: "=v")
        let dump = dumpBytecode(proto)
        XCTAssertNil(verifyBytecode(proto))
        // Locate the instructions: after the header, name and the main prototype's size and fields.
        let code = proto.bytecode
        let start = try XCTUnwrap(findCode(dump, code))
        func patched(_ pc: Int, _ ins: Instruction) -> [UInt8] {
            var d = dump
            for k in 0..<4 { d[start + 4 * pc + k] = UInt8(truncatingIfNeeded: ins.raw >> (8 * UInt32(k))) }
            return d
        }
        func refused(_ pc: Int, _ ins: Instruction, _ what: String) {
            XCTAssertThrowsError(try loadBytecodeDump(patched(pc, ins), chunkName: "=v"), what)
        }
        let fs = UInt32(proto.frameSize)
        let last = code.count - 1
        refused(1, Instruction(.MOV, a: fs, d: 0), "register past the frame")
        refused(1, Instruction(.KSTR, a: 0, d: 5000), "missing constant")
        refused(1, Instruction(.UGET, a: 0, d: 0), "missing upvalue")
        refused(1, Instruction(.JMP, a: 0, jump: 5000), "jump outside")
        refused(1, Instruction(.JMP, a: 0, jump: -2), "jump to the header")
        refused(1, Instruction(.FUNCV, a: fs, d: 0), "header in the body")
        refused(1, Instruction(.IFORL, a: 0, jump: 0), "interpreter-only opcode")
        refused(1, Instruction(raw: 200), "unknown opcode")
        refused(last, Instruction(.MOV, a: 0, d: 0), "falls off the end")
        refused(last - 1, Instruction(.ISLT, a: 0, d: 0), "comparison without its JMP")
        refused(1, Instruction(.RETM, a: 0, d: 0), "RETM without a MULTRES producer")
        refused(1, Instruction(.CALL, a: fs - 1, b: 1, c: 1), "call link slot past the frame")
        refused(1, Instruction(.FORI, a: fs - 3, jump: 0), "loop slots past the frame")
        refused(1, Instruction(.ITERC, a: 1, b: 2, c: 3), "ITERC below the generator slots")
        // The FUNCV header must say FUNCV and the frame size.
        refused(0, Instruction(.FUNCF, a: fs, d: 0), "header disagreeing with the vararg flag")
        refused(0, Instruction(.FUNCV, a: fs + 1, d: 0), "header disagreeing with the frame size")
    }

    private func findCode(_ dump: [UInt8], _ code: [Instruction]) -> Int? {
        var bytes: [UInt8] = []
        for ins in code { for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: ins.raw >> (8 * UInt32(k)))) } }
        guard dump.count >= bytes.count else { return nil }
        for i in 0...(dump.count - bytes.count) where dump[i] == bytes[0] && Array(dump[i ..< i + bytes.count]) == bytes {
            return i
        }
        return nil
    }

    // MARK: Corruption

    private func fuzzSubjects() throws -> [[UInt8]] {
        let files = Corpus.luaFiles(in: "syntax/valid")
        XCTAssertGreaterThan(files.count, 3)
        // A few programs of different shapes, plus a small one with every kind of constant.
        var dumps = try files.prefix(3).map { dumpBytecode(try compile($0)) }
        let small = """
            local t = {1, 2, x = "s", [3.5] = true, f(...)}
            local up = 1
            local function g(a, ...) up = up + a; return select('#', ...), ... end
            for k, v in pairs(t) do g(k, v) end
            for i = 1, 10, 2 do t[i] = i .. "x" end
            if up > 2 and t.x == "s" then return g(1, 2, 3) end
            return t, 1LL, 2ULL, 3i
            """
        dumps.append(dumpBytecode(try compileChunk(Array(small.utf8), chunkName: "=small")))
        dumps.append(dumpBytecode(try compileChunk(Array(small.utf8), chunkName: "=small"), stripDebugInfo: true))
        return dumps
    }

    /// Loads `bytes`; when that succeeds the result must verify and survive a listing and a
    /// second round trip. Returns whether it loaded.
    @discardableResult
    private func loadOrRefuse(_ bytes: [UInt8]) -> Bool {
        guard let proto = try? loadBytecodeDump(bytes, chunkName: "=fuzz") else { return false }
        XCTAssertNil(verifyBytecode(proto))
        _ = listBytecode(proto)
        let again = dumpBytecode(proto, stripDebugInfo: bytes[4] & 1 != 0)
        XCTAssertNoThrow(try loadBytecodeDump(again, chunkName: "=fuzz"))
        return true
    }

    func testEveryTruncationIsRefused() throws {
        for dump in try fuzzSubjects() {
            for n in 0..<dump.count {
                XCTAssertThrowsError(try loadBytecodeDump(Array(dump.prefix(n)), chunkName: "=t"), "prefix \(n) of \(dump.count)")
            }
            XCTAssertTrue(loadOrRefuse(dump))
        }
    }

    func testRandomMutationsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5eed_0f_b17e)
        var loaded = 0, total = 0
        for dump in try fuzzSubjects() {
            for round in 0..<2500 {
                var bytes = dump
                // Half single-byte changes; the rest change 2..8 bytes, some of them runs.
                let changes = round % 2 == 0 ? 1 : 2 + Int(rng.next() % 7)
                for _ in 0..<changes {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 4 {
                    case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes[i] ^= UInt8(1) << (rng.next() % 8)
                    case 2: bytes[i] = [0, 0x7f, 0x80, 0xff][Int(rng.next() % 4)]
                    default:
                        let run = min(bytes.count - i, 1 + Int(rng.next() % 6))
                        for k in 0..<run { bytes[i + k] = UInt8(truncatingIfNeeded: rng.next()) }
                    }
                }
                if rng.next() % 8 == 0 {  // sometimes also drop or insert a byte
                    let i = Int(rng.next() % UInt64(bytes.count))
                    if rng.next() % 2 == 0 { bytes.remove(at: i) } else { bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: i) }
                }
                total += 1
                if loadOrRefuse(bytes) { loaded += 1 }
            }
        }
        // Mutations of constants and line numbers load; the rest are refused.
        XCTAssertGreaterThan(loaded, 0)
        XCTAssertLessThan(loaded, total)
    }
}

/// A small deterministic generator, so a failure reproduces.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d4_9b5f_133b_d049
        return z ^ (z >> 31)
    }
}
