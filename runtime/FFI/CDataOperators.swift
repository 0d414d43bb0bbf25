/// The metatable every cdata shares: indexing, stores, arithmetic, comparisons, calls and
/// `tostring` on C values, each trying the metatype (`ffi.metatype`) of the value's struct where
/// luajit does.
import Glibc
import PerigeeFrontend

extension BuiltinCall {
    func arithmetic(_ op: ArithmeticOperator) -> Int32 {
        vm.cdataArithmetic(self, op, arg(1), op == .unm ? arg(1) : arg(2))
    }
}

/// The outcome of cdata arithmetic without metamethods.
enum CArithmeticResult {
    case value(Value)
    /// Operands the built-in arithmetic does not take: the metatype's metamethod or an error.
    case unsupported
    case outOfMemory
}

/// An operand of cdata arithmetic after luajit's promotions.
private enum COperand {
    case number(Double)
    case int64(Int64)
    case uint64(UInt64)
    case pointer(UInt, element: CTypeID)
    case other
}

extension LuaVM {
    /// The metatable of every cdata (and of ctype objects), kept in `typeMetatables`.
    func openCDataMetatable() {
        let mt = g.newTable(arraySize: 0, hashSize: 32)!
        g.pointee.typeMetatables[Int(ValueTag.cdata.rawValue)] = mt
        _ = mt.set(string: g.intern("__metatable")!, string("ffi"), g)
        register("__index", in: mt) { raw in
            let c = BuiltinCall(raw, "__index")
            return c.vm.cdataIndex(c, c.arg(1), c.arg(2))
        }
        register("__newindex", in: mt) { raw in
            let c = BuiltinCall(raw, "__newindex")
            return c.vm.cdataNewIndex(c, c.arg(1), c.arg(2), c.arg(3))
        }
        // Builtins are C function pointers: one literal closure per operator, none capturing.
        register("__add", in: mt) { raw in BuiltinCall(raw, "__add").arithmetic(.add) }
        register("__sub", in: mt) { raw in BuiltinCall(raw, "__sub").arithmetic(.sub) }
        register("__mul", in: mt) { raw in BuiltinCall(raw, "__mul").arithmetic(.mul) }
        register("__div", in: mt) { raw in BuiltinCall(raw, "__div").arithmetic(.div) }
        register("__mod", in: mt) { raw in BuiltinCall(raw, "__mod").arithmetic(.mod) }
        register("__pow", in: mt) { raw in BuiltinCall(raw, "__pow").arithmetic(.pow) }
        register("__unm", in: mt) { raw in BuiltinCall(raw, "__unm").arithmetic(.unm) }
        register("__eq", in: mt) { raw in
            let c = BuiltinCall(raw, "__eq")
            return c.vm.cdataCompare(c, "__eq", c.arg(1), c.arg(2))
        }
        register("__lt", in: mt) { raw in
            let c = BuiltinCall(raw, "__lt")
            return c.vm.cdataCompare(c, "__lt", c.arg(1), c.arg(2))
        }
        register("__le", in: mt) { raw in
            let c = BuiltinCall(raw, "__le")
            return c.vm.cdataCompare(c, "__le", c.arg(1), c.arg(2))
        }
        register("__concat", in: mt) { raw in
            let c = BuiltinCall(raw, "__concat")
            let a = c.arg(1), b = c.arg(2)
            if let r = c.vm.metatypeCall(c, "__concat", a, b) { return r }
            return c.error("attempt to concatenate '\(c.vm.conversionName(a))' and '\(c.vm.conversionName(b))'")
        }
        register("__len", in: mt) { raw in
            let c = BuiltinCall(raw, "__len")
            if let r = c.vm.metatypeCall(c, "__len", c.arg(1), c.arg(1)) { return r }
            return c.error("attempt to get length of '\(c.vm.conversionName(c.arg(1)))'")
        }
        register("__call", in: mt) { raw in
            let c = BuiltinCall(raw, "__call")
            return c.vm.cdataCall(c)
        }
        register("__tostring", in: mt) { raw in
            let c = BuiltinCall(raw, "__tostring")
            let v = c.arg(1)
            if let r = c.vm.metatypeCall(c, "__tostring", v, v) { return r }
            return c.results(c.vm.string(c.vm.cdataText(v.cdata)))
        }
    }

