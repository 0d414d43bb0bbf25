/// The parts of the string, table and math libraries that programs need first; strings are
/// bytes throughout. (The pattern functions and the complete `string.format` come with the
/// string library's own engines.)
import Glibc
import PerigeeFrontend

extension LuaVM {
    func openStringBasics() {
        let S = library("string")
        let mt = g.newTable()!
        _ = mt.set(string: g.name(of: .index), Value(table: S), g)
        g.pointee.typeMetatables[Int(ValueTag.string.rawValue)] = mt

        register("len", in: S, fast: .stringLen) { raw in
            let c = BuiltinCall(raw, "len")
            // luajit names a missing argument nil here (its fast function's fallback sees one).
            if c.count < 1 { return c.argumentError(1, "string expected, got nil") }
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            return c.results(Value(number: Double(s.count)))
        }
        register("sub", in: S, fast: .stringSub) { raw in
            let c = BuiltinCall(raw, "sub")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            guard let i0 = c.int32(2) else { return c.typeError(2, expected: "number") }
            guard let j0 = c.arg(3).isNil ? -1 : c.int32(3) else { return c.typeError(3, expected: "number") }
            let (i, j) = stringRange(s.count, i0, j0)
            if i > j { return c.results(c.vm.string("")) }
            return c.results(c.vm.string(UnsafeBufferPointer(start: s.bytes + i - 1, count: j - i + 1)))
        }
        register("upper", in: S) { raw in
            let c = BuiltinCall(raw, "upper")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            let out = s.buffer.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
            return c.results(out.withUnsafeBufferPointer { c.vm.string($0) })
        }
        register("lower", in: S) { raw in
            let c = BuiltinCall(raw, "lower")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            let out = s.buffer.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
            return c.results(out.withUnsafeBufferPointer { c.vm.string($0) })
        }
        register("reverse", in: S) { raw in
            let c = BuiltinCall(raw, "reverse")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            let out = Array(s.buffer.reversed())
            return c.results(out.withUnsafeBufferPointer { c.vm.string($0) })
        }
        register("rep", in: S) { raw in
            let c = BuiltinCall(raw, "rep")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            guard let n = c.int32(2) else { return c.typeError(2, expected: "number") }
            if !c.arg(3).isNil && c.string(3) == nil { return c.typeError(3, expected: "string") }
            let separator = c.arg(3).isNil ? nil : c.string(3)
            if n <= 0 { return c.results(c.vm.string("")) }
            // The string and separator repeated n times, less the last separator.
            var unit = Array(s.buffer)
            if let separator { unit.append(contentsOf: separator.buffer) }
            let total = unit.count * n - (separator?.count ?? 0)
            if total > maxStringLength || !c.vm.g.hasRoom(for: total) {
                c.vm.errorValue = c.vm.memoryErrorValue
                return builtinError
            }
            if total == 0 { return c.results(c.vm.string("")) }
            var out = [UInt8](repeating: 0, count: total)
            out.withUnsafeMutableBufferPointer { p in
                let start = p.baseAddress!
                unit.withUnsafeBufferPointer { u in _ = memcpy(start, u.baseAddress!, min(u.count, total)) }
                // Doubling: the filled prefix is whole units, so each copy keeps the period.
                var filled = min(unit.count, total)
                while filled < total {
                    let k = min(filled, total - filled)
                    memcpy(start + filled, start, k)
                    filled += k
                }
            }
            return c.results(out.withUnsafeBufferPointer { c.vm.string($0) })
        }
        register("byte", in: S, fast: .stringByte) { raw in
            let c = BuiltinCall(raw, "byte")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            guard let i0 = c.arg(2).isNil ? 1 : c.int32(2) else { return c.typeError(2, expected: "number") }
            guard let j0 = c.arg(3).isNil ? i0 : c.int32(3) else { return c.typeError(3, expected: "number") }
            let (i, j) = stringRange(s.count, i0, j0)
            if i > j { return 0 }
            if !c.L.ensureStack(j - i + 1, c.vm.g) { return c.error("string slice too long") }
            for k in i...j { c.push(Value(number: Double(s.bytes[k - 1]))) }
            return Int32(j - i + 1)
        }
        register("char", in: S, fast: .stringChar) { raw in
            let c = BuiltinCall(raw, "char")
            var out: [UInt8] = []
            for i in 0..<c.count {
                guard let v = c.int32(i + 1) else { return c.typeError(i + 1, expected: "number") }
                if v < 0 || v > 255 { return c.argumentError(i + 1, "invalid value") }
                out.append(UInt8(v))
            }
            return c.results(out.withUnsafeBufferPointer { c.vm.string($0) })
        }
        openStringPatterns(S)
    }

