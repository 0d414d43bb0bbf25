/// `perigee build --profile`: the traces the recorded run's JIT compiled, rebuilt against
/// the program's bytecode and compiled into the executable beside its functions. Each
/// portable trace of the profile (PerigeeJIT's `PortableTrace`) is checked against the
/// program (its functions, code positions and constants must exist), lowered on the JIT's
/// lowering with its addresses in a table of words, and described for the runtime, which
/// fills the words and installs the trace at start-up (`runtime/CompiledCode/CompiledTraces.swift`).
import CLLVM
import PerigeeFrontend
import PerigeeJIT
import PerigeeLLVM
import PerigeeProfile
import PerigeeRuntime

struct AheadOfTimeTraces {
    struct Selected {
        let number: Int
        let parent: Int?
        let link: Int?
        let portable: PortableTrace
        let descriptor: String
        /// The functions that must run in the interpreter for the trace (CompiledTraces.swift),
        /// by preorder index.
        let interpreted: Set<Int>
        /// What the trace ran in the recorded run: a root trace's entries and rounds times
        /// its recorded path's length.
        let work: Int
        let summary: String
    }

    private(set) var selected: [Selected] = []
    /// What became of each recorded trace, for `--profile-report`.
    private(set) var report: [String] = []
    /// Problems with the profile's trace code (a malformed profile).
    private(set) var problems: [String] = []

    /// None.
    init() {}

    /// The rounds a root trace's loop must go per entry, on average, in the recorded run
    /// (measured: queens' traces, at 2 to 17, and fannkuch-redux's, at 0.5 to 8, lose against
    /// the compiled functions; spectral-norm's, at 100 and more, gain fourfold).
    static let roundsPerEntry = 8
    /// How many times the interpreter's count in a function its traces' work must be (see
    /// `dropUncovered`). A cost model: the interpreter takes some eight times compiled code's
    /// time per instruction, a trace at best about 0.8 of it, so a function run as
    /// interpreter plus traces is faster than compiled only when its traces did some 35
    /// times the interpreter's work there; measured, mandelbrot's traces at 30 lose,
    /// spectral-norm's and matmul's at some 300 gain three- to fourfold.
    static let coverage = 32