    // MARK: metatypes

    /// The struct or union whose metatype applies to a cdata of type `id` (itself, or the
    /// target of a pointer or reference).
    func metatypeOwner(_ id: CTypeID) -> CTypeID {
        let types = ffi.types
        var t = id
        if types.core(t).kind == .reference || types.core(t).kind == .pointer { t = types.core(t).element }
        return types.recordIdentity(types.unqualified(t))
    }

    func metatype(of id: CTypeID) -> TableRef? {
        let v = ffi.metatypes(g).get(integer: Int(metatypeOwner(id)))
        return v.isTable ? v.table : nil
    }

    /// The metamethod `name` of the metatype of `v`'s type, or nil.
    func metatypeHandler(_ v: Value, _ name: String) -> Value? {
        guard v.isCData else { return nil }
        var id = v.cdata.pointee.ctype
        if ffi.types[id].kind == .ctype { id = v.cdata.payload.load(as: CTypeID.self) }
        guard let mt = metatype(of: id) else { return nil }
        let h = mt.get(string: g.intern(name)!)
        return h.isNil ? nil : h
    }

    /// Calls metamethod `name` of the first operand's metatype that has one; nil when neither has.
    func metatypeCall(_ c: BuiltinCall, _ name: String, _ a: Value, _ b: Value) -> Int32? {
        guard let h = metatypeHandler(a, name) ?? metatypeHandler(b, name) else { return nil }
        var r = Value.nil
        if callFunction(c.L, h, [a, b], &r) != .ok { return builtinError }
        return c.results(r)
    }

    // MARK: indexing

    /// An index into a pointer or array: numbers and integer cdata.
    private func integerKey(_ key: Value) -> Int? {
        if key.isNumber { return Int(doubleToInt64(key.number)) }
        if key.isCData, let s = scalar(of: key) {
            if case .double = s { return nil }
            if case .complex = s { return nil }
            return Int(s.asInt64)
        }
        return nil
    }

    /// Where `object[key]` lives: its type and address, or a member of a record.
    private enum CLocation {
        case element(CTypeID, UnsafeMutableRawPointer)
        case bitfield(CField, UnsafeMutableRawPointer)
        case constant(CTypeID, Int64)
        case none
    }

    private func locate(_ object: Value, _ key: Value) throws(FFIError) -> CLocation {
        let types = ffi.types
        let cd = object.cdata
        let (id, p) = cdataTarget(cd)
        let t = types.core(id)
        if let i = integerKey(key), t.kind == .pointer || t.kind == .array {
            let base = t.kind == .pointer ? p.load(as: UnsafeMutableRawPointer?.self) : p
            let e = types.core(t.element)
            if e.size < 0 { throw FFIError("size of C type is unknown or too large") }
            // luajit would fault here; an error is kinder than a crash.
            guard let base else { throw FFIError("attempt to index a NULL pointer") }
            return .element(t.element, base + i &* e.size)
        }
        guard key.isString else { return .none }
        let name = key.string.buffer
        var record = id, rp = p
        if t.kind == .pointer, types.core(t.element).isRecord {
            guard let a = p.load(as: UnsafeMutableRawPointer?.self) else { throw FFIError("attempt to index a NULL pointer") }
            record = t.element
            rp = a
        }
        if types.core(record).isRecord {
            let owner = types.recordIdentity(types.unqualified(record))
            if var f = types.member(owner, bytes: name) {
                if types.core(record).isConst { f.type = types.qualified(f.type, CQualifier.const) }
                if f.bitWidth >= 0 { return .bitfield(f, rp) }
                return .element(f.type, rp + f.offset)
            }
            if let (ct, value) = types.constants["\(owner).\(key.string.description)"] { return .constant(ct, value) }
        }
        if t.kind == .complex && (name.elementsEqual("re".utf8) || name.elementsEqual("im".utf8)) {
            let part = t.size == 8 ? CTypeBuiltin.float : CTypeBuiltin.double
            return .element(part, name.elementsEqual("re".utf8) ? p : p + t.size / 2)
        }
        return .none
    }

