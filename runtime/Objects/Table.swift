/// Lua tables: the layout, creation and the raw lookups (by value, integer and interned string).
///
/// Layout of `GCTable` (size 64):
///
///     0  next  8 marked  9 gct (= 11)
///     10 absentMetamethods UInt8  bit set = that fast metamethod is known absent (`Metamethod`)
///     11 colocatedWords UInt8     8-byte words allocated right behind the header (see below)
///     12 arrayLimit UInt32        keys 0..<arrayLimit live in `array[key - 1]` (LuaJIT's asize)
///     16 gclist                   gray-list link
///     24 array      UnsafeMutablePointer<Value>?   nil when arrayLimit == 0
///     32 node       UnsafeMutablePointer<TableNode>  hash part, hashMask + 1 nodes
///     40 hashMask   UInt32        node count - 1 (0 with the shared empty node)
///     44 border     UInt32        `#t` when known: keys 1...border hold values and the rest of
///                                 the array part is nil, or `unknownBorder` (TableBorder.swift)
///     48 lastFree   UnsafeMutablePointer<TableNode>  free nodes are searched below it
///     56 metatable  UnsafeMutablePointer<GCTable>?
///
/// The array part starts at key 0, as LuaJIT's does: `array` points at key 1's slot and key
/// 0's slot is `array[-1]`, the first word of the part's block. A table has an array part
/// exactly when `arraySize` (keys 1...arraySize, `arrayLimit - 1`) is above 0; then key 0
/// lives only in the array part, else only in the hash part. So 0-based loops index the
/// array part in every engine, and `next` visits key 0 first, as LuaJIT's does. The bound
/// check of compiled code is one unsigned compare of the key with `arrayLimit`.
///
/// Layout of `TableNode` (size 24): 0 value, 8 key, 16 next (collision chain).
/// A key's main position is `node[hash(key) & hashMask]`; string keys hash by the string's
/// cached hash, others by `hashBits` of their (normalized) bits. A key whose value is nil is
/// dead: it stays in its node (keeping `next` iteration and slot-specialized traces valid)
/// until the next resize, and may point at a freed object, so keys are only ever compared
/// by bits, never followed.
///
/// Colocated parts: a table made with small sizes (TNEW, TDUP, `table.new`) is one block:
/// the header, then its array part, then its hash nodes (`colocatedWords` words in all), so
/// making, traversing and freeing it touches one block instead of three. The parts are
/// still reached through `array` and `node`. A resize that outgrows them moves the part to
/// a block of its own and leaves the colocated room unused until the table is freed; a part
/// is colocated exactly when its address lies in that room, and `GCMark.separateParts` says
/// whether any part has a block of its own.
import Glibc

public struct GCTable {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var absentMetamethods: UInt8
    public var colocatedWords: UInt8
    public var arrayLimit: UInt32
    public var gclist: ObjectRef?
    public var array: UnsafeMutablePointer<Value>?
    public var node: UnsafeMutablePointer<TableNode>
    public var hashMask: UInt32
    public var border: UInt32
    public var lastFree: UnsafeMutablePointer<TableNode>
    public var metatable: TableRef?

    /// Keys 1...arraySize are in the array part (with key 0 when it is above 0).
    public var arraySize: UInt32 { @inline(__always) get { arrayLimit == 0 ? 0 : arrayLimit &- 1 } }
}

public struct TableNode {
    public var value: Value
    public var key: Value
    public var next: UnsafeMutablePointer<TableNode>?
}

public typealias TableRef = UnsafeMutablePointer<GCTable>

/// How a table store ended; anything but `.ok` becomes a Lua error in the caller.
public enum TableStatus: UInt8 {
    case ok
    /// "table index is nil"
    case nilKey
    /// "table index is NaN"
    case nanKey
    /// "not enough memory"
    case outOfMemory
}

/// Largest array part: keys up to 2^26 may live in the array part (Lua 5.1's MAXBITS).
let maxArrayBits = 26