    func openTableBasics() {
        let T = library("table")
        openTableSort(T)
        openTableExtras(T)
        register("insert", in: T) { raw in
            let c = BuiltinCall(raw, "insert")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            let n = t.length()
            let g = c.vm.g
            switch c.count {
            case 2:
                if t.set(integer: n + 1, c.arg(2), g) == .outOfMemory { return builtinError }
            case 3:
                guard let pos = c.integer(2) else { return c.typeError(2, expected: "number") }
                if pos > n + 1 || pos < 1 { return c.argumentError(2, "position out of bounds") }
                var i = n
                while i >= pos { _ = t.set(integer: i + 1, t.get(integer: i), g); i -= 1 }
                _ = t.set(integer: pos, c.arg(3), g)
            default:
                return c.error("wrong number of arguments to 'insert'")
            }
            return 0
        }
        register("remove", in: T) { raw in
            let c = BuiltinCall(raw, "remove")
            guard let t = c.checkTable(1) else { return c.typeErrorMissingAsNil(1, expected: "table") }
            let n = t.length()
            let g = c.vm.g
            guard let pos = c.arg(2).isNil ? n : c.int32(2) else { return c.typeError(2, expected: "number") }
            // Outside 1...#t there is nothing to remove (and nothing is returned).
            if pos < 1 || pos > n { return 0 }
            let v = t.get(integer: pos)
            var i = pos
            while i < n { _ = t.set(integer: i, t.get(integer: i + 1), g); i += 1 }
            if pos <= n { _ = t.set(integer: n, .nil, g) }
            return c.results(v)
        }
        register("concat", in: T) { raw in
            let c = BuiltinCall(raw, "concat")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            if !c.arg(2).isNil && c.string(2) == nil { return c.typeError(2, expected: "string") }
            let separator = c.arg(2).isNil ? nil : c.string(2)
            guard let i = c.arg(3).isNil ? 1 : c.int32(3) else { return c.typeError(3, expected: "number") }
            guard let j = c.arg(4).isNil ? t.length() : c.int32(4) else { return c.typeError(4, expected: "number") }
            let vm = c.vm
            guard i <= j else { return c.results(vm.string(UnsafeBufferPointer(start: nil, count: 0))) }
            // The result's size first: strings' lengths, and room for any number's digits
            // (`%.14g` takes at most 24 bytes), the first value of another type an error;
            // then one copy of each piece into it.
            let gap = separator?.buffer ?? UnsafeBufferPointer(start: nil, count: 0)
            var size = gap.count * Int(j - i)
            for k in i...j {
                let v = t.get(integer: k)
                if v.isString {
                    size += v.string.buffer.count
                } else if v.isNumber {
                    size += 24
                } else {
                    return c.error("invalid value (\(vm.typeName(v))) at index \(k) in table for 'concat'")
                }
            }
            var capacity = max(size, 1)
            guard var out = malloc(capacity)?.assumingMemoryBound(to: UInt8.self) else {
                vm.errorValue = vm.memoryErrorValue
                return builtinError
            }
            defer { free(out) }
            var used = 0
            /// Copies `piece` in (false: no memory for more, which the estimate rules out).
            func put(_ piece: UnsafeBufferPointer<UInt8>) -> Bool {
                guard let start = piece.baseAddress, piece.count > 0 else { return true }
                if used + piece.count > capacity {
                    capacity = 2 * (used + piece.count)
                    guard let grown = realloc(out, capacity) else { return false }
                    out = grown.assumingMemoryBound(to: UInt8.self)
                }
                (out + used).update(from: start, count: piece.count)
                used += piece.count
                return true
            }
            for k in i...j {
                let v = t.get(integer: k)
                var stored: Bool
                if v.isString {
                    stored = put(v.string.buffer)
                } else {
                    stored = withNumberText(v.number) { put($0) }
                }
                if k < j { stored = stored && put(gap) }
                if !stored {
                    vm.errorValue = vm.memoryErrorValue
                    return builtinError
                }
            }
            return c.results(vm.string(UnsafeBufferPointer(start: out, count: used)))
        }
        register("getn", in: T) { raw in
            let c = BuiltinCall(raw, "getn")
            guard let t = c.checkTable(1) else { return c.typeErrorMissingAsNil(1, expected: "table") }
            return c.results(Value(number: Double(t.length())))
        }
        register("maxn", in: T) { raw in
            let c = BuiltinCall(raw, "maxn")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            var key = Value.nil, value = Value.nil, best = 0.0
            while t.next(&key, &value) == .found {
                if key.isNumber && key.number > best { best = key.number }
            }
            return c.results(Value(number: best))
        }
    }

