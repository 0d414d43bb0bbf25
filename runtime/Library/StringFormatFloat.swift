/// Floating-point conversions of `string.format` (`%e %f %g %a`) and the `%.14g` of
/// `tostring`, computed exactly from the double's bits and rounded half up as LuaJIT does
/// (glibc rounds exact ties to even, so its printf cannot be used).

/// The exact decimal digits of a finite double: `count` digits (0...9, no leading or trailing
/// zeros; none for zero) and the power of ten of the first digit.
struct DecimalDigits {
    let digits: UnsafeMutablePointer<UInt8>
    var count: Int
    var exponent: Int

    /// Room for the longest expansion (2^-1074 times a 53-bit mantissa has 767 digits).
    static let capacity = 800
    static let limbCapacity = 90

    /// `|x|` (finite) as `mantissa * 2^power`, the mantissa with its hidden bit; nil for zero.
    static func binaryParts(_ x: Double) -> (mantissa: UInt64, power: Int)? {
        let bits = x.bitPattern
        let field = Int((bits >> 52) & 0x7ff)
        var mantissa = bits & ((1 << 52) - 1)
        if field != 0 { mantissa |= 1 << 52 }
        return mantissa == 0 ? nil : (mantissa, field == 0 ? -1074 : field - 1075)
    }

    /// Expands `|x|` exactly; `limbs` is scratch space.
    init(_ x: Double, digits: UnsafeMutablePointer<UInt8>, limbs: UnsafeMutablePointer<UInt32>) {
        self.digits = digits
        guard let parts = DecimalDigits.binaryParts(x) else {
            count = 0
            exponent = 0
            return
        }
        var (mantissa, power) = parts
        let shift = min(mantissa.trailingZeroBitCount, max(0, -power))
        mantissa >>= UInt64(shift)
        power += shift
        // |x| = mantissa * 2^power; as a big integer in base 10^9, times 5^-power when power < 0.
        limbs[0] = UInt32(mantissa % 1_000_000_000)
        limbs[1] = UInt32(mantissa / 1_000_000_000)
        var used = limbs[1] == 0 ? 1 : 2
        func multiply(_ factor: UInt64) {
            var carry: UInt64 = 0
            for i in 0..<used {
                let product = UInt64(limbs[i]) * factor + carry
                limbs[i] = UInt32(product % 1_000_000_000)
                carry = product / 1_000_000_000
            }
            while carry != 0 {
                limbs[used] = UInt32(carry % 1_000_000_000)
                carry /= 1_000_000_000
                used += 1
            }
        }
        if power > 0 {
            var k = power
            while k >= 31 { multiply(1 << 31); k -= 31 }
            if k > 0 { multiply(1 << UInt64(k)) }
        } else if power < 0 {
            var k = -power
            while k >= 13 { multiply(1_220_703_125); k -= 13 }
            var tail: UInt64 = 1
            while k > 0 { tail *= 5; k -= 1 }
            if tail > 1 { multiply(tail) }
        }
        var n = 0
        var top = limbs[used - 1]
        var lead = InlineArray<10, UInt8>(repeating: 0)
        var leadCount = 0
        repeat {
            lead[leadCount] = UInt8(top % 10)
            top /= 10
            leadCount += 1
        } while top != 0
        while leadCount > 0 {
            leadCount -= 1
            digits[n] = lead[leadCount]
            n += 1
        }
        var i = used - 2
        while i >= 0 {
            var limb = limbs[i]
            var j = 8
            while j >= 0 {
                digits[n + j] = UInt8(limb % 10)
                limb /= 10
                j -= 1
            }
            n += 9
            i -= 1
        }
        exponent = n - 1 + min(power, 0)
        while n > 0 && digits[n - 1] == 0 { n -= 1 }
        count = n
    }

    /// Digit `i` of the expansion (zero past its end).
    @inline(__always)
    func digit(_ i: Int) -> UInt8 { i >= 0 && i < count ? digits[i] : 0 }

