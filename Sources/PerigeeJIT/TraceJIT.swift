/// The tracing JIT of one Lua universe: starts recording when a loop gets hot, turns a
/// finished recording into machine code through LLVM (ORC, loaded on the first trace) and
/// installs it at the loop's FORL; reports what it does as `-jv` and `-jdump` do.
#if canImport(Glibc)
import Glibc
#endif
import CLLVM
import PerigeeCodegen
import PerigeeFrontend
import PerigeeLLVM
import PerigeeRuntime

public final class TraceJIT {
    public private(set) var parameters: JITParameters
    /// Loops whose own recording left them (they run a few rounds at a time): recordings of
    /// loops around them unroll them.
    private var leftLoops: Set<UnsafePointer<UInt32>> = []
    /// Function recordings that returned before calling the function itself, by function.
    private var earlyReturns: [UnsafePointer<UInt32>: Int] = [:]
    static let earlyReturnRetries = 8
    /// Recordings of a known recursive function that met its base case before the penalty
    /// counts them.
    static let baseCaseRetries = 64
    /// `-jv`: one line per trace started, finished or aborted.
    public var verbose = false
    /// `-jdump`: what it shows of each trace (nil: nothing).
    public var dump: DumpOptions?
    /// Where `-jv` and `-jdump` write (standard error by default).
    public var output: (String) -> Void
    /// `perigee profile`: told of each trace that goes live (TraceProfiling.swift).
    public var traceObserver: ((ObservedTrace) -> Void)?

    unowned let vm: LuaVM
    private var engine: JITEngine?
    /// The compiler thread's target machines: full code generation for traces that loop
    /// (where the time goes), the quick one for traces that run once through.
    private var machines: (looping: TargetMachine, once: TargetMachine)?
    /// Each installed trace's code, freed when the traces are flushed.
    private var trackers: [ResourceTracker] = []
    /// Flushed traces' code, freed when no trace runs any more.
    private var retiredTrackers: [ResourceTracker] = []
    /// A loop that got hot, waiting for its body's first instruction.
    private var armed: UnsafePointer<UInt32>?
    private var recorder: TraceRecorder?
    /// LuaJIT's penalty cache: the loops whose recordings failed lately, each with the
    /// delay before the next attempt, which doubles (plus a little randomness) with every
    /// failure until the loop is blacklisted.
    private var penalties = [(pc: UnsafePointer<UInt32>?, value: Int)](repeating: (nil, 0), count: 64)
    private var nextPenaltySlot = 0
    /// The constants kept alive for the traces (see `keepAlive`).
    private var rootCount = 0
    /// The compiler thread, and the loops and exits whose traces it is compiling; each
    /// `jit.flush()` starts a new generation, and compiles of an older one are dropped.
    private lazy var compiler = CompilerThread(finishedFlag: vm.traces.compiledWaiting)
    private var pendingAnchors: Set<UnsafePointer<UInt32>> = []
    private var pendingExits: Set<Int> = []
    /// Each side trace's root trace, and how many side traces each root has.
    private var rootOf: [Int: Int] = [:]
    /// Each trace's first exit number (while a profile is recorded: a side trace names its
    /// parent's exit by its index there).
    var firstExits: [Int: Int] = [:]
    private var sideTraces: [Int: Int] = [:]
    /// The function traces that only return to the interpreter (recorded through by others).
    private var returnOnly: Set<Int> = []
    /// The entries (FUNCF) of functions whose return-only trace went because they recurse.
    private var recursiveFunctions: Set<UnsafePointer<UInt32>> = []
    /// The root traces whose loop goes round in the trace (their exits report the rounds),
    /// and the loops taken off a trace that hardly looped, to be recorded again (once).
    private var loopingTraces: Set<Int> = []
    private var retraced: Set<UnsafePointer<UInt32>> = []
    private var generation = 0
    private var random = SystemRandomNumberGenerator()
    static let penaltyMin = 36 * 2, penaltyMax = 60000, penaltyRandomBits = 4
    /// The largest trace (IR instructions) compiled again: the optimizing code generator's
    /// time grows faster than the code (a 300-instruction trace takes some 150 ms), and
    /// while it runs new traces wait.
    static let reoptimizeSize = 120
    /// IR instructions above which a looping trace is compiled with the quick passes.
    static let longLoopSize = 300

    /// Counts for reports: traces compiled, recordings aborted, each compile's time (µs).
    public private(set) var compiled = 0
    public private(set) var aborted = 0
    public private(set) var compileMicroseconds: [Int] = []
    /// The times of the background compiles with the optimizing code generator (`reoptimize`).
    public private(set) var reoptimizedMicroseconds: [Int] = []
    /// Their sum, and when the JIT started (for `compilebudget`).
    private var compiledMicroseconds = 0
    private var startedAt = 0
    /// Where compile time went (µs, all traces): lowering to LLVM IR, LLVM's passes, and
    /// machine code (written by the compiler thread, read after `settle`).
    private var compilePhases = (lower: 0, optimize: 0, emit: 0)
    /// Time the interpreter's thread spent in recordings (from the first instruction
    /// recorded to the trace's hand-over or abort): the JIT's work that does not overlap
    /// the program, which compiles on the compiler thread do.
    private var recordingMicroseconds = 0
    private var recordingStartedAt = 0
    /// The size of each compiled trace's object code (bytes; the machine code, its
    /// relocations and symbols), written by the compiler thread.
    private var objectBytes: [Int] = []

