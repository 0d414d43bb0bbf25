/// The FFI's hot paths: reading and writing the C elements and members of a cdata (`a[i]`,
/// `p.x`, `p[i].x = v`) without reference counting, dictionary lookups or string comparisons.
/// The interpreter's table instructions and compiled code's index helpers try these first;
/// what they decline (a metatype's `__index`, a conversion that needs a message, a C type
/// they do not read directly) takes the full path of CDataOperators.swift, which gives the
/// same results, only slower.
///
/// Everything here is reached from the global state (`GlobalState.cdataAccess`): the core
/// facts of every C type (`CTypeCore`, in a buffer `CTypeTable` owns) and a direct-mapped
/// cache of members keyed by the record's type id and the identity of the interned key
/// string. A key that names a member is anchored in the registry (`ffi.membernames`) when it
/// is cached, so no other string can take its address while the entry exists; there are
/// at most as many such keys as member names. Entries for keys that name no member are
/// not anchored: a stale one only sends a lookup down the full path.

/// A cached answer to "which member of record `record` does the string `key` name".
struct CMemberEntry {
    var record: CTypeID = -1
    var key: StringRef? = nil
    /// The member's type (const-qualified when the record is), -1 when `key` names none.
    var type: CTypeID = -1
    /// From the start of the record (anonymous members included).
    var offset: Int = 0
    /// Bitfields: the first bit in the storage unit at `offset` and the width; -1 otherwise.
    var bitOffset: Int32 = -1
    var bitWidth: Int32 = -1
}

struct CDataAccess {
    /// `CTypeTable.types`' core facts, by type id.
    var cores: UnsafeMutablePointer<CTypeCore>
    var count: Int
    var capacity: Int
    /// `memberSlots` entries.
    var members: UnsafeMutablePointer<CMemberEntry>

    static let memberSlots = 1024

    static func make() -> UnsafeMutablePointer<CDataAccess> {
        let a = UnsafeMutablePointer<CDataAccess>.allocate(capacity: 1)
        let members = UnsafeMutablePointer<CMemberEntry>.allocate(capacity: memberSlots)
        members.initialize(repeating: CMemberEntry(), count: memberSlots)
        a.initialize(to: CDataAccess(cores: .allocate(capacity: 64), count: 0, capacity: 64, members: members))
        return a
    }

    static func destroy(_ a: UnsafeMutablePointer<CDataAccess>) {
        a.pointee.cores.deinitialize(count: a.pointee.count)
        a.pointee.cores.deallocate()
        a.pointee.members.deinitialize(count: memberSlots)
        a.pointee.members.deallocate()
        a.deinitialize(count: 1)
        a.deallocate()
    }

    /// The cache slot of member `key` of `record`.
    @inline(__always) static func slot(_ record: CTypeID, _ key: StringRef) -> Int {
        let bits = UInt(bitPattern: key) >> 4 ^ UInt(UInt32(bitPattern: record)) &* 0x9E37_79B9
        return Int(bits & UInt(memberSlots - 1))
    }
}

typealias CDataAccessRef = UnsafeMutablePointer<CDataAccess>

extension UnsafeMutablePointer where Pointee == CDataAccess {
    func append(_ core: CTypeCore) {
        if pointee.count == pointee.capacity {
            let capacity = pointee.capacity * 2
            let cores = UnsafeMutablePointer<CTypeCore>.allocate(capacity: capacity)
            cores.moveInitialize(from: pointee.cores, count: pointee.count)
            pointee.cores.deallocate()
            pointee.cores = cores
            pointee.capacity = capacity
        }
        (pointee.cores + pointee.count).initialize(to: core)
        pointee.count += 1
    }

    /// Empties the member cache (a struct was completed).
    func forgetMembers() {
        pointee.members.update(repeating: CMemberEntry(), count: CDataAccess.memberSlots)
    }

    @inline(__always) func core(_ id: CTypeID) -> CTypeCore { pointee.cores[Int(id)] }
    /// The core facts of `id` in place: the hot paths read single fields, never copy it.
    @inline(__always) func type(_ id: CTypeID) -> UnsafeMutablePointer<CTypeCore> { pointee.cores + Int(id) }
}

