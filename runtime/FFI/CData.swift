/// cdata objects: a GC header, the C type id and the payload bytes, allocated and freed by
/// the collector like any other object.
///
/// Layout of `GCCData` (payload at offset 24, 8-byte aligned):
///
///     0  next  8 marked  9 gct (= 10)
///     10 flags    UInt16  `CDataFlag`
///     12 ctype    CTypeID the type of the payload
///     16 size     Int     payload bytes (at least 8 are allocated, so a pointer always fits)
///     24 payload...
///
/// Pointers, references and function addresses keep the address in the payload; a
/// reference (`T &`) reads and writes the memory it points at.
public struct GCCData {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var flags: UInt16
    public var ctype: CTypeID
    public var size: Int

    public static let payloadOffset = MemoryLayout<GCCData>.stride
}

public typealias CDataRef = UnsafeMutablePointer<GCCData>

/// Bits of `GCCData.flags`.
enum CDataFlag {
    /// `ffi.gc` gave it a finalizer (kept in the finalizer table).
    static let finalizer: UInt16 = 1
}

extension UnsafeMutablePointer where Pointee == GCCData {
    @inline(__always) var payload: UnsafeMutableRawPointer { UnsafeMutableRawPointer(self) + GCCData.payloadOffset }
    /// The address a pointer, reference or function cdata holds.
    @inline(__always) var address: UnsafeMutableRawPointer? { payload.load(as: UnsafeMutableRawPointer?.self) }
}

extension Value {
    @inline(__always) public var isCData: Bool { top17 == Value.tagged(.cdata) }
    @inline(__always) var cdata: CDataRef { rawPointer.assumingMemoryBound(to: GCCData.self) }
    @inline(__always) init(cdata: CDataRef) { self.init(tag: .cdata, pointer: cdata) }
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// A new cdata of type `ctype` with `size` zeroed payload bytes; nil when memory runs out.
    func newCData(_ ctype: CTypeID, size: Int) -> CDataRef? {
        let bytes = GCCData.payloadOffset + max(size, 8)
        guard let o = newObject(size: bytes, type: GCObjectType.cdata) else { return nil }
        let c = o.cast(to: GCCData.self)
        c.pointee.flags = 0
        c.pointee.ctype = ctype
        c.pointee.size = size
        c.payload.initializeMemory(as: UInt8.self, repeating: 0, count: max(size, 8))
        return c
    }

    func freeCData(_ c: CDataRef) {
        release(c, size: GCCData.payloadOffset + max(c.pointee.size, 8))
    }
}