    public init(vm: LuaVM, parameters: JITParameters, output: @escaping (String) -> Void) {
        self.vm = vm
        self.parameters = parameters
        self.output = output
        startedAt = monotonicMicroseconds()
    }

    /// One line of counts: traces compiled, recordings aborted, trace entries, exits taken
    /// to the interpreter, compile times.
    public var statistics: String {
        settle()
        let times = compileMicroseconds.sorted()
        let median = times.isEmpty ? 0 : times[times.count / 2]
        let p90 = times.isEmpty ? 0 : times[min(times.count - 1, times.count * 9 / 10)]
        let sizes = objectBytes.sorted()
        return "[JIT traces=\(compiled) aborts=\(aborted) entries=\(vm.traces.entries) exits=\(vm.traces.exitsTaken) "
            + "compile_us=\(times.reduce(0, +)) compile_us_median=\(median) compile_us_p90=\(p90) "
            + "lower_us=\(compilePhases.lower) optimize_us=\(compilePhases.optimize) emit_us=\(compilePhases.emit) "
            + "object_bytes=\(objectBytes.reduce(0, +)) object_bytes_median=\(sizes.isEmpty ? 0 : sizes[sizes.count / 2]) "
            + "reoptimized=\(reoptimizedMicroseconds.count) reoptimize_us=\(reoptimizedMicroseconds.reduce(0, +)) "
            + "record_us=\(recordingMicroseconds) run_us=\(monotonicMicroseconds() - startedAt)]"
    }

    /// The `next` builtin, which ITERN steps.
    private lazy var nextFunction: UnsafeRawPointer? = {
        guard let name = vm.g.intern("next") else { return nil }
        let f = vm.globals.get(string: name)
        return f.isFunction ? UnsafeRawPointer(f.function) : nil
    }()

