/// A small open-addressing map from 64-bit constant keys to constant slots, for finding a
/// function's existing constants without hashing through `Dictionary`.
struct ConstantIndex {
    private var keys: [UInt64] = []
    private var values: [UInt32] = []
    private var count = 0

    /// The slot of `key`, or nil.
    @inline(__always) func find(_ key: UInt64) -> UInt32? {
        if count == 0 { return nil }
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: hash(key)) & mask
        while true {
            let v = values[i]
            if v == UInt32.max { return nil }
            if keys[i] == key { return v }
            i = (i + 1) & mask
        }
    }

    mutating func insert(_ key: UInt64, _ value: UInt32) {
        if (count + 1) * 2 > keys.count { grow() }
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: hash(key)) & mask
        while values[i] != UInt32.max { i = (i + 1) & mask }
        keys[i] = key
        values[i] = value
        count += 1
    }

    @inline(__always) private func hash(_ key: UInt64) -> UInt64 {
        (key ^ (key >> 29)) &* 0x9e37_79b9_7f4a_7c15 >> 20
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let size = Swift.max(16, keys.count * 2)
        keys = [UInt64](repeating: 0, count: size)
        values = [UInt32](repeating: UInt32.max, count: size)
        count = 0
        for i in 0..<oldKeys.count where oldValues[i] != UInt32.max { insert(oldKeys[i], oldValues[i]) }
    }
}
