/// A recorded run of a program, in relocatable terms: functions are named by their chunk
/// (name and a hash of its source text) and their index in the chunk's prototype preorder
/// (with their line range, checked when the profile is used), instructions by their index
/// in the function's bytecode, call targets by what they are (a Lua function so named, a
/// builtin by its fast-function id), never by an address of the recording run.
/// The file format is `ProfileFormat`; `docs/profile-format.md` describes it.
import PerigeeFrontend
import PerigeeRuntime

/// A chunk: its name as loaded (`@file`, `=name`, or source text) and its source's hash.
public struct ChunkKey: Hashable, Comparable {
    public let name: String
    public let sourceHash: UInt64
    public init(name: String, sourceHash: UInt64) {
        self.name = name
        self.sourceHash = sourceHash
    }
    public static func < (a: ChunkKey, b: ChunkKey) -> Bool {
        (a.name, a.sourceHash) < (b.name, b.sourceHash)
    }

    /// FNV-1a, 64 bits, over the bytes a chunk was loaded from.
    public static func hash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h: UInt64 = 0xcbf29ce484222325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100000001b3 }
        return h
    }
}

/// A function: its chunk and its index in the chunk's prototype preorder (0: the main chunk).
public struct FunctionKey: Hashable, Comparable {
    public let chunk: ChunkKey
    public let index: Int
    public init(chunk: ChunkKey, index: Int) {
        self.chunk = chunk
        self.index = index
    }
    public static func < (a: FunctionKey, b: FunctionKey) -> Bool { (a.chunk, a.index) < (b.chunk, b.index) }
}

/// What a call instruction reached.
public enum Callee: Hashable {
    case lua(FunctionKey)
    /// A builtin by its fast-function id (1: a builtin without one).
    case builtin(Int)
    /// A value called through `__call`.
    case other
}

/// One instruction's observations.
public struct SiteProfile: Equatable {
    /// Times the instruction ran in the interpreter (traces run most hot loops: their
    /// iterations are not counted).
    public var hits = 0
    /// Types of the first and second observed operand (see `docs/profile-format.md`).
    public var first: ObservedTypes = []
    public var second: ObservedTypes = []
    /// Conditional instructions: times the following jump was taken, and not.
    public var taken = 0
    public var notTaken = 0
    /// Call instructions: the callees and how often each was reached.
    public var callees: [Callee: Int] = [:]
    /// `TGETS`: reads the table could not answer itself, its metatable did (`__index`).
    public var inherited = 0
    public init() {}

    mutating func merge(_ o: SiteProfile) {
        hits += o.hits
        first.formUnion(o.first)
        second.formUnion(o.second)
        taken += o.taken
        notTaken += o.notTaken
        inherited += o.inherited
        for (c, n) in o.callees { callees[c, default: 0] += n }
    }
}

public struct FunctionProfile: Equatable {
    public var firstLine: Int
    public var lastLine: Int
    /// Instruction index → what was seen there.
    public var sites: [Int: SiteProfile] = [:]
    public init(firstLine: Int, lastLine: Int) {
        self.firstLine = firstLine
        self.lastLine = lastLine
    }
}

/// A position in a program: a function and an instruction index in it.
public struct CodePosition: Hashable {
    public let function: FunctionKey
    public let pc: Int
    public init(function: FunctionKey, pc: Int) {
        self.function = function
        self.pc = pc
    }
}

/// A trace the JIT compiled in the recorded run.
public struct TraceProfile: Hashable {
    /// The anchor: the loop instruction or function header of a root trace; for a side
    /// trace, nil (it starts at its parent's exit, the path's first position).
    public var anchor: CodePosition?
    /// The instructions recorded, in order (inlined calls included).
    public var path: [CodePosition]
    /// How it ended (`loop`, `return`, `-> 3`, ...), as `-jv` says.
    public var ending: String
    /// Its number in the recorded run (unique in a profile: merging renumbers), and a side
    /// trace's parent.
    public var number: Int
    public var parent: Int?
    /// Its IR in portable form, or why it has none.
    public var code: TraceCode?
    public var notPortable: String?
    /// A root trace's entries and the rounds its loop went in the recorded run.
    public var entries = 0
    public var rounds = 0
    public init(anchor: CodePosition?, path: [CodePosition], ending: String, number: Int = 0, parent: Int? = nil,
                code: TraceCode? = nil, notPortable: String? = nil) {
        self.anchor = anchor
        self.path = path
        self.ending = ending
        self.number = number
        self.parent = parent
        self.code = code
        self.notPortable = notPortable
    }
}

extension TraceProfile {
    /// The same trace, whatever its number: path, ending, parent and code alike.
    func sameTrace(as other: TraceProfile) -> Bool {
        anchor == other.anchor && path == other.path && ending == other.ending && parent == other.parent
            && code == other.code && notPortable == other.notPortable
    }
}

/// A trace's IR as PerigeeJIT's `PortableTrace` encodes it: lines naming functions by their
/// index in `functions`.
public struct TraceCode: Hashable {
    public var functions: [FunctionKey]
    public var lines: [String]
    /// A side trace's exit of its parent (a snapshot index), and the trace its end leads into.
    public var parentExit: Int
    public var link: Int?
    public init(functions: [FunctionKey], lines: [String], parentExit: Int, link: Int?) {
        self.functions = functions
        self.lines = lines
        self.parentExit = parentExit
        self.link = link
    }
}

public struct Profile: Equatable {
    public static let formatVersion = 2
    /// The Perigee that recorded it (`perigeeVersion`).
    public var producer: String
    public var chunks: Set<ChunkKey> = []
    public var functions: [FunctionKey: FunctionProfile] = [:]
    public var traces: [TraceProfile] = []

    public init(producer: String = perigeeVersion) { self.producer = producer }

    /// Adds `other`'s observations (another run of the same program, or of other chunks).
    /// `other`'s traces are renumbered after this one's (a build uses the root trace of each
    /// anchor that did the most work, with its side traces); functions whose line ranges disagree cannot come
    /// from the same source (the hashes would differ), so the first one's stays.
    public mutating func merge(_ other: Profile) {
        chunks.formUnion(other.chunks)
        for (key, f) in other.functions {
            guard var mine = functions[key] else {
                functions[key] = f
                continue
            }
            guard mine.firstLine == f.firstLine && mine.lastLine == f.lastLine else { continue }
            for (pc, site) in f.sites { mine.sites[pc, default: SiteProfile()].merge(site) }
            functions[key] = mine
        }
        // A trace the other run compiled alike (same path and code, its parent and link
        // mapped) is kept once; the others are renumbered after this profile's. Parents and
        // links have smaller numbers than the traces naming them (they were compiled first).
        var next = (traces.map(\.number).max() ?? 0) + 1
        var renumbered: [Int: Int] = [:]
        for var t in other.traces.sorted(by: { $0.number < $1.number }) {
            let number = t.number
            t.parent = t.parent.map { renumbered[$0] ?? $0 }
            if let link = t.code?.link { t.code?.link = renumbered[link] ?? link }
            if let i = traces.firstIndex(where: { $0.sameTrace(as: t) }) {
                renumbered[number] = traces[i].number
                traces[i].entries += t.entries
                traces[i].rounds += t.rounds
                continue
            }
            t.number = next
            renumbered[number] = next
            next += 1
            traces.append(t)
        }

    }
}
