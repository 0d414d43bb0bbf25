/// The profile file: UTF-8 text, one record per line, fields separated by one space; names
/// (chunk names, trace endings, the producer) are percent-encoded so each is one field.
/// `docs/profile-format.md` is the specification; `read` checks every line of it.
import PerigeeRuntime

public enum ProfileError: Error, Equatable, CustomStringConvertible {
    /// Not a profile, or a damaged one: the line and what is wrong with it.
    case malformed(line: Int, String)
    /// A profile in another format version, or recorded by another Perigee.
    case otherVersion(String)

    public var description: String {
        switch self {
        case .malformed(let line, let what): return "not a valid profile (line \(line): \(what))"
        case .otherVersion(let what): return what
        }
    }
}

public enum ProfileFormat {
    static let magic = "perigee-profile"

    static let typeNames: [(ObservedTypes, String)] = [
        (.nil, "nil"), (.boolean, "boolean"), (.number, "number"), (.string, "string"), (.table, "table"),
        (.function, "function"), (.cdata, "cdata"), (.other, "other"),
    ]

    public static func typesText(_ t: ObservedTypes) -> String {
        let names = typeNames.filter { t.contains($0.0) }.map(\.1)
        return names.isEmpty ? "-" : names.joined(separator: ",")
    }

    static func types(_ text: Substring) -> ObservedTypes? {
        if text == "-" { return [] }
        var t: ObservedTypes = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let (bit, _) = typeNames.first(where: { $0.1 == name }) else { return nil }
            t.insert(bit)
        }
        return t
    }

    static func escape(_ s: String) -> String { escapeField(s.utf8) }

    static func unescape(_ s: Substring) -> String? { unescapeField(s).map { String(decoding: $0, as: UTF8.self) } }

    // MARK: Writing

    public static func write(_ p: Profile) -> String {
        var lines = ["\(magic) \(Profile.formatVersion)", "producer \(escape(p.producer))"]
        let chunks = p.chunks.sorted()
        var number: [ChunkKey: Int] = [:]
        for (i, c) in chunks.enumerated() {
            number[c] = i
            lines.append("chunk \(i) \(hex(c.sourceHash)) \(escape(c.name))")
        }
        func ref(_ f: FunctionKey) -> String { "\(number[f.chunk]!) \(f.index)" }
        func position(_ x: CodePosition) -> String { "\(number[x.function.chunk]!):\(x.function.index):\(x.pc)" }
        for key in p.functions.keys.sorted() where number[key.chunk] != nil {
            let f = p.functions[key]!
            lines.append("function \(ref(key)) \(f.firstLine) \(f.lastLine)")
            for pc in f.sites.keys.sorted() {
                let s = f.sites[pc]!
                lines.append("site \(pc) \(s.hits) \(typesText(s.first)) \(typesText(s.second))")
                if s.taken > 0 || s.notTaken > 0 { lines.append("branch \(pc) \(s.taken) \(s.notTaken)") }
                if s.inherited > 0 { lines.append("inherited \(pc) \(s.inherited)") }
                for (callee, n) in s.callees.sorted(by: { $0.value > $1.value || ($0.value == $1.value && "\($0.key)" < "\($1.key)") }) {
                    switch callee {
                    case .lua(let target) where number[target.chunk] != nil: lines.append("call \(pc) \(n) lua \(ref(target))")
                    case .lua: lines.append("call \(pc) \(n) other")
                    case .builtin(let id): lines.append("call \(pc) \(n) builtin \(id)")
                    case .other: lines.append("call \(pc) \(n) other")
                    }
                }
            }
        }
        for t in p.traces where t.path.allSatisfy({ number[$0.function.chunk] != nil }) {
            let anchor = t.anchor.flatMap { number[$0.function.chunk] != nil ? position($0) : nil } ?? "-"
            lines.append((["trace", anchor, escape(t.ending)] + t.path.map(position)).joined(separator: " "))
            let parent = t.parent.map(String.init) ?? "-"
            if let code = t.code, code.functions.allSatisfy({ number[$0.chunk] != nil }) {
                let functions = code.functions.map { "\(number[$0.chunk]!):\($0.index)" }
                lines.append((["tracecode", "\(t.number)", parent, "\(code.parentExit)", code.link.map(String.init) ?? "-",
                               "\(t.entries)", "\(t.rounds)"] + functions).joined(separator: " "))
                lines += code.lines.map { "tir " + $0 }
            } else {
                lines.append("tracenote \(t.number) \(parent) \(escape(t.notPortable ?? "no code"))")
            }
        }
        lines.append("end")
        return lines.joined(separator: "\n") + "\n"
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    // MARK: Reading

    /// Reads and checks a profile. A profile of another format version or Perigee is
    /// `otherVersion`; anything not exactly as specified is `malformed`.
    public static func read(_ bytes: [UInt8]) throws -> Profile {
        let text = String(decoding: bytes, as: UTF8.self)
        guard !bytes.contains(0), text.utf8.elementsEqual(bytes) else {
            throw ProfileError.malformed(line: 1, "not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        func fail(_ n: Int, _ what: String) -> ProfileError { .malformed(line: n + 1, what) }
        guard let header = lines.first, header.hasPrefix(magic + " ") else {
            throw fail(0, "it does not start with '\(magic)'")
        }
        guard let version = Int(header.dropFirst(magic.count + 1)) else { throw fail(0, "bad format version") }
        guard version == Profile.formatVersion else {
            throw ProfileError.otherVersion("profile format version \(version), this Perigee reads version \(Profile.formatVersion)")
        }
        guard lines.count >= 2, lines[1].hasPrefix("producer "),
              let producer = unescape(lines[1].dropFirst("producer ".count)) else { throw fail(1, "no producer line") }
        guard producer == perigeeVersion else {
            throw ProfileError.otherVersion("recorded by \(producer), not by this \(perigeeVersion)")
        }
        var p = Profile(producer: producer)
        var chunks: [ChunkKey] = []
        var current: FunctionKey? = nil
        var ended = false
        func int(_ s: Substring, _ n: Int, _ what: String) throws -> Int {
            guard let v = Int(s), v >= 0 else { throw fail(n, "bad \(what) '\(s)'") }
            return v
        }
        func function(_ c: Substring, _ i: Substring, _ n: Int) throws -> FunctionKey {
            let chunk = try int(c, n, "chunk number")
            guard chunk < chunks.count else { throw fail(n, "no chunk \(chunk)") }
            return FunctionKey(chunk: chunks[chunk], index: try int(i, n, "function index"))
        }
        func position(_ s: Substring, _ n: Int) throws -> CodePosition {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3 else { throw fail(n, "bad position '\(s)'") }
            return CodePosition(function: try function(parts[0], parts[1], n), pc: try int(parts[2], n, "instruction index"))
        }
        for n in 2..<lines.count {
            guard !ended else { throw fail(n, "text after 'end'") }
            let f = lines[n].split(separator: " ", omittingEmptySubsequences: false)
            func count(_ k: Int) throws {
                guard f.count == k else { throw fail(n, "'\(f[0])' takes \(k - 1) fields, not \(f.count - 1)") }
            }
            func site(_ pc: Substring) throws -> (FunctionKey, Int) {
                guard let key = current else { throw fail(n, "'\(f[0])' before any 'function'") }
                return (key, try int(pc, n, "instruction index"))
            }
            switch f[0] {
            case "chunk":
                try count(4)
                guard try int(f[1], n, "chunk number") == chunks.count else { throw fail(n, "chunks out of order") }
                guard f[2].count == 16, let hash = UInt64(f[2], radix: 16) else { throw fail(n, "bad source hash '\(f[2])'") }
                guard let name = unescape(f[3]) else { throw fail(n, "bad chunk name") }
                let key = ChunkKey(name: name, sourceHash: hash)
                guard p.chunks.insert(key).inserted else { throw fail(n, "chunk listed twice") }
                chunks.append(key)
            case "function":
                try count(5)
                let key = try function(f[1], f[2], n)
                let first = try int(f[3], n, "line"), last = try int(f[4], n, "line")
                guard first <= last || first == 0 else { throw fail(n, "bad line range") }
                guard p.functions[key] == nil else { throw fail(n, "function listed twice") }
                p.functions[key] = FunctionProfile(firstLine: first, lastLine: last)
                current = key
            case "site":
                try count(5)
                let (key, pc) = try site(f[1])
                guard let first = types(f[3]), let second = types(f[4]) else { throw fail(n, "bad type list") }
                guard p.functions[key]!.sites[pc] == nil else { throw fail(n, "site listed twice") }
                var s = SiteProfile()
                s.hits = try int(f[2], n, "count")
                s.first = first
                s.second = second
                p.functions[key]!.sites[pc] = s
            case "branch":
                try count(4)
                let (key, pc) = try site(f[1])
                guard p.functions[key]!.sites[pc] != nil else { throw fail(n, "'branch' without its 'site'") }
                p.functions[key]!.sites[pc]!.taken = try int(f[2], n, "count")
                p.functions[key]!.sites[pc]!.notTaken = try int(f[3], n, "count")
            case "inherited":
                try count(3)
                let (key, pc) = try site(f[1])
                guard p.functions[key]!.sites[pc] != nil else { throw fail(n, "'inherited' without its 'site'") }
                p.functions[key]!.sites[pc]!.inherited = try int(f[2], n, "count")
            case "call":
                guard f.count >= 4 else { throw fail(n, "'call' needs a count and a callee") }
                let (key, pc) = try site(f[1])
                guard p.functions[key]!.sites[pc] != nil else { throw fail(n, "'call' without its 'site'") }
                let times = try int(f[2], n, "count")
                let callee: Callee
                switch f[3] {
                case "lua": try count(6); callee = .lua(try function(f[4], f[5], n))
                case "builtin": try count(5); callee = .builtin(try int(f[4], n, "fast-function id"))
                case "other": try count(4); callee = .other
                default: throw fail(n, "bad callee kind '\(f[3])'")
                }
                p.functions[key]!.sites[pc]!.callees[callee, default: 0] += times
            case "trace":
                guard f.count >= 4 else { throw fail(n, "'trace' needs an anchor, an ending and a path") }
                let anchor = f[1] == "-" ? nil : try position(f[1], n)
                guard let ending = unescape(f[2]) else { throw fail(n, "bad trace ending") }
                p.traces.append(TraceProfile(anchor: anchor, path: try f[3...].map { try position($0, n) }, ending: ending))
            case "tracecode":
                guard f.count >= 7, !p.traces.isEmpty, p.traces[p.traces.count - 1].code == nil else {
                    throw fail(n, "'tracecode' needs a number, a parent, an exit, a link, entries and rounds, after its 'trace'")
                }
                p.traces[p.traces.count - 1].entries = try int(f[5], n, "entries")
                p.traces[p.traces.count - 1].rounds = try int(f[6], n, "rounds")
                var functions: [FunctionKey] = []
                for field in f[7...] {
                    let parts = field.split(separator: ":")
                    guard parts.count == 2 else { throw fail(n, "bad function '\(field)'") }
                    functions.append(try function(parts[0], parts[1], n))
                }
                p.traces[p.traces.count - 1].number = try int(f[1], n, "trace number")
                p.traces[p.traces.count - 1].parent = f[2] == "-" ? nil : try int(f[2], n, "parent")
                p.traces[p.traces.count - 1].code = TraceCode(functions: functions, lines: [],
                                                              parentExit: try int(f[3], n, "exit"),
                                                              link: f[4] == "-" ? nil : try int(f[4], n, "link"))
            case "tir":
                guard !p.traces.isEmpty, p.traces[p.traces.count - 1].code != nil else { throw fail(n, "'tir' without its 'tracecode'") }
                p.traces[p.traces.count - 1].code!.lines.append(String(lines[n].dropFirst(4)))
            case "tracenote":
                try count(4)
                guard !p.traces.isEmpty else { throw fail(n, "'tracenote' without its 'trace'") }
                p.traces[p.traces.count - 1].number = try int(f[1], n, "trace number")
                p.traces[p.traces.count - 1].parent = f[2] == "-" ? nil : try int(f[2], n, "parent")
                guard let note = unescape(f[3]) else { throw fail(n, "bad note") }
                p.traces[p.traces.count - 1].notPortable = note
            case "end":
                try count(1)
                ended = true
            default:
                throw fail(n, "unknown record '\(f[0])'")
            }
        }
        guard ended else { throw fail(lines.count, "it ends without 'end' (truncated?)") }
        for key in p.functions.keys where !p.chunks.contains(key.chunk) { throw fail(0, "function of an unknown chunk") }
        return p
    }
}
