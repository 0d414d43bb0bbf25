/// What the JIT's recorder asks about cdata: the C type of a cdata, how an element or member
/// of it is laid out, and how a scalar there is stored, all answered from the same C type
/// table and member cache the interpreter's hot paths use (CDataAccess.swift), so compiled
/// traces read and write exactly the places `cdataRead` and `cdataWrite` do.
import CLibFFI

/// How a C scalar is stored, for a compiled load or store (the conversions are the ones of
/// `CTypeCore.store` and `cdataRead`).
public enum CScalarStorage: UInt8 {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, float, double, bool
}

/// A C function a trace calls directly: its address, and the storage of its parameters
/// and result (nil: void) when all are scalars a compiled call converts, or pointers a Lua
/// string converts to (`const char *`, `void *`: the string's bytes).
public struct CTraceFunction {
    public let address: UInt64
    /// Each parameter's storage (for a string pointer, `uint64`: an address).
    public let parameters: [CScalarStorage]
    /// The parameters that take a Lua string's bytes (pointers to `void` or to a 1-byte
    /// integer, as `address(of:for:cast:)` converts a string).
    public let textParameters: Set<Int>
    public let result: CScalarStorage?
}

/// A cdata's C type as compiled code sees it.
public struct CTraceType {
    public enum Kind { case pointer, reference, array, record, scalar, other }
    public let id: CTypeID
    public let kind: Kind
    /// Pointers, references and arrays: the element (pointee) type.
    public let element: CTypeID
}

/// An element or member of a cdata: its C type and its byte offset from the start of the
/// object (members) — elements add index × `elementSize`.
public struct CTracePlace {
    public let type: CTypeID
    public let offset: Int
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// The C type id of cdata `v`.
    public func cdataTypeID(_ v: Value) -> CTypeID { v.cdata.pointee.ctype }

    /// Whether pointer cdata `v` holds NULL.
    public func cdataIsNull(_ v: Value) -> Bool { v.cdata.address == nil }

    /// What kind of C type `id` is, for the recorder.
    public func cdataTraceType(_ id: CTypeID) -> CTraceType? {
        guard let access = pointee.cdataAccess, id >= 0, Int(id) < access.pointee.count else { return nil }
        let t = access.core(id)
        let kind: CTraceType.Kind
        switch t.kind {
        case .pointer: kind = .pointer
        case .reference: kind = .reference
        case .array: kind = .array
        case .structure, .union: kind = .record
        case .bool, .integer, .float, .enumeration: kind = .scalar
        default: kind = .other
        }
        return CTraceType(id: id, kind: kind, element: t.element)
    }

    /// `object[key]` as the interpreter's fast path reads it now (nil when it declines): what
    /// a trace guards a loaded boolean on.
    public func cdataIndexValue(_ object: Value, _ key: Value) -> Value? { cdataRead(object, key) }

    /// The size of a C type's values (-1 when unknown).
    public func cdataSize(_ id: CTypeID) -> Int {
        guard let access = pointee.cdataAccess else { return -1 }
        return access.core(id).size
    }

    /// Member `key` of record type `record` that is not a bitfield (bitfields and names
    /// that are no member take the runtime's path).
    public func cdataMember(_ record: CTypeID, _ key: StringRef) -> CTracePlace? {
        guard let access = pointee.cdataAccess else { return nil }
        let k = access.core(record).kind
        guard k == .structure || k == .union else { return nil }
        let entry = access.member(record, key)
        guard entry.type >= 0, entry.bitWidth < 0 else { return nil }
        return CTracePlace(type: entry.type, offset: entry.offset)
    }

    /// How a value of C type `id` is stored when it is a scalar that reads as a Lua number or
    /// boolean (`cdataRead`'s unboxed cases: not 64-bit integers, which read as cdata); also
    /// 64-bit integers when `forStore` (stores of numbers convert to them). Nil for other
    /// types, and for const types when `forStore` (the runtime reports the error).
    public func cdataStorage(_ id: CTypeID, forStore: Bool) -> CScalarStorage? {
        guard let access = pointee.cdataAccess else { return nil }
        let t = access.core(id)
        if forStore && t.isConst { return nil }
        switch t.kind {
        case .bool: return .bool
        case .enumeration: return t.isUnsigned ? .uint32 : .int32
        case .float:
            if t.size == 8 { return .double }
            return t.size == 4 ? .float : nil
        case .integer:
            switch (t.size, t.isUnsigned) {
            case (1, false): return .int8
            case (1, true): return .uint8
            case (2, false): return .int16
            case (2, true): return .uint16
            case (4, false): return .int32
            case (4, true): return .uint32
            case (8, false): return forStore ? .int64 : nil
            case (8, true): return forStore ? .uint64 : nil
            default: return nil
            }
        default: return nil
        }
    }

