/// `string.format` as LuaJIT 2.1 does it: the format parser, its error, and the rendering of
/// integer, character, string, `%q` and pointer conversions (floats are in StringFormatFloat).

/// The conversion a format spec asks for; `FormatSpec.isUppercase` tells `%X` from `%x` and so on.
public enum FormatConversion: UInt8, Sendable {
    /// `%d` `%i`: a number as a signed 64-bit integer.
    case signedInteger
    /// `%u`
    case unsignedDecimal
    /// `%o`
    case octal
    /// `%x` `%X`
    case hex
    /// `%c`: a number's low byte.
    case character
    /// `%e` `%E`
    case exponent
    /// `%f` `%F`
    case fixed
    /// `%g` `%G`
    case general
    /// `%a` `%A`
    case hexFloat
    /// `%s`: the bytes of `tostring(arg)`.
    case string
    /// `%q`: a string quoted to be read back by Lua; flags, width and precision are ignored.
    case quoted
    /// `%p`: an object's address; flags, width and precision are ignored.
    case pointer

    /// Does this conversion take a number (rather than a string or an object)?
    /// (The number conversions are declared first, so that this is one comparison.)
    @inline(__always) public var takesNumber: Bool {
        rawValue <= FormatConversion.hexFloat.rawValue
    }

    /// `%d %i %u %o %x %X`, which also print a 64-bit integer cdata's bits.
    var takesInteger64: Bool {
        switch self {
        case .signedInteger, .unsignedDecimal, .octal, .hex: return true
        default: return false
        }
    }
}

/// One `%...` conversion of a format string.
public struct FormatSpec: Equatable, Sendable {
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let left = Flags(rawValue: 1)
        public static let plus = Flags(rawValue: 2)
        public static let space = Flags(rawValue: 4)
        public static let alternate = Flags(rawValue: 8)
        public static let zero = Flags(rawValue: 16)
    }

    public var conversion: FormatConversion
    public var isUppercase: Bool
    public var flags: Flags
    /// 0...99; 0 when absent.
    public var width: Int
    /// 0...99, or -1 when absent.
    public var precision: Int

    public init(conversion: FormatConversion, isUppercase: Bool = false, flags: Flags = [], width: Int = 0,
                precision: Int = -1) {
        self.conversion = conversion
        self.isUppercase = isUppercase
        self.flags = flags
        self.width = width
        self.precision = precision
    }
}

/// The one error of format parsing: LuaJIT names the spec as far as it read it.
public enum FormatError: Error, Equatable, Sendable {
    /// The bytes of the offending spec, from its `%` through the byte that stopped the parse
    /// (that byte left out when it is a control byte or the end of the format).
    case invalidOption([UInt8])

    /// "invalid option '%y' to 'format'", as bytes (the spec may hold any byte).
    public var messageBytes: [UInt8] {
        switch self {
        case .invalidOption(let spec):
            return Array("invalid option '".utf8) + spec + Array("' to 'format'".utf8)
        }
    }

    public var message: String { String(decoding: messageBytes, as: UTF8.self) }
}

/// `0`...`9` (the C locale's isdigit, without a table to load).
@inline(__always) func isDecimalDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }

/// A piece of a format string: literal bytes to copy (a range of the format), or a conversion.
public enum FormatItem: Equatable, Sendable {
    case literal(Range<Int>)
    case spec(FormatSpec)
}

/// Splits a format string into literal runs and specs, as `lj_strfmt_parse` does: flags in any
/// number and order, at most two digits of width and of precision. `%%` ends a literal run
/// with its first `%`.
public struct FormatParser {
    public let format: UnsafeBufferPointer<UInt8>
    /// Where the next item begins.
    public private(set) var position = 0

    public init(format: UnsafeBufferPointer<UInt8>) {
        self.format = format
    }

    /// The byte at `i`, or the NUL after a Lua string's bytes when `i` is past them.
    @inline(__always)
    func byte(_ i: Int) -> UInt8 { i < format.count ? format[i] : 0 }

