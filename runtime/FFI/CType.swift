/// C types of the FFI: their representation, interning in one table per Lua state, layout
/// (size and alignment on x86-64/arm64 System V) and luajit's way of naming them.
import Glibc

/// Index of a C type in `CTypeTable.types`.
public typealias CTypeID = Int32

/// What a C type is.
enum CTypeKind: UInt8 {
    case void, bool, integer, float, complex, pointer, reference, array, structure, union, enumeration, function
    /// The type of `ffi.typeof` results (luajit's `ctype<...>` objects): the payload is a `CTypeID`.
    case ctype
}

/// Qualifier bits of `CType.qualifiers`.
enum CQualifier {
    static let const: UInt8 = 1
    static let volatile: UInt8 = 2
}

/// A struct or union member, a function parameter, or an enum constant.
struct CField {
    var name: String
    var type: CTypeID
    var offset: Int
    /// Bitfields: the first bit inside the storage unit at `offset` and the width; -1 otherwise.
    var bitOffset: Int = -1
    var bitWidth: Int = -1
    /// Enum constants: the value.
    var value: Int64 = 0
}

/// The largest C object, as luajit limits it.
let maximumCTypeSize = 0x7fff_ffff

/// Array lengths that are not a number.
enum CArrayLength {
    /// `[?]`: fixed by `ffi.new`'s first initializer.
    static let variable = -1
    /// `[]`: a flexible array member (or an incomplete array).
    static let open = -2
}

struct CType {
    var kind: CTypeKind
    /// Bytes; -1 when unknown (void, incomplete structs, open arrays, functions).
    var size: Int
    var align: Int
    var qualifiers: UInt8 = 0
    var isUnsigned = false
    /// Pointee, element, return type, or an enum's underlying integer type.
    var element: CTypeID = 0
    /// Arrays: the length or a `CArrayLength`.
    var length = 0
    /// Struct, union and enum tags (empty when anonymous); names of scalar types.
    var name = ""
    /// Members, parameters or enum constants: storage `CTypeTable.members` made, kept for the
    /// table's life, so copying a type copies no reference-counted array.
    var fields = UnsafeBufferPointer<CField>(start: nil, count: 0)
    var isVariadic = false
    /// Structs and unions: members declared (`struct foo;` alone leaves it false).
    var isComplete = true
    /// Structs ending in `[?]`: a variable-length struct sized by `ffi.new`.
    var isVariableLength = false

    var isConst: Bool { qualifiers & CQualifier.const != 0 }
    var isNumber: Bool { kind == .integer || kind == .float || kind == .bool || kind == .enumeration }
    var isAggregate: Bool { kind == .structure || kind == .union || kind == .array || kind == .complex }
    var isRecord: Bool { kind == .structure || kind == .union }
}

/// The facts of a type the hot paths read (indexing, conversions, arithmetic): a copy of
/// them touches no reference counts, unlike `CType` with its name and members.
struct CTypeCore {
    var kind: CTypeKind
    var size: Int
    var align: Int
    var qualifiers: UInt8
    var isUnsigned: Bool
    var element: CTypeID
    var length: Int
    var fields: UnsafeBufferPointer<CField>
    /// `T &` for this type once `CTypeTable.reference(to:)` made it, else -1: what reading
    /// an aggregate element boxes.
    var reference: CTypeID = -1
    /// Function types: the index of their `CCallPlan` once the first call made it, -1 before,
    /// `CCallPlan.none` when calls take the general path.
    var callPlan: Int32 = -1

    init(_ t: CType) {
        kind = t.kind
        size = t.size
        align = t.align
        qualifiers = t.qualifiers
        isUnsigned = t.isUnsigned
        element = t.element
        length = t.length
        fields = t.fields
    }

    var isConst: Bool { qualifiers & CQualifier.const != 0 }
    var isNumber: Bool { kind == .integer || kind == .float || kind == .bool || kind == .enumeration }
    var isRecord: Bool { kind == .structure || kind == .union }
}

/// Built-in type ids, created first in this order by `CTypeTable.init`.
enum CTypeBuiltin {
    static let void: CTypeID = 0
    static let bool: CTypeID = 1
    static let int8: CTypeID = 2
    static let uint8: CTypeID = 3
    static let int16: CTypeID = 4
    static let uint16: CTypeID = 5
    static let int32: CTypeID = 6
    static let uint32: CTypeID = 7
    static let int64: CTypeID = 8
    static let uint64: CTypeID = 9
    static let float: CTypeID = 10
    static let double: CTypeID = 11
    static let longDouble: CTypeID = 12
    static let complexFloat: CTypeID = 13
    static let complexDouble: CTypeID = 14
    static let ctype: CTypeID = 15
    static let constChar: CTypeID = 16
    static let constVoid: CTypeID = 17
    static let voidPointer: CTypeID = 18
    static let constCharPointer: CTypeID = 19
    static let constVoidPointer: CTypeID = 20
    static let charPointer: CTypeID = 21
}

