import CSupport
/// Table traversal (`next`) and the length operator (`#`) with Lua 5.1's border rule.
///
/// Traversal order is the array part (keys 0..<arrayLimit), then the nodes in index order.
/// Assigning to or clearing existing keys during a traversal keeps the order valid: a
/// cleared key stays in its node as a dead key until the next resize, so `next` still
/// finds where it was.

/// How `next` ended.
public enum TableNextStatus: UInt8 {
    /// `key` and `value` hold the next entry.
    case found
    /// No entry follows.
    case end
    /// The key given is not in the table: "invalid key to 'next'".
    case invalidKey
}

/// The table and the position the last `next` returned an entry from (TableIteration's
/// `lastNextPosition`). Only a hint: it is checked against the table before it is used.
nonisolated(unsafe) private var lastNext: (table: UnsafeMutableRawPointer?, position: Int) = (nil, 0)

extension UnsafeMutablePointer where Pointee == GCTable {
    /// `next(t, key)`: replaces `key`/`value` with the entry after `key` (nil starts).
    public func next(_ key: inout Value, _ value: inout Value) -> TableNextStatus {
        var start = lastNextPosition(after: key)
        if start < 0 {
            guard let found = position(after: key) else { return .invalidKey }
            start = found
        }
        let after = entry(from: start, &key, &value)
        guard after >= 0 else { return .end }
        lastNext = (UnsafeMutableRawPointer(self), after)
        return .found
    }

    /// The position after `key` when the last `next` of this table returned `key` from the
    /// hash part (a loop of `k, v = next(t, k)`), found without a lookup: the node before
    /// that position still holds `key` (a key has one node, so that is where it is); else -1.
    /// A lookup's main position is anywhere in the nodes, a cache miss in a large table; the
    /// node beside the traversal's is not.
    @inline(__always)
    private func lastNextPosition(after key: Value) -> Int {
        guard UnsafeMutableRawPointer(self) == lastNext.table else { return -1 }
        let position = lastNext.position
        let n = position - 1 - Int(pointee.arrayLimit)
        guard n >= 0, n < nodeCount, (pointee.node + n).pointee.key.bits == key.bits else { return -1 }
        return position
    }

    /// The traversal position right after `key` (0 for nil), or nil when the key is absent.
    /// Positions 0..<arrayLimit are the array part's keys, then nodes follow.
    public func position(after key: Value) -> Int? {
        if key.isNil { return 0 }
        let limit = Int(pointee.arrayLimit)
        if key.isNumber {
            let d = key.number
            if d >= 0 && d < Double(limit) {
                let k = Int(d)
                if Double(k) == d { return k + 1 }
            }
            if d != d { return nil }
            guard let node = findNode(Value(number: d + 0)) else { return nil }
            return limit + (node - pointee.node) + 1
        }
        guard let node = findNode(key) else { return nil }
        return limit + (node - pointee.node) + 1
    }

    /// Finds the first live entry at or after `position`; stores it in `key`/`value` and
    /// returns the position after it, or -1 at the end. The interpreter's `ITERN` keeps the
    /// position in a hidden slot and calls this directly.
    @inline(__always)
    public func entry(from position: Int, _ key: inout Value, _ value: inout Value) -> Int {
        let limit = Int(pointee.arrayLimit)
        var i = position
        if i < limit, let array = pointee.array {
            while i < limit {
                if !array[i - 1].isNil {
                    key = Value(number: Double(i))
                    value = array[i - 1]
                    return i + 1
                }
                i += 1
            }
        }
        let count = nodeCount
        var n = i - limit
        while n < count {
            let node = pointee.node + n
            if !node.pointee.value.isNil {
                key = node.pointee.key
                value = node.pointee.value
                return limit + n + 1
            }
            n += 1
        }
        return -1
    }

    /// `#t`: a border (n with t[n] ~= nil and t[n+1] == nil, or 0 when t[1] is nil), found by
    /// binary search in the array part when its last slot is nil, else by an unbound search
    /// into the hash part.
    public func length() -> Int {
        let j = Int(pointee.arraySize)
        if j > 0, let array = pointee.array, array[j - 1].isNil {
            // The border a table without holes keeps (TableBorder.swift), else luajit's
            // probes (its border for tables with holes), without a branch per probe.
            if pointee.border != GCTable.unknownBorder { return Int(pointee.border) }
            return array.withMemoryRebound(to: UInt64.self, capacity: j) { perigee_array_border($0, j) }
        }
        if pointee.hashMask == 0 && pointee.node.pointee.value.isNil { return j }
        return unboundSearch(from: j)
    }

    private func unboundSearch(from start: Int) -> Int {
        var i = start
        var j = start + 1
        while !get(integer: j).isNil {
            i = j
            if j > Int(Int32.max) / 2 {
                // Pathological table: fall back to a linear search.
                var k = 1
                while !get(integer: k).isNil { k += 1 }
                return k - 1
            }
            j *= 2
        }
        while j - i > 1 {
            let m = (i + j) / 2
            if get(integer: m).isNil { j = m } else { i = m }
        }
        return i
    }
}
