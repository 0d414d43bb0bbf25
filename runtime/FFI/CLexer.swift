/// The tokens of C declarations: identifiers, numbers (with C's suffixes and radixes),
/// character and string literals, punctuation, comments, and `#pragma pack` directives.

enum CToken: Equatable {
    case identifier(String)
    case number(Int64, text: String)
    case string(String)
    case punctuation(String)
    /// `#pragma pack(...)`: push (with or without a new value), pop, or set (nil: the default).
    case pack(CPackDirective)
    case end
}

enum CPackDirective: Equatable {
    case set(Int?)
    case push(Int?)
    case pop
}

/// One C source, read as tokens.
struct CLexer {
    let bytes: [UInt8]
    var position = 0
    var line = 1

    init(_ source: [UInt8]) { bytes = source }

    mutating func next() throws(CDeclError) -> CToken {
        while position < bytes.count {
            let c = bytes[position]
            if c == 10 { line += 1; position += 1; continue }
            if c == 32 || c == 9 || c == 13 || c == 11 || c == 12 { position += 1; continue }
            // Preprocessor lines (`#pragma`, `#define` left in a header) are skipped whole.
            if c == UInt8(ascii: "#") {
                // Only `#pragma` may stay in a declaration: `pack` is honoured, others ignored.
                let start = position
                while position < bytes.count && bytes[position] != 10 { position += 1 }
                let words = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
                    .split(whereSeparator: { " \t\r(),".contains($0) }).map(String.init)
                guard let directive = words.first else { continue }
                if directive != "pragma" { throw CDeclError(message: "unexpected symbol near '\(directive)'") }
                if words.count >= 2 && words[1] == "pack" {
                    let args = Array(words.dropFirst(2))
                    if args.first == "push" { return .pack(.push(args.count > 1 ? Int(args[1]) : nil)) }
                    if args.first == "pop" { return .pack(.pop) }
                    return .pack(.set(args.first.flatMap { Int($0) }))
                }
                continue
            }
            if c == UInt8(ascii: "/") && position + 1 < bytes.count {
                if bytes[position + 1] == UInt8(ascii: "/") {
                    while position < bytes.count && bytes[position] != 10 { position += 1 }
                    continue
                }
                if bytes[position + 1] == UInt8(ascii: "*") {
                    position += 2
                    while position + 1 < bytes.count && !(bytes[position] == UInt8(ascii: "*") && bytes[position + 1] == UInt8(ascii: "/")) {
                        if bytes[position] == 10 { line += 1 }
                        position += 1
                    }
                    position += 2
                    continue
                }
            }
            break
        }
        guard position < bytes.count else { return .end }
        let start = position
        let c = bytes[position]
        if isIdentifierStart(c) {
            while position < bytes.count && (isIdentifierStart(bytes[position]) || isDigit(bytes[position])) { position += 1 }
            return .identifier(String(decoding: bytes[start..<position], as: UTF8.self))
        }
        if isDigit(c) { return try number() }
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            position += 1
            var content: [UInt8] = []
            while position < bytes.count && bytes[position] != c {
                var b = bytes[position]
                if b == UInt8(ascii: "\\") && position + 1 < bytes.count {
                    position += 1
                    b = escape(bytes[position])
                }
                content.append(b)
                position += 1
            }
            position += 1
            let text = String(decoding: content, as: UTF8.self)
            if c == UInt8(ascii: "'") { return .number(Int64(Int8(bitPattern: content.first ?? 0)), text: "'\(text)'") }
            return .string(text)
        }
        for op in ["...", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->"] {
            let o = Array(op.utf8)
            if position + o.count <= bytes.count && Array(bytes[position..<position + o.count]) == o {
                position += o.count
                return .punctuation(op)
            }
        }
        position += 1
        return .punctuation(String(decoding: [c], as: UTF8.self))
    }

    private func escape(_ b: UInt8) -> UInt8 {
        switch b {
        case UInt8(ascii: "n"): return 10
        case UInt8(ascii: "t"): return 9
        case UInt8(ascii: "r"): return 13
        case UInt8(ascii: "0"): return 0
        case UInt8(ascii: "a"): return 7
        case UInt8(ascii: "b"): return 8
        case UInt8(ascii: "f"): return 12
        case UInt8(ascii: "v"): return 11
        default: return b
        }
    }

    private mutating func number() throws(CDeclError) -> CToken {
        let start = position
        while position < bytes.count && (isIdentifierStart(bytes[position]) || isDigit(bytes[position])) { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        var digits = Substring(text.lowercased())
        while let last = digits.last, last == "u" || last == "l" { digits = digits.dropLast() }
        var radix = 10
        if digits.hasPrefix("0x") { radix = 16; digits = digits.dropFirst(2) } else if digits.count > 1 && digits.hasPrefix("0") { radix = 8; digits = digits.dropFirst() }
        guard let v = UInt64(digits, radix: radix) else { throw CDeclError(message: "malformed number near '\(text)'") }
        return .number(Int64(bitPattern: v), text: text)
    }

    private func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
    }
    private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
}
