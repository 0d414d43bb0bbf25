/// Conversions between Lua values and C values in memory, as luajit's FFI semantics define
/// them: numbers to integers (with luajit's out-of-range results), pointers, strings, table
/// initializers, and C values back to numbers, booleans and boxed cdata.
import Glibc

/// A conversion or access that failed, with luajit's message.
struct FFIError: Error {
    let message: String
    /// Set when the message is about argument `argument` (`bad argument #n to ...`).
    var argument: Int? = nil
    init(_ message: String) { self.message = message }
}

/// A C scalar's value on its way between two types.
enum CScalar {
    case signed(Int64)
    case unsigned(UInt64)
    case double(Double)
    case complex(Double, Double)
    case address(UInt)
}

// MARK: number conversions (x86-64 results for values out of range, as luajit gives them)

@inline(__always) public func doubleToInt64(_ d: Double) -> Int64 {
    d >= -9_223_372_036_854_775_808.0 && d < 9_223_372_036_854_775_808.0 ? Int64(d) : Int64.min
}

/// luajit's: truncated below 2^63, wrapped modulo 2^64 from 2^63 to 2^64 + 2^63, else
/// (-1 and below, beyond, NaN) 2^63.
@inline(__always) public func doubleToUInt64(_ d: Double) -> UInt64 {
    if d > -1 && d < 9_223_372_036_854_775_808.0 { return UInt64(d.rounded(.towardZero)) }
    if d >= 9_223_372_036_854_775_808.0 && d < 27_670_116_110_564_327_424.0 {
        return UInt64(bitPattern: Int64(d - 18_446_744_073_709_551_616.0))
    }
    return 1 << 63
}

@inline(__always) func doubleToInt32(_ d: Double) -> Int32 {
    d > -2_147_483_649.0 && d < 2_147_483_648.0 ? Int32(d) : Int32.min
}

extension CScalar {
    var asInt64: Int64 {
        switch self {
        case .signed(let v): return v
        case .unsigned(let v): return Int64(bitPattern: v)
        case .double(let d): return doubleToInt64(d)
        case .complex(let re, _): return doubleToInt64(re)
        case .address(let a): return Int64(bitPattern: UInt64(a))
        }
    }

    var asDouble: Double {
        switch self {
        case .signed(let v): return Double(v)
        case .unsigned(let v): return Double(v)
        case .double(let d): return d
        case .complex(let re, _): return re
        case .address(let a): return Double(a)
        }
    }

    var isZero: Bool {
        switch self {
        case .signed(let v): return v == 0
        case .unsigned(let v): return v == 0
        case .double(let d): return d == 0
        case .complex(let re, let im): return re == 0 && im == 0
        case .address(let a): return a == 0
        }
    }
}

extension CTypeCore {
    /// Stores `v` as a value of this scalar type (integer, bool, enum, float, complex or pointer).
    func store(_ v: CScalar, at p: UnsafeMutableRawPointer) {
        let t = self
        switch t.kind {
        case .bool:
            p.storeBytes(of: v.isZero ? 0 : 1, as: UInt8.self)
        case .integer, .enumeration:
            let size = t.kind == .enumeration ? 4 : t.size
            switch v {
            case .double(let d), .complex(let d, _):
                switch size {
                case 8:
                    if t.isUnsigned { p.storeBytes(of: doubleToUInt64(d), as: UInt64.self) } else { p.storeBytes(of: doubleToInt64(d), as: Int64.self) }
                case 4:
                    if t.isUnsigned { p.storeBytes(of: UInt32(truncatingIfNeeded: doubleToInt64(d)), as: UInt32.self) } else { p.storeBytes(of: doubleToInt32(d), as: Int32.self) }
                case 2: p.storeBytes(of: Int16(truncatingIfNeeded: doubleToInt32(d)), as: Int16.self)
                default: p.storeBytes(of: Int8(truncatingIfNeeded: doubleToInt32(d)), as: Int8.self)
                }
            default:
                let bits = v.asInt64
                switch size {
                case 8: p.storeBytes(of: bits, as: Int64.self)
                case 4: p.storeBytes(of: Int32(truncatingIfNeeded: bits), as: Int32.self)
                case 2: p.storeBytes(of: Int16(truncatingIfNeeded: bits), as: Int16.self)
                default: p.storeBytes(of: Int8(truncatingIfNeeded: bits), as: Int8.self)
                }
            }
        case .float:
            if t.size == 4 { p.storeBytes(of: Float(v.asDouble), as: Float.self) } else {
                p.storeBytes(of: v.asDouble, as: Double.self)
                if t.size == 16 { (p + 8).storeBytes(of: 0, as: UInt64.self) }
            }
        case .complex:
            var re = v.asDouble, im = 0.0
            if case .complex(let r, let i) = v { re = r; im = i }
            if t.size == 8 {
                p.storeBytes(of: Float(re), as: Float.self)
                (p + 4).storeBytes(of: Float(im), as: Float.self)
            } else {
                p.storeBytes(of: re, as: Double.self)
                (p + 8).storeBytes(of: im, as: Double.self)
            }
        case .pointer, .function:
            p.storeBytes(of: UInt(bitPattern: Int(truncatingIfNeeded: v.asInt64)), as: UInt.self)
        default:
            break
        }
    }

