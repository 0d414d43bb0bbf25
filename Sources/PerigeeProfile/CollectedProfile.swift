/// The profile of a run: the collector's counts (runtime/Profile) in relocatable terms.
import PerigeeFrontend
import PerigeeRuntime

extension Profile {
    /// What `collector` saw. Functions of chunks it did not see loaded (none, normally) are
    /// left out, as they cannot be named.
    public init(collected collector: ProfileCollector) {
        self.init()
        var keys: [ObjectIdentifier: FunctionKey] = [:]
        var chunkKeys: [ChunkKey] = []
        for chunk in collector.chunks {
            let key = ChunkKey(name: chunk.name, sourceHash: ChunkKey.hash(chunk.source))
            chunkKeys.append(key)
            chunks.insert(key)
        }
        for (id, position) in collector.positions {
            keys[id] = FunctionKey(chunk: chunkKeys[position.chunk], index: position.index)
        }
        for (id, counts) in collector.functions {
            guard let key = keys[id] else { continue }
            let proto = counts.prototype
            var f = functions[key] ?? FunctionProfile(firstLine: Int(proto.firstLine), lastLine: Int(proto.lastLine))
            for pc in counts.hits.indices where counts.hits[pc] > 0 {
                var s = SiteProfile()
                s.hits = counts.hits[pc]
                s.first = counts.first[pc]
                s.second = counts.second[pc]
                s.taken = counts.taken[pc]
                s.notTaken = counts.notTaken[pc]
                s.inherited = counts.inherited[pc] ?? 0
                for (callee, n) in counts.callees[pc] ?? [:] {
                    switch callee {
                    case .lua(let target): s.callees[keys[target].map(Callee.lua) ?? .other, default: 0] += n
                    case .builtin(let id): s.callees[.builtin(Int(id)), default: 0] += n
                    case .other: s.callees[.other, default: 0] += n
                    }
                }
                f.sites[pc, default: SiteProfile()].merge(s)
            }
            functions[key] = f
        }
        // Trace numbers start again at 1 after `jit.flush()`: the profile numbers the traces
        // in the order they were compiled, and a parent or link is the latest trace of its number.
        var latest: [Int: Int] = [:], numbered = 0
        for t in collector.traces {
            numbered += 1
            let number = numbered
            defer { latest[t.number] = number }
            let path = t.path.compactMap { step in keys[step.function].map { CodePosition(function: $0, pc: step.pc) } }
            guard path.count == t.path.count else { continue }
            let anchor = t.anchor.flatMap { a in keys[a.function].map { CodePosition(function: $0, pc: a.pc) } }
            var trace = TraceProfile(anchor: anchor, path: path, ending: t.ending, number: number,
                                     parent: t.parent.map { latest[$0] ?? 0 })
            (trace.entries, trace.rounds) = t.statistics()
            switch t.code {
            case .success(let code):
                let functions = code.functions.compactMap { keys[$0] }
                if functions.count == code.functions.count {
                    trace.code = TraceCode(functions: functions, lines: code.lines, parentExit: code.parentExit,
                                           link: code.link.map { latest[$0] ?? 0 })
                } else {
                    trace.notPortable = "it ran in a function of a chunk the profile does not name"
                }
            case .failure(let why):
                trace.notPortable = why.reason
            }
            traces.append(trace)
        }
    }
}
