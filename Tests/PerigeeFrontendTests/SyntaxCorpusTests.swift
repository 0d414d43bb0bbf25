/// The syntax corpora: every valid program compiles to exactly the bytecode `luajit -bl`
/// lists, and every invalid one fails with exactly luajit's message.
import XCTest
import PerigeeFrontend

final class SyntaxCorpusTests: XCTestCase {
    func testValidProgramsListLikeLuaJIT() throws {
        let files = Corpus.luaFiles(in: "syntax/valid")
        XCTAssertGreaterThan(files.count, 10, "the valid corpus is missing")
        for file in files {
            let name = file.lastPathComponent
            let proto: Prototype
            do {
                proto = try compileChunk(try Corpus.bytes(file), chunkName: "@" + name)
            } catch {
                XCTFail("\(name): \(error)")
                continue
            }
            let expected = try Corpus.bytes(Corpus.sibling(file, "bl"))
            let listing = listBytecode(proto)
            if listing != expected {
                XCTFail("\(name): listing differs from luajit -bl at line \(firstDifferentLine(listing, expected))")
            }
        }
    }

    func testInvalidProgramsFailWithLuaJITsMessage() throws {
        let files = Corpus.luaFiles(in: "syntax/invalid")
        XCTAssertGreaterThan(files.count, 50, "the invalid corpus is missing")
        for file in files {
            let name = file.lastPathComponent
            let expected = String(decoding: try Corpus.bytes(Corpus.sibling(file, "err")), as: UTF8.self)
                .trimmingCharacters(in: .newlines)
            let source = try Corpus.bytes(file)
            do {
                _ = try compileChunk(source, chunkName: "@" + name)
                XCTFail("\(name): compiled, expected \(expected)")
            } catch {
                XCTAssertEqual(error.message, expected, name)
            }
        }
    }

    /// `luajit -e CHUNK` errors: chunk name `=(command line)`.
    func testCommandLineChunks() throws {
        let rows = try Corpus.rows("syntax/eval.tsv")
        XCTAssertFalse(rows.isEmpty)
        for row in rows where row.count >= 3 {
            let source = Corpus.unescape(row[1])
            let expected = String(decoding: Corpus.unescape(row[2]), as: UTF8.self)
            do {
                _ = try compileChunk(source, chunkName: "=(command line)")
                XCTFail("\(row[0]): compiled, expected \(expected)")
            } catch {
                XCTAssertEqual(error.message, expected, row[0])
            }
        }
    }

    private func firstDifferentLine(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let la = a.split(separator: 10, omittingEmptySubsequences: false)
        let lb = b.split(separator: 10, omittingEmptySubsequences: false)
        for i in 0..<min(la.count, lb.count) where la[i] != lb[i] { return i + 1 }
        return min(la.count, lb.count) + 1
    }
}
