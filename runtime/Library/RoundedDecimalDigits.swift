/// The rounded decimal digits `%e %f %g` and `tostring` print, computed with 128-bit
/// integers when they can be: a double is m * 2^e (m < 2^53), so its value scaled by 10^s,
/// floor(m * 2^e * 10^s), and whether the dropped fraction is at least one half (LuaJIT
/// rounds half up on the exact value) are exact integer operations as long as the operands
/// fit in 128 bits. That covers the usual precisions of numbers of usual size; the others
/// take DecimalDigits' exact expansion, which gives the same digits more slowly.

/// How many digits a conversion keeps.
enum DigitBudget {
    /// This many significant digits (`%e` keeps precision + 1, `%g` precision).
    case significant(Int)
    /// Every digit down to 10^-n (`%f` with precision n).
    case fractional(Int)
}

extension DecimalDigits {
    /// The digits of `|x|` (finite) rounded half up to `budget`, as the exact expansion and
    /// `round(keeping:)` leave them: no trailing zeros, and none at all when the value
    /// rounds to zero. `digits` and `limbs` are scratch space of `capacity` and `limbCapacity`.
    init(_ x: Double, rounding budget: DigitBudget, digits: UnsafeMutablePointer<UInt8>,
         limbs: UnsafeMutablePointer<UInt32>) {
        if let fast = DecimalDigits(scaling: x, budget, digits: digits) {
            self = fast
            return
        }
        self.init(x, digits: digits, limbs: limbs)
        switch budget {
        case .significant(let kept): round(keeping: kept)
        case .fractional(let places): round(keeping: exponent + places + 1)
        }
    }

    /// The 128-bit path of `init(_:rounding:digits:limbs:)`; nil when an operand would not fit.
    init?(scaling x: Double, _ budget: DigitBudget, digits: UnsafeMutablePointer<UInt8>) {
        self.digits = digits
        guard let parts = DecimalDigits.binaryParts(x) else {
            count = 0
            exponent = 0
            return
        }
        var (mantissa, power) = parts
        let zeros = mantissa.trailingZeroBitCount
        mantissa >>= UInt64(zeros)
        power += zeros
        // |x| * 10^scale, rounded to an integer, holds the digits wanted.
        var scale: Int
        var kept = 0
        switch budget {
        case .fractional(let places):
            scale = places
        case .significant(let k):
            guard k >= 1 && k <= 38 else { return nil }
            kept = k
            // The power of ten of the first digit is floor(log10(|x|)), which is this estimate
            // from the leading bit's power of two or one more (corrected below).
            let leadingBit = power + 63 - mantissa.leadingZeroBitCount
            scale = k - 1 - ((leadingBit * 78913) >> 18)
        }
        guard var (q, roundsUp) = DecimalDigits.scaled(mantissa, power, by: scale) else { return nil }
        if kept > 0 {
            let limit = DecimalDigits.powerOfTen(kept)
            if q >= limit {
                // One digit too many: drop it; the fraction left is at least one half exactly
                // when that digit is 5 or more.
                roundsUp = q % 10 >= 5
                q /= 10
                scale -= 1
            }
            guard q < limit && q >= DecimalDigits.powerOfTen(kept - 1) else { return nil }
        }
        if roundsUp { q += 1 }
        if q == 0 {
            count = 0
            exponent = 0
            return
        }
        var n = DecimalDigits.writeDigits(q, to: digits)
        exponent = n - 1 - scale
        while digits[n - 1] == 0 { n -= 1 }
        count = n
    }

