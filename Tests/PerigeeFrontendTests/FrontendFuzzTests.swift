/// A short, fixed-seed run of the frontend fuzzer (Tests/fuzz): mutants of the syntax corpus
/// and of its binary chunks go through the lexer, parser and bytecode loader without a crash,
/// and every mutant that compiles dumps and loads back. The long run is
/// `swift run -c release perigee-fuzz --seconds N` (see README.md).
import XCTest
import PerigeeFrontend
import PerigeeFuzzing

final class FrontendFuzzTests: XCTestCase {
    func testMutantsOfTheCorpusNeverCrash() throws {
        let sources = try (Corpus.luaFiles(in: "syntax/valid") + Corpus.luaFiles(in: "syntax/invalid")).map(Corpus.bytes)
        let corpus = FuzzCorpus(sources: sources)
        XCTAssertGreaterThan(corpus.dumps.count, 10)
        var sourceMutator = Mutator(seed: 7, corpus: corpus.sources)
        var dumpMutator = Mutator(seed: 11, corpus: corpus.dumps)
        var compiled = 0, loaded = 0
        for _ in 0..<20000 {
            let source = sourceMutator.mutate(corpus.sources[sourceMutator.random.below(corpus.sources.count)], binary: false)
            let outcome = exerciseSource(source)
            if case .roundTripFailed(let why) = outcome {
                XCTFail("\(why): \(String(decoding: source, as: UTF8.self))")
            }
            if outcome == .accepted { compiled += 1 }
            let dump = dumpMutator.mutate(corpus.dumps[dumpMutator.random.below(corpus.dumps.count)], binary: true)
            if exerciseDump(dump) == .accepted { loaded += 1 }
        }
        // The mutants reach past the first error: some still compile, some dumps still load.
        XCTAssertGreaterThan(compiled, 0)
        XCTAssertGreaterThan(loaded, 0)
    }
}