    func openMathLibrary() {
        let M = library("math")
        _ = M.set(string: g.intern("pi")!, Value(number: Double.pi), g)
        _ = M.set(string: g.intern("huge")!, Value(number: .infinity), g)
        let unary: [(String, @convention(c) (Double) -> Double)] = [
            ("floor", { Glibc.floor($0) }), ("ceil", { Glibc.ceil($0) }), ("sqrt", { Glibc.sqrt($0) }),
            ("abs", { Swift.abs($0) }), ("sin", { Glibc.sin($0) }), ("cos", { Glibc.cos($0) }),
            ("tan", { Glibc.tan($0) }), ("asin", { Glibc.asin($0) }), ("acos", { Glibc.acos($0) }),
            ("exp", { Glibc.exp($0) }), ("log10", { Glibc.log10($0) }), ("sinh", { Glibc.sinh($0) }),
            ("cosh", { Glibc.cosh($0) }), ("tanh", { Glibc.tanh($0) }),
            ("deg", { $0 * (180.0 / Double.pi) }), ("rad", { $0 * (Double.pi / 180.0) }),
        ]
        for (name, fn) in unary {
            // Each unary function keeps its C implementation as a light userdata upvalue.
            let entry: BuiltinEntry = { raw in
                let c = BuiltinCall(raw, "math")
                let callee = c.L.pointee.stack[Int(c.L.pointee.base) - 2].function
                guard let x = c.number(1) else {
                    return BuiltinCall(raw, c.vm.builtinNames[callee] ?? "?").typeError(1, expected: "number")
                }
                let fn = unaryMathFunction(of: callee)
                return c.results(Value(number: fn(x)))
            }
            let f = g.newBuiltin(entry, upvalueCount: 1, env: globals)!
            f.upvalueValues[0] = Value(lightUserdata: unsafeBitCast(fn, to: UnsafeRawPointer.self))
            f.pointee.ffid = FastFunction(named: name)?.rawValue ?? FastBuiltin.mathUnary.rawValue
            _ = M.set(string: g.intern(name)!, Value(function: f), g)
            builtinNames[f] = name
        }
        let binary: [(String, @convention(c) (Double, Double) -> Double)] = [
            ("pow", { Glibc.pow($0, $1) }), ("atan2", { Glibc.atan2($0, $1) }), ("fmod", { Glibc.fmod($0, $1) }),
        ]
        for (name, fn) in binary {
            let entry: BuiltinEntry = { raw in
                let c = BuiltinCall(raw, "math")
                let callee = c.L.pointee.stack[Int(c.L.pointee.base) - 2].function
                let named = BuiltinCall(raw, c.vm.builtinNames[callee] ?? "?")
                guard let x = c.number(1) else { return named.typeError(1, expected: "number") }
                guard let y = c.number(2) else { return named.typeError(2, expected: "number") }
                let fn = binaryMathFunction(of: callee)
                return c.results(Value(number: fn(x, y)))
            }
            let f = g.newBuiltin(entry, upvalueCount: 1, env: globals)!
            f.upvalueValues[0] = Value(lightUserdata: unsafeBitCast(fn, to: UnsafeRawPointer.self))
            f.pointee.ffid = FastFunction(named: name)?.rawValue ?? FastBuiltin.mathBinary.rawValue
            _ = M.set(string: g.intern(name)!, Value(function: f), g)
            builtinNames[f] = name
        }
        register("log", in: M, fast: .log) { raw in
            let c = BuiltinCall(raw, "log")
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            if c.count < 2 { return c.results(Value(number: Glibc.log(x))) }
            guard let b = c.number(2) else { return c.typeError(2, expected: "number") }
            if b == 2 { return c.results(Value(number: Glibc.log2(x))) }
            if b == 10 { return c.results(Value(number: Glibc.log10(x))) }
            return c.results(Value(number: Glibc.log(x) / Glibc.log(b)))
        }
        register("frexp", in: M) { raw in
            let c = BuiltinCall(raw, "frexp")
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            var e: Int32 = 0
            let m = Glibc.frexp(x, &e)
            return c.results(Value(number: m), Value(number: Double(e)))
        }
        register("ldexp", in: M) { raw in
            let c = BuiltinCall(raw, "ldexp")
            guard let m = c.number(1) else { return c.typeError(1, expected: "number") }
            guard let e = c.number(2) else { return c.typeError(2, expected: "number") }
            // luajit scales by the exponent as a double (x87 fscale): a NaN exponent gives NaN.
            if e.isNaN { return c.results(Value(number: .nan)) }
            return c.results(Value(number: Glibc.ldexp(m, Int32(clamping: luaInteger(e)))))
        }
        register("atan", in: M, fast: .atan) { raw in
            let c = BuiltinCall(raw, "atan")
            guard let y = c.number(1) else { return c.typeError(1, expected: "number") }
            return c.results(Value(number: Glibc.atan(y)))
        }
        register("modf", in: M) { raw in
            let c = BuiltinCall(raw, "modf")
            guard let x = c.number(1) else { return c.typeError(1, expected: "number") }
            let whole = x.isInfinite ? x : x.rounded(.towardZero)
            // The fraction has the sign of x, as C's modf gives it (modf(-1) is -1, -0).
            let fraction = x.isInfinite ? 0 : x - whole
            return c.results(Value(number: whole), Value(number: fraction == 0 ? Double(signOf: x, magnitudeOf: 0) : fraction))
        }
        register("min", in: M, fast: .min) { raw in BuiltinCall(raw, "min").extremum(<) }
        register("max", in: M, fast: .max) { raw in BuiltinCall(raw, "max").extremum(>) }
        // luajit's random and randomseed share their generator's state, a userdata, as their
        // upvalue; here the state is the VM's (`random`) and the userdata is shown only.
        let randomState = Value(userdata: g.newUserdata(size: 0)!)
        pushAnchor(randomState)
        defer { popAnchor() }
        register("random", in: M, upvalues: [randomState]) { raw in
            let c = BuiltinCall(raw, "random")
            let r = c.vm.random.nextDouble()
            switch c.count {
            case 0: return c.results(Value(number: r))
            // luajit's arithmetic in doubles: no interval check, no rounding of the bounds.
            case 1:
                guard let m = c.number(1) else { return c.typeError(1, expected: "number") }
                return c.results(Value(number: (r * m).rounded(.down) + 1))
            default:
                guard let lo = c.number(1) else { return c.typeError(1, expected: "number") }
                guard let hi = c.number(2) else { return c.typeError(2, expected: "number") }
                return c.results(Value(number: (r * (hi - lo + 1)).rounded(.down) + lo))
            }
        }
        register("randomseed", in: M, upvalues: [randomState]) { raw in
            let c = BuiltinCall(raw, "randomseed")
            guard let seed = c.number(1) else { return c.typeError(1, expected: "number") }
            c.vm.random = RandomState(seed: seed)
            return 0
        }
    }
}

