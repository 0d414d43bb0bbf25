/// A static look at a pattern that lets long searches stop early where no match can begin,
/// without changing any result or error LuaJIT would give.

#if canImport(Glibc)
import Glibc
#endif

/// When a pattern cannot raise an error at any step (it is well formed, its back-references
/// are valid and it cannot nest deeper than LuaJIT allows), an attempt's only outcome is match
/// or no match, so attempts that surely fail may be skipped. A literal byte that every match
/// must consume rules out every start offset past its last occurrence; the search looks for
/// each such byte ahead of where it stands, so it never scans past the match it finds.
///
/// Independently, when the pattern begins (after opening its captures) with a single-byte item
/// that must match once, an attempt at a byte outside that item fails at the item, before any
/// step that could raise an error, so such start offsets are skipped too.
struct SearchHints {
    /// Subjects shorter than this (past the start) are searched without analysis.
    static let worthAnalysing = 64
    static let maxRequired = 8

    /// Bytes every match consumes (at most `maxRequired`); none when unknown or unsafe.
    var required = InlineArray<8, UInt8>(repeating: 0)
    var requiredCount = 0
    /// The bytes a match can begin with, when the pattern says; worked out only once the
    /// searches of this matcher have failed `attemptsBeforeFirstBytes` times, as most short
    /// searches end sooner.
    var firstBytes: ByteSet?
    var knowsFirstBytes = false
    var failedAttempts = 0
    static let attemptsBeforeFirstBytes = 16

    init(_ m: PatternMatcher) {
        guard let bytes = SearchHints.requiredBytes(m) else { return }
        for b in bytes {
            required[requiredCount] = b
            requiredCount += 1
        }
    }

    /// The bytes the first item matches, when it is a single-byte item, unquantified or with
    /// `+`, after nothing but capture openings (no more than a match may open).
    static func firstByteSet(_ m: PatternMatcher) -> ByteSet? {
        let pattern = m.pattern
        var p = m.bodyStart
        var captures = 0
        while pattern[p] == UInt8(ascii: "(") {
            p += pattern[p + 1] == UInt8(ascii: ")") ? 2 : 1
            captures += 1
        }
        if captures > PatternMatcher.maxCaptures || p >= pattern.count { return nil }
        switch pattern[p] {
        case UInt8(ascii: ")"):
            return nil
        case UInt8(ascii: "$") where p + 1 >= pattern.count:
            return nil
        case UInt8(ascii: "%"):
            let op = pattern[p + 1]
            if op == UInt8(ascii: "b") || op == UInt8(ascii: "f") || CharClassBits.isDigit(op) { return nil }
        default:
            break
        }
        guard let ep = try? m.classEnd(p) else { return nil }
        switch pattern[ep] {
        case UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "-"): return nil
        default: break
        }
        var set = ByteSet()
        for b in 0...255 where m.singleMatch(UInt8(b), item: p, itemEnd: ep) { set.insert(UInt8(b)) }
        return set
    }

    /// The literal bytes every match consumes, or nil when some attempt might raise an error.
    static func requiredBytes(_ m: PatternMatcher) -> [UInt8]? {
        let pattern = m.pattern
        var required: [UInt8] = []
        var closed = InlineArray<32, Bool>(repeating: false)
        var level = 0
        var choices = 0
        var p = m.bodyStart
        func note(_ b: UInt8) {
            if required.count < maxRequired && !required.contains(b) { required.append(b) }
        }
        while p < pattern.count {
            let c = pattern[p]
            if c == UInt8(ascii: "(") {
                if level >= PatternMatcher.maxCaptures { return nil }
                let isPosition = pattern[p + 1] == UInt8(ascii: ")")
                closed[level] = isPosition
                level += 1
                choices += 1
                p += isPosition ? 2 : 1
                continue
            }
            if c == UInt8(ascii: ")") {
                var open = level - 1
                while open >= 0 && closed[open] { open -= 1 }
                if open < 0 { return nil }
                closed[open] = true
                choices += 1
                p += 1
                continue
            }
            if c == UInt8(ascii: "$") && p + 1 >= pattern.count { break }
            if c == UInt8(ascii: "%") {
                let op = pattern[p + 1]
                if op == UInt8(ascii: "b") {
                    if p + 3 >= pattern.count { return nil }
                    note(pattern[p + 2])
                    note(pattern[p + 3])
                    p += 4
                    continue
                }
                if op == UInt8(ascii: "f") {
                    if pattern[p + 2] != UInt8(ascii: "[") { return nil }
                    guard let ep = try? m.classEnd(p + 2) else { return nil }
                    p = ep
                    continue
                }
                if CharClassBits.isDigit(op) {
                    let l = Int(op) - Int(UInt8(ascii: "1"))
                    if l < 0 || l >= level || !closed[l] { return nil }
                    p += 2
                    continue
                }
            }
            guard let ep = try? m.classEnd(p) else { return nil }
            let literal: UInt8?
            if c == UInt8(ascii: "%") {
                let op = pattern[p + 1]
                literal = CharClassBits.table[Int(op)] & CharClassBits.alphanumeric == 0 ? op : nil
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "[") {
                literal = nil
            } else {
                literal = c
            }
            switch pattern[ep] {
            case UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "-"):
                choices += 1
                p = ep + 1
            case UInt8(ascii: "+"):
                choices += 1
                if let literal { note(literal) }
                p = ep + 1
            default:
                if let literal { note(literal) }
                p = ep
            }
        }
        if choices >= PatternMatcher.maxDepth { return nil }
        return required.isEmpty ? nil : required
    }
}