/// `object[key]` in memory: the type and address of an element or member, or a bitfield.
private struct CPlace {
    var type: CTypeID
    var address: UnsafeMutableRawPointer
    var bitOffset: Int32 = -1
    var bitWidth: Int32 = -1
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// `object[key]` for a cdata `object`: elements of pointers and arrays by number, members
    /// of records (or of pointers to them) by string. Nil leaves it to the full path.
    @inline(never) func cdataRead(_ object: Value, _ key: Value) -> Value? {
        guard let access = pointee.cdataAccess, let place = access.place(object, key) else { return nil }
        let t = access.type(place.type)
        let p = place.address
        if place.bitWidth >= 0 {
            let n = t.pointee.loadBitfield(bitOffset: Int(place.bitOffset), width: Int(place.bitWidth), at: p)
            return t.pointee.kind == .bool ? Value(bool: n != 0) : Value(number: n)
        }
        let size = t.pointee.size
        switch t.pointee.kind {
        case .float:
            if size == 8 { return Value(normalizingNaN: p.loadUnaligned(as: Double.self)) }
            if size == 4 { return Value(normalizingNaN: Double(p.loadUnaligned(as: Float.self))) }
            return nil
        case .integer:
            switch (size, t.pointee.isUnsigned) {
            case (1, false): return Value(number: Double(p.load(as: Int8.self)))
            case (1, true): return Value(number: Double(p.load(as: UInt8.self)))
            case (2, false): return Value(number: Double(p.loadUnaligned(as: Int16.self)))
            case (2, true): return Value(number: Double(p.loadUnaligned(as: UInt16.self)))
            case (4, false): return Value(number: Double(p.loadUnaligned(as: Int32.self)))
            case (4, true): return Value(number: Double(p.loadUnaligned(as: UInt32.self)))
            default:
                // 64-bit integers are boxed as their unqualified type.
                guard t.pointee.qualifiers == 0 else { return nil }
                return boxedScalar(place.type, p, size: 8)
            }
        case .bool:
            return Value(bool: p.load(as: UInt8.self) != 0)
        case .enumeration:
            if t.pointee.isUnsigned { return Value(number: Double(p.loadUnaligned(as: UInt32.self))) }
            return Value(number: Double(p.loadUnaligned(as: Int32.self)))
        case .pointer:
            guard t.pointee.qualifiers == 0 else { return nil }
            return boxedScalar(place.type, p, size: 8)
        case .structure, .union, .array:
            // A reference to the aggregate in place, once its reference type exists.
            let reference = t.pointee.reference
            guard reference >= 0, let c = newCData(reference, size: 8) else { return nil }
            c.payload.storeBytes(of: p, as: UnsafeMutableRawPointer.self)
            return Value(cdata: c)
        default:
            return nil
        }
    }

    /// `object[key] = value` for a cdata `object` when `value` is a number or a boolean and
    /// the place a number, boolean or enum; false leaves the store (and its errors) to the full path.
    @inline(never) func cdataWrite(_ object: Value, _ key: Value, _ value: Value) -> Bool {
        let scalar: CScalar
        if value.isNumber {
            scalar = .double(value.number)
        } else if value.isBoolean {
            scalar = .signed(value.isTrue ? 1 : 0)
        } else if value.isCData, let unsigned = cdataInteger64(value) {
            // A 64-bit integer (`s.key = s.key + 1LL`) converts as C converts it.
            let bits = value.cdata.payload.load(as: UInt64.self)
            scalar = unsigned ? .unsigned(bits) : .signed(Int64(bitPattern: bits))
        } else {
            return false
        }
        guard let access = pointee.cdataAccess, let place = access.place(object, key) else { return false }
        let t = access.type(place.type)
        if place.bitWidth >= 0 {
            var bits: Int64
            if case .double(let d) = scalar { bits = doubleToInt64(d) } else { bits = scalar.asInt64 }
            if t.pointee.kind == .bool { bits = bits != 0 ? 1 : 0 }
            t.pointee.storeBitfield(bitOffset: Int(place.bitOffset), width: Int(place.bitWidth), bits, at: place.address)
            return true
        }
        guard t.pointee.qualifiers & CQualifier.const == 0 else { return false }
        let p = place.address
        switch t.pointee.kind {
        case .float where t.pointee.size == 8:
            p.storeBytes(of: scalar.asDouble, as: Double.self)
            return true
        case .float, .integer, .bool, .enumeration, .complex:
            t.pointee.store(scalar, at: p)
            return true
        default:
            return false
        }
    }

