/// Lua 5.1 pattern matching over bytes, exactly as LuaJIT 2.1 behaves, with its backtracking
/// kept on a small bounded stack of choice points instead of the native stack.

#if canImport(Glibc)
import Glibc
#endif

/// A pattern error; `message` is LuaJIT's text, which the library glue raises as a plain error.
public enum PatternError: Error, Equatable, Sendable {
    case endsWithPercent
    case missingBracket
    case missingFrontierBracket
    case unbalancedPattern
    case tooManyCaptures
    case invalidCaptureIndex
    case invalidPatternCapture
    case unfinishedCapture
    case patternTooComplex

    public var message: String {
        switch self {
        case .endsWithPercent: return "malformed pattern (ends with '%')"
        case .missingBracket: return "malformed pattern (missing ']')"
        case .missingFrontierBracket: return "missing '[' after '%f' in pattern"
        case .unbalancedPattern: return "unbalanced pattern"
        case .tooManyCaptures: return "too many captures"
        case .invalidCaptureIndex: return "invalid capture index"
        case .invalidPatternCapture: return "invalid pattern capture"
        case .unfinishedCapture: return "unfinished capture"
        case .patternTooComplex: return "pattern too complex"
        }
    }
}

/// One capture of a successful match: a byte range of the subject, or a `()` position
/// (1-based, as Lua sees it).
public enum PatternCapture: Equatable, Sendable {
    case bytes(Range<Int>)
    case position(Int)
}

/// Matches one pattern against one subject. Offsets are 0-based byte offsets into the subject;
/// after a successful `match(at:)` or `find(from:)` the captures of that match can be read.
/// The pattern ends at its first NUL byte, as in LuaJIT, which reads patterns as C strings.
public struct PatternMatcher {
    /// LuaJIT's LUA_MAXCAPTURES.
    public static let maxCaptures = 32
    /// LuaJIT's LJ_MAX_XLEVEL: at most this many nested `match` calls, the outermost included.
    public static let maxDepth = 200

    public let subject: UnsafeBufferPointer<UInt8>
    let pattern: PatternText
    /// The pattern began with `^` and the caller honours anchors (find, match, gsub do; gmatch does not).
    public let isAnchored: Bool
    /// Offset in the pattern where matching begins (after the anchor).
    let bodyStart: Int
    /// Captures opened so far (finished or not); after a match, the number of captures.
    public private(set) var captureCount = 0
    var captureStart = InlineArray<32, Int>(repeating: 0)
    var captureLength = InlineArray<32, Int>(repeating: 0)
    /// Search accelerators, computed on the first long search; see `SearchHints`.
    var hints: SearchHints?
    let classes = PatternClass()

    static let unfinished = -1
    static let positionCapture = -2

    public init(subject: UnsafeBufferPointer<UInt8>, pattern: UnsafeBufferPointer<UInt8>,
                honorsAnchor: Bool = true) {
        self.subject = subject
        self.pattern = PatternText(pattern)
        isAnchored = honorsAnchor && self.pattern[0] == UInt8(ascii: "^")
        bodyStart = isAnchored ? 1 : 0
    }

    /// The subject byte at `i`, or the NUL that follows a Lua string's bytes when `i` is its length.
    @inline(__always)
    func subjectByte(_ i: Int) -> UInt8 { i < subject.count ? subject[i] : 0 }

    /// Tries the pattern (after any anchor) at exactly `start` (0...subject.count).
    /// Returns the end offset of the match, or nil.
    public mutating func match(at start: Int) throws(PatternError) -> Int? {
        return try withChoiceStack { (m: inout PatternMatcher, stack) throws(PatternError) -> Int? in
            try m.run(from: start, stack: stack)
        }
    }

    /// Choice points kept on the native stack (under the 1 KB Swift allocates there); an
    /// attempt that needs more moves them to the heap, up to the depth LuaJIT allows.
    static let nativeChoices = 24