    /// The scalar stored at `p` as this type, or nil when it is not a scalar.
    @inline(__always) func load(at p: UnsafeRawPointer) -> CScalar? {
        let t = self
        switch t.kind {
        case .bool: return .signed(p.load(as: UInt8.self) != 0 ? 1 : 0)
        case .integer, .enumeration:
            let size = t.kind == .enumeration ? 4 : t.size
            switch (size, t.isUnsigned) {
            case (8, false): return .signed(p.loadUnaligned(as: Int64.self))
            case (8, true): return .unsigned(p.loadUnaligned(as: UInt64.self))
            case (4, false): return .signed(Int64(p.loadUnaligned(as: Int32.self)))
            case (4, true): return .signed(Int64(p.loadUnaligned(as: UInt32.self)))
            case (2, false): return .signed(Int64(p.loadUnaligned(as: Int16.self)))
            case (2, true): return .signed(Int64(p.loadUnaligned(as: UInt16.self)))
            case (_, false): return .signed(Int64(p.load(as: Int8.self)))
            default: return .signed(Int64(p.load(as: UInt8.self)))
            }
        case .float:
            return .double(t.size == 4 ? Double(p.loadUnaligned(as: Float.self)) : p.loadUnaligned(as: Double.self))
        case .complex:
            if t.size == 8 { return .complex(Double(p.loadUnaligned(as: Float.self)), Double((p + 4).loadUnaligned(as: Float.self))) }
            return .complex(p.loadUnaligned(as: Double.self), (p + 8).loadUnaligned(as: Double.self))
        case .pointer:
            return .address(p.loadUnaligned(as: UInt.self))
        default:
            return nil
        }
    }

    /// Reads a bitfield of this type, `width` bits from bit `bitOffset` of the unit at `p`, as a number.
    func loadBitfield(bitOffset: Int, width bitWidth: Int, at p: UnsafeRawPointer) -> Double {
        let t = self
        var unit: UInt64 = 0
        memcpy(&unit, p, max(1, min(8, t.size)))
        let width = UInt64(bitWidth)
        var v = (unit >> UInt64(bitOffset)) & (width >= 64 ? ~0 : (1 << width) - 1)
        if t.kind == .bool { return v != 0 ? 1 : 0 }
        if !t.isUnsigned && width > 0 && v & (1 << (width - 1)) != 0 { v |= ~0 << width }
        return t.isUnsigned ? Double(v) : Double(Int64(bitPattern: v))
    }

    func storeBitfield(bitOffset: Int, width bitWidth: Int, _ value: Int64, at p: UnsafeMutableRawPointer) {
        let size = max(1, min(8, self.size))
        var unit: UInt64 = 0
        memcpy(&unit, p, size)
        let width = UInt64(bitWidth)
        let mask: UInt64 = (width >= 64 ? ~0 : (1 << width) - 1) << UInt64(bitOffset)
        unit = (unit & ~mask) | ((UInt64(bitPattern: value) << UInt64(bitOffset)) & mask)
        memcpy(p, &unit, size)
    }
}

extension CTypeTable {
    /// Stores `v` as a value of scalar type `id` (integer, bool, enum, float, complex or pointer).
    func store(_ v: CScalar, as id: CTypeID, at p: UnsafeMutableRawPointer) { core(id).store(v, at: p) }

    /// The scalar stored at `p` as type `id`, or nil when `id` is not a scalar.
    func load(_ id: CTypeID, at p: UnsafeRawPointer) -> CScalar? { core(id).load(at: p) }

    /// Reads a bitfield member as a number.
    func loadBitfield(_ f: CField, at p: UnsafeRawPointer) -> Double {
        core(f.type).loadBitfield(bitOffset: f.bitOffset, width: f.bitWidth, at: p)
    }