/// Array slots for an array size in LuaJIT's terms (TNEW operands, constructor templates):
/// LuaJIT's array part starts at key 0, ours at key 1. With the same last key in the array
/// part, `length()` finds the same border as `lj_tab_len` does (`#{nil, nil, 3}` is 3).
@inline(__always) func arraySlots(luajitArraySize size: Int) -> Int { size > 0 ? size - 1 : 0 }

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// A new empty table with room for `arraySize` array slots and `hashSize` keys
    /// (`table.new`); nil when memory runs out. Small parts are colocated with the header.
    public func newTable(arraySize: Int = 0, hashSize: Int = 0) -> TableRef? {
        let arraySize = min(max(arraySize, 0), 1 << maxArrayBits)
        let nodes = hashSize > 0 ? hashNodeCount(forKeys: min(hashSize, 1 << 30)) : 0
        let arrayBytes = arrayPartBytes(arraySize)
        let partBytes = arrayBytes + nodes * MemoryLayout<TableNode>.stride
        guard MemoryLayout<GCTable>.stride + partBytes <= maxColocatedTableBytes else {
            guard let t = makeTable(colocatedBytes: 0) else { return nil }
            // On failure the empty table stays valid and the GC frees it.
            if t.resize(arraySize: arraySize, hashSize: hashSize, self) != .ok { return nil }
            return t
        }
        guard let t = makeTable(colocatedBytes: partBytes) else { return nil }
        let parts = UnsafeMutableRawPointer(t + 1)
        if arraySize > 0 {
            let block = parts.bindMemory(to: Value.self, capacity: arraySize + 1)
            block.initialize(repeating: .nil, count: arraySize + 1)
            t.pointee.array = block + 1
            t.pointee.arrayLimit = UInt32(arraySize + 1)
        }
        if nodes > 0 {
            let node = (parts + arrayBytes).bindMemory(to: TableNode.self, capacity: nodes)
            node.initialize(repeating: TableNode(value: .nil, key: .nil, next: nil), count: nodes)
            t.pointee.node = node
            t.pointee.hashMask = UInt32(nodes - 1)
            t.pointee.lastFree = node + nodes
        }
        return t
    }

    /// An empty table whose block has `colocatedBytes` (a multiple of 8) behind the header.
    @inline(__always) private func makeTable(colocatedBytes: Int) -> TableRef? {
        guard let o = newTableObject(size: MemoryLayout<GCTable>.stride + colocatedBytes) else { return nil }
        let t = o.cast(to: GCTable.self)
        let empty = pointee.emptyNode
        t.pointee.absentMetamethods = 0
        t.pointee.colocatedWords = UInt8(colocatedBytes / MemoryLayout<Value>.stride)
        t.pointee.arrayLimit = 0
        t.pointee.gclist = nil
        t.pointee.array = nil
        t.pointee.node = empty
        t.pointee.hashMask = 0
        t.pointee.border = 0
        t.pointee.lastFree = empty
        t.pointee.metatable = nil
        return t
    }

    func freeTable(_ t: TableRef) {
        if t.pointee.marked & GCMark.separateParts != 0 {
            if let array = t.pointee.array, !t.isColocated(array) {
                release(array - 1, size: arrayPartBytes(Int(t.pointee.arraySize)))
            }
            let node = t.pointee.node
            if node != pointee.emptyNode && !t.isColocated(node) {
                release(node, size: t.nodeCount * MemoryLayout<TableNode>.stride)
            }
        }
        release(t, size: t.allocationSize)
    }
}

/// The bytes of an array part for keys 1...`arraySize`: key 0's slot and theirs (none when 0).
@inline(__always) func arrayPartBytes(_ arraySize: Int) -> Int {
    arraySize > 0 ? (arraySize + 1) * MemoryLayout<Value>.stride : 0
}

/// The largest table block with colocated parts: the small-block allocator's largest block.
let maxColocatedTableBytes = SmallBlocks.largest

/// Nodes for room for `keys` (> 0) keys: the next power of two.
@inline(__always) func hashNodeCount(forKeys keys: Int) -> Int {
    keys <= 1 ? 1 : 1 << (Int.bitWidth - (keys - 1).leadingZeroBitCount)
}

extension UnsafeMutablePointer where Pointee == GCTable {
    @inline(__always) public var nodeCount: Int { Int(pointee.hashMask) + 1 }
    /// Whether the hash part is the shared empty node (nothing to free, nothing to write).
    @inline(__always) func hasEmptyHashPart(_ g: GlobalRef) -> Bool { pointee.node == g.pointee.emptyNode }

    /// The bytes of the table's block: the header and the colocated room.
    @inline(__always) var allocationSize: Int {
        MemoryLayout<GCTable>.stride + Int(pointee.colocatedWords) * MemoryLayout<Value>.stride
    }

    /// Whether a part at `part` lies in the room colocated with the header (and so is freed
    /// with it, never by itself).
    @inline(__always) func isColocated<T>(_ part: UnsafeMutablePointer<T>) -> Bool {
        let offset = UInt(bitPattern: Int(bitPattern: part) &- Int(bitPattern: self + 1))
        return offset < UInt(pointee.colocatedWords) &* UInt(MemoryLayout<Value>.stride)
    }