/// The C types of one Lua state: interned by structure, so equal types have equal ids
/// (structs, unions and enums are each their own type), plus the names `ffi.cdef` declared.
final class CTypeTable {
    private(set) var types: [CType] = []
    /// `types` without names and members, and the member cache: what the hot paths read
    /// (see CDataAccess.swift), reachable from the global state without reference counting.
    let access = CDataAccess.make()
    /// `T *` and `T &` by `T`: what indexing and pointer arithmetic ask for all the time,
    /// found without formatting an interning key.
    private var plainPointers: [CTypeID: CTypeID] = [:]
    private var references: [CTypeID: CTypeID] = [:]
    private var interned: [String: CTypeID] = [:]
    /// `typedef` names and declared functions and variables (`ffi.C.name`), enum constants.
    var typedefs: [String: CTypeID] = [:]
    var symbols: [String: CTypeID] = [:]
    /// Symbols declared with `__asm__("name")`: the name to look up instead.
    var symbolNames: [String: String] = [:]
    var constants: [String: (CTypeID, Int64)] = [:]
    /// `struct foo`, `union foo`, `enum foo` by kind and tag.
    var tags: [String: CTypeID] = [:]

    /// Member lists handed out by `members`, freed with the table.
    private var memberStorage: [UnsafeMutableBufferPointer<CField>] = []

    deinit {
        CDataAccess.destroy(access)
        for m in memberStorage {
            m.deinitialize()
            m.deallocate()
        }
    }

    /// Storage for a type's `fields`, owned by the table.
    func members(_ list: [CField]) -> UnsafeBufferPointer<CField> {
        if list.isEmpty { return UnsafeBufferPointer(start: nil, count: 0) }
        let m = UnsafeMutableBufferPointer<CField>.allocate(capacity: list.count)
        _ = m.initialize(from: list)
        memberStorage.append(m)
        return UnsafeBufferPointer(m)
    }

    init() {
        func scalar(_ kind: CTypeKind, _ size: Int, unsigned: Bool = false, _ name: String) {
            _ = add(CType(kind: kind, size: size, align: max(1, min(size, 8)), isUnsigned: unsigned, name: name))
        }
        _ = add(CType(kind: .void, size: -1, align: 1, name: "void"))
        scalar(.bool, 1, unsigned: true, "bool")
        scalar(.integer, 1, "char"); scalar(.integer, 1, unsigned: true, "unsigned char")
        scalar(.integer, 2, "short"); scalar(.integer, 2, unsigned: true, "unsigned short")
        scalar(.integer, 4, "int"); scalar(.integer, 4, unsigned: true, "unsigned int")
        scalar(.integer, 8, "int64_t"); scalar(.integer, 8, unsigned: true, "uint64_t")
        scalar(.float, 4, "float"); scalar(.float, 8, "double")
        _ = add(CType(kind: .float, size: 16, align: 16, name: "long double"))
        _ = add(CType(kind: .complex, size: 8, align: 4, element: CTypeBuiltin.float, name: "complex float"))
        _ = add(CType(kind: .complex, size: 16, align: 8, element: CTypeBuiltin.double, name: "complex"))
        _ = add(CType(kind: .ctype, size: 4, align: 4, name: "ctype"))
        _ = qualified(CTypeBuiltin.int8, CQualifier.const)
        _ = qualified(CTypeBuiltin.void, CQualifier.const)
        _ = pointer(to: CTypeBuiltin.void)
        _ = pointer(to: CTypeBuiltin.constChar)
        _ = pointer(to: CTypeBuiltin.constVoid)
        _ = pointer(to: CTypeBuiltin.int8)
        for (name, id) in [("int8_t", CTypeBuiltin.int8), ("uint8_t", CTypeBuiltin.uint8),
                           ("int16_t", CTypeBuiltin.int16), ("uint16_t", CTypeBuiltin.uint16),
                           ("int32_t", CTypeBuiltin.int32), ("uint32_t", CTypeBuiltin.uint32),
                           ("int64_t", CTypeBuiltin.int64), ("uint64_t", CTypeBuiltin.uint64),
                           ("size_t", CTypeBuiltin.uint64), ("ssize_t", CTypeBuiltin.int64),
                           ("intptr_t", CTypeBuiltin.int64), ("uintptr_t", CTypeBuiltin.uint64),
                           ("ptrdiff_t", CTypeBuiltin.int64), ("wchar_t", CTypeBuiltin.int32),
                           ("va_list", CTypeBuiltin.voidPointer), ("__builtin_va_list", CTypeBuiltin.voidPointer),
                           ("__gnuc_va_list", CTypeBuiltin.voidPointer)] {
            typedefs[name] = id
        }
    }