    func storeBitfield(_ f: CField, _ value: Int64, at p: UnsafeMutableRawPointer) {
        core(f.type).storeBitfield(bitOffset: f.bitOffset, width: f.bitWidth, value, at: p)
    }
}

extension LuaVM {
    /// How a Lua value is named in conversion messages: its type, or its C type for cdata.
    func conversionName(_ v: Value) -> String {
        v.isCData ? ffi.types.name(v.cdata.pointee.ctype) : typeName(v)
    }

    /// The memory a cdata stands for and that memory's type: references and pointers stay
    /// what they are, a reference is followed.
    func cdataTarget(_ cd: CDataRef) -> (CTypeID, UnsafeMutableRawPointer) {
        let t = ffi.types.core(cd.pointee.ctype)
        if t.kind == .reference { return (t.element, cd.address ?? cd.payload) }
        return (cd.pointee.ctype, cd.payload)
    }

    /// A new cdata of type `id` holding a copy of the `size` bytes at `p` (a zeroed one when nil).
    func box(_ id: CTypeID, copying p: UnsafeRawPointer?, size: Int) -> Value? {
        guard let cd = g.newCData(id, size: size) else { return nil }
        if let p, size > 0 { cd.payload.copyMemory(from: p, byteCount: size) }
        return Value(cdata: cd)
    }

    /// A new pointer, reference or function cdata holding `address`.
    func box(_ id: CTypeID, address: UnsafeRawPointer?) -> Value? {
        guard let cd = g.newCData(id, size: 8) else { return nil }
        cd.payload.storeBytes(of: address, as: UnsafeRawPointer?.self)
        return Value(cdata: cd)
    }

    /// The Lua value of the C value of type `id` at `p`: numbers and booleans for small
    /// scalars, boxed cdata for 64-bit integers, complex numbers and pointers, and a
    /// reference for aggregates. Nil when memory runs out.
    func cValue(_ id: CTypeID, at p: UnsafeMutableRawPointer) -> Value? {
        let types = ffi.types
        let t = types.core(id)
        switch t.kind {
        case .bool: return Value(bool: p.load(as: UInt8.self) != 0)
        case .integer where t.size == 8:
            return box(types.unqualified(id), copying: p, size: 8)
        case .integer, .enumeration, .float:
            if t.kind == .float && t.size == 16 { return box(id, copying: p, size: 16) }
            return Value(normalizingNaN: types.load(id, at: p)!.asDouble)
        case .complex, .pointer:
            return box(types.unqualified(id), copying: p, size: t.size)
        case .reference:
            return cValue(t.element, at: p.load(as: UnsafeMutableRawPointer.self))
        case .function:
            return box(id, address: p)
        case .void:
            return .nil
        default:
            return box(types.reference(to: id), address: p)
        }
    }

    /// The scalar a Lua value stands for when converted to a C number (nil when it is none).
    func scalar(of v: Value) -> CScalar? {
        if v.isNumber { return .double(v.number) }
        if v.isBoolean { return .signed(v.isTrue ? 1 : 0) }
        guard v.isCData else { return nil }
        let (id, p) = cdataTarget(v.cdata)
        let t = ffi.types.core(id)
        if t.kind == .array || t.isRecord { return .address(UInt(bitPattern: p)) }
        if t.kind == .function { return .address(UInt(bitPattern: v.cdata.address)) }
        return ffi.types.load(id, at: p)
    }