    /// The main position of a key that is neither nil, NaN nor -0.
    @inline(__always) func mainPosition(_ key: Value) -> UnsafeMutablePointer<TableNode> {
        let h = key.isString ? key.string.pointee.hash : hashBits(key.bits)
        return pointee.node + Int(h & pointee.hashMask)
    }

    /// The node holding `key` (already normalized), or nil. Compares bits only.
    @inline(__always) func findNode(_ key: Value) -> UnsafeMutablePointer<TableNode>? {
        var n: UnsafeMutablePointer<TableNode>? = mainPosition(key)
        while let node = n {
            if node.pointee.key.bits == key.bits { return node }
            n = node.pointee.next
        }
        return nil
    }

    /// The index of the hash node holding string key `s` (where a trace expects it), or nil.
    public func nodeIndex(ofString s: StringRef) -> Int? {
        findNode(Value(string: s)).map { $0 - pointee.node }
    }

    // MARK: reads

    /// `t[s]` for an interned string.
    /// The field named `name` (library code reading options and date tables): nil when no
    /// such string exists, without allocating one.
    public func get(name: String, _ g: GlobalRef) -> Value {
        guard let s = g.existingString(name) else { return .nil }
        return get(string: s)
    }

    @inline(__always) public func get(string s: StringRef) -> Value {
        let key = Value(string: s)
        var n: UnsafeMutablePointer<TableNode>? = pointee.node + Int(s.pointee.hash & pointee.hashMask)
        while let node = n {
            if node.pointee.key.bits == key.bits { return node.pointee.value }
            n = node.pointee.next
        }
        return .nil
    }

    /// The slot of string key `s` when the hash part holds it (a dead key's too), else nil.
    @inline(__always) public func existingSlot(string s: StringRef) -> UnsafeMutablePointer<Value>? {
        let key = Value(string: s)
        var n: UnsafeMutablePointer<TableNode>? = pointee.node + Int(s.pointee.hash & pointee.hashMask)
        while let node = n {
            if node.pointee.key.bits == key.bits {
                return UnsafeMutableRawPointer(node).assumingMemoryBound(to: Value.self)
            }
            n = node.pointee.next
        }
        return nil
    }

    /// `t[k]` for an integer key.
    @inline(__always) public func get(integer k: Int) -> Value {
        if UInt(bitPattern: k) < UInt(pointee.arrayLimit) { return pointee.array.unsafelyUnwrapped[k &- 1] }
        return getFromHash(number: Double(k))
    }

    /// `t[d]` for a number key.
    @inline(__always) public func get(number d: Double) -> Value {
        if let slot = arraySlot(d) { return slot.pointee }
        return getFromHash(number: d)
    }

    /// The array part's slot of number key `d`, or nil when `d` is not an integer key of
    /// the array part.
    @inline(__always) public func arraySlot(_ d: Double) -> UnsafeMutablePointer<Value>? {
        guard d >= 0 && d < Double(pointee.arrayLimit) else { return nil }
        let k = roundedNonNegative(d)
        return Double(k) == d ? pointee.array.unsafelyUnwrapped + (k &- 1) : nil
    }

    @inline(__always) func getFromHash(number d: Double) -> Value {
        let key = Value(number: d + 0)  // -0 + 0 is +0: -0 keys are stored as +0
        if let node = findNode(key) { return node.pointee.value }
        return .nil
    }

    /// `rawget(t, key)`.
    @inline(__always) public func get(_ key: Value) -> Value {
        if key.isString { return get(string: key.string) }
        if key.isNumber { return get(number: key.number) }
        if key.isNil { return .nil }
        if let node = findNode(key) { return node.pointee.value }
        return .nil
    }

    /// The slot holding `key`'s value, or nil when the key is absent (a dead key's slot,
    /// holding nil, counts as present). For the interpreter's and the JIT's slot access.
    public func slot(_ key: Value) -> UnsafeMutablePointer<Value>? {
        if key.isNumber {
            let d = key.number
            if let slot = arraySlot(d) { return slot }
            if d != d { return nil }
            return findNode(Value(number: d + 0)).map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Value.self) }
        }
        if key.isNil { return nil }
        return findNode(key).map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Value.self) }
    }
}

/// `d` rounded to the nearest integer, for 0 <= d < 2^52, without the trapping conversion
/// `Int(d)` compiles to: adding 2^52 leaves the integer in the low 52 bits of the mantissa.
/// Callers compare the result with `d` to turn fractions away.
@inline(__always) func roundedNonNegative(_ d: Double) -> Int {
    Int(truncatingIfNeeded: (d + 0x1p52).bitPattern & 0xF_FFFF_FFFF_FFFF)
}