    /// `cdata[key]` for elements and members, without a metamethod call (the interpreter's
    /// and compiled code's slow paths try it first); nil leaves it to `__index`.
    func cdataFastIndex(_ object: Value, _ key: Value) -> Value? {
        if let v = g.cdataRead(object, key) { return v }
        let types = ffi.types
        guard types.core(object.cdata.pointee.ctype).kind != .ctype, let location = try? locate(object, key) else { return nil }
        switch location {
        case .element(let id, let p):
            return cValue(id, at: p)
        case .bitfield(let f, let p):
            let n = types.loadBitfield(f, at: p + f.offset)
            return types.core(f.type).kind == .bool ? Value(bool: n != 0) : Value(number: n)
        default:
            return nil
        }
    }

    /// `cdata[key] = value` for elements and members; false leaves it (and its errors) to `__newindex`.
    func cdataFastNewIndex(_ object: Value, _ key: Value, _ value: Value) -> Bool {
        if g.cdataWrite(object, key, value) { return true }
        let types = ffi.types
        guard types.core(object.cdata.pointee.ctype).kind != .ctype, let location = try? locate(object, key) else { return false }
        switch location {
        case .element(let id, let p):
            if types.core(id).isConst { return false }
            do { try convert(value, to: id, at: p) } catch { return false }
            return true
        case .bitfield(let f, let p):
            do { try store(value, into: f, at: p) } catch { return false }
            return true
        default:
            return false
        }
    }

    func cdataIndex(_ c: BuiltinCall, _ object: Value, _ key: Value) -> Int32 {
        guard object.isCData else { return c.typeError(1, expected: "cdata") }
        let types = ffi.types
        if types[object.cdata.pointee.ctype].kind != .ctype {
            do {
                switch try locate(object, key) {
                case .element(let id, let p):
                    guard let v = cValue(id, at: p) else { return c.outOfMemory() }
                    return c.results(v)
                case .bitfield(let f, let p):
                    let n = types.loadBitfield(f, at: p + f.offset)
                    return c.results(types[f.type].kind == .bool ? Value(bool: n != 0) : Value(number: n))
                case .constant(let id, let value):
                    if types[id].size == 8 { return box(id, copying: [value], size: 8).map { c.results($0) } ?? c.outOfMemory() }
                    return c.results(Value(number: Double(value)))
                case .none:
                    break
                }
            } catch {
                return c.error(error.message)
            }
        }
        if key.isString, let method = callbackMethod(c, object, key.string.description) { return c.results(method) }
        if let h = metatypeHandler(object, "__index") {
            // A table's nil is no member either, as in luajit.
            if h.isTable, case let v = h.table.get(key), !v.isNil { return c.results(v) }
            if h.isTable { return c.error(noMember(object, key)) }
            var r = Value.nil
            if callFunction(c.L, h, [object, key], &r) != .ok { return builtinError }
            return c.results(r)
        }
        return c.error(noMember(object, key))
    }

    private func noMember(_ object: Value, _ key: Value) -> String {
        let types = ffi.types
        var (id, _) = cdataTarget(object.cdata)
        if types[id].kind == .pointer && types[types[id].element].isRecord { id = types[id].element }
        if key.isString { return "'\(types.name(id))' has no member named '\(key.string.description)'" }
        return "'\(types.name(id))' cannot be indexed with '\(conversionName(key))'"
    }

