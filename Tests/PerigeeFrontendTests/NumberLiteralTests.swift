/// Number syntax: what the lexer and `tonumber` accept, and the values they produce.
import XCTest
@testable import PerigeeFrontend

final class NumberLiteralTests: XCTestCase {
    private func scan(_ s: String, _ options: NumberScanOptions = .ffiSuffixes) -> NumberLiteral? {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBufferPointer { scanNumber($0.baseAddress!, $0.count, options: options) }
    }

    func testLiteralsAndValues() {
        XCTAssertEqual(scan("0x1p4"), .number(16))
        XCTAssertEqual(scan("0X1P-2"), .number(0.25))
        XCTAssertEqual(scan("0x.8p1"), .number(1))
        XCTAssertEqual(scan("0x1.8"), .number(1.5))
        XCTAssertEqual(scan("1e-2"), .number(0.01))
        XCTAssertEqual(scan(".5"), .number(0.5))
        XCTAssertEqual(scan("3."), .number(3))
        XCTAssertEqual(scan("0xA"), .number(10))
        XCTAssertEqual(scan("1E+10"), .number(1e10))
        XCTAssertEqual(scan("0b101"), .number(5))
        XCTAssertEqual(scan("08"), .number(8))
        XCTAssertEqual(scan("0xffffffffffffffff"), .number(18446744073709551615.0))
        XCTAssertEqual(scan("1e400"), .number(.infinity))
        // Correct rounding of the shortest double that is not exactly representable.
        XCTAssertEqual(scan("0.1"), .number(0.1))
        XCTAssertEqual(scan("9007199254740993"), .number(9007199254740992))
    }

    func testFFISuffixes() {
        XCTAssertEqual(scan("12LL"), .int64(12))
        XCTAssertEqual(scan("0x10ULL"), .uint64(16))
        XCTAssertEqual(scan("1ll"), .int64(1))
        XCTAssertEqual(scan("1uLl"), .uint64(1))
        XCTAssertEqual(scan("3i"), .imaginary(3))
        XCTAssertEqual(scan("1.5i"), .imaginary(1.5))
        XCTAssertEqual(scan("0x7fffffffffffffffLL"), .int64(Int64.max))
        XCTAssertNil(scan("1.0LL"))
        XCTAssertNil(scan("1.5e2LL"))
        XCTAssertNil(scan("12LL", []), "suffixes are for source code with the FFI only")
    }

    func testMalformed() {
        for s in ["1e", "0x", "3x", "1..2", "1e+", "0b2", "0b1.1", "1f", "", "."] {
            XCTAssertNil(scan(s), s)
        }
    }

    func testConversionMode() {
        XCTAssertEqual(scan("  0x10  ", .conversion), .number(16))
        XCTAssertEqual(scan("-0x10", .conversion), .number(-16))
        XCTAssertEqual(scan("\t-1.5e1\n", .conversion), .number(-15))
        XCTAssertNil(scan("1 2", .conversion))
        XCTAssertEqual(scan("inf", .conversion), .number(.infinity))
        XCTAssertEqual(scan(" -Infinity ", .conversion), .number(-.infinity))
        guard case .number(let n)? = scan("NaN", .conversion) else { return XCTFail("nan") }
        XCTAssertTrue(n.isNaN)
        XCTAssertNil(scan("nanx", .conversion))
        XCTAssertNil(scan("in", .conversion))
        XCTAssertNil(scan("inf", []), "source code has no inf literal")
        XCTAssertNil(scan("-", .conversion))
    }

    func testNumberFormatting() {
        XCTAssertEqual(formatNumber(1), "1")
        XCTAssertEqual(formatNumber(0.1), "0.1")
        XCTAssertEqual(formatNumber(9007199254740992), "9.007199254741e+15")
        XCTAssertEqual(formatNumber(1e300), "1e+300")
        XCTAssertEqual(formatNumber(-.infinity), "-inf")
    }

    func testShortChunkNames() {
        XCTAssertEqual(shortChunkName("@app.lua"), "app.lua")
        XCTAssertEqual(shortChunkName("=(command line)"), "(command line)")
        XCTAssertEqual(shortChunkName("x = 1"), "[string \"x = 1\"]")
        XCTAssertEqual(shortChunkName("x = 1\ny = 2"), "[string \"x = 1...\"]")
        let long = "@" + String(repeating: "d/", count: 40) + "file.lua"
        XCTAssertEqual(shortChunkName(long), "..." + String(String(long.dropFirst()).suffix(56)))
        let longSource = String(repeating: "x", count: 100)
        XCTAssertEqual(shortChunkName(longSource), "[string \"" + String(repeating: "x", count: 45) + "...\"]")
    }
}
