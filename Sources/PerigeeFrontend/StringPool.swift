/// Interned byte strings of one compilation: names and string constants become small ids, so
/// the lexer never allocates per token and constant lookup is an integer compare.

/// An id in a `StringPool`.
public typealias StringID = Int32

/// The strings of a compiled chunk, shared by all its prototypes.
public final class StringPool {
    var interner: StringInterner

    init(_ interner: StringInterner) { self.interner = interner }

    public var count: Int { interner.count }
    public func bytes(of id: StringID) -> ArraySlice<UInt8> { interner.bytes(of: id) }
    public func length(of id: StringID) -> Int { interner.length(of: id) }
    public func string(_ id: StringID) -> String { interner.string(id) }
}

/// The interning table itself: a value type, so the lexer owns it with no reference counting.
struct StringInterner {
    /// All bytes, back to back; entry `i` is `bytes[starts[i] ..< starts[i] + lengths[i]]`.
    private(set) var bytes: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var hashes: [UInt32] = []
    /// Open-addressing slots holding id + 1 (0 = empty).
    private var slots: [Int32]
    private var mask: Int

    init() {
        slots = [Int32](repeating: 0, count: 256)
        mask = 255
        bytes.reserveCapacity(4096)
        // Ids 0..21 are the reserved words, in token order, so the lexer needs one compare.
        for word in Tok.reservedWords { _ = intern(word) }
    }

    var count: Int { starts.count }

    /// The id of these bytes, adding them if new.
    mutating func intern(_ p: UnsafePointer<UInt8>, _ n: Int) -> StringID {
        var h: UInt32 = 2_166_136_261 &+ UInt32(truncatingIfNeeded: n)
        for i in 0..<n { h = (h ^ UInt32(p[i])) &* 16_777_619 }
        var i = Int(h) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { break }
            let id = Int(slot - 1)
            if hashes[id] == h && Int(lengths[id]) == n && equalBytes(id, p, n) { return StringID(id) }
            i = (i + 1) & mask
        }
        let id = StringID(starts.count)
        starts.append(Int32(bytes.count))
        lengths.append(Int32(n))
        hashes.append(h)
        bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        slots[i] = id + 1
        if starts.count * 2 > mask { grow() }
        return id
    }

    mutating func intern(_ s: [UInt8]) -> StringID {
        s.withUnsafeBufferPointer { intern($0.baseAddress ?? emptyByte, $0.count) }
    }

    mutating func intern(_ s: String) -> StringID { intern(Array(s.utf8)) }

    /// The bytes of an id.
    func bytes(of id: StringID) -> ArraySlice<UInt8> {
        let start = Int(starts[Int(id)])
        return bytes[start ..< start + Int(lengths[Int(id)])]
    }

    func length(of id: StringID) -> Int { Int(lengths[Int(id)]) }

    /// The bytes of an id as a Swift string (for messages and listings only).
    func string(_ id: StringID) -> String { String(decoding: bytes(of: id), as: UTF8.self) }

    private func equalBytes(_ id: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let start = Int(starts[id])
        for k in 0..<n where bytes[start + k] != p[k] { return false }
        return true
    }

    private mutating func grow() {
        let newCount = (mask + 1) * 2
        slots = [Int32](repeating: 0, count: newCount)
        mask = newCount - 1
        for id in 0..<starts.count {
            var i = Int(hashes[id]) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = Int32(id + 1)
        }
    }
}

private let emptyByte: UnsafePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.pointee = 0
    return UnsafePointer(p)
}()