    private func boxedScalar(_ id: CTypeID, _ p: UnsafeMutableRawPointer, size: Int) -> Value? {
        guard let c = newCData(id, size: size) else { return nil }
        c.payload.copyMemory(from: p, byteCount: size)
        return Value(cdata: c)
    }
}

extension UnsafeMutablePointer where Pointee == CDataAccess {
    /// Where `object[key]` lives, when that is an element or a cached member.
    @inline(__always) fileprivate func place(_ object: Value, _ key: Value) -> CPlace? {
        let cd = object.cdata
        var id = cd.pointee.ctype
        var p = cd.payload
        var t = type(id)
        if t.pointee.kind == .reference {
            p = cd.address ?? p
            id = t.pointee.element
            t = type(id)
        }
        let kind = t.pointee.kind
        if key.isNumber {
            let base: UnsafeMutableRawPointer?
            switch kind {
            case .pointer: base = p.load(as: UnsafeMutableRawPointer?.self)
            case .array: base = p
            default: return nil
            }
            // A NULL pointer and elements of unknown size are the full path's errors.
            guard let base else { return nil }
            let element = t.pointee.element
            let size = type(element).pointee.size
            guard size >= 0 else { return nil }
            return CPlace(type: element, address: base + Int(doubleToInt64(key.number)) &* size)
        }
        guard key.isString else { return nil }
        var record = id
        if kind == .pointer {
            record = t.pointee.element
            let k = type(record).pointee.kind
            guard k == .structure || k == .union, let a = p.load(as: UnsafeMutableRawPointer?.self) else { return nil }
            p = a
        } else if kind != .structure && kind != .union {
            return nil
        }
        let entry = member(record, key.string)
        guard entry.type >= 0 else { return nil }
        return CPlace(type: entry.type, address: p + entry.offset, bitOffset: entry.bitOffset, bitWidth: entry.bitWidth)
    }
}

extension UnsafeMutablePointer where Pointee == CDataAccess {
    /// Member `key` of record `record`, from the cache or looked up and cached.
    @inline(__always) func member(_ record: CTypeID, _ key: StringRef) -> CMemberEntry {
        let entry = pointee.members[CDataAccess.slot(record, key)]
        if entry.record == record && entry.key == key { return entry }
        return LuaVM.withCurrent { $0.cacheMember(record, key) }
    }
}

extension LuaVM {
    /// Looks member `key` of `record` up by name and caches the answer (anchoring `key` when
    /// it names a member).
    @inline(never) func cacheMember(_ record: CTypeID, _ key: StringRef) -> CMemberEntry {
        let types = ffi.types
        var entry = CMemberEntry(record: record, key: key)
        let owner = types.recordIdentity(types.unqualified(record))
        if var f = types.member(owner, bytes: UnsafeBufferPointer(start: key.bytes, count: key.count)) {
            if types.core(record).isConst { f.type = types.qualified(f.type, CQualifier.const) }
            // Aggregate members are read as references: make the type now, once.
            if types.core(f.type).isRecord || types.core(f.type).kind == .array { _ = types.reference(to: f.type) }
            let names = ffi.registryTable("ffi.membernames", g)
            guard names.set(string: key, .true, g) == .ok else { return entry }
            entry.type = f.type
            entry.offset = f.offset
            entry.bitOffset = Int32(f.bitOffset)
            entry.bitWidth = Int32(f.bitWidth)
        }
        types.access.pointee.members[CDataAccess.slot(record, key)] = entry
        return entry
    }
}