extension BuiltinCall {
    /// `math.min`/`math.max`: the argument that wins every `better` comparison.
    func extremum(_ better: (Double, Double) -> Bool) -> Int32 {
        guard var m = number(1) else { return typeError(1, expected: "number") }
        var i = 2
        while i <= count {
            guard let x = number(i) else { return typeError(i, expected: "number") }
            m = keepBetter(m, x, better)
            i += 1
        }
        return results(Value(number: m))
    }
}

/// The C function of a one-argument math builtin (its upvalue).
@inline(__always) func unaryMathFunction(of f: FunctionRef) -> @convention(c) (Double) -> Double {
    unsafeBitCast(UInt(f.upvalueValues[0].payload), to: (@convention(c) (Double) -> Double).self)
}

/// The C function of a two-argument math builtin (its upvalue).
@inline(__always) func binaryMathFunction(of f: FunctionRef) -> @convention(c) (Double, Double) -> Double {
    unsafeBitCast(UInt(f.upvalueValues[0].payload), to: (@convention(c) (Double, Double) -> Double).self)
}

/// One step of `math.min`/`math.max`, LuaJIT's rule: `m` stays only when strictly better
/// (so NaN and -0 come out as in luajit).
@inline(__always) func keepBetter(_ m: Double, _ x: Double, _ better: (Double, Double) -> Bool) -> Double {
    better(m, x) ? m : x
}

/// `string.sub`-style positions: negatives count from the end, then clamped to 1...n.
func stringRange(_ n: Int, _ i0: Int, _ j0: Int) -> (Int, Int) {
    var i = i0 < 0 ? max(n + i0 + 1, 0) : i0
    var j = j0 < 0 ? n + j0 + 1 : j0
    if i < 1 { i = 1 }
    if j > n { j = n }
    return (i, j)
}

/// xoshiro256** seeded through splitmix64: fast, well distributed, reproducible per seed.
struct RandomState {
    var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: Double) {
        var x = seed.bitPattern
        func splitmix() -> UInt64 {
            x &+= 0x9e37_79b9_7f4a_7c15
            var z = x
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