    /// The traces of `profile` that can be compiled into the program whose main chunk is
    /// `main`. Traces in modules are left out (the executable installs traces when its
    /// main chunk loads).
    /// `everyTrace`: every portable trace, whatever the recorded run says of its worth
    /// (`--all-traces`, for testing the traces themselves).
    init(_ profile: ProgramProfile, main: Prototype, everyTrace: Bool = false) {
        let preorder = main.preorder
        var index: [ObjectIdentifier: Int] = [:]
        for (i, p) in preorder.enumerated() { index[ObjectIdentifier(p)] = i }
        // Of the root traces of one loop (recorded again after `jit.flush()` or a retrace),
        // the one that did the most work in the recorded run.
        var busiest: [CodePosition: (number: Int, work: Int)] = [:]
        for t in profile.traces where t.parent == nil && t.code != nil {
            guard let a = t.anchor else { continue }
            let work = (t.entries + t.rounds) * t.path.count
            if busiest[a].map({ work > $0.work }) ?? true { busiest[a] = (t.number, work) }
        }
        var chosen: Set<Int> = []
        for trace in profile.traces.sorted(by: { $0.number < $1.number }) {
            let name = "trace \(trace.number)" + (trace.parent.map { " (side trace of \($0))" } ?? "")
            func skip(_ why: String) { report.append("\(name): not compiled into the executable: \(why)") }
            guard let code = trace.code else {
                skip(trace.notPortable ?? "the profile has no code for it")
                continue
            }
            let functions = code.functions.map { profile.prototype($0).flatMap { index[ObjectIdentifier($0)] } }
            guard functions.allSatisfy({ $0 != nil }) else {
                skip("it runs in a module (only traces of the main chunk are compiled in)")
                continue
            }
            let fn = functions.map { $0! }
            if let parent = trace.parent, !chosen.contains(parent) {
                skip("its parent trace \(parent) is not compiled")
                continue
            }
            if let link = code.link, !chosen.contains(link) {
                skip("the trace it leads into (\(link)) is not compiled")
                continue
            }
            var anchor: (function: Int, pc: Int)?
            if trace.parent == nil {
                guard let a = trace.anchor, let f = profile.prototype(a.function).flatMap({ index[ObjectIdentifier($0)] }) else {
                    skip("its anchor is not in the main chunk")
                    continue
                }
                guard busiest[a]?.number == trace.number else {
                    skip("another trace of the same loop did more work")
                    continue
                }
                // Entering a trace and leaving it cost more than compiled code's loop: a trace
                // must loop a while each time (function traces do not loop).
                guard everyTrace || trace.rounds >= AheadOfTimeTraces.roundsPerEntry * max(trace.entries, 1) else {
                    skip("its loop went \(trace.rounds) rounds in \(trace.entries) entries in the recorded run "
                         + "(fewer than \(AheadOfTimeTraces.roundsPerEntry) a time: entering and leaving it would cost "
                         + "more than it saves)")
                    continue
                }
                anchor = (f, a.pc)
            }
            let portable: PortableTrace
            do { portable = try PortableTrace(lines: code.lines, functionCount: fn.count) } catch {
                problems.append("trace \(trace.number): \(error.message); it is not compiled")
                continue
            }
            // A trace that calls through the runtime keeps the stack as the truth (see the
            // JIT's README): measured, such traces lose against compiled code (k-nucleotide).
            guard everyTrace || portable.ir.runtimeCalls.isEmpty else {
                skip("it calls through the runtime (a builtin, a concatenation, a metamethod), which compiled code does as well")
                continue
            }
            // The start frame's function, and those of frames below it the trace returns to.
            var interpreted = Set(anchor.map { [$0.function] } ?? [])
            for (i, snap) in portable.ir.snapshots.enumerated() where snap.baseOffset < 0 {
                interpreted.insert(fn[portable.positions[i].function])
            }
            guard let descriptor = AheadOfTimeTraces.describe(trace, code, portable, functions: fn, anchor: anchor,
                                                              interpreted: interpreted, preorder: preorder) else {
                problems.append("trace \(trace.number) does not match the program's bytecode; it is not compiled")
                continue
            }
            chosen.insert(trace.number)
            selected.append(Selected(number: trace.number, parent: trace.parent, link: code.link, portable: portable,
                                     descriptor: descriptor, interpreted: interpreted,
                                     work: (trace.entries + trace.rounds) * trace.path.count,
                                     summary: "\(name): compiled into the executable (\(trace.ending))"))
        }
        if !everyTrace {
            dropIncomplete(profile)
            dropUncovered(profile, preorder)
        }
        report += selected.map(\.summary)
    }

    /// Leaves out the root traces some of whose side traces are left out (with the rest of
    /// their side traces): their exits would go to the interpreter where the recorded run
    /// went on in traces, so the recorded run says nothing of how they would do.
    private mutating func dropIncomplete(_ profile: ProgramProfile) {
        var rootOf: [Int: Int] = [:]
        for t in profile.traces.sorted(by: { $0.number < $1.number }) {
            rootOf[t.number] = t.parent.map { rootOf[$0] ?? $0 } ?? t.number
        }
        let kept = Set(selected.map(\.number))
        let broken = Set(profile.traces.filter { $0.parent != nil && !kept.contains($0.number) }.compactMap { rootOf[$0.number] })
        guard !broken.isEmpty else { return }
        var dropped = Set(selected.filter { rootOf[$0.number].map(broken.contains) == true }.map(\.number))
        for t in selected where t.link.map(dropped.contains) == true { dropped.insert(t.number) }
        for t in selected where dropped.contains(t.number) {
            report.append("trace \(t.number): not compiled into the executable: side traces of its root trace "
                          + "(\(rootOf[t.number] ?? t.number)) are not")
        }
        selected.removeAll { dropped.contains($0.number) }
    }

    /// Leaves out the traces whose functions would run in the interpreter more than the
    /// traces run for them: a function running interpreted outside its traces is slower than
    /// its compiled code, so its traces only pay when they cover its work. In the recorded
    /// run the interpreter ran what the traces did not: a function whose interpreter count
    /// (observed instructions) exceeds 1/`coverage` of its traces' work (rounds times path
    /// length) keeps its compiled code, and its traces (with those that depend on them) go.
    private mutating func dropUncovered(_ profile: ProgramProfile, _ preorder: [Prototype]) {
        func interpreterCount(_ f: Int) -> Int {
            profile.function(preorder[f])?.sites.values.reduce(0) { $0 + $1.hits } ?? 0
        }
        while true {
            var work: [Int: Int] = [:]
            for t in selected { for f in t.interpreted { work[f, default: 0] += t.work } }
            guard let (f, _) = work.first(where: { interpreterCount($0.key) * AheadOfTimeTraces.coverage > $0.value }) else { return }
            var dropped = Set(selected.filter { $0.interpreted.contains(f) }.map(\.number))
            // With their side traces and the traces that lead into them.
            for t in selected where t.parent.map(dropped.contains) == true || t.link.map(dropped.contains) == true {
                dropped.insert(t.number)
            }
            for t in selected where dropped.contains(t.number) {
                report.append("trace \(t.number): not compiled into the executable: function \(f) would run in the "
                              + "interpreter beside it, and the recorded run spent more there (\(interpreterCount(f)) "
                              + "observed instructions) than 1/\(AheadOfTimeTraces.coverage) of what its traces did (\(work[f] ?? 0): rounds "
                              + "times path length)")
            }
            selected.removeAll { dropped.contains($0.number) }
        }
    }

