/// Traces compiled into a built executable (`perigee build --profile`): the traces a
/// recorded run's JIT compiled, rebuilt against the program's bytecode and compiled ahead of
/// time. At start-up the executable installs them as the JIT installs its own: a root
/// trace patches its anchor (JFORL, JLOOP, JITERL, JFUNCF), a side trace becomes the link
/// of its parent's exit. There is no recorder: exits go on in the interpreter.
///
/// Some functions run in the interpreter, not as compiled functions: a root trace's own (the
/// interpreter enters the trace at its anchor), and those of frames below a trace's first
/// frame that it returns into and goes on in (that caller's activation must be in the same
/// interpreter run: a compiled caller waiting on the native stack would run the rest of its
/// code a second time when the interpreter returns to it). Their other code is then as fast
/// as the interpreter, their loops as fast as traces; the build only keeps traces that
/// covered most of their functions' work (PerigeeAOT's AheadOfTimeTraces). Frames the trace
/// made above its first (inlined calls) are the interpreter's once an exit leaves them, and
/// return into frames that are too, so inlined functions keep their compiled code.
///
/// A trace's code finds what only this process knows in a table of 64-bit words
/// (PerigeeJIT's `TraceAddressing.table`): the runtime's cells, then its constants'
/// payloads, each described in the trace's descriptor, one record per line:
///
///     trace NUMBER PARENT PARENTEXIT LINK ANCHORFUNCTION ANCHORPC LOOPSTART
///     functions FUNCTION...                                      (those that run interpreted)
///     exit FUNCTION PC MULTRES FAILEDCALLEE YIELDS COLLECTS LINKS   (one per snapshot, in order;
///                                     LINKS: the trace's end, which leads into LINK)
///     word INDEX KIND ARGS...                                    (the words to fill)
///
/// Functions are preorder indexes in the main chunk; `-` is none. Word kinds: the cells
/// (`exitbase`, `exitframe`, `looprounds`, `budget`, `global`, `nilcell`, `link`: the entry
/// of the trace LINK, which the trace's end calls), `bits HEX`,
/// `str ESCAPED`, `lib LIBRARY KEY`, `const FUNCTION INDEX`, `proto FUNCTION`, `closure
/// FUNCTION` (its prototype), `pc FUNCTION PC FLAGS`. A trace whose words cannot be filled
/// (a library value the program's start does not have) is not installed, nor are the traces
/// that depend on it.
import PerigeeFrontend

/// One trace of a built executable, as its `main` lists them.
public struct CompiledTrace {
    public var entry: TraceEntry
    public var words: UnsafeMutablePointer<UInt64>
    public var descriptor: UnsafePointer<CChar>
}

/// A trace descriptor, parsed.
struct CompiledTraceDescriptor {
    var number = 0
    var parent: Int?
    var parentExit = 0
    var link: Int?
    var anchor: (function: Int, pc: Int)?
    var loopStart = 0
    var functions: [Int] = []
    var exits: [(function: Int, pc: Int, multres: Int?, failedCallee: Int?, yields: Bool, collects: Bool, links: Bool)] = []
    var words: [(index: Int, kind: Substring, args: [Substring])] = []

    init?(_ text: String) {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            func int(_ i: Int) -> Int? { i < f.count ? Int(f[i]) : nil }
            switch f.first {
            case "trace":
                guard f.count == 8, let n = int(1), let pe = int(3), let ls = int(7) else { return nil }
                number = n
                parent = int(2)
                parentExit = pe
                link = int(4)
                if let af = int(5), let apc = int(6) { anchor = (af, apc) }
                loopStart = ls
            case "exit":
                guard f.count == 8, let fn = int(1), let pc = int(2) else { return nil }
                exits.append((fn, pc, int(3), int(4), f[5] == "1", f[6] == "1", f[7] == "1"))
            case "functions":
                for field in f.dropFirst() {
                    guard let fn = Int(field) else { return nil }
                    functions.append(fn)
                }
            case "word":
                guard f.count >= 3, let index = int(1) else { return nil }
                words.append((index, f[2], Array(f[3...])))
            default:
                return nil
            }
        }
    }
}

extension LuaVM {
    /// The standard libraries whose values a trace may name (looked for in this order).
    static let traceLibraries = ["string", "table", "math", "bit", "io", "os", "coroutine", "debug", "package", "jit", "_G"]

