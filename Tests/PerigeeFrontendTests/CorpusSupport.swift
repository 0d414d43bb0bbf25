/// Locating the shared Lua corpora under Tests/ and reading their files.
import Foundation

enum Corpus {
    /// The repository's Tests/ folder.
    static let testsDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()

    static func directory(_ relative: String) -> URL {
        testsDirectory.appendingPathComponent(relative)
    }

    /// The `.lua` files of a corpus folder, sorted by name.
    static func luaFiles(in relative: String) -> [URL] {
        let dir = directory(relative)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".lua") }.sorted().map { dir.appendingPathComponent($0) }
    }

    static func bytes(_ url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    /// The expected file next to `url` with another extension.
    static func sibling(_ url: URL, _ ext: String) -> URL {
        url.deletingPathExtension().appendingPathExtension(ext)
    }

    /// Undoes the C escapes used in the .tsv corpora (\n, \t, \\, \xHH).
    static func unescape(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 92 && i + 1 < b.count {
                switch b[i + 1] {
                case 110: out.append(10); i += 2; continue
                case 116: out.append(9); i += 2; continue
                case 92: out.append(92); i += 2; continue
                case 120 where i + 3 < b.count:
                    if let v = UInt8(String(decoding: b[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                        out.append(v); i += 4; continue
                    }
                default: break
                }
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    /// Rows of a tab-separated corpus file, comments and blank lines skipped.
    static func rows(_ relative: String) throws -> [[String]] {
        let text = try String(contentsOf: directory(relative), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }
}
