/// Character classes of Lua patterns (`%a`, `[a-z%d]`, ...) over bytes, with C-locale `ctype` meaning.

#if canImport(Glibc)
import Glibc
#endif

/// Bits of the C-locale character table, one byte per code (bytes >= 0x80 belong to no class).
enum CharClassBits {
    static let control: UInt8 = 0x01
    static let space: UInt8 = 0x02
    static let punctuation: UInt8 = 0x04
    static let digit: UInt8 = 0x08
    static let hexDigit: UInt8 = 0x10
    static let upper: UInt8 = 0x20
    static let lower: UInt8 = 0x40
    static let graphic: UInt8 = 0x80
    static let alpha: UInt8 = upper | lower
    static let alphanumeric: UInt8 = alpha | digit

    /// `isalpha`, `isdigit`, ... of the C locale for every byte, computed once; a raw pointer
    /// so that lookups in the matcher's inner loops carry no bounds checks.
    static let table: UnsafePointer<UInt8> = permanent((0..<256).map { (c: Int) -> UInt8 in
        var bits: UInt8 = 0
        if c < 32 || c == 127 { bits |= control }
        if (9...13).contains(c) || c == 32 { bits |= space }
        if (33...126).contains(c) {
            bits |= graphic
            switch c {
            case 48...57: bits |= digit | hexDigit
            case 65...90: bits |= upper | (c <= 70 ? hexDigit : 0)
            case 97...122: bits |= lower | (c <= 102 ? hexDigit : 0)
            default: bits |= punctuation
            }
        }
        return bits
    })

    /// The class bits a pattern class letter names (`a`, `D`, ...), indexed by `letter & 0x1f`
    /// for letters in 0x40...0x7f; zero for letters that are no class (`%z` is handled apart).
    static let letterBits: UnsafePointer<UInt8> = {
        var map = [UInt8](repeating: 0, count: 32)
        map[Int(UInt8(ascii: "a") & 0x1f)] = alpha
        map[Int(UInt8(ascii: "c") & 0x1f)] = control
        map[Int(UInt8(ascii: "d") & 0x1f)] = digit
        map[Int(UInt8(ascii: "g") & 0x1f)] = graphic
        map[Int(UInt8(ascii: "l") & 0x1f)] = lower
        map[Int(UInt8(ascii: "p") & 0x1f)] = punctuation
        map[Int(UInt8(ascii: "s") & 0x1f)] = space
        map[Int(UInt8(ascii: "u") & 0x1f)] = upper
        map[Int(UInt8(ascii: "w") & 0x1f)] = alphanumeric
        map[Int(UInt8(ascii: "x") & 0x1f)] = hexDigit
        return permanent(map)
    }()

    /// Copies `bytes` to memory that lives as long as the process.
    private static func permanent(_ bytes: [UInt8]) -> UnsafePointer<UInt8> {
        let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
        memory.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(memory)
    }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    @inline(__always)
    static func isControl(_ c: UInt8) -> Bool { c < 32 || c == 127 }
}

/// A pattern's bytes up to its first NUL: LuaJIT reads patterns as C strings, so a NUL ends
/// them, and reading at or past the end yields that NUL.
struct PatternText {
    let base: UnsafePointer<UInt8>?
    let count: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        base = bytes.baseAddress
        if let base, let nul = memchr(base, 0, bytes.count) {
            count = UnsafeRawPointer(nul) - UnsafeRawPointer(base)
        } else {
            count = bytes.count
        }
    }

    @inline(__always)
    subscript(i: Int) -> UInt8 { i < count ? base.unsafelyUnwrapped[i] : 0 }
}

/// The byte classes a pattern can name, over the tables of `CharClassBits`. A matcher keeps
/// one: each read of a lazily initialized global costs a call, too much for inner loops.
struct PatternClass {
    let bits = CharClassBits.table
    let letterBits = CharClassBits.letterBits

    /// Does byte `c` belong to the class `%cl`? Lowercase letters name a class, uppercase its
    /// complement, `%z`/`%Z` the NUL byte; any other byte stands for itself (`%.` is `.`).
    @inline(__always)
    func matches(_ c: UInt8, classLetter cl: UInt8) -> Bool {
        if cl & 0xc0 == 0x40 {
            let classBits = letterBits[Int(cl & 0x1f)]
            if classBits != 0 {
                let inClass = bits[Int(c)] & classBits != 0
                return cl & 0x20 != 0 ? inClass : !inClass
            }
            if cl == UInt8(ascii: "z") { return c == 0 }
            if cl == UInt8(ascii: "Z") { return c != 0 }
        }
        return cl == c
    }

    /// Does byte `c` match the set whose `[` is at `open` and whose `]` is at `close`?
    /// A `-` forms a range only when a byte other than the closing `]` follows it.
    func matchesSet(_ c: UInt8, pattern p: PatternText, open: Int, close: Int) -> Bool {
        var i = open
        var inSet = true
        if p[i + 1] == UInt8(ascii: "^") {
            inSet = false
            i += 1
        }
        i += 1
        while i < close {
            let b = p[i]
            if b == UInt8(ascii: "%") {
                i += 1
                if matches(c, classLetter: p[i]) { return inSet }
            } else if p[i + 1] == UInt8(ascii: "-") && i + 2 < close {
                if b <= c && c <= p[i + 2] { return inSet }
                i += 2
            } else if b == c {
                return inSet
            }
            i += 1
        }
        return !inSet
    }
}

/// A set of bytes, one bit each.
struct ByteSet {
    private var words = InlineArray<4, UInt64>(repeating: 0)

    mutating func insert(_ b: UInt8) { words[Int(b >> 6)] |= 1 << UInt64(b & 63) }

    @inline(__always)
    func contains(_ b: UInt8) -> Bool { words[Int(b >> 6)] >> UInt64(b & 63) & 1 != 0 }
}
