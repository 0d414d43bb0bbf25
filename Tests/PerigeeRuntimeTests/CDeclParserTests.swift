/// The FFI's C declaration parser and type table: interning, layouts, names, luajit's
/// messages, and arbitrary token soup answered with an error rather than a trap.
@testable import PerigeeRuntime
import XCTest

final class CDeclParserTests: XCTestCase {
    private func type(_ text: String, in table: CTypeTable) throws -> CTypeID {
        var parser = try CDeclParser(Array(text.utf8), table: table, typeMode: true)
        return try parser.typeName()
    }

    private func declare(_ text: String, in table: CTypeTable) throws {
        var parser = try CDeclParser(Array(text.utf8), table: table, typeMode: false)
        try parser.declarations()
    }

    private func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch let e as CDeclError { return e.message } catch { return "\(error)" }
        return nil
    }

    func testEqualTypesShareOneID() throws {
        let table = CTypeTable()
        XCTAssertEqual(try type("int", in: table), try type("int32_t", in: table))
        XCTAssertEqual(try type("unsigned long long", in: table), try type("uint64_t", in: table))
        XCTAssertEqual(try type("const char *", in: table), CTypeBuiltin.constCharPointer)
        XCTAssertEqual(try type("int (*)(int)", in: table), try type("int(*)(int)", in: table))
        XCTAssertNotEqual(try type("struct { int a; }", in: table), try type("struct { int a; }", in: table))
    }

    func testNamesAreLuaJITs() throws {
        let table = CTypeTable()
        for (text, name) in [("int *[4]", "int *[4]"), ("int (*)[4]", "int (*)[4]"), ("void *(*)(void)", "void *(*)()"),
                             ("char *const", "char *const"), ("const int * const *", "const int *const *"),
                             ("int8_t", "char"), ("size_t", "uint64_t"), ("int[?]", "int [?]"), ("int &", "int &")] {
            XCTAssertEqual(table.name(try type(text, in: table)), name, text)
        }
    }

    func testRecordLayouts() throws {
        let table = CTypeTable()
        try declare("""
            struct a { char c; double d; int i; };
            struct b { char c; int i; } __attribute__((packed));
            struct bits { unsigned x:3; unsigned y:5; int z:4; uint8_t w; };
            union u { int i; double d; char s[12]; };
            #pragma pack(push, 2)
            struct p2 { char c; int i; };
            #pragma pack(pop)
            """, in: table)
        for (name, size, align) in [("struct a", 24, 8), ("struct b", 5, 1), ("struct bits", 4, 4), ("union u", 16, 8), ("struct p2", 6, 2)] {
            let t = table[try type(name, in: table)]
            XCTAssertEqual(t.size, size, name)
            XCTAssertEqual(t.align, align, name)
        }
        let bits = try type("struct bits", in: table)
        XCTAssertEqual(table.member(bits, "y")?.bitOffset, 3)
        XCTAssertEqual(table.member(bits, "w")?.offset, 2)
    }

    func testErrorsAreLuaJITs() {
        let table = CTypeTable()
        XCTAssertEqual(message { try declare("int x y;", in: table) }, "';' expected near 'y'")
        XCTAssertEqual(message { try declare("foo bar;", in: table) }, "declaration specifier expected near 'foo'")
        XCTAssertEqual(message { _ = try type("int x", in: table) }, "'<eof>' expected near 'x'")
        XCTAssertEqual(message { _ = try type("struct nope", in: table) }, "undeclared or implicit tag 'nope'")
        XCTAssertEqual(message { _ = try type("int[0x7fffffff]", in: table) }, "size of C type is unknown or too large")
        XCTAssertEqual(message { _ = try type("int" + String(repeating: "*", count: 100), in: table) }, "chunk has too many syntax levels")
        XCTAssertEqual(message { try declare("int\n\n y z;", in: table) }, "';' expected near 'z' at line 3")
    }

    /// Random sequences of C tokens: every one parses or fails with a message.
    func testTokenSoupNeverTraps() {
        let pieces = ["int", "char", "struct", "union", "enum", "s", "x", "{", "}", "(", ")", "[", "]", "*", "&", ";",
                      ",", ":", "=", "?", "0", "1", "0x7fffffff", "-", "+", "<<", "...", "const", "typedef", "static",
                      "unsigned", "long", "double", "void", "__attribute__((packed))", "sizeof", "$", "#pragma pack(1)\n",
                      "'a'", "\"s\"", "__asm__(\"f\")", "[?]", "[]", "int:3", "bool", "complex", "99999999999999999999"]
        var seed: UInt64 = 12345
        for _ in 0..<3000 {
            let table = CTypeTable()
            var text = ""
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(seed >> 60) + 1 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                text += pieces[Int(seed >> 33) % pieces.count] + " "
            }
            _ = message { try declare(text, in: table) }
            _ = message { _ = try type(text, in: table) }
        }
    }
}