    /// Digits `first ..< first + n` as characters at `out`, zeros where they lie outside the
    /// expansion (`first` may be negative: the zeros after the point of a number below 0.1).
    @inline(__always)
    func writeCharacters(from first: Int, count n: Int, to out: UnsafeMutablePointer<UInt8>) {
        var j = 0
        if first < 0 {
            let zeros = min(n, 0 &- first)
            while j < zeros {
                out[j] = UInt8(ascii: "0")
                j &+= 1
            }
        }
        let source = digits + (first &+ j)
        let copied = min(n &- j, max(count &- (first &+ j), 0))
        var k = 0
        while k < copied {
            out[j &+ k] = source[k] &+ UInt8(ascii: "0")
            k &+= 1
        }
        j &+= copied
        while j < n {
            out[j] = UInt8(ascii: "0")
            j &+= 1
        }
    }

    /// Keeps the first `kept` digits, rounding half up on the exact value, as LuaJIT's
    /// `nd_add_m10e(..., 5, ...)` does. `kept` may be zero or negative.
    mutating func round(keeping kept: Int) {
        if kept >= count { return }
        if kept < 0 {
            count = 0
            return
        }
        let up = digits[kept] >= 5
        count = kept
        if up {
            var i = kept - 1
            while i >= 0 && digits[i] == 9 { i -= 1 }
            if i < 0 {
                digits[0] = 1
                count = 1
                exponent += 1
            } else {
                digits[i] += 1
                count = i + 1
            }
        }
        while count > 0 && digits[count - 1] == 0 { count -= 1 }
        if count == 0 { exponent = 0 }
    }
}

extension FormatSpec {
    /// `%e %E %f %g %G %a %A` of `n`.
    public func renderFloat(_ n: Double, into out: inout [UInt8]) {
        withByteBuilder { b in
            renderFloat(n, into: &b)
            out.append(contentsOf: b.bytes)
        }
    }

    /// `%e %E %f %g %G %a %A` of `n`.
    func renderFloat(_ n: Double, into out: inout ByteBuilder) {
        let start = out.count
        if !n.isFinite {
            // nan never shows a sign (not even '+'), only the space flag's blank.
            var sign: UInt8 = 0
            if n.isNaN {
                if flags.contains(.space) { sign = UInt8(ascii: " ") }
            } else if n < 0 {
                sign = UInt8(ascii: "-")
            } else if flags.contains(.plus) {
                sign = UInt8(ascii: "+")
            } else if flags.contains(.space) {
                sign = UInt8(ascii: " ")
            }
            if sign != 0 { out.append(sign) }
            out.append(n.isNaN ? (isUppercase ? "NAN" : "nan") : (isUppercase ? "INF" : "inf"))
            pad(from: start, zerosAt: nil, into: &out)
            return
        }
        if n.sign == .minus {
            out.append(UInt8(ascii: "-"))
        } else if flags.contains(.plus) {
            out.append(UInt8(ascii: "+"))
        } else if flags.contains(.space) {
            out.append(UInt8(ascii: " "))
        }
        if conversion == .hexFloat {
            out.append(UInt8(ascii: "0"))
            out.append(isUppercase ? UInt8(ascii: "X") : UInt8(ascii: "x"))
            let afterPrefix = out.count
            appendHexFloat(n, into: &out)
            pad(from: start, zerosAt: afterPrefix, into: &out)
            return
        }
        let afterSign = out.count
        appendDecimalDigits(n, into: &out)
        pad(from: start, zerosAt: afterSign, into: &out)
    }

