/// What inference knows of a function's registers before an instruction (NumberInference):
/// sets of registers, and the kinds of values they certainly hold.
import PerigeeFrontend

/// A set of registers (0...255).
struct RegisterSet: Equatable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static let all = RegisterSet(words: (~0, ~0, ~0, ~0))

    func contains(_ r: Int) -> Bool {
        guard r >= 0 && r < 256 else { return false }
        return word(r >> 6) & (1 << UInt64(r & 63)) != 0
    }
    private func word(_ i: Int) -> UInt64 {
        switch i { case 0: return words.0; case 1: return words.1; case 2: return words.2; default: return words.3 }
    }
    private mutating func update(_ i: Int, _ f: (inout UInt64) -> Void) {
        switch i { case 0: f(&words.0); case 1: f(&words.1); case 2: f(&words.2); default: f(&words.3) }
    }
    mutating func insert(_ r: Int) {
        guard r >= 0 && r < 256 else { return }
        update(r >> 6) { $0 |= 1 << UInt64(r & 63) }
    }
    mutating func remove(_ r: Int) {
        guard r >= 0 && r < 256 else { return }
        update(r >> 6) { $0 &= ~(1 << UInt64(r & 63)) }
    }
    /// Removes every register from `r` up.
    mutating func removeFrom(_ r: Int) {
        for i in max(r, 0)..<256 { remove(i) }
    }
    static func & (a: RegisterSet, b: RegisterSet) -> RegisterSet {
        RegisterSet(words: (a.words.0 & b.words.0, a.words.1 & b.words.1, a.words.2 & b.words.2, a.words.3 & b.words.3))
    }
    static func == (a: RegisterSet, b: RegisterSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }
}

extension RegisterSet {
    static func | (a: RegisterSet, b: RegisterSet) -> RegisterSet {
        RegisterSet(words: (a.words.0 | b.words.0, a.words.1 | b.words.1, a.words.2 | b.words.2, a.words.3 | b.words.3))
    }
    func subtracting(_ b: RegisterSet) -> RegisterSet {
        RegisterSet(words: (words.0 & ~b.words.0, words.1 & ~b.words.1, words.2 & ~b.words.2, words.3 & ~b.words.3))
    }
    var isEmpty: Bool { self == RegisterSet() }
    /// The registers in the set, in increasing order.
    var members: [Int] { (0..<256).filter { contains($0) } }
}

/// The registers certainly holding numbers, and (in programs that use the FFI) those
/// certainly holding an `int64_t` or `uint64_t` cdata whose value compiled code keeps
/// unboxed in an LLVM value; of the latter, those whose stack slot may still hold an
/// older value, because the integer was computed without boxing it (the slot is written,
/// with a new cdata, where the value escapes: see Integer64Paths.swift).
struct RegisterKinds: Equatable {
    var numbers = RegisterSet()
    var signed = RegisterSet()
    var unsigned = RegisterSet()
    var stale = RegisterSet()

    static let all = RegisterKinds(numbers: .all, signed: .all, unsigned: .all, stale: RegisterSet())

    /// At a join: what holds on both ways; a slot stale on either way may be stale.
    static func & (a: RegisterKinds, b: RegisterKinds) -> RegisterKinds {
        RegisterKinds(numbers: a.numbers & b.numbers, signed: a.signed & b.signed, unsigned: a.unsigned & b.unsigned,
                      stale: a.stale | b.stale)
    }

    var integers: RegisterSet { signed | unsigned }

    /// Nil unless register r holds a 64-bit integer; else whether it is a `uint64_t`.
    func integer(_ r: Int) -> Bool? { signed.contains(r) ? false : unsigned.contains(r) ? true : nil }

    mutating func setNumber(_ r: Int) {
        setOther(r)
        numbers.insert(r)
    }
    mutating func setOther(_ r: Int) {
        numbers.remove(r); signed.remove(r); unsigned.remove(r); stale.remove(r)
    }
    mutating func setInteger(_ r: Int, unsigned isUnsigned: Bool, stale isStale: Bool) {
        setOther(r)
        if isUnsigned { unsigned.insert(r) } else { signed.insert(r) }
        if isStale { stale.insert(r) }
    }
    mutating func removeFrom(_ r: Int) {
        numbers.removeFrom(r); signed.removeFrom(r); unsigned.removeFrom(r); stale.removeFrom(r)
    }
}
