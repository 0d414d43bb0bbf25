/// LuaJIT's `bit` library: 32-bit operations on numbers, results normalized to signed 32-bit.
import Glibc

/// A number to 32 bits as `bit.tobit` does: modulo 2^32, via the 2^52+2^51 rounding trick.
@inline(__always) func toBit(_ d: Double) -> Int32 {
    let biased = d + 6_755_399_441_055_744.0  // 2^52 + 2^51: the low 32 bits land in the mantissa
    return Int32(truncatingIfNeeded: biased.bitPattern)
}

extension LuaVM {
    func openBitLibrary() {
        let B = library("bit")
        register("tobit", in: B, fast: .tobit) { raw in
            let c = BuiltinCall(raw, "tobit")
            guard let x = c.bitNumber(1).0 else { return c.bitNumber(1).1 }
            return c.results(Value(number: Double(x)))
        }
        register("bnot", in: B, fast: .bnot) { raw in
            let c = BuiltinCall(raw, "bnot")
            if let r = c.unary64(swap: false) { return r }
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            return c.results(Value(number: Double(~toBit(x))))
        }
        register("bswap", in: B, fast: .bswap) { raw in
            let c = BuiltinCall(raw, "bswap")
            if let r = c.unary64(swap: true) { return r }
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            return c.results(Value(number: Double(BitOperation.bswap(toBit(x)))))
        }
        // On cdata (64-bit integers) each computes in 64 bits (CBitOperations.swift).
        register("band", in: B, fast: .band) { raw in
            let c = BuiltinCall(raw, "band")
            return c.fold64(0) ?? c.fold(BitOperation.band)
        }
        register("bor", in: B, fast: .bor) { raw in
            let c = BuiltinCall(raw, "bor")
            return c.fold64(1) ?? c.fold(BitOperation.bor)
        }
        register("bxor", in: B, fast: .bxor) { raw in
            let c = BuiltinCall(raw, "bxor")
            return c.fold64(2) ?? c.fold(BitOperation.bxor)
        }
        register("lshift", in: B, fast: .lshift) { raw in
            let c = BuiltinCall(raw, "lshift")
            return c.shift64(0) ?? c.shift(BitOperation.lshift)
        }
        register("rshift", in: B, fast: .rshift) { raw in
            let c = BuiltinCall(raw, "rshift")
            return c.shift64(1) ?? c.shift(BitOperation.rshift)
        }
        register("arshift", in: B, fast: .arshift) { raw in
            let c = BuiltinCall(raw, "arshift")
            return c.shift64(2) ?? c.shift(BitOperation.arshift)
        }
        register("rol", in: B, fast: .rol) { raw in
            let c = BuiltinCall(raw, "rol")
            return c.shift64(3) ?? c.shift(BitOperation.rol)
        }
        register("ror", in: B, fast: .ror) { raw in
            let c = BuiltinCall(raw, "ror")
            return c.shift64(4) ?? c.shift(BitOperation.ror)
        }
        register("tohex", in: B, fast: .tohex) { raw in
            let c = BuiltinCall(raw, "tohex")
            if let r = c.hex64() { return r }
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            // A second argument present is a number, nil included (luajit checks it so).
            guard let n = c.count < 2 ? 8 : c.number(2) else { return c.typeError(2, expected: "number") }
            let digits = Int(toBit(n))
            return BitOperation.hex(toBit(x), digits: digits) { c.results(c.vm.string($0)) }
        }
    }
}

extension BuiltinCall {
    /// `band`/`bor`/`bxor` over all arguments (at least one).
    func fold(_ op: (Int32, Int32) -> Int32) -> Int32 {
        guard let first = number(1) else { return typeError(1, expected: "number") }
        var r = toBit(first)
        var i = 2
        while i <= count {
            guard let x = number(i) else { return typeError(i, expected: "number") }
            r = op(r, toBit(x))
            i += 1
        }
        return results(Value(number: Double(r)))
    }

    /// Shifts and rotates: the count (a cdata's low 32 bits too) uses its low 5 bits.
    func shift(_ op: (Int32, UInt32) -> Int32) -> Int32 {
        guard let x = number(1) else { return typeError(1, expected: "number") }
        let (n, failure) = bitNumber(2)
        guard let n else { return failure }
        return results(Value(number: Double(op(toBit(x), UInt32(bitPattern: n) & 31))))
    }
}

/// The operations of the `bit` library on 32-bit values, shared by the builtins and the
/// interpreter's fast functions.
enum BitOperation {
    @inline(__always) static func band(_ x: Int32, _ y: Int32) -> Int32 { x & y }
    @inline(__always) static func bor(_ x: Int32, _ y: Int32) -> Int32 { x | y }
    @inline(__always) static func bxor(_ x: Int32, _ y: Int32) -> Int32 { x ^ y }
    @inline(__always) static func bswap(_ x: Int32) -> Int32 { Int32(bitPattern: UInt32(bitPattern: x).byteSwapped) }

    /// A shift or rotate count: its low 5 bits.
    @inline(__always) static func shiftCount(_ d: Double) -> UInt32 { UInt32(bitPattern: toBit(d)) & 31 }
    @inline(__always) static func lshift(_ x: Int32, _ n: UInt32) -> Int32 { x << n }
    @inline(__always) static func rshift(_ x: Int32, _ n: UInt32) -> Int32 { Int32(bitPattern: UInt32(bitPattern: x) >> n) }
    @inline(__always) static func arshift(_ x: Int32, _ n: UInt32) -> Int32 { x >> n }
    @inline(__always) static func rol(_ x: Int32, _ n: UInt32) -> Int32 {
        let u = UInt32(bitPattern: x)
        return Int32(bitPattern: (u << n) | (u >> ((32 - n) & 31)))
    }
    @inline(__always) static func ror(_ x: Int32, _ n: UInt32) -> Int32 {
        let u = UInt32(bitPattern: x)
        return Int32(bitPattern: (u >> n) | (u << ((32 - n) & 31)))
    }

    /// `bit.tohex(x, digits)`: the 32-bit value, zero-extended, in as many hex digits as
    /// asked (negative: upper case; at most 255, as luajit 2.1 does), handed to `body`.
    static func hex<R>(_ x: Int32, digits: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        hex(UInt64(UInt32(bitPattern: x)), digits: digits, body)
    }

    /// The same of 64 bits (a cdata's: `bit.tohex(1LL)`).
    static func hex<R>(_ x: UInt64, digits: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var n = digits
        var table: StaticString = "0123456789abcdef"
        if n < 0 { n = -n; table = "0123456789ABCDEF" }
        if n > 255 { n = 255 }
        var value = x
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { out in
            var i = n - 1
            while i >= 0 {
                out[i] = table.utf8Start[Int(value & 15)]
                value >>= 4
                i -= 1
            }
            return body(UnsafeBufferPointer(start: out.baseAddress, count: n))
        }
    }
}
