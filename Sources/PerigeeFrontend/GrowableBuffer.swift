/// A manually managed growable array for the emitter's hot buffers (instructions, lines,
/// dump bytes): element access and append with no copy-on-write or uniqueness checks.
/// The owner calls `deallocate()` exactly once.
struct GrowableBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 4)
        base = UnsafeMutablePointer<Element>.allocate(capacity: self.capacity)
    }

    @inline(__always) subscript(_ i: Int) -> Element {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    @inline(__always) mutating func append(_ e: Element) {
        if count == capacity { grow(count + 1) }
        (base + count).initialize(to: e)
        count += 1
    }

    mutating func append<C: Collection>(contentsOf c: C) where C.Element == Element {
        if count + c.count > capacity { grow(count + c.count) }
        for e in c {
            (base + count).initialize(to: e)
            count += 1
        }
    }

    /// Raw bytes appended by one copy (for `UInt8` buffers).
    mutating func append(contentsOf raw: UnsafeRawBufferPointer) where Element == UInt8 {
        if count + raw.count > capacity { grow(count + raw.count) }
        if raw.count > 0 { (base + count).initialize(from: raw.bindMemory(to: UInt8.self).baseAddress!, count: raw.count) }
        count += raw.count
    }

    mutating func append(contentsOf slice: ArraySlice<UInt8>) where Element == UInt8 {
        slice.withUnsafeBytes { append(contentsOf: $0) }
    }

    mutating func removeLast() {
        count -= 1
        (base + count).deinitialize(count: 1)
    }

    mutating func removeAll() {
        base.deinitialize(count: count)
        count = 0
    }

    var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    func deallocate() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
