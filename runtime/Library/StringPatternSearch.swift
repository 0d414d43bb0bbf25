/// The searches of `string.find`, `match`, `gmatch` and `gsub` built on `PatternMatcher`:
/// start positions, the plain-find fast path, iteration state and replacement strings.

#if canImport(Glibc)
import Glibc
#endif

extension PatternMatcher {
    /// The 0-based offset a search starts at for Lua's `init` argument (already an integer),
    /// as LuaJIT 2.1 computes it: negative counts from the end, and anything past the end
    /// starts at the end (LuaJIT does not return nil there, unlike Lua 5.2).
    public static func startOffset(init position: Int, length: Int) -> Int {
        var start = position < 0 ? position + length : position - 1
        if start < 0 { start = 0 }
        return start > length ? length : start
    }

    /// Does `pattern` hold a byte that makes `string.find` run the matcher (`^$*+?.([%-`)?
    /// Every byte counts, even after a NUL (LuaJIT's `lj_str_haspattern`).
    public static func hasSpecials(_ pattern: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in pattern {
            switch b {
            case UInt8(ascii: "^"), UInt8(ascii: "$"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"),
                 UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "%"), UInt8(ascii: "-"):
                return true
            default:
                continue
            }
        }
        return false
    }

    /// Plain `string.find`: the first occurrence of `needle` in `subject` at or after `start`.
    public static func plainFind(_ needle: UnsafeBufferPointer<UInt8>, in subject: UnsafeBufferPointer<UInt8>,
                                 from start: Int) -> Range<Int>? {
        let n = needle.count
        if n == 0 { return start..<start }
        if n > subject.count - start { return nil }
        let base = subject.baseAddress!
        let first = Int32(needle[0])
        var s = start
        let lastStart = subject.count - n
        while s <= lastStart {
            guard let hit = memchr(base + s, first, lastStart - s + 1) else { return nil }
            let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            if n == 1 || memcmp(base + at + 1, needle.baseAddress! + 1, n - 1) == 0 { return at..<at + n }
            s = at + 1
        }
        return nil
    }

    /// Searches from `start` (0...subject.count) the way `string.find`/`match`/`gmatch` do:
    /// every start offset up to and including the end, or only `start` when anchored.
    /// Returns the range of the first match; its captures are then readable.
    public mutating func find(from start: Int) throws(PatternError) -> Range<Int>? {
        if start > subject.count { return nil }
        if isAnchored {
            guard let e = try match(at: start) else { return nil }
            return start..<e
        }
        if subject.count - start > SearchHints.worthAnalysing && hints == nil {
            hints = SearchHints(self)
        }
        let required = hints?.requiredCount ?? 0
        let first = firstLiteral()
        var firstBytes = first == nil ? hints?.firstBytes : nil
        return try withChoiceStack { (m: inout PatternMatcher, stack) throws(PatternError) -> Range<Int>? in
            let base = m.subject.baseAddress
            let end = m.subject.count
            // Where each required byte next occurs, at or after the current start offset.
            var nextRequired = InlineArray<8, Int>(repeating: -1)
            var s = start
            // Failed attempts, counted until the leading bytes are known.
            var attempts = m.hints?.knowsFirstBytes == false && first == nil ? m.hints!.failedAttempts : -1
            defer { if attempts >= 0 { m.hints!.failedAttempts = attempts } }
            while s <= end {
                if let first {
                    // Attempts where the leading literal differs fail at once, without error.
                    guard s < end, let hit = memchr(base! + s, Int32(first), end - s) else { return nil }
                    s = UnsafeRawPointer(hit) - UnsafeRawPointer(base!)
                } else if let firstBytes {
                    // So do attempts at a byte the leading item does not match.
                    while s < end && !firstBytes.contains(base.unsafelyUnwrapped[s]) { s += 1 }
                    if s == end { return nil }
                }
                for i in 0..<required where nextRequired[i] < s {
                    // Past the last occurrence of a byte every match needs: no match is left.
                    let byte = m.hints.unsafelyUnwrapped.required[i]
                    guard s < end, let hit = memchr(base! + s, Int32(byte), end - s) else { return nil }
                    nextRequired[i] = UnsafeRawPointer(hit) - UnsafeRawPointer(base!)
                }
                if let e = try m.run(from: s, stack: stack) { return s..<e }
                s += 1
                if attempts >= 0 {
                    attempts += 1
                    if attempts == SearchHints.attemptsBeforeFirstBytes {
                        firstBytes = SearchHints.firstByteSet(m)
                        m.hints!.firstBytes = firstBytes
                        m.hints!.knowsFirstBytes = true
                        attempts = -1
                    }
                }
            }
            return nil
        }
    }

