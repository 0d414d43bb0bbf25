/// The 128-bit path of the rounded decimal digits (`DecimalDigits(scaling:...)`) against the
/// exact expansion rounded by `round(keeping:)`, on millions of doubles drawn with a fixed
/// seed: random bit patterns, binary fractions k/2^j (whose decimal expansions end in a 5,
/// so that rounding meets exact ties) and decimals ending in 5 (which lie just beside a tie).
import XCTest
import Foundation
@testable import PerigeeRuntime

final class RoundedDigitsTests: XCTestCase {
    /// SplitMix64: a small generator whose sequence depends only on the seed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e3779b97f4a7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
            z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
            return z ^ (z >> 31)
        }
        mutating func below(_ n: UInt64) -> UInt64 { next() % n }
    }

    /// Compares both paths for `x` and `budget`; returns whether the fast path answered.
    @discardableResult
    func check(_ x: Double, _ budget: DigitBudget, failures: inout Int) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalDigits.capacity) { fastDigits in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalDigits.capacity) { exactDigits in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: DecimalDigits.limbCapacity) { limbs in
                    guard let fast = DecimalDigits(scaling: x, budget, digits: fastDigits.baseAddress!) else { return false }
                    var exact = DecimalDigits(x, digits: exactDigits.baseAddress!, limbs: limbs.baseAddress!)
                    switch budget {
                    case .significant(let kept): exact.round(keeping: kept)
                    case .fractional(let places): exact.round(keeping: exact.exponent + places + 1)
                    }
                    var same = fast.count == exact.count && (fast.count == 0 || fast.exponent == exact.exponent)
                    if same {
                        for i in 0..<fast.count where fast.digits[i] != exact.digits[i] { same = false }
                    }
                    if !same {
                        failures += 1
                        if failures <= 20 {
                            let f = (0..<fast.count).map { String(fast.digits[$0]) }.joined()
                            let e = (0..<exact.count).map { String(exact.digits[$0]) }.joined()
                            XCTFail("\(x) (bits \(String(x.bitPattern, radix: 16))) \(budget): fast \(f)e\(fast.exponent), exact \(e)e\(exact.exponent)")
                        }
                    }
                    return true
                }
            }
        }
    }

    /// Every budget string.format and tostring use for `x`, at the precisions programs use.
    func checkBudgets(_ x: Double, _ g: inout Generator, failures: inout Int, fastCount: inout Int) {
        let budgets: [DigitBudget] = [.significant(14), .significant(6), .significant(7), .fractional(6),
                                      .significant(Int(g.below(20)) + 1), .fractional(Int(g.below(24)))]
        for budget in budgets where check(x, budget, failures: &failures) { fastCount += 1 }
    }

    func testRandomBitPatterns() {
        var g = Generator(state: 20261207)
        var failures = 0, fastCount = 0, total = 0
        while total < 1_000_000 {
            let x = Double(bitPattern: g.next())
            guard x.isFinite else { continue }
            checkBudgets(x.magnitude, &g, failures: &failures, fastCount: &fastCount)
            total += 1
        }
        XCTAssertEqual(failures, 0)
        XCTAssertGreaterThan(fastCount, 300_000)
    }

    /// Random doubles of ordinary size (10^-8 to 10^20), where the fast path answers most often.
    func testOrdinaryMagnitudes() {
        var g = Generator(state: 7)
        var failures = 0, fastCount = 0
        for _ in 0..<500_000 {
            let mantissa = Double(g.next() >> 11) / 9007199254740992.0
            let x = (1 + mantissa) * Double(sign: .plus, exponent: Int(g.below(95)) - 27, significand: 1)
            checkBudgets(x, &g, failures: &failures, fastCount: &fastCount)
        }
        XCTAssertEqual(failures, 0)
        XCTAssertGreaterThan(fastCount, 2_000_000)
    }

    /// 10^-30 to 10^-5 at many digits, where m * 10^s outgrows 128 bits and the product is
    /// taken in 192.
    func testSmallMagnitudes() {
        var g = Generator(state: 555)
        var failures = 0, fastCount = 0
        for _ in 0..<300_000 {
            let mantissa = Double(g.next() >> 11) / 9007199254740992.0
            let x = (1 + mantissa) * Double(sign: .plus, exponent: -Int(g.below(84)) - 17, significand: 1)
            for budget: DigitBudget in [.significant(14), .significant(17), .significant(Int(g.below(20)) + 1),
                                        .fractional(Int(g.below(38)))]
            where check(x, budget, failures: &failures) { fastCount += 1 }
        }
        XCTAssertEqual(failures, 0)
        XCTAssertGreaterThan(fastCount, 900_000)
    }

    /// k / 2^j: exact decimal expansions that end in 5, so that the digit after the kept ones
    /// is often exactly a half.
    func testBinaryFractionTies() {
        var g = Generator(state: 42)
        var failures = 0, fastCount = 0
        for _ in 0..<500_000 {
            let k = Double(g.below(1 << 24))
            let j = Int(g.below(40))
            let x = k * Double(sign: .plus, exponent: -j, significand: 1)
            checkBudgets(x, &g, failures: &failures, fastCount: &fastCount)
            for p in 0...4 where check(x, .fractional(p), failures: &failures) { fastCount += 1 }
        }
        XCTAssertEqual(failures, 0)
        XCTAssertGreaterThan(fastCount, 2_000_000)
    }

    /// n.5 / 10^d and friends: decimals whose nearest double lies just above or below a tie.
    func testDecimalsEndingInFive() {
        var g = Generator(state: 1234)
        var failures = 0, fastCount = 0
        for _ in 0..<500_000 {
            let d = Int(g.below(17))
            let n = g.below(100_000_000) * 10 + 5
            let x = Double(n) / pow(10.0, Double(d + 1))
            checkBudgets(x, &g, failures: &failures, fastCount: &fastCount)
            for p in max(0, d - 1)...(d + 1) where check(x, .fractional(p), failures: &failures) { fastCount += 1 }
            let digits = String(n).count
            for k in max(1, digits - 2)...digits where check(x, .significant(k), failures: &failures) { fastCount += 1 }
        }
        XCTAssertEqual(failures, 0)
        XCTAssertGreaterThan(fastCount, 2_000_000)
    }

    /// Powers of ten, their neighbours and runs of nines, where the leading digit's power is
    /// easiest to get wrong and rounding carries into a new digit.
    func testPowersOfTenAndNines() {
        var g = Generator(state: 99)
        var failures = 0, fastCount = 0
        for e in -30...40 {
            let p = pow(10.0, Double(e))
            for x in [p, p.nextUp, p.nextDown, p * 0.95, p * 0.995, p * 0.9999999, p * 9.5, p * 9.95, p * 0.5] {
                for k in 1...20 where check(x, .significant(k), failures: &failures) { fastCount += 1 }
                for f in 0...20 where check(x, .fractional(f), failures: &failures) { fastCount += 1 }
                checkBudgets(x, &g, failures: &failures, fastCount: &fastCount)
            }
        }
        for x in [0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.25, 0.5, 1.5, 2.5, 0.125] {
            for k in 1...20 { check(x, .significant(k), failures: &failures) }
            for f in 0...20 { check(x, .fractional(f), failures: &failures) }
        }
        XCTAssertEqual(failures, 0)
        XCTAssertGreaterThan(fastCount, 10_000)
    }
}