    /// The builtins that always answer exactly one value (a call wanting all their results
    /// counts one).
    private lazy var singleResultBuiltins: Set<UnsafeRawPointer> = {
        var single: Set<UnsafeRawPointer> = []
        let g = vm.g
        func field(_ library: String?, _ name: String) -> Value {
            guard let key = g.intern(name) else { return .nil }
            guard let library else { return vm.globals.get(string: key) }
            guard let lib = g.intern(library), vm.globals.get(string: lib).isTable else { return .nil }
            return vm.globals.get(string: lib).table.get(string: key)
        }
        let names: [(String?, [String])] = [
            (nil, ["tostring", "tonumber", "type", "rawget", "rawequal", "setmetatable", "getmetatable"]),
            ("string", ["rep", "format", "sub", "upper", "lower", "char", "reverse", "len"]),
            ("table", ["concat"]),
            ("math", ["floor", "ceil", "abs", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "exp", "log",
                      "log10", "pow", "fmod", "min", "max", "random", "deg", "rad", "sinh", "cosh", "tanh", "ldexp"]),
            ("bit", ["tobit", "tohex", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror", "bswap"]),
        ]
        for (library, members) in names {
            for name in members {
                let v = field(library, name)
                if v.isFunction && !v.function.isLua { single.insert(UnsafeRawPointer(v.function)) }
            }
        }
        return single
    }()

    /// `jit.opt.start(...)`: each argument as `-O` takes it; no argument sets luajit's default
    /// level. Hot counters restart with the new hot-loop count.
    private func applyOptions(_ options: [String]) -> String? {
        if let message = parameters.applying(options) { return message }
        vm.hotCounters.hotLoop = max(1, parameters["hotloop"])
        // luajit restarts every hot counter with the new count.
        vm.hotCounters.reset()
        vm.traces.hotExit = Int32(clamping: max(1, parameters["hotexit"]))
        vm.traces.retraceReentries = parameters["retrace"]
        return nil
    }

    /// Installs the JIT into its VM, compiling or not (`jit.on()`/`jit.off()` switch later).
    public func install(compiling: Bool) {
        vm.hotCounters.hotLoop = max(1, parameters["hotloop"])
        vm.hotCounters.countsFunctions = true
        vm.traces.recorder = { [unowned self] L, base, pc in self.record(L, base, pc) }
        vm.traces.setCompiling = { [unowned self] on in
            if !on { self.stop() }
            self.vm.hotCounters.onHot = on ? { [unowned self] pc in self.hot(pc) } : nil
        }
        vm.traces.onFlush = { [unowned self] in self.flush() }
        vm.traces.onOptions = { [unowned self] options in self.applyOptions(options) }
        vm.traces.beforeExit = { [unowned self] in self.shutdown() }
        vm.traces.hotExit = Int32(clamping: max(1, parameters["hotexit"]))
        vm.traces.onHotExit = { [unowned self] exit, L, base in self.hotExit(exit, L, base) }
        vm.traces.onCompiled = { [unowned self] in self.collectCompiled() }
        vm.traces.onRetrace = { [unowned self] trace in self.retrace(trace) }
        vm.traces.retraceReentries = parameters["retrace"]
        vm.traces.compile(compiling)
    }

    /// Frees the code of every trace (the runtime has restored their anchors); compiles
    /// still running are dropped when they finish.
    private func flush() {
        stop()
        generation += 1
        compiler.dropBackground()
        vm.g.releaseKeptPrototypes()
        pendingAnchors.removeAll()
        pendingExits.removeAll()
        rootOf.removeAll()
        sideTraces.removeAll()
        returnOnly.removeAll()
        recursiveFunctions.removeAll()
        loopingTraces.removeAll()
        retraced.removeAll()
        // A trace still running (its call ran this flush) keeps its code until it returns.
        retiredTrackers += trackers
        trackers.removeAll()
        freeRetiredCode()
        for n in penalties.indices { penalties[n] = (nil, 0) }
        if let key = vm.g.intern("trace_constants") { _ = vm.g.pointee.registry.set(string: key, .nil, vm.g) }
        rootCount = 0
    }

    /// Root trace `trace` hardly loops: side traces of its exits went back into it more
    /// often than its loop went round, so it was recorded on a path the loop seldom takes
    /// (say, the round where a particle bounced), and every common round leaves it, runs a
    /// side trace and enters it again. It goes (its code stays for the traces that lead
    /// into it) and the loop is recorded again when it gets hot, on the path it takes now;
    /// once per loop (a loop whose paths alternate would only trade one for the other).
    /// The recordings that failed before the first trace formed no longer count against
    /// the loop: the phase that made the loop leave (a heap's build) may last a while, and
    /// the loop must not be blacklisted before the phase it is hot in.
    private func retrace(_ trace: Int) {
        guard trace <= vm.traces.traces.count, let anchor = vm.traces.traces[trace - 1]?.anchor,
              !retraced.contains(anchor) else { return }
        retraced.insert(anchor)
        if let slot = penalties.firstIndex(where: { $0.pc == anchor }) { penalties[slot] = (nil, 0) }
        vm.traces.remove(trace)
        loopingTraces.remove(trace)
        if verbose { output("[TRACE \(pad(trace)) retraced: its loop mostly leaves it]\n") }
    }

    /// A loop or function header got hot: `for`, `while` and `repeat` loops and functions
    /// with fixed parameters start a recording.
    private func hot(_ pc: UnsafePointer<UInt32>) {
        collectCompiled()
        let op = Instruction(pc.pointee).verifiedOpcode
        if let waiting = recorder, waiting.isWaitingForRuntime, op != .FUNCF {
            // A loop got hot in Lua code a helper runs for the recording (a function pcall
            // calls, say): that loop is where the time goes now, and it gets the recorder.
            fail("hot loop in code called during recording", at: pc)
        }
        guard recorder == nil, armed == nil, op == .FORL || op == .LOOP || op == .ITERL || op == .FUNCF,
              !pendingAnchors.contains(pc), !compilerIsBehind,
              vm.traces.traces.count < parameters["maxtrace"] else { return }
        armed = pc
        vm.traces.setRecording(true)
    }

    /// The compiler thread has more than it can do soon: new recordings wait (the code keeps
    /// running interpreted, and the spot gets hot again), so that what it compiles is what
    /// is hot now rather than a backlog, and a short program does not pay for compiles it
    /// never uses.
    /// When traces compile in line (`compilethread=0`), side traces wait while compiling has
    /// taken more than `compilebudget` percent of the time since the JIT started (the first
    /// 200 ms count as run time): LLVM takes milliseconds per trace where luajit takes
    /// microseconds, and a program whose exits keep finding new paths (many side traces, each
    /// run a few times) would otherwise spend more time compiling than running. The hottest
    /// exits reach `hotexit` first and still get their side traces. On the compiler thread
    /// compiling overlaps the program, and the limit on waiting compiles is enough (there,
    /// waiting side traces made havlak and deltablue slower, not faster).
    private var compileBudgetSpent: Bool {
        let percent = parameters["compilebudget"]
        guard percent > 0, parameters["compilethread"] == 0 else { return false }
        let elapsed = max(monotonicMicroseconds() - startedAt, 200_000)
        return compiledMicroseconds * 100 > percent * elapsed
    }

    private var compilerIsBehind: Bool {
        parameters["compilethread"] != 0 && pendingAnchors.count + pendingExits.count >= TraceJIT.maxPendingCompiles
    }
    static let maxPendingCompiles = 2

    /// An exit got hot: the interpreter is about to go on at its pc in the frame at `base`,
    /// and a side trace records from there.
    private func hotExit(_ exit: Int, _ L: ThreadRef, _ base: Int) {
        collectCompiled()
        let record = vm.traces.exit(exit)
        // luajit's maxside: a root trace grows at most that many side traces (a chain of side
        // traces that keep leaving at the same guard stops there).
        let root = rootOf[Int(record.trace)] ?? Int(record.trace)
        if sideTraces[root, default: 0] >= parameters["maxside"] {
            vm.traces.attach(nil, toExit: exit, giveUp: true)
            return
        }
        guard vm.traces.isCompiling, recorder == nil, armed == nil, !pendingExits.contains(exit), record.link == nil,
              !compilerIsBehind, !compileBudgetSpent,
              vm.traces.traces.count < parameters["maxtrace"] else { return }
        let function = L.pointee.stack[base + FrameLayout.functionSlot]
        guard function.isFunction, function.function.isLua else { return }
        let side = TraceRecorder(parentExit: exit, pc: record.pc, proto: function.function.proto, base: base,
                                 maxRecord: parameters["maxrecord"], g: vm.g)
        configure(side)
        // An exit before an instruction that takes all results of the call before it: the
        // side trace knows their count, as the interpreter does.
        if record.multres >= 0 { side.startAfterCall(results: record.multres) }
        side.keepsBytecode = dump?.bytecode == true || traceObserver != nil
        recorder = side
        recordingStartedAt = monotonicMicroseconds()
        vm.traces.setRecording(true)
    }

    private func record(_ L: ThreadRef, _ base: Int, _ pc: UnsafePointer<UInt32>) {
        do {
            if let anchor = armed {
                armed = nil
                let function = L.pointee.stack[base + FrameLayout.functionSlot]
                guard function.isFunction, function.function.isLua else { throw TraceAbort("leaving loop in root trace") }
                if function.function.proto.pointee.flags & ProtoFlag.noJIT != 0 {
                    // jit.off(f): its loops stop counting, without a report.
                    vm.traces.blacklist(anchor)
                    return stop()
                }
                let started = TraceRecorder(anchor: anchor, proto: function.function.proto, base: base,
                                            maxRecord: parameters["maxrecord"], g: vm.g)
                configure(started)
                started.keepsBytecode = dump?.bytecode == true || traceObserver != nil
                recorder = started
                recordingStartedAt = monotonicMicroseconds()
                try started.begin(L)
            }
            guard let recorder else { return stop() }
            if try recorder.record(L, base: base, pc: pc) { finish(recorder) }
        } catch let abort as TraceAbort {
            fail(abort.reason, at: pc)
        } catch {
            fail("\(error)", at: pc)
        }
    }

    /// What every recording needs to know of the JIT's state and parameters.
    private func configure(_ recorder: TraceRecorder) {
        recorder.ir.optimizations = Optimizations(parameters)
        recorder.singleResultBuiltins = singleResultBuiltins
        recorder.nextFunction = nextFunction
        recorder.recUnroll = parameters["recunroll"]
        recorder.callUnroll = parameters["callunroll"]
        recorder.loopUnroll = parameters["loopunroll"]
        recorder.isShortLoop = { [unowned self] anchor in self.leftLoops.contains(anchor) }
        recorder.loopStartOf = { [unowned self] n in n <= self.vm.traces.traces.count ? self.vm.traces.traces[n - 1]?.loopStart : nil }
        recorder.maxSnapshots = parameters["maxsnap"]
        recorder.returnsOnly = { [unowned self] n in self.returnOnly.contains(n) }
        recorder.recursive = { [unowned self] entry in self.recursiveFunctions.contains(entry) }
    }

    private func stop() {
        if recorder != nil { recordingMicroseconds += monotonicMicroseconds() - recordingStartedAt }
        recorder?.restoreEntry()
        recorder = nil
        armed = nil
        vm.traces.setRecording(false)
    }

    private func fail(_ reason: String, at pc: UnsafePointer<UInt32>) {
        guard let recorder else { return stop() }
        stop()
        abandon(recorder, reason, at: pc)
    }

    /// Reports a recording that produced no trace and counts it against its loop, which is
    /// blacklisted after a few, or against its exit, which stops trying after `tryside`.
    private func abandon(_ recorder: TraceRecorder, _ reason: String, at pc: UnsafePointer<UInt32>) {
        if verbose {
            output("[TRACE --- \(start(recorder)) -- \(reason) at \(position(recorder.runningProto, pc))]\n")
        }
        if let dump, dump.trace {
            output("---- TRACE abort \(start(recorder)) -- \(reason) at \(position(recorder.runningProto, pc))\n\n")
        }
        aborted += 1
        if let trace = recorder.retryFunctionTrace, trace <= vm.traces.traces.count,
           let anchor = vm.traces.traces[trace - 1]?.anchor {
            // A function that recurses had a trace that only returns: it goes, and the
            // function is soon recorded again (luajit's quick retry), now to recurse.
            recursiveFunctions.insert(anchor)
            vm.traces.remove(trace)
            returnOnly.remove(trace)
            vm.hotCounters.delay(anchor, by: Int(random.next() & 15))
        }
        if let exit = recorder.parentExit {
            vm.traces.attach(nil, toExit: exit)
            if vm.traces.exit(exit).attempts >= parameters["tryside"] { vm.traces.attach(nil, toExit: exit, giveUp: true) }
            return
        }
        guard let anchor = recorder.anchor else { return }
        if reason == TraceRecorder.returnBeforeRecursing {
            // A function known to recurse, whose recording started at a call of its base
            // case: luck, not a function that will not compile. It is recorded again soon,
            // after a random delay (the calls' pattern would otherwise pick the base case
            // every time), for many more tries before the penalty counts: fib stayed
            // interpreted in about one run in ten, its function blacklisted.
            earlyReturns[anchor, default: 0] += 1
            if earlyReturns[anchor]! <= TraceJIT.baseCaseRetries {
                vm.hotCounters.delay(anchor, by: 1 + Int(random.next() & 63))
                return
            }
        }
        if reason == TraceRecorder.returnToLowerFrame {
            // A recursive function's recording that met its base case (fib(1)) gives up
            // too: the next ones soon, without the penalty's doubling, a few times before it
            // counts (a function that never recurses is blacklisted after those).
            earlyReturns[anchor, default: 0] += 1
            if earlyReturns[anchor]! <= TraceJIT.earlyReturnRetries {
                vm.hotCounters.delay(anchor, by: Int(random.next() & 15))
                return
            }
        }
        // A loop that its own recording left is short: the loops around it unroll it
        // (luajit's innerloopleft).
        if reason == TraceRecorder.leavingLoop, !recorder.isFunctionTrace { leftLoops.insert(anchor) }
        penalize(anchor)
    }

    /// A failed recording of the loop at `anchor`: it waits longer before the next one,
    /// and is blacklisted when the wait grows too long.
    private func penalize(_ anchor: UnsafePointer<UInt32>) {
        var value = TraceJIT.penaltyMin
        var slot = penalties.firstIndex { $0.pc == anchor }
        if let found = slot {
            value = penalties[found].value << 1 + Int(random.next() & UInt64(1 << TraceJIT.penaltyRandomBits - 1))
            if value > TraceJIT.penaltyMax {
                vm.traces.blacklist(anchor)
                return
            }
        } else {
            slot = nextPenaltySlot
            nextPenaltySlot = (nextPenaltySlot + 1) % penalties.count
        }
        penalties[slot!] = (anchor, value)
        vm.hotCounters.delay(anchor, by: value)
    }

    /// Hands the recorded trace to the compiler (its thread, or in line with
    /// `-Ocompilethread=0`); it is installed when its code is ready.
    private func finish(_ recorder: TraceRecorder) {
        stop()
        let ir = recorder.ir
        var linked: TraceEntry?
        var linksTo = 0
        if case .link(let target)? = recorder.end {
            guard let trace = vm.traces.traces[target - 1] else { return abandon(recorder, "link to a flushed trace", at: recorder.startPC) }
            linked = trace.entry
            if loopingTraces.contains(target) { linksTo = target }
        }
        let number = vm.traces.reserve()
        if let parent = recorder.parentExit {
            let root = rootOf[Int(vm.traces.exit(parent).trace)] ?? Int(vm.traces.exit(parent).trace)
            rootOf[number] = root
            sideTraces[root, default: 0] += 1
        }
        // Before its first instruction the trace may find a slot of another type, or too
        // small a stack: then it leaves at once, and the interpreter goes on. A loop's entry
        // exit that gets hot grows a side trace, as luajit's exit 0 does: a loop whose
        // variables change type from round to round (pairs over mixed keys) comes back from
        // its side trace to its entry with the other type, and would otherwise leave for the
        // interpreter on every such round. (The side trace checks the stack for itself.)
        let entryExit = ir.snapshot(pc: recorder.startPC, depth: 0, [])
        let loopSnapshot = recorder.end == .loop ? recorder.loopSnapshot : nil
        let finalSnapshot = recorder.end == .loop ? nil : recorder.finalSnapshot
        // When the instruction budget is spent: the state of the back edge (or end), left
        // to the interpreter, whose next charge raises the error.
        let last = ir.snapshots[loopSnapshot ?? finalSnapshot!]
        func leavingAsLast() -> Int {
            ir.snapshot(pc: last.pc, depth: last.depth, baseOffset: last.baseOffset, multres: last.multres, last.entries)
        }
        let budgetExit = recorder.budgetCost > 0 ? leavingAsLast() : nil
        // When the collector is due in a trace that allocates: the same state, left to the
        // interpreter, which runs the step.
        let gcExit = recorder.allocates ? leavingAsLast() : nil
        let exits = ir.snapshots.enumerated().map { index, snap in
            let failedCallee = recorder.failures[index], yields = recorder.yields.contains(index)
            return TraceExit(pc: snap.pc, link: index == finalSnapshot ? linked : nil,
                             linksTo: index == finalSnapshot ? linksTo : 0, trace: number, sideTraces: (index != entryExit || loopSnapshot != nil) && index != loopSnapshot && index != budgetExit
                                && index != gcExit && failedCallee == nil
                                && !yields && !(index == finalSnapshot && (linked != nil || recorder.end == .recursion)),
                             failedCallee: failedCallee,
                             yields: yields, collects: index == gcExit, multres: snap.multres)
        }
        keepAlive(ir)
        // SINK: the states the trace hands on as a matter of course keep their tables.
        var escaping = [loopSnapshot, finalSnapshot, budgetExit, gcExit].compactMap { $0 }
        for call in ir.runtimeCalls.values { escaping += [call.writeBack, call.failure, call.yield] }
        let sinking = AllocationSinking.plan(ir, escaping: escaping)
        ir.sunk = sinking.skipped
        let firstExit = vm.traces.addExits(exits)
        let directExits: DirectExits = (links: vm.traces.exitLinks(firstExit), rounds: vm.traces.directRounds(firstExit),
                                        compiledWaiting: vm.traces.compiledWaiting)
        let looping = recorder.end == .recursion || loopSnapshot != nil
        // A trace that runs once through counts its runs: when they are many it is compiled
        // again, with the optimizing code generator (`reoptimize`).
        // `-Oreoptimize=1`: compiled with the optimizing code generator at once (in line too,
        // so that tests run that code deterministically).
        let optimizesAtOnce = parameters["reoptimize"] == 1
        // A long loop trace (many inlined calls, hundreds of exits) takes LLVM's optimizing
        // passes and code generator up to seconds, for code that mostly calls the runtime
        // and leaves: the quick ones compile it, as a trace that runs once through.
        let longLoop = looping && ir.count > TraceJIT.longLoopSize
        let runs = !looping && !optimizesAtOnce && ir.count <= TraceJIT.reoptimizeSize && parameters["compilethread"] != 0
            && parameters["reoptimize"] != 0 ? vm.traces.entryCounter(firstExit) : nil
        var portable: Result<ObservedTraceCode, TraceNotPortable> = .failure(TraceNotPortable("not recorded"))
        if traceObserver != nil {
            firstExits[number] = firstExit
            portable = portableCode(recorder, loopSnapshot: loopSnapshot, finalSnapshot: finalSnapshot, entryExit: entryExit,
                                    budgetExit: budgetExit, gcExit: gcExit)
        }
        let stackNeeded = recorder.stackNeeded, budgetCost = recorder.budgetCost, dump = self.dump
        let recursive = recorder.end == .recursion, exitFrame = vm.traces.exitFrame
        let budgetLimited = vm.instructionLimit != 0, narrowedIndex = recorder.narrowedIndex, global = vm.g
        let loopRounds = loopSnapshot != nil ? vm.traces.loopRounds : nil
        let header = dump.map { dumpHeader(recorder, number: number, $0) } ?? ""
        let startText = PerfMap.enabled ? start(recorder) : ""
        let report = "[TRACE \(pad(number)) \(start(recorder))\(ending(recorder))]\n"
        let generation = self.generation
        if let parent = recorder.parentExit { pendingExits.insert(parent) } else { pendingAnchors.insert(recorder.anchor!) }
        // The prototype stays until the traces are flushed: installing the trace, taking it
        // off its anchor or blacklisting the loop later writes into its bytecode.
        vm.g.keepPrototype(recorder.proto)
        // The compile itself, on the compiler thread: with the quick code generator for a
        // trace that runs once through, or the optimizing one (loops, recursion, and such a
        // trace compiled again in the background: `reoptimize`).
        let compile = { [unowned self] (optimizing: Bool) throws -> (TraceEntry, ResourceTracker, String) in
            let started = self.monotonicMicroseconds()
            let engine = try self.engine ?? self.makeEngine()
            let tracker = engine.makeResourceTracker()
            let machine = optimizing ? try self.makeMachines().looping : try self.makeMachines().once
            let module = LLVMModule(name: "trace\(number)", in: engine.makeContext())
            machine.configure(module)
            // The recompiled code is another symbol: the first stays while anything runs it.
            let name = "perigee_trace_\(number)" + (optimizing && !looping ? "_optimized" : "")
            let addressing = TraceAddressing.process(exitFrame: exitFrame, loopRounds: loopRounds, global: global,
                                                     firstExit: firstExit, link: linked, directExits: directExits,
                                                     runs: optimizing ? nil : runs)
            TraceLowering(ir, loopSnapshot: loopSnapshot, finalSnapshot: finalSnapshot, entryExit: entryExit,
                          stackNeeded: stackNeeded, budgetCost: budgetCost,
                          budgetExit: budgetExit, budgetLimited: budgetLimited, gcExit: gcExit,
                          narrowedIndex: narrowedIndex, recursive: recursive, addressing: addressing,
                          sinking: sinking, module: module, name: name).lower()
            let lowered = self.monotonicMicroseconds()
            try module.verify()
            try (optimizing ? PassPipeline.aot : PassPipeline.trace).run(on: module)
            let optimized = self.monotonicMicroseconds()
            var listing = dump?.llvm == true ? "---- TRACE \(number) LLVM\n" + module.ir : ""
            var codeSize = 0
            let objectBytes = try engine.addCompiled(module, with: machine, tracker: tracker,
                                                     measuring: dump?.machineCode == true ? name : nil, symbolSize: &codeSize)
            let address = try engine.lookup(name)
            if dump?.machineCode == true {
                listing += "---- TRACE \(number) mcode \(codeSize)\n" + (try Disassembler.listing(at: address, size: codeSize))
            }
            PerfMap.record(entry: address, bytes: objectBytes, number: number, start: startText)
            let entry = unsafeBitCast(address, to: TraceEntry.self)
            if optimizing && !looping { return (entry, tracker, listing) }
            let emitted = self.monotonicMicroseconds()
            self.compilePhases.lower += lowered - started
            self.compilePhases.optimize += optimized - lowered
            self.compilePhases.emit += emitted - optimized
            self.objectBytes.append(objectBytes)
            return (entry, tracker, listing)
        }
        let job: CompilerThread.Job = { [unowned self] in
            let started = self.monotonicMicroseconds()
            let compiled = Result { try compile((looping && !longLoop) || optimizesAtOnce) }
            let microseconds = self.monotonicMicroseconds() - started
            return { [unowned self] in
                self.install(compiled, recorder, number: number, firstExit: firstExit, generation: generation,
                             microseconds: microseconds, report: report, header: header, portable: portable)
                if let runs, case .success = compiled {
                    self.reoptimize(recorder, number: number, generation: generation, runs: runs, compile)
                }
            }
        }
        if parameters["compilethread"] != 0 {
            compiler.submit(job)
        } else {
            job()()
        }
    }

    /// Trace `number`, which runs once through and was compiled with the quick code
    /// generator (a quarter of the time, but its code keeps every value in memory across
    /// guards), is compiled again with the optimizing one once it has run `reoptimize`
    /// times (a JIT parameter; its code counts them in `runs`) and the compiler
    /// thread has nothing else to do; the better code then replaces it where the trace is
    /// entered (its parent's exit, or its anchor). The first code stays: traces ending in
    /// this one call it. Only with the compiler thread (`-Ocompilethread=0` compiles once).
    private func reoptimize(_ recorder: TraceRecorder, number: Int, generation: Int, runs: UnsafeMutablePointer<UInt>,
                            _ compile: @escaping (Bool) throws -> (TraceEntry, ResourceTracker, String)) {
        compiler.submitInBackground(when: runs, reaches: UInt(parameters["reoptimize"])) { [unowned self] in
            let started = self.monotonicMicroseconds()
            let compiled = Result { try compile(true) }
            let microseconds = self.monotonicMicroseconds() - started
            return { [unowned self] in
                guard case .success(let (entry, tracker, listing)) = compiled else { return }
                guard generation == self.generation else {
                    try? tracker.remove()
                    return
                }
                // -jdump shows the code that replaces the first (its listing names the trace).
                if !listing.isEmpty { self.output(listing) }
                self.trackers.append(tracker)
                self.reoptimizedMicroseconds.append(microseconds)
                if let parent = recorder.parentExit {
                    self.vm.traces.replaceLink(ofExit: parent, with: entry)
                } else {
                    self.vm.traces.replaceEntry(of: number, with: entry)
                }
            }
        }
    }

    /// A finished compile, on the interpreter's thread: the trace goes live (its anchor
    /// patched, or its parent's exit sent to it) unless the traces were flushed meanwhile.
    private func install(_ compiled: Result<(TraceEntry, ResourceTracker, String), Error>, _ recorder: TraceRecorder,
                         number: Int, firstExit: Int, generation: Int, microseconds: Int,
                         report: String, header: String,
                         portable: Result<ObservedTraceCode, TraceNotPortable>) {
        guard generation == self.generation else {
            if case .success(let code) = compiled { try? code.1.remove() }
            return
        }
        if let parent = recorder.parentExit { pendingExits.remove(parent) } else { pendingAnchors.remove(recorder.anchor!) }
        compileMicroseconds.append(microseconds)
        compiledMicroseconds += microseconds
        switch compiled {
        case .failure(let error):
            abandon(recorder, "LLVM: \(error)", at: recorder.startPC)
        case .success(let (entry, tracker, listing)):
            trackers.append(tracker)
            if recorder.isFunctionTrace && recorder.end == .interpreter { returnOnly.insert(number) }
            if recorder.end == .loop && recorder.parentExit == nil { loopingTraces.insert(number) }
            if let parent = recorder.parentExit {
                vm.traces.attach(entry, toExit: parent)
            } else {
                vm.traces.install(InstalledTrace(entry: entry, loopStart: recorder.loopStart, anchor: recorder.anchor!),
                                  number: number)
            }
            self.compiled += 1
            if let traceObserver {
                var observation = observed(recorder, number: number, code: portable)
                if recorder.parentExit == nil {
                    let table = vm.traces
                    observation.statistics = { table.statistics(number) }
                }
                traceObserver(observation)
            }
            if let dump {
                output(header + listing
                       + (dump.trace ? "---- TRACE \(number) stop -> \(ending(recorder).dropFirst())\n\n" : ""))
            }
            if verbose { output(report) }
        }
    }

    /// Installs whatever the compiler thread finished (called where the interpreter's
    /// thread looks in anyway: hot loops and exits, and the trampoline when told that
    /// compiled code waits).
    private func collectCompiled() {
        if !retiredTrackers.isEmpty { freeRetiredCode() }
        guard compiler.hasFinished else { return }
        for install in compiler.collect() { install() }
    }

    /// Frees the code of flushed traces once no trace runs.
    /// The traces' code goes with the JIT (no trace runs any more). A tracker released with
    /// its code still in place hands the code to the default tracker, which LLVM 14 does
    /// through a reference into a map that the same step may grow (the length error that
    /// ended some runs at exit): removed first, it hands nothing.
    deinit {
        for tracker in trackers + retiredTrackers { try? tracker.remove() }
    }

    private func freeRetiredCode() {
        guard vm.traces.running == 0 else { return }
        for tracker in retiredTrackers { try? tracker.remove() }
        retiredTrackers.removeAll()
    }

    /// Stops compiling: drops what waits and lets the running compile end (before the
    /// process exits).
    public func shutdown() {
        compiler.cancel()
    }

    /// Whether a compile is queued or running.
    public var isCompiling: Bool { compiler.pending > 0 }

    /// Installs what the compiler thread has finished (before reports); compiles still
    /// running are not waited for (a program that has ended does not need them).
    public func settle() {
        for install in compiler.collect() { install() }
    }

    /// Makes every object trace `ir` embeds (the functions it guards on, strings, tables)
    /// a GC root for as long as the traces live: a collected function's address could be
    /// another function's later, and the guard would let it through. They are kept in a
    /// table in the registry, which `jit.flush()` empties.
    private func keepAlive(_ ir: TraceIR) {
        let g = vm.g
        guard let key = g.intern("trace_constants") else { return }
        var roots = g.pointee.registry.get(string: key)
        if !roots.isTable {
            guard let table = g.newTable() else { return }
            roots = Value(table: table)
            _ = g.pointee.registry.set(string: key, roots, g)
        }
        for ref in ir.constantReferences where ir[ref].op == .KGC {
            let tag = UInt64(0x1FFFF ^ UInt32(ir[ref].type.rawValue)) << Value.tagShift
            rootCount += 1
            _ = roots.table.set(integer: rootCount, Value(bits: ir.payload(ref) | tag), g)
        }
    }

    /// What `-jdump` shows of a finished recording before its compiled code: the start, the
    /// bytecode recorded, the IR.
    private func dumpHeader(_ recorder: TraceRecorder, number: Int, _ dump: DumpOptions) -> String {
        var text = ""
        if dump.trace { text += "---- TRACE \(number) start \(start(recorder))\n" }
        if dump.trace, let reason = recorder.stopReason { text += "---- TRACE \(number) stops before \(reason)\n" }
        if dump.bytecode { text += recorder.recordedBytecode() }
        if dump.ir {
            text += "---- TRACE \(number) IR\n"
            let listing = recorder.ir.dump()
            text += dump.snapshots ? listing
                : listing.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains(" SNAP ") }.joined(separator: "\n")
        }
        return text
    }

    /// Where a trace starts, as `-jv` names it: a side trace by its parent and exit.
    private func start(_ recorder: TraceRecorder) -> String {
        guard let exit = recorder.parentExit else { return position(recorder.proto, recorder.anchor!) }
        let parent = vm.traces.exit(exit)
        return "(\(parent.trace)/\(exit - firstExit(ofTrace: Int(parent.trace)))) \(position(recorder.proto, recorder.startPC))"
    }

    /// How a trace ends, as `-jv` says it: ` loop`, ` -> N` (into trace N) or back to the
    /// interpreter.
    func ending(_ recorder: TraceRecorder) -> String {
        switch recorder.end {
        case .loop?: return " loop"
        case .link(let n)?: return " -> \(n)"
        case .recursion?: return recorder.ir.snapshots[recorder.finalSnapshot].depth > 0 ? " up-recursion" : " tail-recursion"
        default: return recorder.endsAtReturn ? " return" : " -- fallback to interpreter"
        }
    }

    /// The number of trace `trace`'s first exit.
    private func firstExit(ofTrace trace: Int) -> Int {
        (0..<vm.traces.exitCount).first { vm.traces.exit($0).trace == Int32(trace) } ?? 0
    }

    private func monotonicMicroseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1_000_000 + now.tv_nsec / 1000
    }

