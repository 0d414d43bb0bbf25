/// Lua strings: immutable interned byte arrays with their length and seeded hash cached.
///
/// Layout of `GCString` (the bytes follow the struct, NUL-terminated):
///
///     0  next      string-table chain
///     8  marked    9  gct (= 4)
///     10 reserved  UInt8   keyword index for the lexer (0 = not a keyword)
///     12 hash      UInt32  seeded hash; tables hash string keys by it
///     16 length    UInt32  bytes, not counting the terminating NUL
///     24 bytes...          (`GCString.bytesOffset`)
import Glibc

public struct GCString {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var reserved: UInt8
    public var hash: UInt32
    public var length: UInt32

    /// Where the bytes start, from the start of the object.
    public static let bytesOffset = MemoryLayout<GCString>.stride
}

public typealias StringRef = UnsafeMutablePointer<GCString>

extension UnsafeMutablePointer where Pointee == GCString {
    /// The bytes, followed by a NUL that is not part of the string.
    @inline(__always) public var bytes: UnsafeMutablePointer<UInt8> {
        (UnsafeMutableRawPointer(self) + GCString.bytesOffset).assumingMemoryBound(to: UInt8.self)
    }
    @inline(__always) public var count: Int { Int(pointee.length) }
    @inline(__always) public var buffer: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes, count: count)
    }
    /// The bytes as a Swift string (invalid UTF-8 repaired): for messages and tests, never hot paths.
    public var description: String { String(decoding: buffer, as: UTF8.self) }
    /// Whether the string starts with `__`, as every metamethod name does.
    @inline(__always) public var hasMetamethodPrefix: Bool { count >= 2 && bytes[0] == 95 && bytes[1] == 95 }

    /// The size of the whole object.
    @inline(__always) var allocationSize: Int { GCString.bytesOffset + count + 1 }
}

/// The longest string a concatenation makes (luajit's LJ_MAX_STR); past it, "string length
/// overflow".
let maxStringLength = 0x7fff_ff00

/// Lua 5.1's sampling hash with a per-state seed: every byte of strings up to 32 bytes,
/// about 32 evenly spaced bytes of longer ones (equal strings still compare in full).
@inline(__always)
func hashString(_ bytes: UnsafeRawPointer, _ length: Int, seed: UInt32) -> UInt32 {
    let p = bytes.assumingMemoryBound(to: UInt8.self)
    var h = seed ^ UInt32(truncatingIfNeeded: length)
    let step = (length >> 5) + 1
    var i = length
    while i >= step {
        h ^= (h << 5) &+ (h >> 2) &+ UInt32(p[i - 1])
        i -= step
    }
    return h
}

/// Mixes 64 bits into 32 (LuaJIT's rotate hash); used for number, boolean and pointer keys.
@inline(__always)
func hashBits(_ bits: UInt64) -> UInt32 {
    var lo = UInt32(truncatingIfNeeded: bits)
    var hi = UInt32(truncatingIfNeeded: bits >> 32)
    lo ^= hi
    hi = (hi << 14) | (hi >> 18)
    lo = lo &- hi
    hi = (hi << 5) | (hi >> 27)
    hi ^= lo
    hi = hi &- ((lo << 13) | (lo >> 19))
    return hi
}
