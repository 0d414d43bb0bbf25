/// The lexer: turns source bytes into tokens with LuaJIT's rules for names, numbers, strings,
/// long brackets, comments and escapes, and its exact error messages.

/// A syntax error, already formatted as Lua prints it (`chunk:line: message near 'token'`).
public struct LuaSyntaxError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Bytes that may continue a name: letters, digits, `_`, and (as in LuaJIT) every byte from
/// 0x80 up, so UTF-8 names work. Index 0 stands for end of input, so lookups take `c + 1`.
private let identifierTable: UnsafePointer<Bool> = {
    let t = UnsafeMutablePointer<Bool>.allocate(capacity: 257)
    t[0] = false
    for c in 0..<256 {
        t[c + 1] = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 128
    }
    return UnsafePointer(t)
}()

/// The payload of a token: an interned string for names and strings, a number for numbers.
struct TokenValue {
    var string: StringID = -1
    var number: NumberLiteral = .number(0)
}

let lexEOF: Int32 = -1

struct Lexer {
    let src: UnsafePointer<UInt8>
    let end: Int
    /// Index of the current character `c` (== end at the end of input).
    var pos: Int
    /// The current character, or `lexEOF`.
    var c: Int32
    var line: Int32 = 1
    /// Line of the last token consumed by `next()`.
    var lastLine: Int32 = 1
    var tok: Token = 0
    var value = TokenValue()
    var lookahead: Token = Tok.eof
    var lookaheadValue = TokenValue()
    /// Decoded text of the string being scanned (and of long-bracket openers).
    var buffer: [UInt8] = []
    /// Source range of the last name or number scanned, for `near '...'`.
    var textStart = 0
    var textEnd = 0
    var lastScanWasString = false
    let chunkName: String
    var pool = StringInterner()
    /// `identifierTable`, read once so the scanner does not re-check its initialization.
    private let identifier = identifierTable

    init(source: UnsafeBufferPointer<UInt8>, chunkName: String) {
        src = source.baseAddress ?? UnsafePointer(bitPattern: 1)!
        end = source.count
        pos = 0
        c = end > 0 ? Int32(src[0]) : lexEOF
        self.chunkName = chunkName
        buffer.reserveCapacity(256)
        // A UTF-8 byte order mark and a `#` first line (shebang) are skipped.
        if end >= 3 && src[0] == 0xef && src[1] == 0xbb && src[2] == 0xbf { advance(); advance(); advance() }
        if c == 35 {
            while c != lexEOF && c != 10 && c != 13 { advance() }
        }
    }

    @inline(__always) mutating func advance() {
        pos += 1
        c = pos < end ? Int32(src[pos]) : lexEOF
    }

    @inline(__always) var isEOL: Bool { c == 10 || c == 13 }

    @inline(__always) func isIdentifierChar(_ c: Int32) -> Bool { identifier[Int(c &+ 1)] }

    @inline(__always) mutating func save(_ ch: Int32) { buffer.append(UInt8(truncatingIfNeeded: ch)) }
    @inline(__always) mutating func saveAndAdvance() { save(c); advance() }

    mutating func newline() throws(LuaSyntaxError) {
        let old = c
        advance()
        if isEOL && c != old { advance() }
        line += 1
        if line >= 0x7fff_ff00 { throw error(token: tok, "chunk has too many lines") }
    }

    // MARK: Errors

    /// The text a message shows for `near`: the token's own text for names, strings and
    /// numbers (as last scanned), otherwise its description.
    func tokenText(_ t: Token) -> String {
        if t == Tok.name || t == Tok.number || t == Tok.string {
            if lastScanWasString { return String(decoding: buffer, as: UTF8.self) }
            return String(decoding: UnsafeBufferPointer(start: src + textStart, count: textEnd - textStart),
                          as: UTF8.self)
        }
        return Tok.describe(t)
    }

    /// `chunk:line: message near 'token'` (token 0: no `near` part).
    func error(token: Token, _ message: String) -> LuaSyntaxError {
        var text = "\(shortChunkName(chunkName)):\(line): \(message)"
        if token != 0 { text += " near '\(tokenText(token))'" }
        return LuaSyntaxError(message: text)
    }

    // MARK: Tokens

    mutating func next() throws(LuaSyntaxError) {
        lastLine = line
        if lookahead == Tok.eof {
            var v = value
            tok = try scan(&v)
            value = v
        } else {
            tok = lookahead
            value = lookaheadValue
            lookahead = Tok.eof
        }
    }

