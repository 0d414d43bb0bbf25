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
        register("tobit", in: B) { raw in
            let c = BuiltinCall(raw, "tobit")
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            return c.results(Value(number: Double(toBit(x))))
        }
        register("bnot", in: B) { raw in
            let c = BuiltinCall(raw, "bnot")
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            return c.results(Value(number: Double(~toBit(x))))
        }
        register("bswap", in: B) { raw in
            let c = BuiltinCall(raw, "bswap")
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            return c.results(Value(number: Double(Int32(bitPattern: UInt32(bitPattern: toBit(x)).byteSwapped))))
        }
        register("band", in: B) { raw in BuiltinCall(raw, "band").fold { $0 & $1 } }
        register("bor", in: B) { raw in BuiltinCall(raw, "bor").fold { $0 | $1 } }
        register("bxor", in: B) { raw in BuiltinCall(raw, "bxor").fold { $0 ^ $1 } }
        register("lshift", in: B) { raw in BuiltinCall(raw, "lshift").shift { x, n in x << n } }
        register("rshift", in: B) { raw in BuiltinCall(raw, "rshift").shift { x, n in Int32(bitPattern: UInt32(bitPattern: x) >> n) } }
        register("arshift", in: B) { raw in BuiltinCall(raw, "arshift").shift { x, n in x >> n } }
        register("rol", in: B) { raw in
            BuiltinCall(raw, "rol").shift { x, n in
                let u = UInt32(bitPattern: x)
                return Int32(bitPattern: (u << n) | (u >> ((32 - n) & 31)))
            }
        }
        register("ror", in: B) { raw in
            BuiltinCall(raw, "ror").shift { x, n in
                let u = UInt32(bitPattern: x)
                return Int32(bitPattern: (u >> n) | (u << ((32 - n) & 31)))
            }
        }
        register("tohex", in: B) { raw in
            let c = BuiltinCall(raw, "tohex")
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            var n = c.arg(2).isNil ? 8 : Int(toBit(c.number(2) ?? 8))
            var digits = "0123456789abcdef"
            if n < 0 { n = -n; digits = "0123456789ABCDEF" }
            // The 32-bit value, zero-extended, in as many digits as asked (as luajit 2.1 does).
            if n > 255 { n = 255 }
            var value = UInt64(UInt32(bitPattern: toBit(x)))
            var out = [Character](repeating: "0", count: n)
            let table = Array(digits)
            var i = n - 1
            while i >= 0 {
                out[i] = table[Int(value & 15)]
                value >>= 4
                i -= 1
            }
            return c.results(c.vm.string(String(out)))
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

    /// Shifts and rotates: the count uses its low 5 bits.
    func shift(_ op: (Int32, UInt32) -> Int32) -> Int32 {
        guard let x = number(1) else { return typeError(1, expected: "number") }
        guard let n = number(2) else { return typeError(2, expected: "number") }
        return results(Value(number: Double(op(toBit(x), UInt32(bitPattern: toBit(n)) & 31))))
    }
}
