/// The value representation's bit patterns (runtime/Values/Value.swift) as compiled code
/// tests them inline, derived from `Value` so they cannot drift.
import PerigeeRuntime

/// Bit patterns of the value representation (runtime/Values/Value.swift), for inline tests.
public enum ValueBits {
    public static let `nil` = Value.nil.bits
    public static let `false` = Value.false.bits
    public static let `true` = Value.true.bits
    /// A value is a number when its bits are below this (top 17 bits <= 0x1FFF2).
    public static let numberBound: UInt64 = (Value.numberLimit + 1) << Value.tagShift
    /// A value is truthy when its bits are below this (neither nil nor false).
    public static let truthyBound: UInt64 = 0x1FFFE << Value.tagShift
    /// The top 17 bits of a table, a function and a string value.
    public static let tableTag: UInt64 = 0x1FFFF ^ UInt64(ValueTag.table.rawValue)
    public static let stringTag: UInt64 = 0x1FFFF ^ UInt64(ValueTag.string.rawValue)
    public static let functionTag: UInt64 = 0x1FFFF ^ UInt64(ValueTag.function.rawValue)
    public static let cdataTag: UInt64 = 0x1FFFF ^ UInt64(ValueTag.cdata.rawValue)
    public static let userdataTag: UInt64 = 0x1FFFF ^ UInt64(ValueTag.userdata.rawValue)
    public static let payloadMask = Value.payloadMask
    /// Collectable values (strings through userdata) have top 17 bits in this range.
    public static let collectableLow: UInt64 = 0x1FFFF ^ UInt64(ValueTag.userdata.rawValue)
    public static let collectableSpan: UInt64 = UInt64(ValueTag.userdata.rawValue - ValueTag.string.rawValue)
}