    /// The byte every match must begin with, when the pattern starts with an unquantified
    /// (or `+`) literal byte.
    func firstLiteral() -> UInt8? {
        if bodyStart >= pattern.count { return nil }
        let c = pattern[bodyStart]
        switch c {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "%"), UInt8(ascii: "["), UInt8(ascii: "."):
            return nil
        case UInt8(ascii: "$") where bodyStart + 1 >= pattern.count:
            return nil
        default:
            switch pattern[bodyStart + 1] {
            case UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "-"): return nil
            default: return c
            }
        }
    }

    /// Appends the expansion of a gsub replacement string for the match `wholeMatch`:
    /// `%0` is the match, `%1`-`%9` captures (a position capture as its number), and `%`
    /// before any other byte is that byte. A `%` at the very end yields a NUL byte: LuaJIT
    /// reads the C string's terminator there. (LuaJIT 2.1 has no "invalid use of '%'" error.)
    public func appendReplacement(_ template: UnsafeBufferPointer<UInt8>, wholeMatch: Range<Int>,
                                  into out: inout [UInt8]) throws(PatternError) {
        var i = 0
        let n = template.count
        while i < n {
            let b = template[i]
            i += 1
            if b != UInt8(ascii: "%") {
                out.append(b)
                continue
            }
            let d: UInt8 = i < n ? template[i] : 0
            i += 1
            if !CharClassBits.isDigit(d) {
                out.append(d)
            } else if d == UInt8(ascii: "0") {
                out.append(contentsOf: subject[wholeMatch])
            } else {
                switch try capture(Int(d - UInt8(ascii: "1")), wholeMatch: wholeMatch) {
                case .bytes(let r): out.append(contentsOf: subject[r])
                case .position(let position): appendDecimal(position, into: &out)
                }
            }
        }
    }

    /// Whole `string.gsub` with a replacement string; returns the number of matches.
    public mutating func substitute(_ template: UnsafeBufferPointer<UInt8>, maxReplacements: Int,
                                    into out: inout [UInt8]) throws(PatternError) -> Int {
        var state = GsubState(maxReplacements: maxReplacements)
        while let r = try state.next(&self, into: &out) {
            try appendReplacement(template, wholeMatch: r, into: &out)
        }
        return state.count
    }
}

/// Appends `value` in decimal.
func appendDecimal(_ value: Int, into out: inout [UInt8]) {
    var digits = InlineArray<20, UInt8>(repeating: 0)
    var v = value.magnitude
    var n = 0
    repeat {
        digits[n] = UInt8(v % 10) + UInt8(ascii: "0")
        v /= 10
        n += 1
    } while v != 0
    if value < 0 { out.append(UInt8(ascii: "-")) }
    while n > 0 {
        n -= 1
        out.append(digits[n])
    }
}

/// Where a `string.gmatch` iterator stands. Make its matcher with `honorsAnchor: false`: in
/// LuaJIT's gmatch a leading `^` is an ordinary byte.
public struct GmatchState: Sendable {
    /// The offset the next search starts at.
    public var position = 0

    public init() {}

    /// The next match, or nil when there is none; captures are then in `matcher`. An empty
    /// match moves the next search one byte further, so iteration always progresses.
    public mutating func next(_ matcher: inout PatternMatcher) throws(PatternError) -> Range<Int>? {
        guard let r = try matcher.find(from: position) else {
            position = matcher.subject.count + 1
            return nil
        }
        position = r.isEmpty ? r.upperBound + 1 : r.upperBound
        return r
    }
}

/// The loop of `string.gsub`: `next` copies the unmatched subject bytes into `out` and returns
/// the next match; the caller appends its replacement (a string through `appendReplacement`,
/// or the result of a function or table lookup on the captures, or the match itself when that
/// result is false or nil) and calls `next` again. At the end `next` copies the rest of the
/// subject and returns nil; `count` is then gsub's second result.
public struct GsubState: Sendable {
    /// Matches so far (each one counts, whatever its replacement).
    public private(set) var count = 0
    /// The offset up to which the subject has been consumed.
    public private(set) var position = 0
    let maxReplacements: Int
    var pendingEnd = -1
    var finished = false

    /// `maxReplacements` is gsub's fourth argument, or subject length + 1 when absent.
    public init(maxReplacements: Int) {
        self.maxReplacements = maxReplacements
    }

    public mutating func next(_ m: inout PatternMatcher, into out: inout [UInt8]) throws(PatternError) -> Range<Int>? {
        if finished { return nil }
        let end = m.subject.count
        if pendingEnd >= 0 {
            let e = pendingEnd
            pendingEnd = -1
            if e > position {
                position = e
            } else if position < end {
                // An empty match: keep the byte after it and move on.
                out.append(m.subject[position])
                position += 1
            } else {
                return finish(m, into: &out)
            }
            if m.isAnchored { return finish(m, into: &out) }
        }
        guard count < maxReplacements else { return finish(m, into: &out) }
        if m.isAnchored {
            if let e = try m.match(at: position) {
                count += 1
                pendingEnd = e
                return position..<e
            }
            return finish(m, into: &out)
        }
        guard let r = try m.find(from: position) else { return finish(m, into: &out) }
        out.append(contentsOf: m.subject[position..<r.lowerBound])
        position = r.lowerBound
        count += 1
        pendingEnd = r.upperBound
        return r
    }

    private mutating func finish(_ m: PatternMatcher, into out: inout [UInt8]) -> Range<Int>? {
        out.append(contentsOf: m.subject[position..<m.subject.count])
        position = m.subject.count
        finished = true
        return nil
    }
}
