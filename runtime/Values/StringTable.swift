/// The string table: interns every string so equal bytes are the same object (equality is a pointer compare).
///
/// Buckets are a power-of-two array of chains linked through the strings' GC `next` field;
/// strings are not on the all-objects list, the sweepstring phase walks the buckets instead.
import Glibc

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// The interned string with these bytes, created if new; nil when memory runs out.
    public func intern(_ bytes: UnsafeRawPointer?, count: Int) -> StringRef? {
        // Any valid address will do for zero bytes (memcmp and memcpy still want one).
        let source = bytes ?? UnsafeRawPointer(pointee.emptyNode)
        let h = hashString(source, count, seed: pointee.hashSeed)
        var o = pointee.stringBuckets[Int(h) & pointee.stringMask]
        while let object = o {
            let s = object.cast(to: GCString.self)
            if s.pointee.hash == h && s.count == count && memcmp(s.bytes, source, count) == 0 {
                // Unreached but not yet swept: it is wanted again, so it lives.
                if object.pointee.marked & otherWhite != 0 { object.pointee.marked ^= GCMark.whites }
                return s
            }
            o = object.pointee.next
        }
        return newString(source, count: count, hash: h)
    }

    /// The interned string with the UTF-8 bytes of `text` if there is one; never allocates.
    /// A string that is not interned is no table's key, so reading a field by name goes
    /// through here and cannot fail for lack of memory.
    public func existingString(_ text: String) -> StringRef? {
        var copy = text
        return copy.withUTF8 { bytes -> StringRef? in
            let source = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(pointee.emptyNode)
            let h = hashString(source, bytes.count, seed: pointee.hashSeed)
            var o = pointee.stringBuckets[Int(h) & pointee.stringMask]
            while let object = o {
                let s = object.cast(to: GCString.self)
                if s.pointee.hash == h && s.count == bytes.count && memcmp(s.bytes, source, bytes.count) == 0 {
                    if object.pointee.marked & otherWhite != 0 { object.pointee.marked ^= GCMark.whites }
                    return s
                }
                o = object.pointee.next
            }
            return nil
        }
    }

    /// Interns the UTF-8 bytes of a Swift string (library setup and tests, not hot paths).
    public func intern(_ text: String) -> StringRef? {
        var copy = text
        return copy.withUTF8 { intern($0.baseAddress, count: $0.count) }
    }

    /// Interns a byte buffer.
    public func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> StringRef? {
        intern(bytes.baseAddress, count: bytes.count)
    }

    private func newString(_ bytes: UnsafeRawPointer, count: Int, hash: UInt32) -> StringRef? {
        guard count < Int(UInt32.max) - GCString.bytesOffset - 1,
              let raw = allocate(GCString.bytesOffset + count + 1) else { return nil }
        if pointee.stringCount > pointee.stringMask { resizeStringTable((pointee.stringMask + 1) * 2) }
        let s = raw.bindMemory(to: GCString.self, capacity: 1)
        let bucket = pointee.stringBuckets + (Int(hash) & pointee.stringMask)
        s.pointee = GCString(next: bucket.pointee, marked: pointee.currentWhite, gct: GCObjectType.string,
                             reserved: 0, hash: hash, length: UInt32(count))
        memcpy(s.bytes, bytes, count)
        s.bytes[count] = 0
        bucket.pointee = header(s)
        pointee.stringCount += 1
        return s
    }

    /// Rehashes into `size` buckets (a power of two); keeps the old table if memory runs out.
    func resizeStringTable(_ size: Int) {
        // During sweepstring the bucket index is the sweep position: keep it valid.
        if pointee.phase == .sweepString { return }
        let bytes = size * MemoryLayout<ObjectRef?>.stride
        guard let raw = allocate(bytes) else { return }
        let buckets = raw.bindMemory(to: ObjectRef?.self, capacity: size)
        buckets.initialize(repeating: nil, count: size)
        let oldMask = pointee.stringMask
        for i in 0...oldMask {
            var o = pointee.stringBuckets[i]
            while let object = o {
                o = object.pointee.next
                let b = Int(object.cast(to: GCString.self).pointee.hash) & (size - 1)
                object.pointee.next = buckets[b]
                buckets[b] = object
            }
        }
        release(pointee.stringBuckets, size: (oldMask + 1) * MemoryLayout<ObjectRef?>.stride)
        pointee.stringBuckets = buckets
        pointee.stringMask = size - 1
    }

    /// The white that marks dead objects during a sweep.
    @inline(__always) var otherWhite: UInt8 { pointee.currentWhite ^ GCMark.whites }
}