    subscript(id: CTypeID) -> CType { types[Int(id)] }

    @inline(__always) func core(_ id: CTypeID) -> CTypeCore { access.pointee.cores[Int(id)] }

    private func add(_ t: CType) -> CTypeID {
        types.append(t)
        access.append(CTypeCore(t))
        return CTypeID(types.count - 1)
    }

    /// A type that is its own (a struct, union or enum); `update` completes it later.
    func addUnique(_ t: CType) -> CTypeID { add(t) }

    func update(_ id: CTypeID, _ t: CType) {
        types[Int(id)] = t
        let reference = core(id).reference
        access.pointee.cores[Int(id)] = CTypeCore(t)
        access.pointee.cores[Int(id)].reference = reference
        // Completing a struct changes what its members resolve to.
        access.forgetMembers()
    }

    /// The interned type described by `key`, made by `make` the first time.
    private func intern(_ key: String, _ make: () -> CType) -> CTypeID {
        if let id = interned[key] { return id }
        let id = add(make())
        interned[key] = id
        return id
    }

    /// `id` with qualifiers `q` added (structs, unions and enums get a qualified alias).
    func qualified(_ id: CTypeID, _ q: UInt8) -> CTypeID {
        let t = self[id]
        if q == 0 || t.qualifiers & q == q { return id }
        let base = unqualified(id)
        let all = t.qualifiers | q
        return intern("q\(all):\(base)") {
            var copy = self[base]
            copy.qualifiers = all
            if copy.isRecord || copy.kind == .enumeration { copy.element = base }
            return copy
        }
    }

    /// The type without qualifiers.
    func unqualified(_ id: CTypeID) -> CTypeID {
        if core(id).qualifiers == 0 { return id }
        let t = self[id]
        if t.isRecord || t.kind == .enumeration { return t.element }
        switch t.kind {
        case .pointer: return pointer(to: t.element)
        case .array: return array(of: t.element, length: t.length)
        default:
            return CTypeID(types.firstIndex { $0.kind == t.kind && $0.size == t.size && $0.isUnsigned == t.isUnsigned
                && $0.name == t.name && $0.qualifiers == 0 } ?? Int(id))
        }
    }

    /// The type a qualified struct alias stands for, else `id` itself.
    func recordIdentity(_ id: CTypeID) -> CTypeID {
        let t = core(id)
        return (t.isRecord || t.kind == .enumeration) && t.qualifiers != 0 ? t.element : id
    }

    func pointer(to element: CTypeID, qualifiers: UInt8 = 0) -> CTypeID {
        if qualifiers == 0, let id = plainPointers[element] { return id }
        let id = intern("p\(qualifiers):\(element)") { CType(kind: .pointer, size: 8, align: 8, qualifiers: qualifiers, element: element) }
        if qualifiers == 0 { plainPointers[element] = id }
        return id
    }

    func reference(to element: CTypeID) -> CTypeID {
        if let id = references[element] { return id }
        let id = intern("r:\(element)") { CType(kind: .reference, size: 8, align: 8, element: element) }
        references[element] = id
        access.pointee.cores[Int(element)].reference = id
        return id
    }

    /// `element[length]`; the size is unknown for `[?]` and `[]`.
    func array(of element: CTypeID, length: Int, qualifiers: UInt8 = 0) -> CTypeID {
        let e = self[element]
        return intern("a\(qualifiers):\(element):\(length)") {
            let (product, overflow) = e.size.multipliedReportingOverflow(by: length)
            let size = length >= 0 && e.size >= 0 && !overflow && product <= maximumCTypeSize ? product : -1
            return CType(kind: .array, size: size, align: e.align, qualifiers: qualifiers, element: element, length: length)
        }
    }

    /// A function type; parameters carry their names for messages only.
    func function(returning result: CTypeID, parameters: [CTypeID], variadic: Bool) -> CTypeID {
        let key = "f:\(result):\(parameters.map(String.init).joined(separator: ",")):\(variadic)"
        return intern(key) {
            CType(kind: .function, size: -1, align: 1, element: result,
                  fields: members(parameters.map { CField(name: "", type: $0, offset: 0) }), isVariadic: variadic)
        }
    }

