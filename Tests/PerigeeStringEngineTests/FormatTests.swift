/// string.format and number-to-string against luajit's own results (Tests/string-engine/format.tsv
/// and number.tsv), plus the parser's items and errors.
import XCTest
@testable import PerigeeRuntime

final class FormatTests: XCTestCase {
    func testLuaJITCorpus() throws {
        var failures = 0
        let lines = try CaseFiles.lines("format.tsv")
        XCTAssertGreaterThan(lines.count, 10000)
        for f in lines {
            let format = CaseFiles.hex(f[0])
            let args = CaseFiles.values(f[1])
            let expected = CaseFiles.outcome(f[2])
            let got: CaseOutcome
            do { got = .values([.string(try LibraryGlue.format(format, args))]) } catch { got = .error(error.messageBytes) }
            if got != expected {
                failures += 1
                if failures <= 40 { XCTFail("format(\(CaseValue.string(format)), \(args)): got \(got), luajit \(expected)") }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func testNumbersToStringCorpus() throws {
        var failures = 0
        let lines = try CaseFiles.lines("number.tsv")
        for f in lines {
            guard case .number(let n) = CaseFiles.value(f[0]) else { XCTFail("bad case"); continue }
            var out: [UInt8] = []
            appendNumber(n, into: &out)
            let expected = CaseFiles.hex(f[1])
            if out != expected {
                failures += 1
                if failures <= 40 {
                    XCTFail("tostring(\(n)): got \(String(decoding: out, as: UTF8.self)), luajit \(String(decoding: expected, as: UTF8.self))")
                }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func text(_ n: Double) -> String {
        var out: [UInt8] = []
        appendNumber(n, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func testNumberToStringSpecialValues() {
        XCTAssertEqual(text(.nan), "nan")
        XCTAssertEqual(text(-Double.nan), "nan")
        XCTAssertEqual(text(.infinity), "inf")
        XCTAssertEqual(text(-.infinity), "-inf")
        XCTAssertEqual(text(-0.0), "-0")
        XCTAssertEqual(text(1e100), "1e+100")
        XCTAssertEqual(text(9007199254740992), "9.007199254741e+15")
        XCTAssertEqual(text(0.1), "0.1")
        // An exact tie at the 15th digit rounds up, where glibc's printf rounds to even.
        XCTAssertEqual(text(100000000000005), "1.0000000000001e+14")
    }

    func testParserItems() throws {
        let items: [FormatItem] = try Array("a%%b%-+5.2fc%d".utf8).withBytes { f in
            var p = FormatParser(format: f)
            var all: [FormatItem] = []
            while let item = try p.next() { all.append(item) }
            return all
        }
        XCTAssertEqual(items, [
            .literal(0..<2), .literal(3..<4),
            .spec(FormatSpec(conversion: .fixed, flags: [.left, .plus], width: 5, precision: 2)),
            .literal(11..<12), .spec(FormatSpec(conversion: .signedInteger)),
        ])
    }

    func testParserErrorsNameTheSpec() {
        for (format, spec) in [("%y", "%y"), ("%123d", "%123"), ("%.123f", "%.123"), ("abc%", "%"), ("%5.", "%5."),
                               ("%\u{1}", "%"), ("%5%", "%5%"), ("%ld", "%l")] {
            XCTAssertThrowsError(try LibraryGlue.format(Array(format.utf8), [.number(1)])) {
                XCTAssertEqual(($0 as? FormatError)?.message, "invalid option '\(spec)' to 'format'")
            }
        }
    }

    func testQuotedAndPointer() {
        var out: [UInt8] = []
        Array("a\r\u{0}1\n".utf8).withBytes { FormatSpec.renderQuoted($0, into: &out) }
        XCTAssertEqual(out, Array("\"a\\13\\0001\\\n\"".utf8))
        out = []
        FormatSpec.renderPointer(0x7fa50f10c358, into: &out)
        FormatSpec.renderPointer(0x1234, into: &out)
        FormatSpec.renderPointer(0, into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "0x7fa50f10c3580x00001234NULL")
    }
}
