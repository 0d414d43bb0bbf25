/// The inline caches of compiled code's cdata reads and stores (`p.x`, `a[i]`, `p.x = v`):
/// two words per instruction, which `perigee_cdata_site` fills the first time the
/// instruction meets a cdata and compiled code then tests with one comparison of the C type
/// id before a direct load or store (Sources/PerigeeAOT/CDataPaths.swift).
///
/// Word 0: the cdata's C type id + 1 in the low 32 bits (0: empty), the form above them
/// (for an aggregate read as a reference, the reference's C type id in the form's high bits).
/// Word 1: the member's offset (string keys) or the element size (number keys).
/// A form of 0 says "not inline": the instruction's full path runs without asking again.
public enum CDataSite {
    /// The form's low bits: the C scalar at the place, as compiled code loads and stores it.
    public static let scalarMask: UInt32 = 0xF
    public static let double: UInt32 = 1
    public static let int8: UInt32 = 2
    public static let uint8: UInt32 = 3
    public static let int16: UInt32 = 4
    public static let uint16: UInt32 = 5
    public static let int32: UInt32 = 6
    public static let uint32: UInt32 = 7
    public static let bool: UInt32 = 8
    /// `int64_t` and `uint64_t` (unqualified): read as a new cdata, stored from a number or
    /// from another 64-bit integer's bits.
    public static let int64: UInt32 = 9
    public static let uint64: UInt32 = 10
    /// An aggregate (struct, union, array) read as a new reference cdata to it, whose C type
    /// id (the element's `T &`) is the form's bits from `referenceShift` on.
    public static let reference: UInt32 = 11
    public static let referenceShift: UInt32 = 8
    /// The payload holds the address to start from (a pointer or a reference), not the data.
    public static let indirect: UInt32 = 0x10

    /// The scalar code of C type `id` (whose entry is `t`), or 0 when compiled code does not
    /// load or store it itself.
    static func scalar(_ id: CTypeID, _ t: UnsafeMutablePointer<CTypeCore>, store: Bool) -> UInt32 {
        if id == CInteger64.signedType { return int64 }
        if id == CInteger64.unsignedType { return uint64 }
        if store && t.pointee.qualifiers & CQualifier.const != 0 { return 0 }
        switch (t.pointee.kind, t.pointee.size, t.pointee.isUnsigned) {
        case (.float, 8, _): return double
        case (.integer, 1, false): return int8
        case (.integer, 1, true): return uint8
        case (.integer, 2, false): return int16
        case (.integer, 2, true): return uint16
        case (.integer, 4, false): return int32
        case (.integer, 4, true): return uint32
        case (.bool, _, _): return bool
        default: return 0
        }
    }
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// Fills the inline cache `site` of an instruction that met cdata `object` with `key`:
    /// elements by number and members by string, of arrays, records, pointers and references.
    func fillCDataSite(_ site: UnsafeMutablePointer<UInt64>, _ object: Value, _ key: Value, store: Bool) {
        guard object.isCData, let access = pointee.cdataAccess else { return }
        let id = object.cdata.pointee.ctype
        var t = access.type(id)
        var indirect = false
        if t.pointee.kind == .reference {
            indirect = true
            t = access.type(t.pointee.element)
        }
        var form: UInt32 = 0
        var amount = 0
        switch t.pointee.kind {
        case .array where key.isNumber, .pointer where key.isNumber && !indirect:
            if t.pointee.kind == .pointer { indirect = true }
            let element = access.type(t.pointee.element)
            amount = element.pointee.size
            form = amount > 0 ? CDataSite.scalar(t.pointee.element, element, store: store) : 0
            if amount > 0 && !store { form = form != 0 ? form : referenceForm(t.pointee.element) }
        case .structure where key.isString, .union where key.isString, .pointer where key.isString && !indirect:
            var record = CTypeID(t - access.pointee.cores)
            if t.pointee.kind == .pointer {
                indirect = true
                record = t.pointee.element
                guard access.type(record).pointee.isRecord else { break }
            }
            let entry = access.member(record, key.string)
            guard entry.type >= 0, entry.bitWidth < 0 else { break }
            amount = entry.offset
            form = CDataSite.scalar(entry.type, access.type(entry.type), store: store)
            if !store && form == 0 { form = referenceForm(entry.type) }
        default:
            break
        }
        if form != 0 && indirect { form |= CDataSite.indirect }
        site[1] = UInt64(bitPattern: Int64(amount))
        site[0] = UInt64(UInt32(bitPattern: id + 1)) | UInt64(form) << 32
    }

    /// The reference form of an aggregate of C type `id` whose size is known (its `T &`
    /// made now, as the trace recorder makes it), or 0.
    private func referenceForm(_ id: CTypeID) -> UInt32 {
        guard let reference = cdataReferenceType(id), reference >= 0,
              reference < 1 << (32 - CDataSite.referenceShift) else { return 0 }
        return CDataSite.reference | UInt32(reference) << CDataSite.referenceShift
    }
}
