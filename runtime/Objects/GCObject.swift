/// The GC header every Lua object starts with, the object type byte and the mark bits.
///
/// Layout of `GCHeader` (offset 0 of every object):
///
///     0  next     UnsafeMutablePointer<GCHeader>?  all-objects list (or a table list, a string-table chain,
///                                                  or a thread's open-upvalue list)
///     8  marked   UInt8   colour and per-type flag bits (`GCMark`)
///     9  gct      UInt8   object type (`GCObjectType`, equals the value tag)
///
/// Offsets 10 and 11 belong to each object type (every object struct repeats the header
/// fields first so Swift lays them out identically). Objects that can be gray (tables,
/// functions, protos, threads) keep their gray-list link `gclist` at offset 16.
public struct GCHeader {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
}

public typealias ObjectRef = UnsafeMutablePointer<GCHeader>

/// The header's type byte: the value tag of the object's type (LuaJIT's `~LJ_Txxx`).
public enum GCObjectType {
    public static let string: UInt8 = 4
    public static let upvalue: UInt8 = 5
    public static let thread: UInt8 = 6
    public static let proto: UInt8 = 7
    public static let function: UInt8 = 8
    public static let trace: UInt8 = 9
    public static let cdata: UInt8 = 10
    public static let table: UInt8 = 11
    public static let userdata: UInt8 = 12
}

/// Bits of `GCHeader.marked`. Per-type bits share positions, as in LuaJIT.
public enum GCMark {
    public static let white0: UInt8 = 0x01
    public static let white1: UInt8 = 0x02
    public static let whites: UInt8 = white0 | white1
    public static let black: UInt8 = 0x04
    /// Userdata: its finalizer has run (or was queued); never queued again.
    public static let finalized: UInt8 = 0x08
    /// Table: weak keys / weak values, set while the table is traversed.
    public static let weakKey: UInt8 = 0x08
    public static let weakValue: UInt8 = 0x10
    public static let weak: UInt8 = weakKey | weakValue
    /// Never collected (metamethod names and other permanent strings).
    public static let fixed: UInt8 = 0x20
    /// Table: its array or hash part has a block of its own (not colocated with the header),
    /// kept here, in the header's first line, so that freeing a table without one reads
    /// nothing past the line the sweep has just read.
    public static let separateParts: UInt8 = 0x40
}

/// The gray-list link every grayable object keeps at offset 16.
public let gcListOffset = 16

extension UnsafeMutablePointer where Pointee == GCHeader {
    @inline(__always) public var isWhite: Bool { pointee.marked & GCMark.whites != 0 }
    @inline(__always) public var isBlack: Bool { pointee.marked & GCMark.black != 0 }
    @inline(__always) public var isGray: Bool { pointee.marked & (GCMark.black | GCMark.whites) == 0 }

    /// The gray-list link of a table, function, proto or thread.
    @inline(__always) var gclist: ObjectRef? {
        get { UnsafeMutableRawPointer(self).load(fromByteOffset: gcListOffset, as: ObjectRef?.self) }
        nonmutating set { UnsafeMutableRawPointer(self).storeBytes(of: newValue, toByteOffset: gcListOffset, as: ObjectRef?.self) }
    }

    @inline(__always) func cast<T>(to type: T.Type) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer(self).assumingMemoryBound(to: T.self)
    }
}

/// Any object pointer seen as its header.
@inline(__always) func header<T>(_ object: UnsafeMutablePointer<T>) -> ObjectRef {
    UnsafeMutableRawPointer(object).assumingMemoryBound(to: GCHeader.self)
}