    /// Converts `v` to C type `id` at `p`. `cast` allows what `ffi.cast` allows (numbers to
    /// pointers, any pointer to any pointer).
    func convert(_ v: Value, to id: CTypeID, at p: UnsafeMutableRawPointer, cast: Bool = false) throws(FFIError) {
        let types = ffi.types
        let t = types.core(id)
        func fail() -> FFIError { FFIError("cannot convert '\(conversionName(v))' to '\(types.name(id))'") }
        switch t.kind {
        case .bool, .integer, .float, .complex, .enumeration:
            if t.kind == .enumeration && v.isString {
                guard let field = types[id].fields.first(where: { $0.name == v.string.description }) else { throw fail() }
                types.store(.signed(field.value), as: id, at: p)
                return
            }
            guard let s = scalar(of: v) else { throw fail() }
            if case .address = s, !cast, t.kind != .bool { throw fail() }
            if t.kind == .bool, v.isCData, case .address = s, !cast { throw fail() }
            types.store(s, as: id, at: p)
        case .pointer:
            p.storeBytes(of: try address(of: v, for: id, cast: cast), as: UnsafeRawPointer?.self)
        case .reference:
            p.storeBytes(of: try address(of: v, for: types.pointer(to: t.element), cast: cast), as: UnsafeRawPointer?.self)
        case .array:
            if v.isString, types[t.element].size == 1 {
                let s = v.string
                let n = t.length >= 0 ? min(s.count + 1, t.size) : s.count + 1
                p.copyMemory(from: s.bytes, byteCount: min(n, s.count))
                if n > s.count { p.storeBytes(of: 0, toByteOffset: s.count, as: UInt8.self) }
                return
            }
            if v.isTable {
                try initialize(id, at: p, table: v.table, length: t.length)
                return
            }
            if v.isCData {
                let (sid, sp) = cdataTarget(v.cdata)
                if types.unqualified(sid) == types.unqualified(id) {
                    p.copyMemory(from: sp, byteCount: max(t.size, 0))
                    return
                }
            }
            throw fail()
        case .structure, .union:
            if v.isTable {
                try initialize(id, at: p, table: v.table, length: 0)
                return
            }
            if v.isCData {
                var (sid, sp) = cdataTarget(v.cdata)
                if cast, types[sid].kind == .pointer, let a = sp.load(as: UnsafeMutableRawPointer?.self) {
                    sid = types[sid].element
                    sp = a
                }
                if types.recordIdentity(types.unqualified(sid)) == types.recordIdentity(types.unqualified(id)) {
                    p.copyMemory(from: sp, byteCount: t.size)
                    return
                }
            }
            throw fail()
        case .function:
            p.storeBytes(of: try address(of: v, for: types.pointer(to: id), cast: cast), as: UnsafeRawPointer?.self)
        default:
            throw fail()
        }
    }

    /// The address `v` converts to as a pointer of type `id` (a pointer type).
    func address(of v: Value, for id: CTypeID, cast: Bool) throws(FFIError) -> UnsafeRawPointer? {
        let types = ffi.types
        let t = types.core(id)
        let pointee = types.core(t.element)
        func fail() -> FFIError { FFIError("cannot convert '\(conversionName(v))' to '\(types.name(id))'") }
        if v.isNil { return nil }
        if v.isNumber {
            guard cast else { throw fail() }
            return UnsafeRawPointer(bitPattern: UInt(truncatingIfNeeded: doubleToInt64(v.number)))
        }
        if v.isString {
            guard cast || pointee.kind == .void || (pointee.kind == .integer && pointee.size == 1) else { throw fail() }
            return UnsafeRawPointer(v.string.bytes)
        }
        if v.isLightUserdata { return UnsafeRawPointer(v.rawPointer) }
        if v.isUserdata { return UnsafeRawPointer(v.userdata.payload) }
        if v.isFunction, pointee.kind == .function {
            return try callbackAddress(for: t.element, v)
        }
        guard v.isCData else { throw fail() }
        let (sid, sp) = cdataTarget(v.cdata)
        let s = types.core(sid)
        let source: UnsafeRawPointer?
        var sourcePointee: CTypeID
        switch s.kind {
        case .pointer:
            source = sp.load(as: UnsafeRawPointer?.self)
            sourcePointee = s.element
        case .array:
            source = UnsafeRawPointer(sp)
            sourcePointee = s.element
        case .function:
            source = UnsafeRawPointer(v.cdata.address)
            sourcePointee = sid
        case .structure, .union:
            source = UnsafeRawPointer(sp)
            sourcePointee = sid
        case .integer, .enumeration, .bool:
            guard cast else { throw fail() }
            return UnsafeRawPointer(bitPattern: UInt(truncatingIfNeeded: types.load(sid, at: sp)!.asInt64))
        default:
            throw fail()
        }
        if cast || pointee.kind == .void || types.core(sourcePointee).kind == .void { return source }
        // Pointers convert to pointers of the same target type, qualifiers may only be added.
        let a = types.recordIdentity(types.unqualified(t.element))
        sourcePointee = types.recordIdentity(types.unqualified(sourcePointee))
        if a == sourcePointee && (!types.core(sourcePointee).isConst || pointee.isConst) { return source }
        if compatible(a, sourcePointee) { return source }
        throw fail()
    }