    /// Pads the conversion that begins at `start` to the width: spaces before it, zeros at
    /// `zerosAt` (after any sign or 0x) with the `0` flag, or spaces after it with `-`.
    private func pad(from start: Int, zerosAt: Int?, into out: inout ByteBuilder) {
        let missing = width - (out.count - start)
        if missing <= 0 { return }
        if flags.contains(.left) {
            out.append(repeating: UInt8(ascii: " "), count: missing)
        } else if flags.contains(.zero), let zerosAt {
            out.insert(repeating: UInt8(ascii: "0"), count: missing, at: zerosAt)
        } else {
            out.insert(repeating: UInt8(ascii: " "), count: missing, at: start)
        }
    }

    /// The digits of `%e`, `%f` or `%g` of `|n|` (no sign, no padding).
    private func appendDecimalDigits(_ n: Double, into out: inout ByteBuilder) {
        let alternate = flags.contains(.alternate)
        switch conversion {
        case .exponent:
            let p = precision < 0 ? 6 : precision
            withDecimalDigits(n, rounding: .significant(p + 1)) { d in
                appendExponentStyle(d, precision: p, stripZeros: false, into: &out)
            }
        case .fixed:
            let p = precision < 0 ? 6 : precision
            withDecimalDigits(n, rounding: .fractional(p)) { d in
                appendFixedStyle(d, precision: p, stripZeros: false, into: &out)
            }
        default:
            var p = precision < 0 ? 6 : precision
            if p == 0 { p = 1 }
            withDecimalDigits(n, rounding: .significant(p)) { d in
                appendGeneralStyle(d, precision: p, alternate: alternate, into: &out)
            }
        }
    }

    /// `%g`: fixed style for powers of ten from -4 to below the precision, exponent style
    /// otherwise, without trailing zeros unless `#`.
    private func appendGeneralStyle(_ d: DecimalDigits, precision p: Int, alternate: Bool, into out: inout ByteBuilder) {
        let x = d.exponent
        if p > x && x >= -4 {
            appendFixedStyle(d, precision: p - 1 - x, stripZeros: !alternate, into: &out)
        } else {
            appendExponentStyle(d, precision: p - 1, stripZeros: !alternate, into: &out)
        }
    }

    /// `d.ddd`: the fraction digits (precision of them, or up to the last nonzero one when
    /// stripping), and the point when digits follow or `#` asks for it.
    private func appendFraction(_ d: DecimalDigits, firstIndex: Int, precision: Int, stripZeros: Bool,
                                into out: inout ByteBuilder) {
        var shown = precision
        if stripZeros {
            shown = min(precision, max(0, d.count - firstIndex))
        }
        if shown > 0 || flags.contains(.alternate) {
            out.append(UInt8(ascii: "."))
        }
        d.writeCharacters(from: firstIndex, count: shown, to: out.reserve(shown))
        out.advance(by: shown)
    }