    /// C function cdata `f` (a function, or a pointer to one) when a trace may call it
    /// itself: fixed parameters of 32- and 64-bit integer, float or double type (narrower
    /// ones need the ABI's extension), a result of such a type, a narrower integer or void.
    /// Calls of 64-bit results (which box) and other signatures take the runtime's path.
    public func cdataCallable(_ f: Value) -> CTraceFunction? {
        guard let access = pointee.cdataAccess, f.isCData else { return nil }
        let cd = f.cdata
        var id = cd.pointee.ctype
        var t = access.core(id)
        if t.kind == .pointer && access.core(t.element).kind == .function {
            id = t.element
            t = access.core(id)
        } else if t.kind != .function {
            return nil
        }
        guard let address = cd.address else { return nil }
        var textParameters: Set<Int> = []
        let parameters = LuaVM.withCurrent { vm -> [CScalarStorage]? in
            let declared = vm.ffi.types[id]
            guard !declared.isVariadic else { return nil }
            var list: [CScalarStorage] = []
            for (n, p) in declared.fields.enumerated() {
                let core = access.core(p.type)
                if core.kind == .pointer {
                    let pointee = access.core(core.element)
                    guard pointee.kind == .void || (pointee.kind == .integer && pointee.size == 1) else { return nil }
                    textParameters.insert(n)
                    list.append(.uint64)
                    continue
                }
                guard let s = cdataStorage(p.type, forStore: true),
                      [.int32, .uint32, .int64, .uint64, .float, .double].contains(s) else { return nil }
                list.append(s)
            }
            return list
        }
        guard let parameters else { return nil }
        var result: CScalarStorage? = nil
        if access.core(t.element).kind != .void {
            // A 64-bit integer result becomes an int64_t or uint64_t cdata (int64 storage).
            guard let r = cdataStorage(t.element, forStore: false) ?? cdataStorage(t.element, forStore: true),
                  r != .bool else { return nil }
            result = r
        }
        return CTraceFunction(address: UInt64(UInt(bitPattern: address)), parameters: parameters,
                              textParameters: textParameters, result: result)
    }

    /// How many results a call of cdata `f` gives when it is a C function or a pointer to
    /// one: none for a `void` function, else one. Nil for any other cdata (a ctype's
    /// constructor, a metatype's `__call`).
    public func cdataFunctionResults(_ f: Value) -> Int? {
        guard let access = pointee.cdataAccess, f.isCData else { return nil }
        var t = access.core(f.cdata.pointee.ctype)
        if t.kind == .pointer { t = access.core(t.element) }
        guard t.kind == .function else { return nil }
        return access.core(t.element).kind == .void ? 0 : 1
    }

    /// A C function `lib.name` of C library namespace `lib` handed out before (`ffi.C.sqrt`),
    /// which stays the same function: nil when `lib` is no namespace or the name not cached.
    public func cdataLibraryFunction(_ lib: Value, _ key: Value) -> Value? {
        LuaVM.withCurrent { $0.cachedCFunction(lib, key) }
    }

    /// The cell holding `errno` as the last C call left it (`ffi.errno()`): compiled calls
    /// set `errno` from it before the call and save it after, as the runtime's calls do.
    public var ffiErrnoCell: UnsafeMutablePointer<Int32> { LuaVM.withCurrent { $0.ffi.errnoCell } }

    /// Whether callbacks into Lua exist (`ffiErrnoCell[1]` counts them): C code may then
    /// run Lua code, which a trace's direct call of C cannot allow.
    public var ffiCallbacksExist: Bool { ffiErrnoCell[1] != 0 }

    /// Whether a value of C type `id` reads as a pointer cdata of that type (an unqualified
    /// pointer, as `cdataRead` boxes it).
    public func cdataIsPlainPointer(_ id: CTypeID) -> Bool {
        guard let access = pointee.cdataAccess else { return false }
        let t = access.core(id)
        return t.kind == .pointer && t.qualifiers == 0
    }

    /// Whether cdata `v` is a 64-bit integer a trace computes with unboxed: nil when it is
    /// not an `int64_t` or `uint64_t`, else whether it is unsigned.
    public func cdataInteger64(_ v: Value) -> Bool? {
        guard v.isCData else { return nil }
        return cdataInteger64Type(v.cdata.pointee.ctype)
    }

    /// Whether C type `id` is `int64_t` (false) or `uint64_t` (true); nil for other types.
    public func cdataInteger64Type(_ id: CTypeID) -> Bool? {
        id == CTypeBuiltin.int64 ? false : id == CTypeBuiltin.uint64 ? true : nil
    }

    /// The type id of `int64_t` or `uint64_t`.
    public func cdataInteger64ID(unsigned: Bool) -> CTypeID { unsigned ? CTypeBuiltin.uint64 : CTypeBuiltin.int64 }