    /// Runs `body` with room for `nativeChoices` choice points on the native stack, so a
    /// search makes room once for all its attempts and usually allocates nothing.
    @inline(__always)
    mutating func withChoiceStack<R>(
        _ body: (inout PatternMatcher, UnsafeMutablePointer<ChoicePoint>) throws(PatternError) -> R
    ) throws(PatternError) -> R {
        return try withUnsafeTemporaryAllocation(of: ChoicePoint.self, capacity: PatternMatcher.nativeChoices) {
            (stack: UnsafeMutableBufferPointer<ChoicePoint>) throws(PatternError) -> R in
            try body(&self, stack.baseAddress.unsafelyUnwrapped)
        }
    }

    /// The value of capture `index` (0-based) for a match covering `wholeMatch`, as LuaJIT pushes
    /// it: with no captures, index 0 is the whole match.
    public func capture(_ index: Int, wholeMatch: Range<Int>) throws(PatternError) -> PatternCapture {
        if index >= captureCount {
            if index == 0 { return .bytes(wholeMatch) }
            throw .invalidCaptureIndex
        }
        let length = captureLength[index]
        if length == PatternMatcher.unfinished { throw .unfinishedCapture }
        if length == PatternMatcher.positionCapture { return .position(captureStart[index] + 1) }
        return .bytes(captureStart[index]..<captureStart[index] + length)
    }

    /// How many values `string.match`, `gmatch` and a gsub function receive: the captures, or
    /// the whole match when there are none. (`string.find` returns `captureCount` values.)
    public var matchValueCount: Int { captureCount == 0 ? 1 : captureCount }

    // MARK: The matcher

    /// What to do when the rest of the pattern fails after a choice was made.
    enum ChoiceKind: UInt8 {
        /// `x?` matched one byte: retry the rest without it, at `subjectOffset`.
        case skipOptional
        /// `x*`/`x+` took `count` bytes from `subjectOffset`: retry with one fewer.
        case shortenGreedy
        /// `x-` stands at `subjectOffset`: retry after one more byte if `x` matches it.
        case extendLazy
        /// A capture was opened: close the count again.
        case reopenCapture
        /// Capture `count` was closed: mark it unfinished again.
        case unfinishCapture
    }

    /// A pending alternative; each one stands for one nested `match` call of LuaJIT's matcher.
    struct ChoicePoint {
        var kind: ChoiceKind
        var subjectOffset: Int
        var item: Int
        var itemEnd: Int
        var count: Int
    }