    /// Pointer targets that differ only in qualifiers further down, or integer signedness of one size.
    private func compatible(_ a: CTypeID, _ b: CTypeID) -> Bool {
        let types = ffi.types
        let x = types[a], y = types[b]
        if x.kind == .integer && y.kind == .integer { return x.size == y.size }
        if x.kind == .pointer && y.kind == .pointer {
            return types.unqualified(x.element) == types.unqualified(y.element) || types[x.element].kind == .void
        }
        return false
    }

    /// Fills an array or record at `p` from a Lua table: arrays from index 0 or 1, records by
    /// member names or, when the table has `[1]`, in order.
    func initialize(_ id: CTypeID, at p: UnsafeMutableRawPointer, table: TableRef, length: Int) throws(FFIError) {
        let types = ffi.types
        let t = types[id]
        if t.kind == .array {
            let e = types[t.element]
            let start = table.get(integer: 0).isNil ? 1 : 0
            var i = 0
            while length < 0 || i < length {
                let v = table.get(integer: start + i)
                if v.isNil { break }
                try convert(v, to: t.element, at: p + i * e.size)
                i += 1
            }
            return
        }
        let positional = !table.get(integer: 1).isNil
        var index = 1
        for f in t.fields {
            let v: Value
            if positional {
                v = table.get(integer: index)
                index += 1
            } else if f.name.isEmpty {
                try initialize(f.type, at: p + f.offset, table: table, length: 0)
                continue
            } else {
                v = table.get(string: g.intern(f.name)!)
            }
            if !v.isNil { try store(v, into: f, at: p) }
            if t.kind == .union { break }
        }
    }

    /// Stores `v` into member `f` of the record at `p`.
    func store(_ v: Value, into f: CField, at p: UnsafeMutableRawPointer) throws(FFIError) {
        if f.bitWidth >= 0 {
            guard let s = scalar(of: v) else {
                throw FFIError("cannot convert '\(conversionName(v))' to '\(ffi.types.name(f.type))'")
            }
            let bits: Int64
            if case .double(let d) = s { bits = doubleToInt64(d) } else { bits = s.asInt64 }
            ffi.types.storeBitfield(f, ffi.types[f.type].kind == .bool ? (bits != 0 ? 1 : 0) : bits, at: p + f.offset)
            return
        }
        let t = ffi.types[f.type]
        if t.kind == .array && t.length < 0 && v.isTable {
            try initialize(f.type, at: p + f.offset, table: v.table, length: -1)
            return
        }
        try convert(v, to: f.type, at: p + f.offset)
    }

    /// Initializes a new cdata of type `id` from `ffi.new`'s initializers.
    func initialize(_ id: CTypeID, at p: UnsafeMutableRawPointer, size: Int, values: [Value]) throws(FFIError) {
        let types = ffi.types
        let t = types[id]
        if values.isEmpty { return }
        switch t.kind {
        case .array:
            let e = types[t.element]
            let count = e.size > 0 ? size / e.size : 0
            if values.count == 1 && (values[0].isTable || (values[0].isString && e.size == 1) || values[0].isCData && types[cdataTarget(values[0].cdata).0].kind == .array) {
                if values[0].isTable {
                    try initialize(id, at: p, table: values[0].table, length: count)
                } else if values[0].isString {
                    let s = values[0].string
                    p.copyMemory(from: s.bytes, byteCount: min(s.count, size))
                } else {
                    try convert(values[0], to: id, at: p)
                }
                return
            }
            if values.count > count { throw FFIError("too many initializers for '\(types.name(id))'") }
            for i in 0..<count {
                // A single initializer fills every element.
                let v = values.count == 1 ? values[0] : i < values.count ? values[i] : nil
                guard let v else { break }
                try convert(v, to: t.element, at: p + i * e.size)
            }
        case .structure, .union:
            if values.count == 1 && (values[0].isTable || values[0].isCData) {
                try convert(values[0], to: id, at: p)
                return
            }
            var fields = t.fields.makeIterator()
            for v in values {
                guard let f = fields.next() else { throw FFIError("too many initializers for '\(types.name(id))'") }
                try store(v, into: f, at: p)
                if t.kind == .union { break }
            }
        default:
            if values.count > 1 && t.kind != .complex { throw FFIError("too many initializers for '\(types.name(id))'") }
            if t.kind == .complex && values.count == 2 {
                guard values[0].isNumber, values[1].isNumber else { throw FFIError("cannot convert '\(conversionName(values[0]))' to '\(types.name(id))'") }
                types.store(.complex(values[0].number, values[1].number), as: id, at: p)
                return
            }
            try convert(values[0], to: id, at: p)
        }
    }
}
