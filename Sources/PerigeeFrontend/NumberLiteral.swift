/// Number syntax shared by the lexer and `tonumber`: decimal, hex (with binary exponents),
/// binary `0b`, and the FFI suffixes `LL`, `ULL` and `i`, with LuaJIT's acceptance rules.
#if canImport(Glibc)
import Glibc
#endif

/// A scanned number: a plain Lua number or one of the FFI's boxed constants.
public enum NumberLiteral: Equatable {
    case number(Double)
    case int64(Int64)
    case uint64(UInt64)
    case imaginary(Double)
}

public struct NumberScanOptions: OptionSet {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `LL`, `ULL` and `i` suffixes (source code with the FFI).
    public static let ffiSuffixes = NumberScanOptions(rawValue: 1)
    /// Leading/trailing white space and a sign (`tonumber`).
    public static let conversion = NumberScanOptions(rawValue: 2)
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }
@inline(__always) func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) &- 97 < 6 }
@inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
@inline(__always) func hexValue(_ c: UInt8) -> UInt64 { isDigit(c) ? UInt64(c - 48) : UInt64((c | 0x20) - 87) }

private enum ScanFormat { case integer, number, imaginary, int64, uint64 }

/// Scans exactly `n` bytes at `p` as a number; nil when they are not one.
public func scanNumber(_ p: UnsafePointer<UInt8>, _ n: Int, options: NumberScanOptions = []) -> NumberLiteral? {
    var i = 0
    var end = n
    var negative = false
    if options.contains(.conversion) {
        while i < end && isSpace(p[i]) { i += 1 }
        while end > i && isSpace(p[end - 1]) { end -= 1 }
        if i < end && (p[i] == 45 || p[i] == 43) { negative = p[i] == 45; i += 1 }
    }
    @inline(__always) func at(_ k: Int) -> UInt8 { k < end ? p[k] : 0 }
    if options.contains(.conversion) && i < end && !isDigit(p[i]) && p[i] != 46 {
        // `tonumber` also reads inf, infinity and nan in any case.
        let word = String(decoding: UnsafeBufferPointer(start: p + i, count: end - i), as: UTF8.self).lowercased()
        if word == "inf" || word == "infinity" { return .number(negative ? -.infinity : .infinity) }
        if word == "nan" { return .number(negative ? -Double.nan : .nan) }
        return nil
    }

    var base = 10
    let numberStart = i
    if at(i) == 48 {
        let x = at(i + 1) | 0x20
        if x == 120 { base = 16; i += 2 } else if x == 98 { base = 2; i += 2 }
    }
    let digitsStart = i
    var digits = 0
    var pointAt = -1
    while i < end {
        let c = p[i]
        if base == 16 ? isHexDigit(c) : (base == 2 ? (c == 48 || c == 49) : isDigit(c)) {
            digits += 1
        } else if c == 46 {
            if pointAt >= 0 { return nil }
            pointAt = i
        } else { break }
        i += 1
    }
    if digits == 0 { return nil }
    let mantissaEnd = i
    var format = ScanFormat.integer
    if pointAt >= 0 {
        if base == 2 { return nil }
        format = .number
    }
    // Exponent: 'e' for decimal, 'p' for hex; binary literals have none.
    if base != 2 && i < end && (p[i] | 0x20) == (base == 16 ? 112 : 101) {
        format = .number
        i += 1
        if at(i) == 43 || at(i) == 45 { i += 1 }
        if !isDigit(at(i)) { return nil }
        var e = 0
        while isDigit(at(i)) {
            e = e * 10 + Int(p[i] - 48)
            if e >= 65536 { return nil }
            i += 1
        }
    }
    let valueEnd = i
    if i < end {
        let c = p[i] | 0x20
        if c == 105 {  // 'i'
            guard options.contains(.ffiSuffixes) else { return nil }
            format = .imaginary
            i += 1
        } else if format == .integer && (c == 117 || c == 108) {  // 'u' or 'l'
            guard options.contains(.ffiSuffixes) else { return nil }
            var unsigned = false
            if c == 117 { unsigned = true; i += 1 }
            guard at(i) | 0x20 == 108, at(i + 1) | 0x20 == 108 else { return nil }
            i += 2
            if !unsigned && at(i) | 0x20 == 117 { unsigned = true; i += 1 }
            format = unsigned ? .uint64 : .int64
        }
        if options.contains(.conversion) { while i < end && isSpace(p[i]) { i += 1 } }
        if i < end { return nil }
    }

    switch format {
    case .int64, .uint64:
        var v: UInt64 = 0
        for k in digitsStart..<mantissaEnd { v = v &* UInt64(base) &+ hexValue(p[k]) }
        if negative { v = 0 &- v }
        return format == .int64 ? .int64(Int64(bitPattern: v)) : .uint64(v)
    case .integer where base == 10 && digits <= 15:
        // Up to 15 decimal digits are exact in a double: no need for the C library.
        var v: Int64 = 0
        for k in digitsStart..<mantissaEnd { v = v * 10 + Int64(p[k] - 48) }
        return .number(negative ? -Double(v) : Double(v))
    case .number where base == 10:
        var d = fastDecimal(p, numberStart, mantissaEnd, valueEnd) ?? cConvert(p + numberStart, valueEnd - numberStart)
        if negative { d = -d }
        return .number(d)
    case .integer, .number, .imaginary:
        var d = base == 2 ? binaryValue(p, digitsStart, mantissaEnd)
                          : cConvert(p + numberStart, valueEnd - numberStart)
        if negative { d = -d }
        return format == .imaginary ? .imaginary(d) : .number(d)
    }
}