    /// floor(m * 2^power * 10^scale) and whether the fraction it drops is at least one half;
    /// nil when the operands do not fit in 128 bits.
    @inline(__always)
    static func scaled(_ m: UInt64, _ power: Int, by scale: Int) -> (UInt128, Bool)? {
        if scale >= 0 {
            guard scale <= 38 else { return nil }
            let (n, overflow) = UInt128(m).multipliedReportingOverflow(by: powerOfTen(scale))
            guard !overflow else {
                // Small numbers at many digits: the product takes up to 180 bits.
                return power < 0 ? shiftedProduct(m, powerOfTen(scale), right: -power) : nil
            }
            if power >= 0 {
                guard power < n.leadingZeroBitCount else { return nil }
                return (n << power, false)
            }
            let k = -power
            guard k < 128 else { return nil }
            let remainder = n & ((1 << k) - 1)
            return (n >> k, remainder >= (1 as UInt128) << (k - 1))
        }
        guard scale >= -38 else { return nil }
        var divisor = powerOfTen(-scale)
        let n: UInt128
        if power >= 0 {
            guard power < UInt128(m).leadingZeroBitCount else { return nil }
            n = UInt128(m) << power
        } else {
            // m / (10^-scale * 2^-power); the divisor stays below 2^127, so twice the
            // remainder cannot overflow.
            guard -power < divisor.leadingZeroBitCount - 1 else { return nil }
            divisor <<= -power
            n = UInt128(m)
        }
        let (q, remainder) = n.quotientAndRemainder(dividingBy: divisor)
        return (q, remainder * 2 >= divisor)
    }

    /// floor(m * p / 2^k) and whether the fraction it drops is at least one half (bit k - 1
    /// of the product), with the product in 192 bits; nil when the quotient exceeds 128 bits.
    static func shiftedProduct(_ m: UInt64, _ p: UInt128, right k: Int) -> (UInt128, Bool)? {
        // m * p = high * 2^128 + low, from the products of m with p's two 64-bit halves.
        let lowPart = UInt128(m) * UInt128(UInt64(truncatingIfNeeded: p))
        let highPart = UInt128(m) * (p >> 64)
        let (low, carry) = lowPart.addingReportingOverflow(highPart << 64)
        let high = (highPart >> 64) + (carry ? 1 : 0)
        guard k > 0 && k < 192 else { return nil }
        let half = k - 1
        let roundsUp = half >= 128 ? (high >> (half - 128)) & 1 == 1 : (low >> half) & 1 == 1
        if k >= 128 { return (high >> (k - 128), roundsUp) }
        guard high >> k == 0 else { return nil }
        return ((high << (128 - k)) | (low >> k), roundsUp)
    }

    /// 10^n for n in 0...38.
    @inline(__always)
    static func powerOfTen(_ n: Int) -> UInt128 {
        if n < 20 { return UInt128(powersOfTen[n]) }
        return UInt128(powersOfTen[n - 19]) * UInt128(powersOfTen[19])
    }

    /// 10^0 through 10^19.
    /// (Literal, so that the array is laid out at compile time and needs no lazy initialization.)
    static let powersOfTen: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
        10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
        1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000,
        1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// Writes the decimal digits (values 0...9) of `q` at `out`; returns how many.
    static func writeDigits(_ q: UInt128, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let tenToThe19 = UInt128(powersOfTen[19])
        if q < tenToThe19 { return writeDigits(UInt64(q), to: out, minimumCount: 1) }
        let (high, low) = q.quotientAndRemainder(dividingBy: tenToThe19)
        let n = writeDigits(high, to: out)
        return n + writeDigits(UInt64(low), to: out + n, minimumCount: 19)
    }

    /// The digits of `v`, padded with leading zeros to `minimumCount`.
    @inline(__always)
    static func writeDigits(_ v: UInt64, to out: UnsafeMutablePointer<UInt8>, minimumCount: Int) -> Int {
        let n = max(DecimalText.digitCount(v), minimumCount)
        let pairs = DecimalText.pairs.utf8Start
        var v = v
        var i = n
        while i >= 2 {
            let pair = Int(v % 100) * 2
            v /= 100
            i -= 2
            out[i] = pairs[pair] - UInt8(ascii: "0")
            out[i + 1] = pairs[pair + 1] - UInt8(ascii: "0")
        }
        if i == 1 { out[0] = UInt8(v) }
        return n
    }
}
