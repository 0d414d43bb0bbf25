/// The frontend fuzzer: mutates the syntax corpus (sources and their binary chunks) and runs
/// the lexer, parser and bytecode loader on every mutant, in this process; a mutant that
/// loads is also turned into runtime prototypes and a closure (`LuaVM.load`), not run. A crash (Swift
/// trap, bad access, native stack overflow) or an input that runs past the time limit writes
/// that input to the findings folder and stops with status 1; a compiled source whose dump
/// does not load again is written there too.
///
///     swift run -c release perigee-fuzz [--seconds N] [--inputs N] [--seed N]
///                                       [--timeout SECONDS] [--findings DIR]
import Foundation
import PerigeeFrontend
import PerigeeFuzzing
import PerigeeRuntime

struct Options {
    var seconds = 60.0
    var inputs = Int.max
    var seed = UInt64(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
    var timeout: UInt32 = 10
    var findings = "fuzz-findings"
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    while let flag = arguments.popFirst() {
        guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
        switch flag {
        case "--seconds": options.seconds = Double(value) ?? { usage("bad --seconds") }()
        case "--inputs": options.inputs = Int(value) ?? { usage("bad --inputs") }()
        case "--seed": options.seed = UInt64(value) ?? { usage("bad --seed") }()
        case "--timeout": options.timeout = UInt32(value) ?? { usage("bad --timeout") }()
        case "--findings": options.findings = value
        default: usage("unknown option \(flag)")
        }
    }
    return options
}

func usage(_ problem: String) -> Never {
    FileHandle.standardError.write(Data("perigee-fuzz: \(problem)\nusage: perigee-fuzz [--seconds N] [--inputs N] [--seed N] [--timeout SECONDS] [--findings DIR]\n".utf8))
    exit(2)
}

// MARK: The input in flight, for the signal handlers

/// The input being run, copied where a signal handler can write it out without allocating.
nonisolated(unsafe) var currentInput = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 17)
nonisolated(unsafe) var currentCount = 0
/// The file a crash or hang writes the input to (".lua" or ".dump" chosen per input).
nonisolated(unsafe) var crashPath = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
nonisolated(unsafe) var hangPath = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)

func setInFlight(_ bytes: [UInt8]) {
    bytes.withUnsafeBufferPointer { currentInput.update(from: $0.baseAddress!, count: $0.count) }
    currentCount = bytes.count
}

/// Writes the input in flight to `path` and ends the process (async-signal-safe calls only).
func saveInFlightAndExit(_ path: UnsafeMutablePointer<CChar>, _ message: StaticString) -> Never {
    let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    if fd >= 0 {
        _ = write(fd, currentInput, currentCount)
        close(fd)
    }
    _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    _ = write(2, path, strlen(path))
    _ = write(2, "\n", 1)
    _exit(1)
}

func installSignalHandlers() {
    // An alternate stack, so a native stack overflow can still be reported.
    let altSize = 1 << 16
    var alt = stack_t(ss_sp: UnsafeMutableRawPointer.allocate(byteCount: altSize, alignment: 16), ss_flags: 0, ss_size: altSize)
    sigaltstack(&alt, nil)
    for signal in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in saveInFlightAndExit(crashPath, "perigee-fuzz: crash; input saved to ") }
        action.sa_flags = Int32(SA_ONSTACK)
        sigaction(signal, &action, nil)
    }
    var alarmAction = sigaction()
    alarmAction.__sigaction_handler.sa_handler = { _ in saveInFlightAndExit(hangPath, "perigee-fuzz: hang; input saved to ") }
    sigaction(SIGALRM, &alarmAction, nil)
}

func setFindingPaths(_ directory: String, _ index: Int, _ ext: String) {
    let crash = "\(directory)/crash-\(index).\(ext)", hang = "\(directory)/hang-\(index).\(ext)"
    _ = crash.withCString { strncpy(crashPath, $0, 4095) }
    _ = hang.withCString { strncpy(hangPath, $0, 4095) }
}

// MARK: The loop

let options = parseOptions()
let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
var sources: [[UInt8]] = []
for folder in ["syntax/valid", "syntax/invalid"] {
    let dir = tests.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    for name in names.sorted() where name.hasSuffix(".lua") {
        if let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) { sources.append([UInt8](data)) }
    }
}
guard !sources.isEmpty else { usage("no corpus under \(tests.path)/syntax") }
let corpus = FuzzCorpus(sources: sources)
try? FileManager.default.createDirectory(atPath: options.findings, withIntermediateDirectories: true)
installSignalHandlers()

var sourceMutator = Mutator(seed: options.seed, corpus: corpus.sources)
var dumpMutator = Mutator(seed: options.seed ^ 0xD0D0, corpus: corpus.dumps)
var counts = (sources: 0, compiled: 0, dumps: 0, loaded: 0)
var roundTripFailures = 0
var runtimeRejections = 0
guard let vm = LuaVM() else { usage("no Lua state") }
let start = Date()
var n = 0
print("perigee-fuzz: seed \(options.seed), \(corpus.sources.count) sources, \(corpus.dumps.count) dumps")
while n < options.inputs && Date().timeIntervalSince(start) < options.seconds {
    let binary = n % 2 == 1
    let input = binary
        ? dumpMutator.mutate(corpus.dumps[dumpMutator.random.below(corpus.dumps.count)], binary: true)
        : sourceMutator.mutate(corpus.sources[sourceMutator.random.below(corpus.sources.count)], binary: false)
    setFindingPaths(options.findings, n, binary ? "dump" : "lua")
    setInFlight(input)
    alarm(options.timeout)
    let outcome = binary ? exerciseDump(input) : exerciseSource(input)
    alarm(0)
    if outcome != .rejected {
        // The runtime's side of loading: constants interned, table templates built.
        let (status, _) = vm.load(input, chunkName: "=fuzz")
        if status != .ok { runtimeRejections += 1 }
        _ = vm.g.checkGC()
    }
    if binary {
        counts.dumps += 1
        if outcome == .accepted { counts.loaded += 1 }
    } else {
        counts.sources += 1
        if outcome != .rejected { counts.compiled += 1 }
    }
    if case .roundTripFailed(let why) = outcome {
        roundTripFailures += 1
        let path = "\(options.findings)/roundtrip-\(n).lua"
        _ = FileManager.default.createFile(atPath: path, contents: Data(input))
        print("perigee-fuzz: \(why); input saved to \(path)")
    }
    n += 1
    if n % 1_000_000 == 0 {
        print("perigee-fuzz: \(n) inputs, \(Int(Date().timeIntervalSince(start))) s")
    }
}
let seconds = Date().timeIntervalSince(start)
print("perigee-fuzz: \(n) inputs in \(Int(seconds)) s: \(counts.sources) sources (\(counts.compiled) compiled), \(counts.dumps) dumps (\(counts.loaded) loaded), \(roundTripFailures) round-trip failures, \(runtimeRejections) rejected by the runtime's loader, no crash, no hang")
exit(roundTripFailures == 0 ? 0 : 1)