    /// The bits of a 64-bit integer operand as luajit's arithmetic converts it: an
    /// `int64_t`/`uint64_t` cdata's value, a number truncated (to `uint64_t` when `unsigned`).
    public func cdataInteger64Bits(_ v: Value, unsigned: Bool) -> UInt64 {
        if v.isNumber { return unsigned ? doubleToUInt64(v.number) : UInt64(bitPattern: doubleToInt64(v.number)) }
        return v.cdata.payload.load(as: UInt64.self)
    }

    /// Whether pointers to `a` and to `b` may be subtracted (the same type but for
    /// qualifiers, as the runtime's pointer difference wants).
    public func cdataSameElement(_ a: CTypeID, _ b: CTypeID) -> Bool {
        LuaVM.withCurrent { $0.ffi.types.unqualified(a) == $0.ffi.types.unqualified(b) }
    }

    /// The address a pointer cdata holds, an array's own address, or the address of the
    /// array a reference cdata refers to (what pointer comparisons compare); nil for other
    /// cdata.
    public func cdataPointerAddress(_ v: Value) -> UInt? {
        guard v.isCData, let access = pointee.cdataAccess else { return nil }
        let cd = v.cdata
        let t = access.core(cd.pointee.ctype)
        switch t.kind {
        case .pointer: return UInt(bitPattern: cd.address)
        case .array: return UInt(bitPattern: cd.payload)
        case .reference where access.core(t.element).kind == .array: return UInt(bitPattern: cd.address)
        default: return nil
        }
    }

    /// `T *` (pointer arithmetic's result type for elements of type `element`).
    public func cdataPointerType(to element: CTypeID) -> CTypeID {
        LuaVM.withCurrent { $0.ffi.types.pointer(to: element) }
    }

    /// `T &` for an aggregate type `id` (what reading an aggregate element or member
    /// boxes), made if it does not exist yet; nil for other types.
    public func cdataReferenceType(_ id: CTypeID) -> CTypeID? {
        guard let access = pointee.cdataAccess else { return nil }
        let t = access.core(id)
        guard t.isRecord || t.kind == .array, t.size >= 0 else { return nil }
        if t.reference >= 0 { return t.reference }
        return LuaVM.withCurrent { $0.ffi.types.reference(to: id) }
    }
}

/// A reference cdata of type `ctype` to `address` (a trace's element or member reference,
/// made only when the value must exist: at an exit, or where the trace hands it on), as
/// boxed value bits; nil when memory runs out.
@_cdecl("perigee_cdata_reference")
public func perigee_cdata_reference(_ g: UnsafeMutableRawPointer, _ ctype: Int32, _ address: UnsafeMutableRawPointer) -> UInt64 {
    let global = g.assumingMemoryBound(to: GlobalState.self)
    guard let c = global.newCData(ctype, size: 8) else { return Value.nil.bits }
    c.payload.storeBytes(of: address, as: UnsafeMutableRawPointer.self)
    return Value(cdata: c).bits
}

/// A 64-bit integer cdata of type `ctype` (`int64_t` or `uint64_t`) holding `bits`, as
/// boxed value bits (a trace's unboxed integer, made where the value must exist); nil when
/// memory runs out.
@_cdecl("perigee_cdata_integer")
public func perigee_cdata_integer(_ g: UnsafeMutableRawPointer, _ ctype: Int32, _ bits: UInt64) -> UInt64 {
    let global = g.assumingMemoryBound(to: GlobalState.self)
    guard let c = global.newCData(ctype, size: 8) else { return Value.nil.bits }
    c.payload.storeBytes(of: bits, as: UInt64.self)
    return Value(cdata: c).bits
}

/// `perigee_cdata_integer`'s address, for code that calls it directly (traces).
public let perigeeCDataIntegerAddress: UInt64 = {
    let f: @convention(c) (UnsafeMutableRawPointer, Int32, UInt64) -> UInt64 = perigee_cdata_integer
    return UInt64(UInt(bitPattern: unsafeBitCast(f, to: UnsafeRawPointer.self)))
}()

/// The address of `perigee_errno_location` (this thread's `errno`).
public let perigeeErrnoLocationAddress: UInt64 = {
    let f: @convention(c) () -> UnsafeMutablePointer<Int32> = perigee_errno_location
    return UInt64(UInt(bitPattern: unsafeBitCast(f, to: UnsafeRawPointer.self)))
}()

/// `perigee_cdata_reference`'s address, for code that calls it directly (traces).
public let perigeeCDataReferenceAddress: UInt64 = {
    let f: @convention(c) (UnsafeMutableRawPointer, Int32, UnsafeMutableRawPointer) -> UInt64 = perigee_cdata_reference
    return UInt64(UInt(bitPattern: unsafeBitCast(f, to: UnsafeRawPointer.self)))
}()