    /// The type a typed value of `id` has after qualifiers and references are looked through.
    func target(_ id: CTypeID) -> CTypeID {
        let t = core(id)
        return t.kind == .reference ? t.element : id
    }

    // MARK: names

    /// luajit's spelling of a type, as `ctype<...>` and messages show it.
    func name(_ id: CTypeID) -> String { declaration(id, "") }

    /// The C declaration of `inner` (a declarator, possibly empty) as type `id`.
    private func declaration(_ id: CTypeID, _ inner: String) -> String {
        let t = self[id]
        let q = t.isConst ? "const " : ""
        func base(_ name: String) -> String { inner.isEmpty ? q + name : q + name + " " + inner }
        switch t.kind {
        case .pointer, .reference:
            let mark = t.kind == .pointer ? "*" : "&"
            return declaration(t.element, mark + (t.isConst ? (inner.isEmpty ? "const" : "const ") : "") + inner)
        case .array:
            let dims = t.length >= 0 ? "[\(t.length)]" : t.length == CArrayLength.variable ? "[?]" : "[]"
            let wrapped = inner.hasPrefix("*") || inner.hasPrefix("&") ? "(\(inner))" : inner
            return declaration(t.element, wrapped + dims)
        case .function:
            let wrapped = inner.isEmpty ? "" : "(\(inner))"
            return declaration(t.element, wrapped + "()")
        case .structure, .union, .enumeration:
            let keyword = t.kind == .structure ? "struct" : t.kind == .union ? "union" : "enum"
            return base(keyword + " " + (t.name.isEmpty ? String(recordIdentity(id)) : t.name))
        default:
            return base(t.name)
        }
    }

    // MARK: layout

    /// Lays out members at their offsets (C rules; `packed` puts every member at alignment 1,
    /// `minimumAlign` is an `aligned(n)` attribute, `maximumAlign` a `#pragma pack(n)`) and
    /// returns the record's size and alignment.
    func layout(_ fields: inout [CField], union isUnion: Bool, packed: Bool, minimumAlign: Int,
                maximumAlign: Int? = nil) -> (size: Int, align: Int)? {
        var bits = 0  // bit position of the next member
        var size = 0
        var align = max(1, minimumAlign)
        for i in fields.indices {
            let t = self[fields[i].type]
            let fieldAlign = min(packed ? 1 : t.align, max(maximumAlign ?? Int.max, 1))
            if t.size < 0 && !(t.kind == .array && i == fields.count - 1) { return nil }
            let fieldSize = max(t.size, 0)
            if fields[i].bitWidth >= 0 {
                let unit = fieldSize * 8
                let width = fields[i].bitWidth
                if isUnion { bits = 0 }
                if width == 0 || (!packed && bits / unit != (bits + width - 1) / unit) {
                    bits = (bits + unit - 1) / unit * unit
                }
                let unitStart = packed ? bits / 8 : bits / unit * fieldSize
                fields[i].offset = unitStart
                fields[i].bitOffset = bits - unitStart * 8
                bits += width
                if width > 0 && !packed { align = max(align, fieldAlign) }
                size = max(size, (bits + 7) / 8)
                continue
            }
            var offset = isUnion ? 0 : (bits + 7) / 8
            offset = (offset + fieldAlign - 1) / fieldAlign * fieldAlign
            fields[i].offset = offset
            align = max(align, fieldAlign)
            bits = (offset + fieldSize) * 8
            size = max(size, offset + fieldSize)
            if isUnion { bits = 0 }
        }
        let total = (size + align - 1) / align * align
        return total <= maximumCTypeSize ? (total, align) : nil
    }

    /// The member `name` of record `id`, looking into anonymous members; the offset is
    /// from the start of `id`.
    func member(_ id: CTypeID, _ name: String) -> CField? {
        var name = name
        return name.withUTF8 { member(id, bytes: $0) }
    }

    /// `member` for a name given as bytes (a Lua string's), without making a Swift string.
    func member(_ id: CTypeID, bytes: UnsafeBufferPointer<UInt8>) -> CField? {
        for f in core(id).fields {
            if !f.name.isEmpty && f.name.utf8.count == bytes.count && f.name.utf8.withContiguousStorageIfAvailable({
                memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) ?? f.name.utf8.elementsEqual(bytes) {
                return f
            }
            if f.name.isEmpty, core(f.type).isRecord, var inner = member(f.type, bytes: bytes) {
                inner.offset += f.offset
                return inner
            }
        }
        return nil
    }
}
