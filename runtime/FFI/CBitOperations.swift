/// The `bit` library on cdata, as luajit 2.1 computes it (`lj_carith_check64` and lib_bit.c):
/// when an operand of `band`, `bor`, `bxor`, `bnot`, `bswap` or the value of a shift or
/// rotate is a numeric cdata, the operation is done in 64 bits and answers an `int64_t`
/// cdata, or a `uint64_t` one when such an operand is a `uint64_t`. `tobit` takes a cdata's
/// low 32 bits; `tohex` prints 16 digits by default for a cdata. Other uses of cdata
/// arguments (a shift count) convert them to 32 bits.
import PerigeeFrontend

extension LuaVM {
    /// A numeric cdata (integers, enums, bools, floating point; through references) converted
    /// to 64 bits of the given signedness; nil for other cdata.
    func cdataBits(_ v: Value, unsigned: Bool) -> UInt64? {
        let types = ffi.types
        var (id, p) = cdataTarget(v.cdata)
        var t = types.core(id)
        if t.kind == .enumeration { id = t.element; t = types.core(id) }
        switch t.kind {
        case .integer where t.size == 8:
            return p.loadUnaligned(as: UInt64.self)
        case .integer, .bool:
            return UInt64(bitPattern: t.load(at: p)!.asInt64)
        case .float:
            let d = types.load(id, at: p)!.asDouble
            return unsigned ? doubleToUInt64(d) : UInt64(bitPattern: doubleToInt64(d))
        default:
            return nil
        }
    }

    /// Whether `v` is a `uint64_t` cdata (or a reference to one), which makes a 64-bit `bit`
    /// operation unsigned.
    func isUnsigned64(_ v: Value) -> Bool {
        let (id, _) = cdataTarget(v.cdata)
        let t = ffi.types.core(id)
        return t.kind == .integer && t.size == 8 && t.isUnsigned
    }
}

extension BuiltinCall {
    /// Argument i of a 64-bit `bit` operation of the given signedness: a number (or numeric
    /// string) converted in full, a cdata's value; nil after raising the argument's error.
    private func bits64(_ i: Int, unsigned: Bool, _ failure: inout Int32) -> UInt64? {
        let v = arg(i)
        if v.isCData {
            if let x = vm.cdataBits(v, unsigned: unsigned) { return x }
            let (id, _) = vm.cdataTarget(v.cdata)
            let target = unsigned ? "uint64_t" : "int64_t"
            failure = argumentError(i, "cannot convert '\(vm.ffi.types.name(id))' to '\(target)'")
            return nil
        }
        guard let d = number(i) else {
            failure = typeError(i, expected: "number")
            return nil
        }
        return unsigned ? doubleToUInt64(d) : UInt64(bitPattern: doubleToInt64(d))
    }

    /// Argument i as a 32-bit operand in luajit's `lj_carith_check64` (a shift count, the
    /// digits of `tohex`): a number's `tobit`, a cdata's low 32 bits.
    private func bits32(_ i: Int, _ failure: inout Int32) -> Int32? {
        let v = arg(i)
        if v.isCData { return bits64(i, unsigned: false, &failure).map { Int32(truncatingIfNeeded: $0) } }
        guard let d = number(i) else {
            failure = typeError(i, expected: "number")
            return nil
        }
        return toBit(d)
    }

    private func integer64Result(_ x: UInt64, unsigned: Bool) -> Int32 {
        guard let cd = vm.g.newCData(unsigned ? CInteger64.unsignedType : CInteger64.signedType, size: 8) else {
            return outOfMemory()
        }
        cd.payload.storeBytes(of: x, as: UInt64.self)
        return results(Value(cdata: cd))
    }

    /// `band`/`bor`/`bxor` (`op`: 0, 1, 2) in 64 bits when an argument is a cdata; nil otherwise.
    func fold64(_ op: Int) -> Int32? {
        guard count >= 1, (1...count).contains(where: { arg($0).isCData }) else { return nil }
        let unsigned = (1...count).contains { arg($0).isCData && vm.isUnsigned64(arg($0)) }
        var failure: Int32 = 0
        var r: UInt64 = op == 0 ? ~0 : 0
        for i in 1...count {
            guard let x = bits64(i, unsigned: unsigned, &failure) else { return failure }
            r = op == 0 ? r & x : op == 1 ? r | x : r ^ x
        }
        return integer64Result(r, unsigned: unsigned)
    }

    /// `bnot`, `bswap` (`swap`) in 64 bits on a cdata; nil otherwise.
    func unary64(swap: Bool) -> Int32? {
        guard arg(1).isCData else { return nil }
        let unsigned = vm.isUnsigned64(arg(1))
        var failure: Int32 = 0
        guard let x = bits64(1, unsigned: unsigned, &failure) else { return failure }
        return integer64Result(swap ? x.byteSwapped : ~x, unsigned: unsigned)
    }

    /// Shifts and rotates (`kind`: lshift, rshift, arshift, rol, ror) of a cdata value in 64
    /// bits (the count's low 6 bits); nil when the value is not a cdata.
    func shift64(_ kind: Int) -> Int32? {
        guard arg(1).isCData else { return nil }
        let unsigned = vm.isUnsigned64(arg(1))
        var failure: Int32 = 0
        guard let x = bits64(1, unsigned: unsigned, &failure), let count = bits32(2, &failure) else { return failure }
        let n = UInt64(count & 63)
        let r: UInt64
        switch kind {
        case 0: r = x << n
        case 1: r = x >> n
        case 2: r = UInt64(bitPattern: Int64(bitPattern: x) >> n)
        case 3: r = n == 0 ? x : (x << n) | (x >> (64 - n))
        default: r = n == 0 ? x : (x >> n) | (x << (64 - n))
        }
        return integer64Result(r, unsigned: unsigned)
    }

    /// A 32-bit operand that may be a cdata (its low 32 bits): `tobit`'s value, a count.
    func bitNumber(_ i: Int) -> (Int32?, Int32) {
        var failure: Int32 = 0
        let x = bits32(i, &failure)
        return (x, failure)
    }

    /// `tohex` of a cdata: its 64 bits, 16 digits unless asked (fewer digits mask the value).
    func hex64() -> Int32? {
        guard arg(1).isCData || (count >= 2 && arg(2).isCData) else { return nil }
        var failure: Int32 = 0
        let wide = arg(1).isCData
        guard let x = wide ? bits64(1, unsigned: vm.isUnsigned64(arg(1)), &failure)
                : bits32(1, &failure).map({ UInt64(UInt32(bitPattern: $0)) }) else { return failure }
        var digits = wide ? 16 : 8
        if count >= 2 {
            guard let n = bits32(2, &failure) else { return failure }
            digits = Int(n)
        }
        return BitOperation.hex(x, digits: digits) { results(vm.string($0)) }
    }
}
