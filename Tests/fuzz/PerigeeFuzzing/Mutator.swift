/// Mutations of Lua sources and binary chunks for the frontend fuzzer: byte edits, spliced
/// ranges from other corpus files, and Lua's tokens inserted where they make the lexer and
/// the parser take their rarer paths (long brackets, escapes, numerals, deep nesting).

/// A small, seedable generator (SplitMix64): a run is repeatable from its seed.
public struct FuzzRandom {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0 ..< bound (bound > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// Fragments worth inserting into Lua source: keywords, operators, every kind of literal
/// and escape, comments and long brackets, half-finished constructs.
let luaFragments: [[UInt8]] = [
    "local ", "function ", "end", "return ", "if ", "then ", "else ", "elseif ", "while ", "do ", "for ",
    "in ", "repeat ", "until ", "break", "goto ", "::a::", "nil", "true", "false", "and ", "or ", "not ",
    "...", "..", ".", ":", ";", ",", "=", "==", "~=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "^", "#",
    "(", ")", "{", "}", "[", "]", "[[", "]]", "[==[", "]==]", "--", "--[[", "--[==[", "\n", "\r", "\r\n", "\t",
    "\"", "'", "\\", "\\n", "\\x", "\\xff", "\\z", "\\u{", "\\u{10FFFF}", "\\u{7FFFFFFF}", "\\999", "\\0",
    "0x", "0x1p", "0x.8p-3", "1e", "1e+", "1e308", "1e-400", "9007199254740993", "0xffffffffffffffffff",
    "1LL", "2ULL", "3i", "0x10ull", "12.5i", "1..2", "3.", ".5", "0b1", "1_0",
    "a", "a.b", "a[1]", "a:b()", "f()", "f{}", "f''", "x, y", "local a <const>", "@", "$", "`", "\u{7f}", "\u{0}",
    "function() end", "{...}", "select('#', ...)", "while true do end", "if a then else end",
    "((((((((", "))))))))", "{{{{{{{{", "}}}}}}}}", "a = a .. a .. a .. a",
].map { Array($0.utf8) }

public struct Mutator {
    public var random: FuzzRandom
    /// Inputs to splice from (the corpus the mutants derive from).
    let corpus: [[UInt8]]
    /// Largest mutant made, in bytes.
    public var maximumSize = 1 << 16

    public init(seed: UInt64, corpus: [[UInt8]]) {
        random = FuzzRandom(seed: seed)
        self.corpus = corpus.filter { !$0.isEmpty }
    }

    /// One to four mutations stacked on `input`; `binary` favours byte-level edits (a dump's
    /// fields are counts and offsets, not tokens).
    public mutating func mutate(_ input: [UInt8], binary: Bool) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) {
            switch random.below(binary ? 7 : 10) {
            case 0: flipBit(&bytes)
            case 1: setByte(&bytes)
            case 2: deleteRange(&bytes)
            case 3: duplicateRange(&bytes)
            case 4: spliceFromCorpus(&bytes)
            case 5: truncate(&bytes)
            case 6: binary ? setInteger(&bytes) : swapRanges(&bytes)
            case 7: insertFragment(&bytes)
            case 8: insertFragment(&bytes)
            default: repeatFragment(&bytes)
            }
            if bytes.count > maximumSize { bytes.removeLast(bytes.count - maximumSize) }
        }
        return bytes
    }

    private mutating func position(in bytes: [UInt8]) -> Int { random.below(bytes.count + 1) }

    private mutating func flipBit(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8))
    }

    private mutating func setByte(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let special: [UInt8] = [0, 0x1b, 0x7f, 0x80, 0xff, 10, 13, 34, 39, 91, 93, 92]
        bytes[random.below(bytes.count)] = random.chance(50) ? special[random.below(special.count)] : UInt8(random.below(256))
    }

    /// Overwrites up to 4 bytes with an extreme little-endian integer or a ULEB128 one.
    private mutating func setInteger(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let values: [UInt64] = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fff_ffff, 0xffff_ffff, UInt64.max]
        let value = values[random.below(values.count)]
        var encoded: [UInt8] = []
        if random.chance(50) {
            var v = value
            repeat {
                encoded.append(UInt8(v & 0x7f) | (v >= 0x80 ? 0x80 : 0))
                v >>= 7
            } while v != 0
        } else {
            for i in 0..<4 { encoded.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
        }
        let at = random.below(bytes.count)
        for (i, b) in encoded.enumerated() where at + i < bytes.count { bytes[at + i] = b }
    }

    private mutating func deleteRange(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let start = random.below(bytes.count)
        let length = min(bytes.count - start, 1 + random.below(random.chance(80) ? 8 : 256))
        bytes.removeSubrange(start..<start + length)
    }

    private mutating func duplicateRange(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let start = random.below(bytes.count)
        let length = min(bytes.count - start, 1 + random.below(64))
        let piece = Array(bytes[start..<start + length])
        bytes.insert(contentsOf: piece, at: position(in: bytes))
    }

    private mutating func swapRanges(_ bytes: inout [UInt8]) {
        guard bytes.count >= 4 else { return }
        let a = random.below(bytes.count / 2), b = bytes.count / 2 + random.below(bytes.count / 2)
        let length = min(1 + random.below(32), b - a, bytes.count - b)
        guard length > 0 else { return }
        for i in 0..<length { bytes.swapAt(a + i, b + i) }
    }

    private mutating func spliceFromCorpus(_ bytes: inout [UInt8]) {
        guard !corpus.isEmpty else { return }
        let other = corpus[random.below(corpus.count)]
        let start = random.below(other.count)
        let length = min(other.count - start, 1 + random.below(512))
        let piece = other[start..<start + length]
        if random.chance(50) {
            bytes.insert(contentsOf: piece, at: position(in: bytes))
        } else {
            let at = position(in: bytes)
            bytes.replaceSubrange(at..<min(bytes.count, at + length), with: piece)
        }
    }

    private mutating func truncate(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.removeLast(bytes.count - random.below(bytes.count))
    }

    private mutating func insertFragment(_ bytes: inout [UInt8]) {
        bytes.insert(contentsOf: luaFragments[random.below(luaFragments.count)], at: position(in: bytes))
    }

    /// A fragment many times over: nesting, long operator chains, long literals.
    private mutating func repeatFragment(_ bytes: inout [UInt8]) {
        let fragment = luaFragments[random.below(luaFragments.count)]
        let times = 1 + random.below(random.chance(90) ? 16 : 400)
        var piece: [UInt8] = []
        for _ in 0..<times { piece.append(contentsOf: fragment) }
        bytes.insert(contentsOf: piece, at: position(in: bytes))
    }
}