    private var loadedLibraries: TableRef? {
        let loaded = g.pointee.registry.get(name: "_LOADED", g)
        return loaded.isTable ? loaded.table : nil
    }

    /// How a trace names `v`: a standard library table (`key` nil), or a builtin function
    /// that is a library's field. Nil for anything else.
    public func libraryName(of v: Value) -> (library: String, key: String?)? {
        guard let loaded = loadedLibraries else { return nil }
        for name in LuaVM.traceLibraries {
            let lib = loaded.get(name: name, g)
            if lib.isTable && lib.bits == v.bits { return (name, nil) }
        }
        guard v.isFunction && !v.function.isLua else { return nil }
        for name in LuaVM.traceLibraries {
            let lib = loaded.get(name: name, g)
            guard lib.isTable else { continue }
            var key = Value.nil, value = Value.nil
            while lib.table.next(&key, &value) == .found {
                if value.bits == v.bits && key.isString { return (name, key.string.description) }
            }
        }
        return nil
    }

    /// The value `libraryName` named, in this process.
    public func libraryValue(_ library: String, key: String?) -> Value? {
        guard let loaded = loadedLibraries else { return nil }
        let lib = loaded.get(name: library, g)
        guard lib.isTable else { return nil }
        guard let key else { return lib }
        let v = lib.table.get(name: key, g)
        return v.isFunction && !v.function.isLua ? v : nil
    }

    /// The main chunk's functions that `traces` run in: they run in the interpreter (see
    /// above), not as compiled functions.
    func traceFunctions(_ traces: UnsafeBufferPointer<CompiledTrace>) -> Set<Int> {
        Set(traces.flatMap { CompiledTraceDescriptor(String(cString: $0.descriptor))?.functions ?? [] })
    }