    func cdataNewIndex(_ c: BuiltinCall, _ object: Value, _ key: Value, _ value: Value) -> Int32 {
        guard object.isCData else { return c.typeError(1, expected: "cdata") }
        let types = ffi.types
        if types[object.cdata.pointee.ctype].kind != .ctype {
            do {
                switch try locate(object, key) {
                case .element(let id, let p):
                    if types[id].isConst { return c.error("attempt to write to constant location") }
                    try convert(value, to: id, at: p)
                    return 0
                case .bitfield(let f, let p):
                    try store(value, into: f, at: p)
                    return 0
                case .constant:
                    return c.error("attempt to write to constant location")
                case .none:
                    break
                }
            } catch {
                return c.error(error.message)
            }
        }
        if let h = metatypeHandler(object, "__newindex") {
            if h.isTable {
                _ = h.table.set(key, value, g)
                return 0
            }
            var r = Value.nil
            return callFunction(c.L, h, [object, key, value], &r) == .ok ? 0 : builtinError
        }
        return c.error(noMember(object, key))
    }

    // MARK: arithmetic

    /// An operand as luajit promotes it: numeric cdata of any kind to 64-bit integers
    /// (unsigned only when 64-bit unsigned; floating point truncated), arrays to pointers.
    private func operand(_ v: Value) -> COperand {
        if v.isNumber { return .number(v.number) }
        guard v.isCData else { return .other }
        let types = ffi.types
        let (id, p) = cdataTarget(v.cdata)
        let t = types.core(id)
        switch t.kind {
        case .integer where t.size == 8:
            return t.isUnsigned ? .uint64(p.loadUnaligned(as: UInt64.self)) : .int64(p.loadUnaligned(as: Int64.self))
        case .integer, .enumeration, .bool:
            return .int64(t.load(at: p)!.asInt64)
        case .float:
            return .int64(doubleToInt64(types.load(id, at: p)!.asDouble))
        case .pointer:
            return .pointer(p.load(as: UInt.self), element: t.element)
        case .array:
            return .pointer(UInt(bitPattern: p), element: t.element)
        default:
            return .other
        }
    }

    /// Built-in arithmetic first (numbers, 64-bit integers, pointers); the metatype's
    /// metamethod only for what that cannot do, as in luajit.
    func cdataArithmetic(_ c: BuiltinCall, _ op: ArithmeticOperator, _ a: Value, _ b: Value) -> Int32 {
        switch builtinArithmetic(op, a, b) {
        case .value(let v):
            return c.results(v)
        case .outOfMemory:
            return c.outOfMemory()
        case .unsupported:
            if let r = metatypeCall(c, op.metamethod.name, a, b) { return r }
            return c.error("attempt to perform arithmetic on '\(conversionName(a))' and '\(conversionName(b))'")
        }
    }