    /// The next item, or nil at the end of the format.
    @inline(__always)
    public mutating func next() throws(FormatError) -> FormatItem? {
        let start = position
        var p = position
        while p < format.count {
            if format[p] == UInt8(ascii: "%") {
                if byte(p + 1) == UInt8(ascii: "%") {
                    position = p + 2
                    return .literal(start..<p + 1)
                }
                if p != start { break }
                return .spec(try parseSpec(at: p))
            }
            p += 1
        }
        position = p
        return p > start ? .literal(start..<p) : nil
    }

    @inline(__always)
    private mutating func parseSpec(at start: Int) throws(FormatError) -> FormatSpec {
        var p = start + 1
        // The commonest specs (`%d`, `%s`) have no flags, width or precision.
        if let (conversion, upper) = FormatParser.conversion(byte(p)) {
            position = p + 1
            return FormatSpec(conversion: conversion, isUppercase: upper)
        }
        var flags: FormatSpec.Flags = []
        flagLoop: while true {
            switch byte(p) {
            case UInt8(ascii: "-"): flags.insert(.left)
            case UInt8(ascii: "+"): flags.insert(.plus)
            case UInt8(ascii: "0"): flags.insert(.zero)
            case UInt8(ascii: " "): flags.insert(.space)
            case UInt8(ascii: "#"): flags.insert(.alternate)
            default: break flagLoop
            }
            p += 1
        }
        /// A width or precision: at most two digits (a third one makes the option invalid).
        func twoDigits() -> Int {
            var n = 0
            for _ in 0..<2 where isDecimalDigit(byte(p)) {
                n = n * 10 + Int(byte(p) - UInt8(ascii: "0"))
                p += 1
            }
            return n
        }
        let width = twoDigits()
        var precision = -1
        if byte(p) == UInt8(ascii: ".") {
            p += 1
            precision = twoDigits()
        }
        let letter = byte(p)
        if let (conversion, upper) = FormatParser.conversion(letter) {
            position = p + 1
            return FormatSpec(conversion: conversion, isUppercase: upper, flags: flags, width: width,
                              precision: precision)
        }
        let errorEnd = letter >= 32 ? p + 1 : p
        position = format.count
        throw .invalidOption(Array(format[start..<min(errorEnd, format.count)]))
    }

    /// The conversion a letter names; only `A E F G X` exist in upper case.
    @inline(__always) static func conversion(_ letter: UInt8) -> (FormatConversion, Bool)? {
        let index = Int(letter) - Int(UInt8(ascii: "A"))
        guard index >= 0 && index < conversionCodes.utf8CodeUnitCount else { return nil }
        let code = conversionCodes.utf8Start[index]
        if code >= UInt8(ascii: "a") { return (FormatConversion(rawValue: code - UInt8(ascii: "a"))!, false) }
        if code >= UInt8(ascii: "A") { return (FormatConversion(rawValue: code - UInt8(ascii: "A"))!, true) }
        return nil
    }

    /// For each byte from `A` to `z`: `.` when it names no conversion, otherwise `a` plus the
    /// conversion's raw value (`A` plus it for the upper-case letters): `d` and `i` are `a`
    /// (signedInteger), `s` is `j` (string), `X` is `D` (hex, upper case), and so on.
    static var conversionCodes: StaticString {
        "I...FGH................D........i.eafgh.a.....clk.j.b..d.."
    }
}

extension FormatSpec {
    /// Renders a number argument for any conversion that `takesNumber`.
    public func render(number n: Double, into out: inout [UInt8]) {
        withByteBuilder { b in
            render(number: n, into: &b)
            out.append(contentsOf: b.bytes)
        }
    }

