/// Table stores: `rawset` by value, integer and string, inserting new keys as Lua 5.1 and LuaJIT do.
///
/// Every store runs the table's backward write barrier, and every store of a string key into
/// the hash part clears `absentMetamethods` (the table may be some object's metatable and
/// have just gained a metamethod).

extension UnsafeMutablePointer where Pointee == GCTable {
    /// `rawset(t, key, value)`.
    @inline(__always)
    public func set(_ key: Value, _ value: Value, _ g: GlobalRef) -> TableStatus {
        if key.isString { return set(string: key.string, value, g) }
        if key.isNumber { return set(number: key.number, value, g) }
        if key.isNil { return .nilKey }
        return setInHash(key, value, g)
    }

    /// `t[s] = value` for an interned string.
    @inline(__always)
    public func set(string s: StringRef, _ value: Value, _ g: GlobalRef) -> TableStatus {
        pointee.absentMetamethods = 0
        let key = Value(string: s)
        var n: UnsafeMutablePointer<TableNode>? = pointee.node + Int(s.pointee.hash & pointee.hashMask)
        while let node = n {
            if node.pointee.key.bits == key.bits {
                node.pointee.value = value
                barrier(value, g)
                return .ok
            }
            n = node.pointee.next
        }
        return insert(key, value, g)
    }

    /// `t[k] = value` for an integer key.
    @inline(__always)
    public func set(integer k: Int, _ value: Value, _ g: GlobalRef) -> TableStatus {
        if UInt(bitPattern: k) < UInt(pointee.arrayLimit) {
            storeInArray(pointee.array.unsafelyUnwrapped + (k &- 1), value)
            barrier(value, g)
            return .ok
        }
        return setInHash(Value(number: Double(k)), value, g)
    }

    /// `t[d] = value` for a number key; NaN is refused, -0 is stored as +0.
    @inline(__always)
    public func set(number d: Double, _ value: Value, _ g: GlobalRef) -> TableStatus {
        if let slot = arraySlot(d) {
            storeInArray(slot, value)
            barrier(value, g)
            return .ok
        }
        if d != d { return .nanKey }
        return setInHash(Value(number: d + 0), value, g)
    }

    /// Stores under a normalized non-string key that is not in the array part.
    @inline(__always)
    func setInHash(_ key: Value, _ value: Value, _ g: GlobalRef) -> TableStatus {
        if let node = findNode(key) {
            node.pointee.value = value
            barrier(value, g)
            return .ok
        }
        return insert(key, value, g)
    }

    /// The backward barrier: a black table that receives a white object turns gray again.
    /// Call it after storing through a pointer from `slot(_:)`.
    @inline(__always) public func barrier(_ value: Value, _ g: GlobalRef) {
        if value.isCollectable && pointee.marked & GCMark.black != 0 { g.barrierBack(self) }
    }

    /// Adds an absent key. Storing nil adds it too, as in LuaJIT: the key takes a node (or
    /// causes a rehash) and stays dead until the next resize, so the array part, and with it
    /// `#` on tables with holes, changes as LuaJIT's does.
    @inline(never)
    func insert(_ key: Value, _ value: Value, _ g: GlobalRef) -> TableStatus {
        guard let slot = newKey(key, g) else {
            switch rehash(adding: key, g) {
            case .ok: return set(key, value, g)
            default: return .outOfMemory
            }
        }
        slot.pointee = value
        // The key is new to the table too: a white key in a black table must be seen again.
        barrier(key, g)
        barrier(value, g)
        return .ok
    }

    /// Claims a node for an absent, normalized key and returns its value slot, or nil when
    /// the hash part is full. If the key's main position is taken by a key that is not in its
    /// own main position, that key moves to a free node; otherwise the new key does.
    func newKey(_ key: Value, _ g: GlobalRef) -> UnsafeMutablePointer<Value>? {
        var mp = mainPosition(key)
        if !mp.pointee.value.isNil || hasEmptyHashPart(g) {
            guard let free = freeNode() else { return nil }
            var other = mainPosition(mp.pointee.key)
            if other != mp {
                while other.pointee.next != mp { other = other.pointee.next.unsafelyUnwrapped }
                other.pointee.next = free
                free.pointee = mp.pointee
                mp.pointee.next = nil
                mp.pointee.value = .nil
            } else {
                free.pointee.next = mp.pointee.next
                mp.pointee.next = free
                mp = free
            }
        }
        mp.pointee.key = key
        return UnsafeMutableRawPointer(mp).assumingMemoryBound(to: Value.self)
    }

    /// A never-used node (nil key), scanning down from `lastFree`; nil when there is none.
    @inline(__always) func freeNode() -> UnsafeMutablePointer<TableNode>? {
        while pointee.lastFree > pointee.node {
            pointee.lastFree -= 1
            if pointee.lastFree.pointee.key.isNil { return pointee.lastFree }
        }
        return nil
    }
}