    /// What `a op b` is without a metatype (the interpreter's arithmetic on cdata tries it
    /// before calling `__add` and friends): `.unsupported` leaves it to the metamethods.
    func builtinArithmetic(_ op: ArithmeticOperator, _ a: Value, _ b: Value) -> CArithmeticResult {
        if let r = g.integer64Arithmetic(op, a, b) { return r }
        let x = operand(a), y = operand(b)
        let types = ffi.types
        func boxed(_ v: Value?) -> CArithmeticResult { v.map { .value($0) } ?? .outOfMemory }
        switch (x, y) {
        case (.pointer(let p, let e), _), (_, .pointer(let p, let e)):
            let size = max(types.core(e).size, 0)
            if case .pointer(let q, let f) = y, case .pointer = x {
                // Pointer difference in elements, for pointers to one type.
                guard op == .sub, types.unqualified(e) == types.unqualified(f) || size == 0 else { return .unsupported }
                let diff = Int64(bitPattern: UInt64(p) &- UInt64(q))
                return .value(Value(number: Double(size == 0 ? diff : diff / Int64(size))))
            }
            let isLeft: Bool
            if case .pointer = x { isLeft = true } else { isLeft = false }
            let other = isLeft ? y : x
            let n: Int64
            switch other {
            case .number(let d): n = doubleToInt64(d)
            case .int64(let i): n = i
            case .uint64(let u): n = Int64(bitPattern: u)
            default: return .unsupported
            }
            guard op == .add || (op == .sub && isLeft) else { return .unsupported }
            let delta = UInt(bitPattern: Int(n &* Int64(size)))
            let address = op == .add ? p &+ delta : p &- delta
            return boxed(box(types.pointer(to: e), address: UnsafeRawPointer(bitPattern: address)))
        case (.other, _), (_, .other):
            return .unsupported
        case (.number(let l), .number(let r)):
            let result: Double
            switch op {
            case .add: result = l + r
            case .sub: result = l - r
            case .mul: result = l * r
            case .div: result = l / r
            case .mod: result = l - (l / r).rounded(.down) * r
            case .pow: result = pow(l, r)
            case .unm: result = -l
            }
            return .value(Value(number: result))
        default:
            let unsigned: Bool
            if case .uint64 = x { unsigned = true } else if case .uint64 = y { unsigned = true } else { unsigned = false }
            func bits(_ o: COperand) -> UInt64 {
                switch o {
                case .number(let d): return unsigned ? doubleToUInt64(d) : UInt64(bitPattern: doubleToInt64(d))
                case .int64(let i): return UInt64(bitPattern: i)
                case .uint64(let u): return u
                default: return 0
                }
            }
            let l = bits(x), r = bits(y)
            let result = unsigned ? CInteger64.unsigned(op, l, r)
                : UInt64(bitPattern: CInteger64.signed(op, Int64(bitPattern: l), Int64(bitPattern: r)))
            guard let cd = g.newCData(unsigned ? CTypeBuiltin.uint64 : CTypeBuiltin.int64, size: 8) else { return .outOfMemory }
            cd.payload.storeBytes(of: result, as: UInt64.self)
            return .value(Value(cdata: cd))
        }
    }

    // MARK: comparisons

    /// Built-in comparisons first (numbers, 64-bit integers, pointers); then the metatype's
    /// metamethod; then identity (`==`) or an error.
    func cdataCompare(_ c: BuiltinCall, _ event: String, _ a: Value, _ b: Value) -> Int32 {
        if let r = enumComparison(c, event, a, b) ?? enumComparison(c, event, b, a) { return r }
        if event == "__eq", a.isCData, b.isCData, ffi.types[a.cdata.pointee.ctype].kind == .ctype,
           ffi.types[b.cdata.pointee.ctype].kind == .ctype {
            // Types are interned: equal types are one id.
            return c.results(Value(bool: a.cdata.payload.load(as: CTypeID.self) == b.cdata.payload.load(as: CTypeID.self)))
        }
        let x = a.isNil ? COperand.pointer(0, element: 0) : operand(a)
        let y = b.isNil ? COperand.pointer(0, element: 0) : operand(b)
        let equal = event == "__eq"
        func ordered(_ less: Bool, _ same: Bool) -> Int32 {
            c.results(Value(bool: equal ? same : event == "__lt" ? less : less || same))
        }
        switch (x, y) {
        case (.pointer(let p, _), .pointer(let q, _)):
            return ordered(p < q, p == q)
        case (.number(let l), .number(let r)):
            return ordered(l < r, l == r)
        case (.number, .int64), (.number, .uint64), (.int64, _), (.uint64, _):
            if case .pointer = y { break }
            if case .other = y { break }
            let unsigned: Bool
            if case .uint64 = x { unsigned = true } else if case .uint64 = y { unsigned = true } else { unsigned = false }
            func bits(_ o: COperand) -> UInt64 {
                switch o {
                case .number(let d): return unsigned ? doubleToUInt64(d) : UInt64(bitPattern: doubleToInt64(d))
                case .int64(let i): return UInt64(bitPattern: i)
                case .uint64(let u): return u
                default: return 0
                }
            }
            let l = bits(x), r = bits(y)
            return ordered(unsigned ? l < r : Int64(bitPattern: l) < Int64(bitPattern: r), l == r)
        default:
            break
        }
        if let h = metatypeHandler(a, event) ?? metatypeHandler(b, event) {
            var r = Value.nil
            if callFunction(c.L, h, [a, b], &r) != .ok { return builtinError }
            return c.results(Value(bool: r.isTruthy))
        }
        if equal {
            // Records and other cdata are equal only to themselves (by address).
            if a.isCData && b.isCData { return c.results(Value(bool: cdataTarget(a.cdata).1 == cdataTarget(b.cdata).1)) }
            return c.results(.false)
        }
        return c.error("attempt to compare '\(conversionName(a))' with '\(conversionName(b))'")
    }