    /// Renders a number argument for any conversion that `takesNumber`.
    func render(number n: Double, into out: inout ByteBuilder) {
        switch conversion {
        case .signedInteger:
            renderInteger(UInt64(bitPattern: FormatSpec.int64(n)), into: &out)
        case .unsignedDecimal, .octal, .hex:
            // Past 2^63 the number wraps around 2^64, so that 2^64 prints as 0 and -1 as all ones.
            let k = n >= 9223372036854775808.0 ? FormatSpec.int64(n - 18446744073709551616.0) : FormatSpec.int64(n)
            renderInteger(UInt64(bitPattern: k), into: &out)
        case .character:
            renderCharacter(FormatSpec.characterByte(n), into: &out)
        case .exponent, .fixed, .general, .hexFloat:
            renderFloat(n, into: &out)
        case .string, .quoted, .pointer:
            preconditionFailure("string.format: \(conversion) takes no number")
        }
    }

    /// A double to int64 as x86-64's truncating conversion does: NaN and out-of-range values
    /// become INT64_MIN (so `%d` of 2^63 or nan prints -9223372036854775808, as in LuaJIT).
    @inline(__always)
    static func int64(_ n: Double) -> Int64 {
        if n.isNaN || n >= 9223372036854775808.0 || n < -9223372036854775808.0 { return .min }
        return Int64(n)
    }

    /// The byte `%c` prints for a number: LuaJIT truncates it to int32 (INT32_MIN when out of
    /// range or NaN) and keeps the low byte.
    public static func characterByte(_ n: Double) -> UInt8 {
        if n.isNaN || n >= 2147483648.0 || n <= -2147483649.0 { return 0 }
        return UInt8(truncatingIfNeeded: Int32(n))
    }

    /// `%d %i %u %o %x %X` of the 64 bits `k` (signed for `%d %i`), with C's flags and padding.
    /// The digits are written in place, after the padding that goes before them.
    func renderInteger(_ k: UInt64, into out: inout ByteBuilder) {
        var v = k
        var sign: UInt8 = 0
        if conversion == .signedInteger {
            if Int64(bitPattern: k) < 0 {
                v = 0 &- k
                sign = UInt8(ascii: "-")
            } else if flags.contains(.plus) {
                sign = UInt8(ascii: "+")
            } else if flags.contains(.space) {
                sign = UInt8(ascii: " ")
            }
        }
        // The plain `%d` (no flags, width or precision) of the commonest calls.
        if flags.isEmpty && width == 0 && precision < 0 && conversion == .signedInteger {
            if sign != 0 { out.append(sign) }
            out.appendDecimal(v)
            return
        }
        let zeroPad = flags.contains(.zero) && precision < 0
        let alternateOctal = conversion == .octal && flags.contains(.alternate)
        /// How many digits, and whether a 0 leads them (`%#o`).
        var n: Int
        var leadingZero = false
        if v == 0 {
            n = precision != 0 || alternateOctal ? 1 : 0
        } else if conversion == .hex {
            n = (64 - v.leadingZeroBitCount + 3) / 4
        } else if conversion == .octal {
            n = (64 - v.leadingZeroBitCount + 2) / 3
            if alternateOctal {
                leadingZero = true
                n += 1
            }
        } else {
            n = DecimalText.digitCount(v)
        }
        let hexPrefix = conversion == .hex && v != 0 && flags.contains(.alternate)
        let body = max(n, precision)
        let prefixLength = (sign != 0 ? 1 : 0) + (hexPrefix ? 2 : 0)
        var pad = width - body - prefixLength
        if !flags.contains(.left) && !zeroPad {
            out.append(repeating: UInt8(ascii: " "), count: pad)
            pad = 0
        }
        if sign != 0 { out.append(sign) }
        if hexPrefix {
            out.append(UInt8(ascii: "0"))
            out.append(isUppercase ? UInt8(ascii: "X") : UInt8(ascii: "x"))
        }
        if zeroPad && !flags.contains(.left) {
            out.append(repeating: UInt8(ascii: "0"), count: pad)
            pad = 0
        }
        out.append(repeating: UInt8(ascii: "0"), count: body - n)
        if n > 0 {
            let end = out.reserve(n) + n
            if v == 0 {
                end[-1] = UInt8(ascii: "0")
            } else if conversion == .hex {
                let letters = isUppercase ? UInt8(ascii: "A") - 10 : UInt8(ascii: "a") - 10
                var p = end
                while v != 0 {
                    let d = UInt8(v & 15)
                    p -= 1
                    p[0] = d < 10 ? d + UInt8(ascii: "0") : d + letters
                    v >>= 4
                }
            } else if conversion == .octal {
                var p = end
                while v != 0 {
                    p -= 1
                    p[0] = UInt8(v & 7) + UInt8(ascii: "0")
                    v >>= 3
                }
                if leadingZero { p[-1] = UInt8(ascii: "0") }
            } else {
                DecimalText.write(v, endingAt: end)
            }
            out.advance(by: n)
        }
        out.append(repeating: UInt8(ascii: " "), count: pad)
    }

