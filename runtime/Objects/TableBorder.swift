/// The border hint: `#t` without a search for arrays that have no holes.
///
/// `#t` is a binary search over the array part (luajit's `lj_tab_len`), whose probes on a
/// large array are a chain of dependent loads: a loop appending with `t[#t + 1] = v` spends
/// most of its time there. A table keeps `border` instead, while its array part is a prefix
/// without holes: keys 1...border hold values and keys border+1...arraySize are nil. Then
/// every border search of the array part finds `border`, so `#t` answers it at once, and a
/// table with holes (`unknownBorder`) is searched as before: the answer is luajit's either
/// way.
///
/// Every store into the array part keeps the hint true, by one rule in every engine (here,
/// `note_array_store` in Sources/CSupport/DispatchFastPaths.h, `noteArrayStore` in
/// Sources/PerigeeCodegen/RuntimeCode.swift): a value stored over nil at key border+1
/// extends the prefix, nil stored over a value at key border shortens it, any other change
/// between nil and a value makes a hole (unknown), and a store that leaves a slot nil or
/// holding a value changes nothing. Unknown stays unknown under the rule; a resize that
/// moves keys into the array part finds the hint again by a scan.
extension GCTable {
    /// `border` of a table whose array part may have holes.
    public static let unknownBorder = UInt32.max
}

extension UnsafeMutablePointer where Pointee == GCTable {
    /// Keeps `border` true after a store into array key `k` (0 included) of nil or a value
    /// over nil or a value. Only a change between nil and a value counts: a value over nil
    /// lies beyond the border (the keys up to it hold values), nil over a value at or before
    /// it, so only the key right after, or the border itself, keeps a prefix.
    @inline(__always) public func noteArrayStore(key k: Int, wasNil: Bool, isNil: Bool) {
        if wasNil == isNil { return }
        let b = Int(pointee.border)
        if isNil {
            pointee.border = k == b ? UInt32(truncatingIfNeeded: k &- 1) : GCTable.unknownBorder
        } else {
            pointee.border = k == b &+ 1 ? UInt32(truncatingIfNeeded: k) : GCTable.unknownBorder
        }
    }

    /// Stores `v` in the array slot `slot` (an address in the array part), keeping `border`.
    @inline(__always) public func storeInArray(_ slot: UnsafeMutablePointer<Value>, _ v: Value) {
        let old = slot.pointee
        slot.pointee = v
        noteArrayStore(key: slot - pointee.array.unsafelyUnwrapped + 1, wasNil: old.isNil, isNil: v.isNil)
    }

    /// Finds `border` again after the array part was rebuilt: the length of its prefix of
    /// values when only nils follow, else unknown.
    public func recomputeBorder() {
        let size = Int(pointee.arraySize)
        guard size > 0, let array = pointee.array else { pointee.border = 0; return }
        var first = 0
        while first < size && !array[first].isNil { first += 1 }
        var rest = first
        while rest < size && array[rest].isNil { rest += 1 }
        pointee.border = rest == size ? UInt32(first) : GCTable.unknownBorder
    }
}