    /// An enum cdata equals the name of its constant.
    private func enumComparison(_ c: BuiltinCall, _ event: String, _ e: Value, _ name: Value) -> Int32? {
        guard event == "__eq", e.isCData, name.isString else { return nil }
        let (id, p) = cdataTarget(e.cdata)
        let t = ffi.types[id]
        guard t.kind == .enumeration else { return nil }
        let value = Int64(p.load(as: Int32.self))
        let text = name.string.description
        return c.results(Value(bool: t.fields.contains { $0.name == text && $0.value == value }))
    }

    // MARK: calls and text

    func cdataCall(_ c: BuiltinCall) -> Int32 {
        let object = c.arg(1)
        guard object.isCData else { return c.typeError(1, expected: "cdata") }
        let cd = object.cdata
        let types = ffi.types
        if types.core(cd.pointee.ctype).kind == .ctype {
            let id = cd.payload.load(as: CTypeID.self)
            return newCData(c, id, firstInitializer: 2, constructor: true)
        }
        let (id, p) = cdataTarget(cd)
        let t = types.core(id)
        if t.kind == .function { return callC(c, id, address: cd.address) }
        if t.kind == .pointer && types.core(t.element).kind == .function {
            return callC(c, t.element, address: p.load(as: UnsafeMutableRawPointer?.self))
        }
        if let h = metatypeHandler(object, "__call") {
            var args: [Value] = []
            for i in 1...c.count { args.append(c.arg(i)) }
            var r = Value.nil
            if callFunction(c.L, h, args, &r) != .ok { return builtinError }
            return c.results(r)
        }
        return c.error("'\(types.name(id))' is not callable")
    }

    /// `tostring` of a cdata without a `__tostring`: numbers for 64-bit integers and complex
    /// numbers, `ctype<...>` for types, else the type and the address.
    func cdataText(_ cd: CDataRef) -> String {
        let types = ffi.types
        let id = cd.pointee.ctype
        let t = types[id]
        switch t.kind {
        case .ctype:
            return "ctype<\(types.name(cd.payload.load(as: CTypeID.self)))>"
        case .integer where t.size == 8:
            if t.isUnsigned { return "\(cd.payload.load(as: UInt64.self))ULL" }
            return "\(cd.payload.load(as: Int64.self))LL"
        case .complex:
            let (re, im): (Double, Double)
            if case .complex(let r, let i)? = types.load(id, at: cd.payload) { (re, im) = (r, i) } else { (re, im) = (0, 0) }
            let sign = im < 0 || (im == 0 && im.sign == .minus) ? "" : "+"
            return numberText(re) + sign + numberText(im) + "i"
        case .enumeration:
            return "cdata<\(types.name(id))>: \(cd.payload.load(as: Int32.self))"
        default:
            var address = UInt(bitPattern: cd.payload)
            if t.kind == .pointer || t.kind == .reference || t.kind == .function {
                address = cd.payload.load(as: UInt.self)
                if address == 0 && t.kind == .pointer { return "cdata<\(types.name(id))>: NULL" }
            }
            return "cdata<\(types.name(id))>: 0x" + String(address, radix: 16).leftPadded(to: 8)
        }
    }
}
