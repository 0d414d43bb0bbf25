/// What the fuzzer runs on each input: the lexer and parser (`compileChunk`) on sources and
/// the bytecode loader with its verifier (`loadBytecodeDump`) on binary chunks. Rejection
/// with a message is a pass; a crash or a hang is the failure the caller watches for. One
/// property is checked besides: whatever compiles dumps and loads back.
import PerigeeFrontend

public enum FuzzOutcome: Equatable {
    case accepted
    case rejected
    /// A compiled source whose dump does not load again (the message says why).
    case roundTripFailed(String)
}

/// Compiles `source`; when it compiles, its dump (with and without debug information) must load.
public func exerciseSource(_ source: [UInt8]) -> FuzzOutcome {
    let proto: Prototype
    do {
        proto = try compileChunk(source, chunkName: "=fuzz")
    } catch {
        return error.message.isEmpty ? .roundTripFailed("empty syntax error message") : .rejected
    }
    for strip in [false, true] {
        do {
            _ = try loadBytecodeDump(dumpBytecode(proto, stripDebugInfo: strip), chunkName: "=fuzz")
        } catch {
            return .roundTripFailed("dump\(strip ? " (stripped)" : "") does not load: \(error.message)")
        }
    }
    return .accepted
}

/// Loads and verifies `dump`.
public func exerciseDump(_ dump: [UInt8]) -> FuzzOutcome {
    do {
        _ = try loadBytecodeDump(dump, chunkName: "=fuzz")
        return .accepted
    } catch {
        return .rejected
    }
}

/// The seed corpus: the sources of `Tests/syntax/valid` (and `invalid`, whose errors sit in
/// every part of the grammar) and, for the loader, their dumps with and without debug information.
public struct FuzzCorpus {
    public var sources: [[UInt8]] = []
    public var dumps: [[UInt8]] = []

    public init(sources: [[UInt8]]) {
        self.sources = sources
        for source in sources {
            guard let proto = try? compileChunk(source, chunkName: "@corpus.lua") else { continue }
            dumps.append(dumpBytecode(proto))
            dumps.append(dumpBytecode(proto, stripDebugInfo: true))
        }
    }
}