    private func appendExponentStyle(_ d: DecimalDigits, precision: Int, stripZeros: Bool, into out: inout ByteBuilder) {
        out.append(d.digit(0) + UInt8(ascii: "0"))
        appendFraction(d, firstIndex: 1, precision: precision, stripZeros: stripZeros, into: &out)
        out.append(isUppercase ? UInt8(ascii: "E") : UInt8(ascii: "e"))
        let e = d.count == 0 ? 0 : d.exponent
        out.append(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        if e.magnitude < 10 { out.append(UInt8(ascii: "0")) }
        out.appendDecimal(UInt64(e.magnitude))
    }

    private func appendFixedStyle(_ d: DecimalDigits, precision: Int, stripZeros: Bool, into out: inout ByteBuilder) {
        if d.count == 0 || d.exponent < 0 {
            out.append(UInt8(ascii: "0"))
        } else {
            d.writeCharacters(from: 0, count: d.exponent + 1, to: out.reserve(d.exponent + 1))
            out.advance(by: d.exponent + 1)
        }
        let firstFraction = d.count == 0 ? d.count : d.exponent + 1
        appendFraction(d, firstIndex: firstFraction, precision: precision, stripZeros: stripZeros, into: &out)
    }

    /// `%a` after the sign and `0x`, as LuaJIT writes it: subnormals normalised to `1.xxx`,
    /// the shortest exact fraction by default, and rounding half up when a precision cuts.
    private func appendHexFloat(_ n: Double, into out: inout ByteBuilder) {
        let digitsTable: StaticString = isUppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        let hex = digitsTable.utf8Start
        let bits = n.bitPattern
        var e = Int((bits >> 52) & 0x7ff)
        var m = bits & ((1 << 52) - 1)
        if e != 0 {
            m |= 1 << 52
            e -= 1023
        } else if m != 0 {
            let shift = 52 - (63 - m.leadingZeroBitCount)
            e = -1022 - shift
            m <<= UInt64(shift)
        }
        var p = precision
        if p < 0 {
            let fraction = m & ((1 << 52) - 1)
            p = fraction == 0 ? 0 : 13 - fraction.trailingZeroBitCount / 4
        } else if p < 13 {
            m += 1 << UInt64(51 - p * 4)
        }
        out.append(UInt8(m >> 52) + UInt8(ascii: "0"))
        if p > 0 || flags.contains(.alternate) {
            out.append(UInt8(ascii: "."))
            if p < 13 {
                let kept = (m >> UInt64(52 - p * 4))
                var shift = (p - 1) * 4
                while shift >= 0 {
                    out.append(hex[Int((kept >> UInt64(shift)) & 15)])
                    shift -= 4
                }
            } else {
                var shift = 48
                while shift >= 0 {
                    out.append(hex[Int((m >> UInt64(shift)) & 15)])
                    shift -= 4
                }
                out.append(repeating: UInt8(ascii: "0"), count: p - 13)
            }
        }
        out.append(isUppercase ? UInt8(ascii: "P") : UInt8(ascii: "p"))
        out.append(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        out.appendDecimal(UInt64(e.magnitude))
    }
}

/// Runs `body` on the digits of `|x|` (finite) rounded to `budget`, kept in scratch space on
/// the native stack.
@inline(__always)
func withDecimalDigits<R>(_ x: Double, rounding budget: DigitBudget, _ body: (DecimalDigits) -> R) -> R {
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalDigits.capacity) { digits in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: DecimalDigits.limbCapacity) { limbs in
            body(DecimalDigits(x, rounding: budget, digits: digits.baseAddress!, limbs: limbs.baseAddress!))
        }
    }
}

/// The `%.14g` form of a number that `tostring` and concatenation use: "nan" for every NaN,
/// "inf", "-inf", "-0" for negative zero.
public func appendNumber(_ n: Double, into out: inout [UInt8]) {
    withNumberText(n) { out.append(contentsOf: $0) }
}

/// `appendNumber` into a builder.
func appendNumber(_ n: Double, into out: inout ByteBuilder) {
    if n.isNaN {
        out.append("nan")
        return
    }
    // Integers of up to 14 digits print exactly; this is the common case and needs no rounding.
    // (A round trip through Int64 tests for one: `rounded(.towardZero)` calls libm's trunc on
    // x86-64 processors without SSE4.1.)
    if n.magnitude < 1e14, case let i = Int64(n), Double(i) == n {
        if n.sign == .minus { out.append(UInt8(ascii: "-")) }
        out.appendDecimal(i.magnitude)
        return
    }
    FormatSpec.numberToString.renderFloat(n, into: &out)
}

/// `appendNumber`'s text handed to `body`, written into a buffer on the native stack (the
/// longest, such as `-2.2250738585072e-308`, has 21 bytes).
@inline(__always) func withNumberText<R>(_ n: Double, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { scratch in
        var text = ByteBuilder(scratch: scratch)
        appendNumber(n, into: &text)
        return body(text.bytes)
    }
}

extension FormatSpec {
    /// The spec of `tostring` for numbers.
    static var numberToString: FormatSpec { FormatSpec(conversion: .general, precision: 14) }
}
