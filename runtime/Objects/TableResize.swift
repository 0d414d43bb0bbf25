/// Table resizing: the rehash (LuaJIT's choice of array size from counted integer keys) and the resize that moves keys between parts.
import Glibc

extension UnsafeMutablePointer where Pointee == GCTable {
    /// Regrows the table so that `key` fits: counts integer keys by power-of-two slices and
    /// picks the array size LuaJIT would.
    func rehash(adding key: Value, _ g: GlobalRef) -> TableStatus {
        // slices[i] counts integer keys k with 2^(i-1) < k <= 2^i (slices[0]: 0 and 1).
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: maxArrayBits + 1) { buffer -> TableStatus in
            let slices = buffer.baseAddress!
            slices.initialize(repeating: 0, count: maxArrayBits + 1)
            var arrayKeys = countArrayPart(slices)
            var total = arrayKeys
            // Integer keys in the hash part, and all its live keys.
            for i in 0..<nodeCount {
                let n = pointee.node + i
                if n.pointee.value.isNil { continue }
                arrayKeys += countIntegerKey(n.pointee.key, slices)
                total += 1
            }
            arrayKeys += countIntegerKey(key, slices)
            total += 1
            let (arraySize, inArray) = optimalArraySize(slices, integerKeys: arrayKeys)
            // LuaJIT's `hsize2hbits` gives a single key two nodes.
            let hashKeys = total - inArray
            return resize(arraySize: arraySize, hashSize: hashKeys == 1 ? 2 : hashKeys, g)
        }
    }

    /// Counts the array part's non-nil slots into power-of-two slices; returns their sum.
    private func countArrayPart(_ slices: UnsafeMutablePointer<UInt32>) -> Int {
        let size = Int(pointee.arraySize)
        guard let array = pointee.array else { return 0 }
        var total = 0
        var key = 0
        var bit = 0
        var limit = 1
        while bit <= maxArrayBits {
            var inSlice: UInt32 = 0
            let upper = min(limit, size)
            if key > upper { break }
            while key <= upper {
                if !array[key - 1].isNil { inSlice += 1 }
                key += 1
            }
            slices[bit] += inSlice
            total += Int(inSlice)
            bit += 1
            limit *= 2
        }
        return total
    }

    /// Counts `key` in its slice when it is an integer usable as an array index; returns 1 if so.
    private func countIntegerKey(_ key: Value, _ slices: UnsafeMutablePointer<UInt32>) -> Int {
        guard key.isNumber else { return 0 }
        let d = key.number
        guard d >= 0 && d <= Double(1 << maxArrayBits) else { return 0 }
        let k = Int(d)
        guard Double(k) == d else { return 0 }
        slices[k <= 1 ? 0 : Int.bitWidth - (k - 1).leadingZeroBitCount] += 1
        return 1
    }

    /// LuaJIT's `bestasize`: the largest power of two n such that more than a quarter of the
    /// keys 0...n are present (so `#` on tables with holes finds LuaJIT's borders); returns n
    /// and how many keys it holds. LuaJIT's bins are these slices with 0, 1 and 2 in one.
    private func optimalArraySize(_ slices: UnsafeMutablePointer<UInt32>, integerKeys: Int) -> (Int, Int) {
        var sum = 0
        var size = 0
        var inArray = 0
        var b = 0
        while 2 * integerKeys > 1 << b && sum != integerKeys && b < maxArrayBits {
            let inBin = b == 0 ? Int(slices[0]) + Int(slices[1]) : Int(slices[b + 1])
            if inBin > 0 {
                sum += inBin
                if 2 * sum > 1 << b { size = 2 << b; inArray = sum }
            }
            b += 1
        }
        return (size, inArray)
    }

    /// Gives the table `arraySize` array slots and room for `hashSize` keys (rounded up to a
    /// power of two), moving every live entry to its place. All memory is obtained before the
    /// table changes, so on `.outOfMemory` the table is untouched. Parts colocated with the
    /// header are never freed here; a colocated array that grows is copied to a block of its own.
    func resize(arraySize: Int, hashSize: Int, _ g: GlobalRef) -> TableStatus {
        let oldArraySize = Int(pointee.arraySize)
        let oldNode = pointee.node
        let oldNodeCount = nodeCount
        let oldHadHash = !hasEmptyHashPart(g)
        let stride = MemoryLayout<Value>.stride
        let arrayIsColocated = pointee.array.map { isColocated($0) } ?? false

        var newNode = g.pointee.emptyNode
        var newNodeCount = 1
        if hashSize > 0 {
            guard hashSize <= 1 << 30 else { return .outOfMemory }
            newNodeCount = hashNodeCount(forKeys: hashSize)
            guard let raw = g.allocate(newNodeCount * MemoryLayout<TableNode>.stride) else { return .outOfMemory }
            newNode = raw.bindMemory(to: TableNode.self, capacity: newNodeCount)
            newNode.initialize(repeating: TableNode(value: .nil, key: .nil, next: nil), count: newNodeCount)
        }
        if arraySize > oldArraySize {
            // The block starts with key 0's slot.
            let oldBlock = pointee.array.map { $0 - 1 }
            let grown = arrayIsColocated
                ? g.reallocate(nil, from: 0, to: arrayPartBytes(arraySize))
                : g.reallocate(oldBlock, from: arrayPartBytes(oldArraySize), to: arrayPartBytes(arraySize))
            guard let raw = grown else {
                if hashSize > 0 { g.release(newNode, size: newNodeCount * MemoryLayout<TableNode>.stride) }
                return .outOfMemory
            }
            let block = raw.bindMemory(to: Value.self, capacity: arraySize + 1)
            if oldArraySize == 0 {
                block.initialize(repeating: .nil, count: arraySize + 1)
            } else {
                if arrayIsColocated, let oldBlock { block.initialize(from: oldBlock, count: oldArraySize + 1) }
                (block + oldArraySize + 1).initialize(repeating: .nil, count: arraySize - oldArraySize)
            }
            pointee.array = block + 1
            pointee.arrayLimit = UInt32(arraySize + 1)
        }
        pointee.node = newNode
        pointee.hashMask = UInt32(newNodeCount - 1)
        pointee.lastFree = hashSize > 0 ? newNode + newNodeCount : newNode

        // Array slots beyond the new size move to the hash part, which has room for them
        // (key 0's too when the array part goes).
        if arraySize < oldArraySize, let array = pointee.array {
            pointee.arrayLimit = arraySize > 0 ? UInt32(arraySize + 1) : 0
            for i in arraySize..<oldArraySize where !array[i].isNil {
                reinsert(Value(number: Double(i + 1)), array[i], g)
            }
            if arraySize == 0 {
                pointee.array = nil
                if !array[-1].isNil { reinsert(Value(number: 0), array[-1], g) }
                if !arrayIsColocated { g.release(array - 1, size: arrayPartBytes(oldArraySize)) }
            } else if !arrayIsColocated {
                pointee.array = g.reallocate(array - 1, from: arrayPartBytes(oldArraySize), to: arrayPartBytes(arraySize))
                    .map { $0.bindMemory(to: Value.self, capacity: arraySize + 1) + 1 } ?? array
            }
        }
        // The border hint: growing adds nil slots, shrinking cuts off the tail; keys moved in
        // from the hash part may fill or leave holes, so then the array part is scanned.
        var movedIntoArray = false
        if oldHadHash {
            for i in 0..<oldNodeCount {
                let n = oldNode + i
                if !n.pointee.value.isNil && reinsert(n.pointee.key, n.pointee.value, g) { movedIntoArray = true }
            }
            if !isColocated(oldNode) { g.release(oldNode, size: oldNodeCount * MemoryLayout<TableNode>.stride) }
        }
        if movedIntoArray || (arraySize < oldArraySize && pointee.border == GCTable.unknownBorder) {
            recomputeBorder()
        } else if pointee.border != GCTable.unknownBorder && arraySize < Int(pointee.border) {
            // Shrunk below the prefix: all the slots left hold values.
            pointee.border = UInt32(arraySize)
        }
        let separateArray = pointee.array.map { !isColocated($0) } ?? false
        if separateArray || (!hasEmptyHashPart(g) && !isColocated(pointee.node)) {
            pointee.marked |= GCMark.separateParts
        } else {
            pointee.marked &= ~GCMark.separateParts
        }
        return .ok
    }

    /// Places a live entry during a resize, where room is guaranteed. Whether it went into
    /// the array part.
    @discardableResult
    private func reinsert(_ key: Value, _ value: Value, _ g: GlobalRef) -> Bool {
        if key.isNumber {
            let d = key.number
            if d >= 0 && d < Double(pointee.arrayLimit) {
                let k = Int(d)
                if Double(k) == d { pointee.array.unsafelyUnwrapped[k - 1] = value; return true }
            }
        }
        newKey(key, g).unsafelyUnwrapped.pointee = value
        return false
    }

    /// `table.clear`: every entry becomes nil, the parts keep their sizes.
    public func clear(_ g: GlobalRef) {
        if let array = pointee.array { (array - 1).update(repeating: .nil, count: Int(pointee.arrayLimit)) }
        pointee.border = 0
        if !hasEmptyHashPart(g) {
            pointee.node.update(repeating: TableNode(value: .nil, key: .nil, next: nil), count: nodeCount)
            pointee.lastFree = pointee.node + nodeCount
        }
    }
}