private let exactPowersOfTen: [Double] = (0...22).map { e in
    var p = 1.0
    for _ in 0..<e { p *= 10 }
    return p
}

/// Decimal literals with at most 15 significant digits and a small exponent convert exactly:
/// the digits and the power of ten are both exact doubles, so one multiplication or division
/// rounds correctly (Clinger's fast path). Nil when the literal is outside that range.
private func fastDecimal(_ p: UnsafePointer<UInt8>, _ start: Int, _ mantissaEnd: Int, _ valueEnd: Int) -> Double? {
    var mantissa: Int64 = 0
    var digits = 0
    var exponent = 0
    var afterPoint = false
    for k in start..<mantissaEnd {
        let c = p[k]
        if c == 46 { afterPoint = true; continue }
        if mantissa == 0 && c == 48 { if afterPoint { exponent -= 1 }; continue }
        digits += 1
        if digits > 15 { return nil }
        mantissa = mantissa * 10 + Int64(c - 48)
        if afterPoint { exponent -= 1 }
    }
    if mantissaEnd < valueEnd {  // exponent part: e, sign, digits
        var k = mantissaEnd + 1
        var negativeExponent = false
        if p[k] == 45 || p[k] == 43 { negativeExponent = p[k] == 45; k += 1 }
        var e = 0
        while k < valueEnd { e = e * 10 + Int(p[k] - 48); k += 1 }
        exponent += negativeExponent ? -e : e
    }
    if mantissa == 0 { return 0 }
    if exponent < -22 || exponent > 22 { return nil }
    let m = Double(mantissa)
    return exponent < 0 ? m / exactPowersOfTen[-exponent] : m * exactPowersOfTen[exponent]
}

/// Correctly rounded conversion of validated decimal or hex text through the C library.
private func cConvert(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
        for k in 0..<n { buf[k] = CChar(bitPattern: p[k]) }
        buf[n] = 0
        return strtod(buf.baseAddress!, nil)
    }
}

/// Binary digits, rounded like any other literal: rewritten as hex and converted.
private func binaryValue(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double {
    var hex: [UInt8] = Array("0x".utf8)
    let count = end - start
    var k = start
    var group = count % 4 == 0 ? 4 : count % 4
    while k < end {
        var v: UInt8 = 0
        for _ in 0..<group { v = v << 1 | (p[k] - 48); k += 1 }
        hex.append(v < 10 ? 48 + v : 87 + v)
        group = 4
    }
    return hex.withUnsafeBufferPointer { cConvert($0.baseAddress!, $0.count) }
}