    mutating func peek() throws(LuaSyntaxError) -> Token {
        var v = lookaheadValue
        lookahead = try scan(&v)
        lookaheadValue = v
        return lookahead
    }

    private mutating func scan(_ v: inout TokenValue) throws(LuaSyntaxError) -> Token {
        while true {
            if isIdentifierChar(c) {
                if isDigit(UInt8(c)) { return try number(&v) }
                let start = pos
                repeat { advance() } while isIdentifierChar(c)
                textStart = start; textEnd = pos; lastScanWasString = false
                let id = pool.intern(src + start, pos - start)
                v.string = id
                return id < Tok.reservedWords.count ? Tok.offset + 1 + Token(id) : Tok.name
            }
            switch c {
            case 10, 13:
                try newline()
            case 32, 9, 11, 12:
                advance()
            case 45:  // '-'
                advance()
                if c != 45 { return 45 }
                advance()
                if c == 91 {  // "--[" may open a long comment
                    buffer.removeAll(keepingCapacity: true)
                    let level = skipEquals()
                    buffer.removeAll(keepingCapacity: true)
                    if level >= 0 {
                        _ = try longString(isString: false, level)
                        buffer.removeAll(keepingCapacity: true)
                        continue
                    }
                }
                while !isEOL && c != lexEOF { advance() }
            case 91:  // '['
                buffer.removeAll(keepingCapacity: true)
                lastScanWasString = true
                let level = skipEquals()
                if level >= 0 {
                    v.string = try longString(isString: true, level)
                    return Tok.string
                } else if level == -1 {
                    return 91
                }
                throw error(token: Tok.string, "invalid long string delimiter")
            case 61: advance(); if c != 61 { return 61 }; advance(); return Tok.eq
            case 60: advance(); if c != 61 { return 60 }; advance(); return Tok.le
            case 62: advance(); if c != 61 { return 62 }; advance(); return Tok.ge
            case 126: advance(); if c != 61 { return 126 }; advance(); return Tok.ne
            case 58: advance(); if c != 58 { return 58 }; advance(); return Tok.label
            case 34, 39:
                try string(&v)
                return Tok.string
            case 46:  // '.'
                let start = pos
                advance()
                if c == 46 {
                    advance()
                    if c == 46 { advance(); return Tok.dots }
                    return Tok.concat
                } else if c >= 0 && isDigit(UInt8(c)) {
                    pos = start; c = 46
                    return try number(&v)
                }
                return 46
            case lexEOF:
                return Tok.eof
            default:
                let ch = c
                advance()
                return ch
            }
        }
    }

    /// A numeric literal: scan the widest run LuaJIT would, then validate it as a whole.
    private mutating func number(_ v: inout TokenValue) throws(LuaSyntaxError) -> Token {
        let start = pos
        var exponentMark: Int32 = 101  // 'e', or 'p' after "0x"
        var prev = c
        if c == 48 {
            advance()
            if (c | 0x20) == 120 { exponentMark = 112 }
        }
        while (isIdentifierChar(c) || c == 46 || ((c == 45 || c == 43) && (prev | 0x20) == exponentMark)) {
            prev = c
            advance()
        }
        textStart = start; textEnd = pos; lastScanWasString = false
        guard let n = scanNumber(src + start, pos - start, options: .ffiSuffixes) else {
            throw error(token: Tok.number, "malformed number")
        }
        v.number = n
        return Tok.number
    }

    /// Counts `=` after a `[` or `]`; the level if the same bracket follows, else -count-1.
    private mutating func skipEquals() -> Int {
        var count = 0
        let bracket = c
        saveAndAdvance()
        while c == 61 { count += 1; saveAndAdvance() }
        return c == bracket ? count : -count - 1
    }

    /// A long string or (with no value to fill) a long comment.
    private mutating func longString(isString: Bool, _ level: Int) throws(LuaSyntaxError) -> StringID {
        saveAndAdvance()
        if isEOL { try newline() }
        while true {
            switch c {
            case lexEOF:
                throw error(token: Tok.eof, isString ? "unfinished long string" : "unfinished long comment")
            case 93:  // ']'
                if skipEquals() == level {
                    saveAndAdvance()
                    guard isString else { return -1 }
                    let skip = 2 + level
                    return buffer.withUnsafeBufferPointer { pool.intern($0.baseAddress! + skip, $0.count - 2 * skip) }
                }
            case 10, 13:
                save(10)
                try newline()
                if !isString { buffer.removeAll(keepingCapacity: true) }
            default:
                if isString { saveAndAdvance() } else { advance() }
            }
        }
    }

