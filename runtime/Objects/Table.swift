/// Lua tables: the layout, creation and the raw lookups (by value, integer and interned string).
///
/// Layout of `GCTable` (size 64):
///
///     0  next  8 marked  9 gct (= 11)
///     10 absentMetamethods UInt8  bit set = that fast metamethod is known absent (`Metamethod`)
///     12 arraySize  UInt32        keys 1...arraySize live in `array[key - 1]`
///     16 gclist                   gray-list link
///     24 array      UnsafeMutablePointer<Value>?   nil when arraySize == 0
///     32 node       UnsafeMutablePointer<TableNode>  hash part, hashMask + 1 nodes
///     40 hashMask   UInt32        node count - 1 (0 with the shared empty node)
///     48 lastFree   UnsafeMutablePointer<TableNode>  free nodes are searched below it
///     56 metatable  UnsafeMutablePointer<GCTable>?
///
/// Layout of `TableNode` (size 24): 0 value, 8 key, 16 next (collision chain).
/// A key's main position is `node[hash(key) & hashMask]`; string keys hash by the string's
/// cached hash, others by `hashBits` of their (normalized) bits. A key whose value is nil is
/// dead: it stays in its node (keeping `next` iteration and slot-specialized traces valid)
/// until the next resize, and may point at a freed object, so keys are only ever compared
/// by bits, never followed.
import Glibc

public struct GCTable {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var absentMetamethods: UInt8
    public var arraySize: UInt32
    public var gclist: ObjectRef?
    public var array: UnsafeMutablePointer<Value>?
    public var node: UnsafeMutablePointer<TableNode>
    public var hashMask: UInt32
    public var lastFree: UnsafeMutablePointer<TableNode>
    public var metatable: TableRef?
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
    /// (`table.new`); nil when memory runs out.
    public func newTable(arraySize: Int = 0, hashSize: Int = 0) -> TableRef? {
        guard let o = newObject(size: MemoryLayout<GCTable>.stride, type: GCObjectType.table) else { return nil }
        let t = o.cast(to: GCTable.self)
        let empty = pointee.emptyNode
        t.pointee.absentMetamethods = 0
        t.pointee.arraySize = 0
        t.pointee.gclist = nil
        t.pointee.array = nil
        t.pointee.node = empty
        t.pointee.hashMask = 0
        t.pointee.lastFree = empty
        t.pointee.metatable = nil
        if arraySize > 0 || hashSize > 0 {
            // On failure the empty table stays valid and the GC frees it.
            if t.resize(arraySize: min(arraySize, 1 << maxArrayBits), hashSize: hashSize, self) != .ok { return nil }
        }
        return t
    }

    func freeTable(_ t: TableRef) {
        release(t.pointee.array, size: Int(t.pointee.arraySize) * MemoryLayout<Value>.stride)
        if !t.hasEmptyHashPart(self) { release(t.pointee.node, size: t.nodeCount * MemoryLayout<TableNode>.stride) }
        release(t, size: MemoryLayout<GCTable>.stride)
    }
}

extension UnsafeMutablePointer where Pointee == GCTable {
    @inline(__always) public var nodeCount: Int { Int(pointee.hashMask) + 1 }
    /// Whether the hash part is the shared empty node (nothing to free, nothing to write).
    @inline(__always) func hasEmptyHashPart(_ g: GlobalRef) -> Bool { pointee.node == g.pointee.emptyNode }

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

    /// `t[k]` for an integer key.
    @inline(__always) public func get(integer k: Int) -> Value {
        if UInt(bitPattern: k &- 1) < UInt(pointee.arraySize) { return pointee.array.unsafelyUnwrapped[k &- 1] }
        return getFromHash(number: Double(k))
    }

    /// `t[d]` for a number key.
    @inline(__always) public func get(number d: Double) -> Value {
        if d >= 1 && d <= Double(pointee.arraySize) {
            let k = Int(d)
            if Double(k) == d { return pointee.array.unsafelyUnwrapped[k - 1] }
        }
        return getFromHash(number: d)
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
            if d >= 1 && d <= Double(pointee.arraySize) {
                let k = Int(d)
                if Double(k) == d { return pointee.array.unsafelyUnwrapped + (k - 1) }
            }
            if d != d { return nil }
            return findNode(Value(number: d + 0)).map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Value.self) }
        }
        if key.isNil { return nil }
        return findNode(key).map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Value.self) }
    }
}
