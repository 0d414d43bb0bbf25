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
        // An entry of a freed string whose address this one took is replaced.
        if let stale = entries.firstIndex(where: { $0.pattern == pattern }) {
            entries[stale] = entry
        } else if entries.count < PatternHintCache.size {
            entries.append(entry)
        } else {
            entries[nextVictim] = entry
            nextVictim = (nextVictim + 1) % PatternHintCache.size
        }
    }

    /// The entry of `pattern`: its string object, with the same bytes.
    private func index(of pattern: StringRef) -> Int? {
        guard let n = entries.firstIndex(where: { $0.pattern == pattern }) else { return nil }
        let bytes = pattern.buffer
        return entries[n].bytes.withUnsafeBufferPointer { kept in
            kept.count == bytes.count && (bytes.count == 0 || memcmp(kept.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        } ? n : nil
    }
}