    /// Installs `traces` (in trace-number order) into the functions of `main`'s prototype
    /// tree, whose preorder the frontend's `program.preorder` gives.
    func installCompiledTraces(_ traces: UnsafeBufferPointer<CompiledTrace>, main: ProtoRef, program: Prototype) {
        var byIdentity: [ObjectIdentifier: ProtoRef] = [:]
        func visit(_ p: ProtoRef) {
            byIdentity[ObjectIdentifier(p.source)] = p
            let count = p.pointee.numbers - p.pointee.constants
            for d in 0..<count where p.pointee.numbers[-1 - d].isProto { visit(p.pointee.numbers[-1 - d].proto) }
        }
        visit(main)
        let protos = program.preorder.map { byIdentity[ObjectIdentifier($0)] }
        // Installed traces write into these prototypes' bytecode and name them: they stay.
        for p in protos.compactMap({ $0 }) { g.keepPrototype(p) }
        var installed: [Int: (number: Int, entry: TraceEntry, firstExit: Int)] = [:]
        for trace in traces {
            guard let d = CompiledTraceDescriptor(String(cString: trace.descriptor)) else { continue }
            func proto(_ f: Substring) -> ProtoRef? { Int(f).flatMap { $0 >= 0 && $0 < protos.count ? protos[$0] : nil } }
            func code(_ function: Int, _ pc: Int) -> UnsafePointer<UInt32>? {
                guard function >= 0 && function < protos.count, let p = protos[function],
                      pc >= 0 && pc < Int(p.pointee.bytecodeCount) else { return nil }
                return UnsafePointer(p.pointee.bytecode) + pc
            }
            // What it depends on must be in place, and every word and exit must resolve.
            if let parent = d.parent, installed[parent] == nil { continue }
            if let link = d.link, installed[link] == nil { continue }
            var exitPCs: [UnsafePointer<UInt32>] = []
            for e in d.exits {
                guard let pc = code(e.function, e.pc) else { break }
                exitPCs.append(pc)
            }
            guard exitPCs.count == d.exits.count else { continue }
            var values: [(Int, UInt64)] = []
            var roots: [Value] = []
            var exitBaseWords: [Int] = []
            var resolved = true
            for w in d.words {
                switch w.kind {
                case "exitbase": exitBaseWords.append(w.index)
                case "exitframe": values.append((w.index, UInt64(UInt(bitPattern: self.traces.exitFrame))))
                case "looprounds": values.append((w.index, UInt64(UInt(bitPattern: self.traces.loopRounds))))
                case "budget": values.append((w.index, UInt64(UInt(bitPattern: instructionBudgetCounter))))
                case "global": values.append((w.index, UInt64(UInt(bitPattern: UnsafeMutableRawPointer(g)))))
                case "nilcell": values.append((w.index, UInt64(UInt(bitPattern: LuaVM.traceNilCell))))
                case "link":
                    let entry = d.link.flatMap { installed[$0]?.entry }
                    values.append((w.index, entry.map { UInt64(UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self))) } ?? 0))
                case "bits":
                    guard w.args.count == 1, let b = UInt64(w.args[0], radix: 16) else { resolved = false; break }
                    values.append((w.index, b))
                case "str":
                    guard w.args.count == 1, let bytes = unescapeField(w.args[0]),
                          let s = bytes.withUnsafeBufferPointer({ g.intern($0) }) else { resolved = false; break }
                    roots.append(Value(string: s))
                    values.append((w.index, Value(string: s).bits & Value.payloadMask))
                case "lib":
                    guard w.args.count == 2, let library = unescapeField(w.args[0]),
                          let key = w.args[1] == "-" ? [] : unescapeField(w.args[1]),
                          let v = libraryValue(String(decoding: library, as: UTF8.self),
                                               key: w.args[1] == "-" ? nil : String(decoding: key, as: UTF8.self))
                    else { resolved = false; break }
                    values.append((w.index, v.bits & Value.payloadMask))
                case "const":
                    guard w.args.count == 2, let p = proto(w.args[0]), let i = Int(w.args[1]),
                          i >= 0 && i < p.pointee.numbers - p.pointee.constants else { resolved = false; break }
                    values.append((w.index, p.pointee.numbers[-1 - i].bits & Value.payloadMask))
                case "proto", "closure":
                    guard w.args.count == 1, let p = proto(w.args[0]) else { resolved = false; break }
                    values.append((w.index, UInt64(UInt(bitPattern: p))))
                case "pc":
                    guard w.args.count == 3, let f = Int(w.args[0]), let pc = Int(w.args[1]),
                          let flags = UInt64(w.args[2], radix: 16), let at = code(f, pc) else { resolved = false; break }
                    values.append((w.index, UInt64(UInt(bitPattern: at)) ^ flags))
                default:
                    resolved = false
                }
                if !resolved { break }
            }
            guard resolved else { continue }
            let anchorPC = d.anchor.flatMap { code($0.function, $0.pc) }
            if d.parent == nil && anchorPC == nil { continue }
            if let anchorPC, Instruction(anchorPC.pointee).verifiedOpcode.variants?.trace == nil { continue }
            // Go live: a number, the exits, the words, the anchor or the parent's exit.
            let number = self.traces.reserve()
            let linked = d.link.flatMap { installed[$0] }
            let exits = d.exits.indices.map { i in
                TraceExit(pc: exitPCs[i], link: d.exits[i].links ? linked?.entry : nil, trace: number,
                          sideTraces: false, failedCallee: d.exits[i].failedCallee, yields: d.exits[i].yields,
                          collects: d.exits[i].collects, multres: d.exits[i].multres)
            }
            let firstExit = self.traces.addExits(exits)
            for (index, bits) in values { trace.words[index] = bits }
            for index in exitBaseWords { trace.words[index] = UInt64(firstExit) }
            keepTraceConstants(roots)
            if let parent = d.parent, let p = installed[parent] {
                self.traces.attach(trace.entry, toExit: p.firstExit + d.parentExit, giveUp: true)
            } else if let anchorPC {
                self.traces.install(InstalledTrace(entry: trace.entry, loopStart: d.loopStart, anchor: anchorPC), number: number)
            }
            installed[d.number] = (number, trace.entry, firstExit)
        }
    }

    /// A value cell holding nil: where a trace's HREF that found no slot points (the JIT's
    /// traces and those compiled into executables alike).
    public static let traceNilCell: UnsafeMutablePointer<UInt64> = {
        let cell = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        cell.initialize(to: Value.nil.bits)
        return cell
    }()

    /// Keeps the strings compiled traces name alive (the registry holds them).
    private func keepTraceConstants(_ values: [Value]) {
        guard !values.isEmpty, let key = g.intern("compiled_trace_constants") else { return }
        var roots = g.pointee.registry.get(string: key)
        if !roots.isTable {
            guard let table = g.newTable() else { return }
            roots = Value(table: table)
            _ = g.pointee.registry.set(string: key, roots, g)
        }
        for v in values { _ = roots.table.set(integer: roots.table.length() + 1, v, g) }
    }
}
