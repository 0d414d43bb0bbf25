/// A profile matched against the program being built: each chunk by name and source hash,
/// each function by preorder index and line range, each site by its instruction's kind.
/// What does not match is left out with a warning, so a profile of another version of the
/// program is never applied to this one.
import PerigeeFrontend
import PerigeeRuntime

public struct ProgramProfile {
    public let profile: Profile
    /// The file it was read from, for messages.
    public let path: String
    private var matched: [ObjectIdentifier: FunctionProfile] = [:]
    private var prototypes: [FunctionKey: Prototype] = [:]
    private var keys: [ObjectIdentifier: FunctionKey] = [:]
    public private(set) var warnings: [String] = []
    /// Chunks of the program the profile covers.
    public private(set) var matchedChunks: [String] = []

    public init(_ profile: Profile, path: String) {
        self.profile = profile
        self.path = path
    }

    /// Matches the chunk `name` (loaded from `source`, compiled to `root`) with the profile.
    public mutating func add(chunk name: String, source: [UInt8], root: Prototype) {
        let key = ChunkKey(name: name, sourceHash: ChunkKey.hash(source))
        let file = name.hasPrefix("@") || name.hasPrefix("=") ? String(name.dropFirst()) : name
        guard profile.chunks.contains(key) else {
            if profile.chunks.contains(where: { $0.name == name }) {
                warnings.append("\(file) changed since it was profiled (its source hash differs): its profile is not used")
            } else if matchedChunks.isEmpty && prototypes.isEmpty {
                warnings.append("no profile of \(file)")
            }
            return
        }
        matchedChunks.append(name)
        for (i, p) in root.preorder.enumerated() {
            let fkey = FunctionKey(chunk: key, index: i)
            prototypes[fkey] = p
            keys[ObjectIdentifier(p)] = fkey
            guard var f = profile.functions[fkey] else { continue }
            guard f.firstLine == Int(p.firstLine) && f.lastLine == Int(p.lastLine) else {
                warnings.append("function \(i) of \(file) is not where the profile saw it: its profile is not used")
                continue
            }
            let wrong = f.sites.keys.filter { pc in pc >= p.bytecode.count || !ProfileCollector.observes(p.bytecode[pc].opcode) }
            if !wrong.isEmpty {
                warnings.append("function \(i) of \(file): \(wrong.count) profiled instructions do not match its bytecode: their profile is not used")
                for pc in wrong { f.sites[pc] = nil }
            }
            matched[ObjectIdentifier(p)] = f
        }
    }

    /// The profile of `p`, when it matched.
    public func function(_ p: Prototype) -> FunctionProfile? { matched[ObjectIdentifier(p)] }
    /// The function of the program the profile names `key`.
    public func prototype(_ key: FunctionKey) -> Prototype? { prototypes[key] }
    /// How the profile names `p`.
    public func key(_ p: Prototype) -> FunctionKey? { keys[ObjectIdentifier(p)] }
    /// Traces recorded in the chunks that matched.
    public var traces: [TraceProfile] {
        profile.traces.filter { t in t.path.allSatisfy { prototypes[$0.function] != nil } }
    }
}
