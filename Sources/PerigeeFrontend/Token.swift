/// Lexical tokens: single characters stand for themselves, the rest are numbered above 256.

public typealias Token = Int32

enum Tok {
    static let offset: Token = 256
    // Reserved words, in the order of `reservedWords`.
    static let and: Token = 257, `break`: Token = 258, `do`: Token = 259, `else`: Token = 260
    static let elseif: Token = 261, end: Token = 262, `false`: Token = 263, `for`: Token = 264
    static let function: Token = 265, goto: Token = 266, `if`: Token = 267, `in`: Token = 268
    static let local: Token = 269, `nil`: Token = 270, not: Token = 271, or: Token = 272
    static let `repeat`: Token = 273, `return`: Token = 274, then: Token = 275, `true`: Token = 276
    static let until: Token = 277, `while`: Token = 278
    // Multi-character symbols and token classes.
    static let concat: Token = 279, dots: Token = 280, eq: Token = 281, ge: Token = 282
    static let le: Token = 283, ne: Token = 284, label: Token = 285, number: Token = 286
    static let name: Token = 287, string: Token = 288, eof: Token = 289

    static let reservedWords = ["and", "break", "do", "else", "elseif", "end", "false", "for",
                                "function", "goto", "if", "in", "local", "nil", "not", "or",
                                "repeat", "return", "then", "true", "until", "while"]
    static let names = reservedWords + ["..", "...", "==", ">=", "<=", "~=", "::",
                                        "<number>", "<name>", "<string>", "<eof>"]

    /// How a token is shown in messages: its name, the character, or `char(N)` for controls.
    static func describe(_ t: Token) -> String {
        if t > offset { return names[Int(t - offset - 1)] }
        if t < 32 || t == 127 { return "char(\(t))" }
        return String(decoding: [UInt8(truncatingIfNeeded: t)], as: UTF8.self)
    }
}
