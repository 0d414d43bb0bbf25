/// A run of bytes built a piece at a time: the text of `string.format`, of numbers and of
/// the library's other writers. It starts in scratch space on the native stack
/// (`withByteBuilder`) and moves to the C heap only when that is outgrown, so a short result
/// costs no allocation, and appending is a store and an increment, without the uniqueness
/// checks, reference counting and growth calls of a Swift array.
import Glibc

struct ByteBuilder: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    /// Whether `base` came from malloc (and is freed here) rather than from the caller's scratch.
    private var ownsStorage = false

    /// A builder writing into `scratch` until it needs more room.
    init(scratch: UnsafeMutableBufferPointer<UInt8>) {
        base = scratch.baseAddress!
        capacity = scratch.count
    }

    deinit {
        if ownsStorage { free(base) }
    }

    /// The bytes so far (valid until the builder next grows).
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always) mutating func append(_ byte: UInt8) {
        if count == capacity { grow(1) }
        base[count] = byte
        count += 1
    }

    @inline(__always) mutating func append(_ b: UnsafeBufferPointer<UInt8>) {
        guard let source = b.baseAddress, b.count > 0 else { return }
        if b.count > capacity - count { grow(b.count) }
        let to = base + count
        if b.count <= 16 {
            // Short pieces (separators, words, numbers): cheaper than a call to memmove.
            for i in 0..<b.count { to[i] = source[i] }
        } else {
            to.update(from: source, count: b.count)
        }
        count += b.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always) mutating func append(repeating byte: UInt8, count n: Int) {
        guard n > 0 else { return }
        (reserve(n)).update(repeating: byte, count: n)
        count += n
    }

    /// `n` copies of `byte` at `index`, moving the bytes after it up.
    mutating func insert(repeating byte: UInt8, count n: Int, at index: Int) {
        guard n > 0 else { return }
        _ = reserve(n)
        memmove(base + index + n, base + index, count - index)
        (base + index).update(repeating: byte, count: n)
        count += n
    }

    /// Room for `n` more bytes: where they go. Write them, then `advance(by:)` past them.
    @inline(__always) mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if n > capacity - count { grow(n) }
        return base + count
    }

    @inline(__always) mutating func advance(by n: Int) {
        count += n
    }

    @inline(never) private mutating func grow(_ extra: Int) {
        let newCapacity = max(capacity * 2, count + extra, 64)
        if ownsStorage {
            base = realloc(base, newCapacity)!.assumingMemoryBound(to: UInt8.self)
        } else {
            let heap = malloc(newCapacity)!.assumingMemoryBound(to: UInt8.self)
            heap.update(from: base, count: count)
            base = heap
            ownsStorage = true
        }
        capacity = newCapacity
    }
}

/// Runs `body` on an empty builder whose first bytes live on the native stack.
@inline(__always) func withByteBuilder<R>(_ body: (inout ByteBuilder) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { scratch in
        var builder = ByteBuilder(scratch: scratch)
        return body(&builder)
    }
}

extension ByteBuilder {
    /// Appends `value` in decimal.
    @inline(__always) mutating func appendDecimal(_ value: UInt64) {
        let n = DecimalText.digitCount(value)
        DecimalText.write(value, endingAt: reserve(n) + n)
        count += n
    }
}

/// Decimal digits of integers, two at a time.
enum DecimalText {
    /// "00" through "99".
    static var pairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    /// How many decimal digits `v` has (1 for zero).
    @inline(__always) static func digitCount(_ v: UInt64) -> Int {
        var n = 1
        var t = v
        while t >= 10000 {
            t /= 10000
            n += 4
        }
        if t >= 100 {
            t /= 100
            n += 2
        }
        return t >= 10 ? n + 1 : n
    }

    /// Writes the digits of `v` backwards, the last one just before `end`; returns where the
    /// first one is.
    @inline(__always) @discardableResult
    static func write(_ v: UInt64, endingAt end: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let table = pairs.utf8Start
        var p = end
        var v = v
        while v >= 100 {
            let pair = Int(v % 100) * 2
            v /= 100
            p -= 2
            p[0] = table[pair]
            p[1] = table[pair + 1]
        }
        if v >= 10 {
            let pair = Int(v) * 2
            p -= 2
            p[0] = table[pair]
            p[1] = table[pair + 1]
        } else {
            p -= 1
            p[0] = UInt8(v) + UInt8(ascii: "0")
        }
        return p
    }
}