    /// One attempt at `start`: LuaJIT's `match` with its tail calls as a loop and its other
    /// calls as choice points on `stack` (room for `nativeChoices`).
    mutating func run(from start: Int, stack nativeStack: UnsafeMutablePointer<ChoicePoint>) throws(PatternError) -> Int? {
        captureCount = 0
        let end = subject.count
        var depth = 0
        var s = start
        var p = bodyStart
        var stack = nativeStack
        var capacity = PatternMatcher.nativeChoices
        defer { if stack != nativeStack { stack.deallocate() } }

        @inline(__always)
        func push(_ choice: ChoicePoint) throws(PatternError) {
            if depth >= capacity {
                if capacity >= PatternMatcher.maxDepth - 1 { throw .patternTooComplex }
                stack = PatternMatcher.moveToHeap(stack, count: depth)
                capacity = PatternMatcher.maxDepth - 1
            }
            stack[depth] = choice
            depth += 1
        }

        while true {
            var failed = false
            let c = pattern[p]
            dispatch: switch c {
            case UInt8(ascii: "("):
                if captureCount >= PatternMatcher.maxCaptures { throw .tooManyCaptures }
                let isPosition = pattern[p + 1] == UInt8(ascii: ")")
                captureStart[captureCount] = s
                captureLength[captureCount] = isPosition ? PatternMatcher.positionCapture : PatternMatcher.unfinished
                captureCount += 1
                try push(ChoicePoint(kind: .reopenCapture, subjectOffset: s, item: p, itemEnd: p, count: 0))
                p += isPosition ? 2 : 1
                continue
            case UInt8(ascii: ")"):
                let level = try captureToClose()
                captureLength[level] = s - captureStart[level]
                try push(ChoicePoint(kind: .unfinishCapture, subjectOffset: s, item: p, itemEnd: p, count: level))
                p += 1
                continue
            case UInt8(ascii: "%"):
                let op = pattern[p + 1]
                if op == UInt8(ascii: "b") {
                    if let e = try matchBalance(at: s, delimiters: p + 2) {
                        s = e
                        p += 4
                        continue
                    }
                    failed = true
                    break dispatch
                }
                if op == UInt8(ascii: "f") {
                    p += 2
                    if pattern[p] != UInt8(ascii: "[") { throw .missingFrontierBracket }
                    let ep = try classEnd(p)
                    let previous: UInt8 = s == 0 ? 0 : subject[s - 1]
                    if classes.matchesSet(previous, pattern: pattern, open: p, close: ep - 1)
                        || !classes.matchesSet(subjectByte(s), pattern: pattern, open: p, close: ep - 1) {
                        failed = true
                        break dispatch
                    }
                    p = ep
                    continue
                }
                if CharClassBits.isDigit(op) {
                    let level = try checkCapture(op)
                    let length = captureLength[level]
                    // A position capture has a negative length, which never matches (as in C,
                    // where it converts to a huge size_t).
                    if length >= 0 && end - s >= length
                        && memcmp(subject.baseAddress! + captureStart[level], subject.baseAddress! + s, length) == 0 {
                        s += length
                        p += 2
                        continue
                    }
                    failed = true
                    break dispatch
                }
            case 0 where p >= pattern.count:
                return s
            case UInt8(ascii: "$") where p + 1 >= pattern.count:
                if s == end { return s }
                failed = true
            default:
                break
            }
            if !failed {
                // A single-byte item, maybe quantified.
                let ep = try classEnd(p)
                let matched = s < end && singleMatch(subject[s], item: p, itemEnd: ep)
                switch pattern[ep] {
                case UInt8(ascii: "?"):
                    if matched {
                        try push(ChoicePoint(kind: .skipOptional, subjectOffset: s, item: p, itemEnd: ep, count: 0))
                        s += 1
                    }
                    p = ep + 1
                    continue
                case UInt8(ascii: "*"), UInt8(ascii: "+"):
                    if pattern[ep] == UInt8(ascii: "+") {
                        if !matched { failed = true; break }
                        s += 1
                    }
                    var n = 0
                    while s + n < end && singleMatch(subject[s + n], item: p, itemEnd: ep) { n += 1 }
                    try push(ChoicePoint(kind: .shortenGreedy, subjectOffset: s, item: p, itemEnd: ep, count: n))
                    s += n
                    p = ep + 1
                    continue
                case UInt8(ascii: "-"):
                    try push(ChoicePoint(kind: .extendLazy, subjectOffset: s, item: p, itemEnd: ep, count: 0))
                    p = ep + 1
                    continue
                default:
                    if matched {
                        s += 1
                        p = ep
                        continue
                    }
                    failed = true
                }
            }
            // The rest of the pattern failed here: resume the latest pending alternative.
            guard let resumed = backtrack(stack: stack, depth: &depth) else { return nil }
            (s, p) = resumed
        }
    }

    /// The `count` choice points at `stack`, moved to the heap with room for LuaJIT's limit.
    @inline(never)
    static func moveToHeap(_ stack: UnsafeMutablePointer<ChoicePoint>, count: Int) -> UnsafeMutablePointer<ChoicePoint> {
        let larger = UnsafeMutablePointer<ChoicePoint>.allocate(capacity: maxDepth - 1)
        larger.initialize(from: stack, count: count)
        return larger
    }