    /// The compiler thread's target machines, made with the first trace and kept.
    private func makeMachines() throws -> (looping: TargetMachine, once: TargetMachine) {
        if let machines { return machines }
        let made = (looping: try TargetMachine.forJIT(), once: try TargetMachine.forJIT(optimization: LLVMCodeGenLevelNone))
        machines = made
        return made
    }

    private func makeEngine() throws -> JITEngine {
        let engine = try JITEngine()
        try engine.defineAbsoluteSymbols(compiledCodeHelpers)
        try engine.resolveProcessSymbols()
        self.engine = engine
        return engine
    }

    private func pad(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: " ", count: max(0, 3 - digits.count)) + digits
    }

    /// `chunk:line` of the instruction at `pc` of `proto`, as luajit's reports name places.
    private func position(_ proto: ProtoRef, _ pc: UnsafePointer<UInt32>) -> String {
        let source = proto.source
        let index = pc - UnsafePointer(proto.pointee.bytecode)
        let line = index >= 0 && index < source.lines.count ? Int(source.lines[index]) : 0
        var chunk = source.chunkName
        if chunk.hasPrefix("@") {
            // luajit names a file by its last path component.
            chunk.removeFirst()
            if let slash = chunk.lastIndex(of: "/") { chunk = String(chunk[chunk.index(after: slash)...]) }
        } else if chunk.hasPrefix("=") {
            chunk.removeFirst()
        } else {
            chunk = "\"\(chunk.prefix { $0 != "\n" }.prefix(40))\""
        }
        return "\(chunk):\(line)"
    }
}
