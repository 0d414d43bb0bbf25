#if canImport(Glibc)
import Glibc
#endif

/// The search hints (`SearchHints`) of the patterns used last, so that a pattern used again
/// (a `match` per line of a file, each step of a `gmatch`, a `gsub` in a loop) is analysed
/// once rather than on every call. Hints depend on the pattern's bytes alone. An entry is
/// found by the pattern's string object and then checked byte for byte: a string freed by
/// the collector may leave its address to a string with other bytes.
struct PatternHintCache {
    static let size = 8

    private struct Entry {
        var pattern: StringRef
        var bytes: [UInt8]
        var hints: SearchHints
    }
    private var entries: [Entry] = []
    private var nextVictim = 0

    /// The hints kept for `pattern`, if any.
    func hints(for pattern: StringRef) -> SearchHints? {
        guard let n = index(of: pattern) else { return nil }
        return entries[n].hints
    }

    /// Keeps `hints` (a matcher's after its search, nil when it made none) for `pattern`.
    mutating func keep(_ hints: SearchHints?, for pattern: StringRef) {
        guard let hints else { return }
        if let n = index(of: pattern) {
            entries[n].hints = hints
            return
        }
        let entry = Entry(pattern: pattern, bytes: Array(pattern.buffer), hints: hints)
        if entries.count < PatternHintCache.size {
            entries.append(entry)
        } else {
            entries[nextVictim] = entry
            nextVictim = (nextVictim + 1) % PatternHintCache.size
        }
    }

    private func index(of pattern: StringRef) -> Int? {
        let bytes = pattern.buffer
        for n in entries.indices where entries[n].pattern == pattern {
            let kept = entries[n].bytes
            guard kept.count == bytes.count else { return nil }
            return kept.withUnsafeBufferPointer { k in
                bytes.count == 0 || memcmp(k.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            } ? n : nil
        }
        return nil
    }
}
