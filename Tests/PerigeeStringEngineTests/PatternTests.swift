/// The pattern engine against luajit's own results (Tests/string-engine/patterns.tsv) and
/// against hostile inputs.
import XCTest
@testable import PerigeeRuntime

final class PatternTests: XCTestCase {
    func outcome(_ body: () throws -> [CaseValue]) -> CaseOutcome {
        do { return .values(try body()) } catch let e as PatternError { return .error(Array(e.message.utf8)) } catch {
            return .error(Array("\(error)".utf8))
        }
    }

    func testLuaJITCorpus() throws {
        var failures = 0
        let lines = try CaseFiles.lines("patterns.tsv")
        XCTAssertGreaterThan(lines.count, 10000)
        for f in lines {
            let kind = f[0], s = CaseFiles.hex(f[1]), p = CaseFiles.hex(f[2])
            let a = f[3] == "-" ? CaseValue.none : CaseFiles.value(f[3])
            let b = f[4]
            let expected = CaseFiles.outcome(f[5])
            var got: CaseOutcome
            switch kind {
            case "find", "match":
                var initial: Int? = nil
                if case .number(let n) = a { initial = Int(n) }
                got = outcome { try LibraryGlue.find(s, p, initial: initial, plain: b == "true", find: kind == "find") }
            case "gsub":
                guard case .string(let r) = a else { XCTFail("bad case"); continue }
                got = outcome { try LibraryGlue.gsub(s, p, r, max: b == "-" ? nil : Int(b)!) }
            default:
                do { got = .iterations(try LibraryGlue.gmatch(s, p, limit: 51)) } catch { got = .error(Array(error.message.utf8)) }
            }
            if got != expected {
                failures += 1
                if failures <= 30 {
                    XCTFail("\(kind)(\(CaseValue.string(s)), \(CaseValue.string(p)), \(a), \(b)): got \(got), luajit \(expected)")
                }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func testErrorMessagesAreLuaJITs() {
        XCTAssertEqual(PatternError.endsWithPercent.message, "malformed pattern (ends with '%')")
        XCTAssertEqual(PatternError.missingBracket.message, "malformed pattern (missing ']')")
        XCTAssertEqual(PatternError.missingFrontierBracket.message, "missing '[' after '%f' in pattern")
        XCTAssertEqual(PatternError.unbalancedPattern.message, "unbalanced pattern")
        XCTAssertEqual(PatternError.tooManyCaptures.message, "too many captures")
        XCTAssertEqual(PatternError.invalidCaptureIndex.message, "invalid capture index")
        XCTAssertEqual(PatternError.invalidPatternCapture.message, "invalid pattern capture")
        XCTAssertEqual(PatternError.unfinishedCapture.message, "unfinished capture")
        XCTAssertEqual(PatternError.patternTooComplex.message, "pattern too complex")
    }

    func testCapturesAndPositions() throws {
        let v = try LibraryGlue.find(Array("  key = value".utf8), Array("()(%w+)%s*=%s*(%w+)()".utf8), initial: nil,
                                     plain: false, find: false)
        XCTAssertEqual(v, [.number(3), .string(Array("key".utf8)), .string(Array("value".utf8)), .number(14)])
    }

    func testStartOffset() {
        XCTAssertEqual(PatternMatcher.startOffset(init: 1, length: 5), 0)
        XCTAssertEqual(PatternMatcher.startOffset(init: 0, length: 5), 0)
        XCTAssertEqual(PatternMatcher.startOffset(init: -2, length: 5), 3)
        XCTAssertEqual(PatternMatcher.startOffset(init: -100, length: 5), 0)
        XCTAssertEqual(PatternMatcher.startOffset(init: 100, length: 5), 5)
    }

    /// Long hostile searches end quickly: the pattern needs a byte the subject lacks.
    func testHostileBacktrackingEndsQuickly() throws {
        let subject = [UInt8](repeating: UInt8(ascii: "a"), count: 100_000)
        for p in ["(.-)*x", ".-b", "a*b", "(.-)%s*x", "(a*)*(a-)b", "%b()", "(.-)(.-)(.-)!"] {
            let clock = ContinuousClock()
            let t = try clock.measure {
                XCTAssertEqual(try LibraryGlue.find(subject, Array(p.utf8), initial: nil, plain: false, find: true), [.none])
            }
            XCTAssertLessThan(t, .seconds(2), p)
        }
    }

    /// Iterating over many matches in a long subject costs time in proportion to its length.
    func testGmatchOverLongSubjectIsLinear() throws {
        let subject = Array(String(repeating: "a1", count: 100_000).utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)
        let clock = ContinuousClock()
        let t = try clock.measure {
            XCTAssertEqual(try LibraryGlue.gmatch(subject, Array("a(%d)".utf8), limit: .max).count, 100_000)
            XCTAssertEqual(try LibraryGlue.gmatch(subject, Array("(%d)a".utf8), limit: .max).count, 99_999)
        }
        XCTAssertLessThan(t, .seconds(5))
    }

    /// Depth is bounded like LuaJIT's: a long chain of choices ends with "pattern too complex",
    /// never a native stack overflow, whatever the subject length.
    func testDeepPatternsAreTooComplex() {
        let subject = [UInt8](repeating: UInt8(ascii: "a"), count: 100_000)
        for p in [String(repeating: "a?", count: 5000), String(repeating: "a*", count: 300) + "b",
                  String(repeating: "(", count: 31) + String(repeating: "a-", count: 200) + "$"] {
            XCTAssertThrowsError(try LibraryGlue.find(subject, Array(p.utf8), initial: nil, plain: false, find: true)) {
                XCTAssertEqual($0 as? PatternError, .patternTooComplex)
            }
        }
        let nested = String(repeating: "(", count: 1000) + "a" + String(repeating: ")", count: 1000)
        XCTAssertThrowsError(try LibraryGlue.find(subject, Array(nested.utf8), initial: nil, plain: false, find: true)) {
            XCTAssertEqual($0 as? PatternError, .tooManyCaptures)
        }
    }

    /// Long searches skip start offsets where the leading item cannot match; an error that
    /// a later item raises still comes exactly when LuaJIT's attempts would reach it.
    func testSkippedStartsKeepErrorsAndMatches() throws {
        let letters = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000)
        XCTAssertEqual(try LibraryGlue.find(letters, Array("%d%2".utf8), initial: nil, plain: false, find: true), [.none])
        XCTAssertThrowsError(try LibraryGlue.find(letters + [UInt8(ascii: "7")], Array("%d%2".utf8), initial: nil, plain: false, find: true)) {
            XCTAssertEqual($0 as? PatternError, .invalidCaptureIndex)
        }
        let subject = letters + Array(" 42 x7".utf8) + letters
        XCTAssertEqual(try LibraryGlue.find(subject, Array("((%d+))".utf8), initial: nil, plain: false, find: true),
                       [.number(10_002), .number(10_003), .string(Array("42".utf8)), .string(Array("42".utf8))])
        XCTAssertEqual(try LibraryGlue.find(subject, Array("[%dx]+$".utf8), initial: nil, plain: false, find: true), [.none])
        XCTAssertEqual(try LibraryGlue.gmatch(subject, Array("%s(%w)".utf8), limit: .max).count, 2)
    }

    func testBalanceWithUnbalancedInput() throws {
        // Without any ')' no attempt is made; with one at the end every '(' scans to it, as in LuaJIT.
        var subject = [UInt8](repeating: UInt8(ascii: "("), count: 100_000)
        XCTAssertEqual(try LibraryGlue.find(subject, Array("%b()".utf8), initial: nil, plain: false, find: true), [.none])
        subject = [UInt8](repeating: UInt8(ascii: "("), count: 5_000) + [UInt8(ascii: ")")]
        XCTAssertEqual(try LibraryGlue.find(subject, Array("%b()".utf8), initial: nil, plain: false, find: true),
                       [.number(5_000), .number(5_001)])
        XCTAssertThrowsError(try LibraryGlue.find(subject, Array("%b(".utf8), initial: nil, plain: false, find: true)) {
            XCTAssertEqual($0 as? PatternError, .unbalancedPattern)
        }
    }

    func testPlainFindOnLongSubjects() throws {
        var subject = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        subject += Array("needle".utf8)
        XCTAssertEqual(try LibraryGlue.find(subject, Array("needle".utf8), initial: nil, plain: false, find: true),
                       [.number(1_000_001), .number(1_000_006)])
        XCTAssertEqual(try LibraryGlue.find(subject, Array("a.".utf8), initial: -3, plain: true, find: true), [.none])
    }

    func testGsubWithGlueReplacements() throws {
        // A function replacement: the glue appends its own bytes, or the match when it returns nil.
        let s = Array("one two three".utf8), p = Array("%w+".utf8)
        let result: [UInt8] = try s.withBytes { subject in
            try p.withBytes { pattern in
                var m = PatternMatcher(subject: subject, pattern: pattern)
                var state = GsubState(maxReplacements: Int.max)
                var out: [UInt8] = []
                while let r = try state.next(&m, into: &out) {
                    if r.count == 3 { out.append(contentsOf: "<\(r.count)>".utf8) } else { out.append(contentsOf: subject[r]) }
                }
                XCTAssertEqual(state.count, 3)
                return out
            }
        }
        XCTAssertEqual(String(decoding: result, as: UTF8.self), "<3> <3> three")
    }
}