    /// Undoes choices until one has an alternative left; returns where matching resumes
    /// (subject offset, pattern offset), or nil when no alternative is left.
    private mutating func backtrack(stack: UnsafeMutablePointer<ChoicePoint>, depth: inout Int) -> (Int, Int)? {
        while depth > 0 {
            let top = stack + (depth - 1)
            switch top.pointee.kind {
            case .skipOptional:
                depth -= 1
                return (top.pointee.subjectOffset, top.pointee.itemEnd + 1)
            case .shortenGreedy:
                if top.pointee.count > 0 {
                    top.pointee.count -= 1
                    return (top.pointee.subjectOffset + top.pointee.count, top.pointee.itemEnd + 1)
                }
                depth -= 1
            case .extendLazy:
                let s = top.pointee.subjectOffset
                if s < subject.count && singleMatch(subject[s], item: top.pointee.item, itemEnd: top.pointee.itemEnd) {
                    top.pointee.subjectOffset = s + 1
                    return (s + 1, top.pointee.itemEnd + 1)
                }
                depth -= 1
            case .reopenCapture:
                captureCount -= 1
                depth -= 1
            case .unfinishCapture:
                captureLength[top.pointee.count] = PatternMatcher.unfinished
                depth -= 1
            }
        }
        return nil
    }

    /// Does byte `c` match the single-byte item at `item` (a byte, `.`, `%x` or a set ending before `itemEnd`)?
    @inline(__always)
    func singleMatch(_ c: UInt8, item: Int, itemEnd: Int) -> Bool {
        switch pattern[item] {
        case UInt8(ascii: "."): return true
        case UInt8(ascii: "%"): return classes.matches(c, classLetter: pattern[item + 1])
        case UInt8(ascii: "["): return classes.matchesSet(c, pattern: pattern, open: item, close: itemEnd - 1)
        case let literal: return literal == c
        }
    }

    /// The offset just past the single-byte item at `p`.
    func classEnd(_ p: Int) throws(PatternError) -> Int {
        var q = p + 1
        switch pattern[p] {
        case UInt8(ascii: "%"):
            if q >= pattern.count { throw .endsWithPercent }
            return q + 1
        case UInt8(ascii: "["):
            if pattern[q] == UInt8(ascii: "^") { q += 1 }
            // The first byte is taken unconditionally, so `[]]` and `[^]]` hold a `]`.
            repeat {
                if q >= pattern.count { throw .missingBracket }
                let b = pattern[q]
                q += 1
                if b == UInt8(ascii: "%") && q < pattern.count { q += 1 }
            } while pattern[q] != UInt8(ascii: "]")
            return q + 1
        default:
            return q
        }
    }

    /// `%bxy` at subject offset `s`; `delimiters` is the pattern offset of `x`.
    func matchBalance(at s: Int, delimiters d: Int) throws(PatternError) -> Int? {
        if d + 1 >= pattern.count { throw .unbalancedPattern }
        let open = pattern[d], close = pattern[d + 1]
        if subjectByte(s) != open { return nil }
        var nesting = 1
        var i = s + 1
        while i < subject.count {
            let b = subject[i]
            if b == close {
                nesting -= 1
                if nesting == 0 { return i + 1 }
            } else if b == open {
                nesting += 1
            }
            i += 1
        }
        return nil
    }

    /// The innermost capture still open, for a `)`.
    func captureToClose() throws(PatternError) -> Int {
        var level = captureCount - 1
        while level >= 0 {
            if captureLength[level] == PatternMatcher.unfinished { return level }
            level -= 1
        }
        throw .invalidPatternCapture
    }

    /// The capture a back-reference `%1`...`%9` names; it must exist and be closed.
    func checkCapture(_ digit: UInt8) throws(PatternError) -> Int {
        let level = Int(digit) - Int(UInt8(ascii: "1"))
        if level < 0 || level >= captureCount || captureLength[level] == PatternMatcher.unfinished {
            throw .invalidCaptureIndex
        }
        return level
    }
}