    /// `%c`: the byte, padded with spaces to the width.
    func renderCharacter(_ c: UInt8, into out: inout ByteBuilder) {
        if flags.contains(.left) { out.append(c) }
        out.append(repeating: UInt8(ascii: " "), count: width - 1)
        if !flags.contains(.left) { out.append(c) }
    }

    /// `%s`: the bytes (NULs included), cut to the precision and padded with spaces to the width.
    public func render(string bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        withByteBuilder { b in
            render(string: bytes, into: &b)
            out.append(contentsOf: b.bytes)
        }
    }

    /// `%s`: the bytes (NULs included), cut to the precision and padded with spaces to the width.
    func render(string bytes: UnsafeBufferPointer<UInt8>, into out: inout ByteBuilder) {
        let length = precision >= 0 && precision < bytes.count ? precision : bytes.count
        let shown = UnsafeBufferPointer(start: bytes.baseAddress, count: length)
        if flags.contains(.left) { out.append(shown) }
        out.append(repeating: UInt8(ascii: " "), count: width - length)
        if !flags.contains(.left) { out.append(shown) }
    }

    /// `%q`: `"`, `\` and newline get a backslash; other control bytes (0-31, 127) become
    /// `\` and their decimal code, three digits wide only when a digit follows (so `\r` is `\13`).
    public static func renderQuoted(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        withByteBuilder { b in
            renderQuoted(bytes, into: &b)
            out.append(contentsOf: b.bytes)
        }
    }

    /// `%q` into a builder.
    static func renderQuoted(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout ByteBuilder) {
        out.append(UInt8(ascii: "\""))
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c == UInt8(ascii: "\n") {
                out.append(UInt8(ascii: "\\"))
                out.append(c)
            } else if c < 32 || c == 127 {
                out.append(UInt8(ascii: "\\"))
                let nextIsDigit = i < bytes.count && isDecimalDigit(bytes[i])
                if c >= 100 || nextIsDigit {
                    out.append(c / 100 + UInt8(ascii: "0"))
                    out.append(c / 10 % 10 + UInt8(ascii: "0"))
                } else if c >= 10 {
                    out.append(c / 10 + UInt8(ascii: "0"))
                }
                out.append(c % 10 + UInt8(ascii: "0"))
            } else {
                out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `%p` (and `tostring` of objects): "NULL", or "0x" and the address in hex, 8 digits for
    /// addresses below 2^32 and a whole number of bytes above.
    public static func renderPointer(_ address: UInt, into out: inout [UInt8]) {
        withByteBuilder { b in
            renderPointer(address, into: &b)
            out.append(contentsOf: b.bytes)
        }
    }

    static func renderPointer(_ address: UInt, into out: inout ByteBuilder) {
        if address == 0 {
            out.append("NULL")
            return
        }
        let high = UInt32(truncatingIfNeeded: UInt64(address) >> 32)
        let digits = 8 + (high != 0 ? 2 + 2 * ((31 - high.leadingZeroBitCount) >> 3) : 0)
        out.append(UInt8(ascii: "0"))
        out.append(UInt8(ascii: "x"))
        var shift = (digits - 1) * 4
        while shift >= 0 {
            let d = UInt8((UInt64(address) >> UInt64(shift)) & 15)
            out.append(d < 10 ? d + UInt8(ascii: "0") : d + UInt8(ascii: "a") - 10)
            shift -= 4
        }
    }
}