    /// The runtime's descriptor of a trace (see CompiledTraces.swift), or nil when a code
    /// position or constant it names is not in the program.
    private static func describe(_ trace: TraceProfile, _ code: TraceCode, _ p: PortableTrace, functions: [Int],
                                 anchor: (function: Int, pc: Int)?, interpreted: Set<Int>, preorder: [Prototype]) -> String? {
        func valid(_ f: Int, _ pc: Int) -> Bool { pc >= 0 && pc < preorder[functions[f]].bytecode.count }
        if let anchor {
            guard anchor.pc < preorder[anchor.function].bytecode.count else { return nil }
            let op = preorder[anchor.function].bytecode[anchor.pc].opcode
            guard [.FORL, .LOOP, .ITERL, .FUNCF].contains(op) else { return nil }
        }
        var lines = ["trace \(trace.number) \(trace.parent.map(String.init) ?? "-") \(code.parentExit) "
                     + "\(code.link.map(String.init) ?? "-") \(anchor.map { "\($0.function) \($0.pc)" } ?? "- -") \(p.loopStart)"]
        lines.append((["functions"] + interpreted.sorted().map(String.init)).joined(separator: " "))
        for (i, position) in p.positions.enumerated() {
            guard valid(position.function, position.pc) else { return nil }
            let snap = p.ir.snapshots[i]
            lines.append("exit \(functions[position.function]) \(position.pc) \(snap.multres.map(String.init) ?? "-") "
                         + "\(p.failures[i].map(String.init) ?? "-") \(p.yields.contains(i) ? 1 : 0) \(i == p.gcExit ? 1 : 0) "
                         + "\(i == p.finalSnapshot ? 1 : 0)")
        }
        for cell in TraceCell.allCases { lines.append("word \(cell.rawValue) \(cell.name)") }
        for (payload, r) in p.relocations.sorted(by: { $0.key < $1.key }) {
            let word = TraceAddressing.payloadWord(payload)
            switch r {
            case .bits(let b): lines.append("word \(word) bits \(String(b, radix: 16))")
            case .string, .library: lines.append("word \(word) " + PortableTrace.text(r))
            case .functionConstant(let f, let index):
                guard index < preorder[functions[f]].gcConstants.count else { return nil }
                lines.append("word \(word) const \(functions[f]) \(index)")
            case .prototype(let f): lines.append("word \(word) proto \(functions[f])")
            case .closure(let f): lines.append("word \(word) closure \(functions[f])")
            case .codePosition(let f, let pc, let flags):
                guard valid(f, pc) else { return nil }
                lines.append("word \(word) pc \(functions[f]) \(pc) \(String(flags, radix: 16))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Lowers the selected traces into `module` and emits the `perigee_traces` table main
    /// hands the runtime: `{entry, words, descriptor}` per trace.
    func emit(into module: LLVMModule, _ context: LLVMContext, _ i8p: LLVMTypeRef) -> (table: LLVMValueRef, count: Int) {
        let recordType = context.structure([i8p, i8p, i8p])
        var records: [LLVMValueRef] = []
        for t in selected {
            let name = "perigee_trace_\(t.number)"
            let (words, _) = t.portable.lower(into: module, name: name, links: t.link != nil)
            let descriptor = module.addConstantBytes(name + "_descriptor", Array(t.descriptor.utf8) + [0])
            records.append(context.constantStruct([
                context.constantCast(module.function(named: name)!, to: i8p),
                context.constantCast(module.global(named: words)!, to: i8p),
                context.constantCast(descriptor, to: i8p),
            ]))
        }
        let table = module.addConstant("perigee_traces", context.arrayType(recordType, records.count),
                                       context.array(recordType, records))
        return (table, records.count)
    }
}