    private mutating func string(_ v: inout TokenValue) throws(LuaSyntaxError) {
        let delimiter = c
        buffer.removeAll(keepingCapacity: true)
        lastScanWasString = true
        saveAndAdvance()
        while c != delimiter {
            switch c {
            case lexEOF:
                throw error(token: Tok.eof, "unfinished string")
            case 10, 13:
                throw error(token: Tok.string, "unfinished string")
            case 92:  // '\\'
                advance()
                var ch = c
                switch ch {
                case 97: ch = 7
                case 98: ch = 8
                case 102: ch = 12
                case 110: ch = 10
                case 114: ch = 13
                case 116: ch = 9
                case 118: ch = 11
                case 120:  // \xXX
                    advance()
                    guard c >= 0 && isHexDigit(UInt8(c)) else { throw escapeError() }
                    ch = Int32(hexValue(UInt8(c))) << 4
                    advance()
                    guard c >= 0 && isHexDigit(UInt8(c)) else { throw escapeError() }
                    ch += Int32(hexValue(UInt8(c)))
                case 117:  // \u{XXX}
                    advance()
                    guard c == 123 else { throw escapeError() }
                    advance()
                    var u: UInt32 = 0
                    repeat {
                        guard c >= 0 && isHexDigit(UInt8(c)) else { throw escapeError() }
                        u = u << 4 | UInt32(hexValue(UInt8(c)))
                        if u >= 0x110000 { throw escapeError() }
                        advance()
                    } while c != 125
                    if u >= 0xd800 && u < 0xe000 { throw escapeError() }
                    try saveUTF8(u)
                    advance()
                    continue
                case 122:  // \z skips white space, newlines included
                    advance()
                    while c >= 0 && isSpace(UInt8(c)) {
                        if isEOL { try newline() } else { advance() }
                    }
                    continue
                case 10, 13:
                    save(10)
                    try newline()
                    continue
                case 92, 34, 39:
                    break
                case lexEOF:
                    continue
                default:
                    guard ch >= 0 && isDigit(UInt8(ch)) else { throw escapeError() }
                    ch -= 48
                    advance()
                    if c >= 0 && isDigit(UInt8(c)) {
                        ch = ch * 10 + c - 48
                        advance()
                        if c >= 0 && isDigit(UInt8(c)) {
                            ch = ch * 10 + c - 48
                            if ch > 255 { throw escapeError() }
                            advance()
                        }
                    }
                    save(ch)
                    continue
                }
                save(ch)
                advance()
            default:
                saveAndAdvance()
            }
        }
        saveAndAdvance()
        v.string = buffer.withUnsafeBufferPointer { pool.intern($0.baseAddress! + 1, $0.count - 2) }
    }

    private func escapeError() -> LuaSyntaxError { error(token: Tok.string, "invalid escape sequence") }

    private mutating func saveUTF8(_ u: UInt32) throws(LuaSyntaxError) {
        let u = Int32(u)
        if u < 0x80 { save(u); return }
        if u < 0x800 {
            save(0xc0 | (u >> 6))
        } else {
            if u >= 0x10000 {
                save(0xf0 | (u >> 18))
                save(0x80 | ((u >> 12) & 0x3f))
            } else {
                save(0xe0 | (u >> 12))
            }
            save(0x80 | ((u >> 6) & 0x3f))
        }
        save(0x80 | (u & 0x3f))
    }
}

/// A chunk name as messages show it: `@file` → `file` (keeping the tail of long names),
/// `=name` → `name`, anything else → `[string "first line..."]`.
public func shortChunkName(_ chunkName: String) -> String {
    let idSize = 60
    var bytes = Array(chunkName.utf8)
    if bytes.first == 61 {  // '='
        bytes.removeFirst()
        if bytes.count > idSize - 1 { bytes.removeLast(bytes.count - (idSize - 1)) }
        return String(decoding: bytes, as: UTF8.self)
    }
    if bytes.first == 64 {  // '@'
        bytes.removeFirst()
        if bytes.count >= idSize {
            return "..." + String(decoding: bytes.suffix(idSize - 4), as: UTF8.self)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    var len = 0
    while len < idSize - 12 && len < bytes.count && bytes[len] >= 32 { len += 1 }
    if len < bytes.count {
        if len > idSize - 15 { len = idSize - 15 }
        return "[string \"" + String(decoding: bytes[0..<len], as: UTF8.self) + "...\"]"
    }
    return "[string \"" + String(decoding: bytes, as: UTF8.self) + "\"]"
}
