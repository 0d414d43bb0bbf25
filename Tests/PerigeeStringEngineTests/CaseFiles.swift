/// Reading the luajit-generated case files under Tests/string-engine (see generate.lua there).
import Foundation

/// A Lua value as the case files record it.
enum CaseValue: Equatable, CustomStringConvertible {
    case string([UInt8])
    case number(Double)
    case none

    var description: String {
        switch self {
        case .string(let b): return "\"" + String(decoding: b, as: UTF8.self).debugDescription.dropFirst().dropLast() + "\""
        case .number(let n): return "\(n)"
        case .none: return "nil"
        }
    }

    static func == (a: CaseValue, b: CaseValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.none, .none): return true
        default: return false
        }
    }
}

/// The outcome of one call: its values, or an error message.
enum CaseOutcome: Equatable, CustomStringConvertible {
    case values([CaseValue])
    case error([UInt8])
    case iterations([[CaseValue]])

    var description: String {
        switch self {
        case .values(let v): return "values\(v)"
        case .error(let m): return "error(\(String(decoding: m, as: UTF8.self)))"
        case .iterations(let v): return "iterations\(v)"
        }
    }
}

enum CaseFiles {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("string-engine")

    /// The tab-separated fields of every line of `name`.
    static func lines(_ name: String) throws -> [[Substring]] {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
    }

    static func hex(_ s: Substring) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func value(_ s: Substring) -> CaseValue {
        switch s.first {
        case "s": return .string(hex(s.dropFirst()))
        case "n": return .number(strtod(String(s.dropFirst()), nil))
        default: return .none
        }
    }

    static func values(_ s: Substring) -> [CaseValue] {
        s.isEmpty ? [] : s.split(separator: ",", omittingEmptySubsequences: false).map(value)
    }

    static func outcome(_ s: Substring) -> CaseOutcome {
        switch s.first {
        case "E": return .error(hex(s.dropFirst()))
        case "G":
            let body = s.dropFirst()
            if body.isEmpty { return .iterations([]) }
            return .iterations(body.split(separator: "|").map { values($0.dropFirst()) })
        default: return .values(values(s.dropFirst()))
        }
    }
}

extension Array where Element == UInt8 {
    /// Runs `body` on the bytes as a buffer (never with a nil base, even when empty).
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        // A non-NUL byte past the end catches any read beyond the buffer that expects a terminator.
        var copy = self + [UInt8(ascii: "Z")]
        return try copy.withUnsafeMutableBufferPointer { buffer in
            try body(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(buffer)[0..<count]))
        }
    }
}
