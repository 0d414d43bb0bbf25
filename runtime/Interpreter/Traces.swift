/// The runtime's side of the tracing JIT, all of it: the table of installed traces, the
/// recorder's door (a dispatch table that shows it each instruction before it runs), and the
/// handlers of JFORL and JLOOP, which enter a trace. The runtime knows nothing of how traces are made:
/// PerigeeJIT installs itself through `TraceTable`.
import CSupport
import PerigeeFrontend

/// A trace's machine code: `(L, base) -> exit number`. It runs on the frame at slot `base`
/// and, when a guard fails or its recording ended, writes its snapshot into the frames and
/// returns the exit's number (unique across all traces: see `TraceExit`).
public typealias TraceEntry = @convention(c) (UnsafeMutableRawPointer, Int) -> Int

/// An installed root trace: one entered from its anchor (a patched FORL, LOOP, ITERL or
/// FUNCF).
public struct InstalledTrace {
    public var entry: TraceEntry
    /// The instruction index of the loop or function body (where the interpreter goes on when
    /// the trace is not entered, with a debug hook set).
    public let loopStart: Int
    /// The anchor, and its own instruction as it was before it was patched.
    public let anchor: UnsafePointer<UInt32>
    public let original: UInt32

    public init(entry: TraceEntry, loopStart: Int, anchor: UnsafePointer<UInt32>) {
        self.entry = entry
        self.loopStart = loopStart
        self.anchor = anchor
        original = anchor.pointee
    }
}

/// One exit of a trace, by its number: where the interpreter goes on, or the trace that
/// runs instead. A trace's exits have consecutive numbers, handed out before it is lowered
/// so its code returns them as constants.
public struct TraceExit {
    /// The instruction the interpreter goes on at.
    public var pc: UnsafePointer<UInt32>
    /// The trace entered at once, on the exit's frame: a side trace attached to a hot exit,
    /// or the trace a trace's last snapshot links to.
    public var link: TraceEntry?
    /// Times the exit was taken without a link, and side traces tried from it; an exit
    /// that may not start a side trace has `attempts` at `Int32.max`.
    public var taken: Int32
    public var attempts: Int32
    /// The trace the exit belongs to.
    public var trace: Int32
    /// For the exit a builtin's error leaves through: the builtin's frame relative to the
    /// exit's (the error unwinds from there); nil for the others.
    public var failedCallee: Int?
    /// For the exit taken when Lua code a runtime helper ran for the trace yields.
    public var yields: Bool
    /// For the exit a trace that allocates takes when the collector is due: the
    /// interpreter runs its step (the trace's state is on the stack, its registers dead).
    public var collects: Bool
    /// The result count of a call wanting all results that the instruction at `pc`
    /// consumes (the interpreter's `multres` there), or -1.
    public var multres: Int
    /// The root trace `link` enters (the loop a side trace goes back to), or 0.
    public var linksTo: Int32
    /// The word the exit's code reads before it returns: the entry of the side trace it
    /// calls itself (a tail call, with no trip round the trampoline), or 0. Set by
    /// `TraceTable.attach` when the trampoline need not watch the exit (see `linksDirectly`).
    public var directLink: UnsafeMutablePointer<UInt>?
    /// A side trace was attached to the exit.
    var attached = false

    public init(pc: UnsafePointer<UInt32>, link: TraceEntry? = nil, linksTo: Int = 0, trace: Int, sideTraces: Bool,
                failedCallee: Int? = nil, yields: Bool = false, collects: Bool = false, multres: Int? = nil) {
        self.multres = multres ?? -1
        self.linksTo = Int32(linksTo)
        self.collects = collects
        self.yields = yields
        self.pc = pc
        self.link = link
        taken = 0
        attempts = sideTraces ? 0 : Int32.max
        self.trace = Int32(trace)
        self.failedCallee = failedCallee
    }
}

/// What entering a root trace needs, in plain memory: the JFORL/JLOOP handlers read it with
/// no reference counting on the way in and out.
struct TraceDoor {
    var entry: TraceEntry
    let loopStart: Int
    /// How many times the trace was entered.
    var runs: Int
    /// A loop's trace: the rounds its loop went (its exits report them in `loopRounds`),
    /// the times side traces of its exits went back into it (`TraceTable.retrace`), and of
    /// those the times it was through the same exit as the time before (one common path).
    var rounds = 0
    /// All the rounds its loop went, for profiles.
    var totalRounds = 0
    var reentries = 0
    var repeats = 0
    var lastReentry = -1
    /// The trampoline has watched the trace's re-entries long enough and decided against
    /// retracing it: side traces of its exits are called by its exits themselves from now on.
    var settled = false
}

/// The traces of one Lua universe, numbered from 1 as `-jv` prints them.
public final class TraceTable {
    public private(set) var traces: [InstalledTrace?] = []
    /// Trace n's door at `doors[n - 1]`.
    private(set) var doors = UnsafeMutablePointer<TraceDoor>.allocate(capacity: 0)
    private var doorCapacity = 0
    /// Every trace's exits, by exit number.
    private(set) var exits = UnsafeMutablePointer<TraceExit>.allocate(capacity: 0)
    public private(set) var exitCount = 0
    private var exitCapacity = 0
    /// Called before each instruction while recording, with the thread, the frame's base
    /// slot and the instruction's address; the recorder stops recording itself.
    public var recorder: ((ThreadRef, Int, UnsafePointer<UInt32>) -> Void)?
    /// Called when an exit without a link has been taken `hotExit` times, with the exit's
    /// number and the frame it left in, as the interpreter is about to go on there: the JIT
    /// may start recording a side trace.
    public var onHotExit: ((Int, ThreadRef, Int) -> Void)?
    public var hotExit: Int32 = 10
    /// Non-zero while compiled code waits to be installed: the JIT's compiler thread sets
    /// it, exits then go back to the trampoline instead of calling their side traces, and
    /// the trampoline calls `onCompiled`, which installs the code. A program whose time is
    /// all in traces has no hot loops or exits left to install code at, and a trace
    /// compiled again with better code (`reoptimize`) would otherwise wait for the
    /// program's end.
    public let compiledWaiting: UnsafeMutablePointer<UInt8> = {
        let cell = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        cell.initialize(to: 0)
        return cell
    }()
    public var onCompiled: (() -> Void)?
    /// Where every exit writes the slot of the frame it leaves in (a trace may have run on
    /// frames other than the one it was entered on: a recursive trace's deeper frames).
    public let exitFrame: UnsafeMutablePointer<Int> = {
        let cell = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        cell.initialize(to: 0)
        return cell
    }()
    /// Where the exits of a looping trace write how many rounds its loop went since it was
    /// entered (the back edges taken).
    public let loopRounds: UnsafeMutablePointer<Int> = {
        let cell = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        cell.initialize(to: 0)
        return cell
    }()
    /// Called when a root loop's trace hardly loops: side traces of its exits went back into
    /// it more often than its loop went round, nearly always through one side trace (it was
    /// recorded on an uncommon path, and each common round leaves it, runs that side trace
    /// and enters it again). The JIT may take it off its anchor, so
    /// that the loop is recorded again, on the path it takes now.
    public var onRetrace: ((Int) -> Void)?
    /// Re-entries from side traces before `onRetrace` is asked (0: never).
    public var retraceReentries = 200

    /// Set by the JIT when it is installed: `jit.on()`/`jit.off()` switch recording with
    /// `setCompiling`, `jit.flush()` calls `onFlush` after the anchors are restored.
    public var setCompiling: ((Bool) -> Void)?
    public var onFlush: (() -> Void)?
    /// `jit.opt.start(...)`'s arguments, applied by the JIT: nil, or luajit's message for
    /// the first one it does not know. Nil where there is no JIT (built executables).
    public var onOptions: (([String]) -> String?)?
    /// Called by `os.exit` before the process ends (the JIT stops its compiler thread).
    public var beforeExit: (() -> Void)?
    public private(set) var isCompiling = false

    /// Traces entered and exits taken to the interpreter, for reports.
    public var entries: Int { (0..<traces.count).reduce(0) { $0 + doors[$1].runs } }
    public var exitsTaken: Int { (0..<exitCount).reduce(0) { $0 + Int(exits[$1].taken) } }
    /// Traces running now (more than one when a trace's call runs Lua code with traces):
    /// their code must stay while they do.
    public internal(set) var running = 0

    /// Turns recording of new traces on or off (`jit.on`, `jit.off`); false without a JIT.
    @discardableResult
    public func compile(_ on: Bool) -> Bool {
        guard let setCompiling else { return false }
        isCompiling = on
        setCompiling(on)
        return true
    }

    /// Restores every anchor and forgets every trace (`jit.flush`). Exit numbers are not
    /// handed out again: a compile still running holds some.
    public func flush() {
        for case let trace? in traces { restore(trace) }
        traces.removeAll()
        firstExits.removeAll()
        onFlush?()
    }

    /// `jit.off(f)` and `jit.on(f)`: the loops of prototype `p` leave their traces (their
    /// anchors restored), and with `counting` blacklisted loops count again.
    public func resetLoops(of p: ProtoRef, counting: Bool) {
        let code = UnsafeMutableRawPointer(p.pointee.bytecode).assumingMemoryBound(to: Instruction.self)
        for pc in 0..<Int(p.pointee.bytecodeCount) {
            let op = code[pc].verifiedOpcode
            let number = code[pc].rd
            if op == .JFORL || op == .JLOOP || op == .JITERL || op == .JFUNCF, number <= traces.count, let trace = traces[number - 1] {
                restore(trace)
                traces[number - 1] = nil
            } else if counting, op.isPatchedVariant, let plain = op.variants?.plain, code[pc].verifiedOpcode != plain {
                code[pc].setOpcode(plain)
            }
        }
    }

    /// Takes root trace `number` off its anchor (the instruction runs interpreted again and
    /// counts); its code stays, for the exits that lead into it.
    public func remove(_ number: Int) {
        guard number <= traces.count, let trace = traces[number - 1] else { return }
        restore(trace)
        traces[number - 1] = nil
    }

    private func restore(_ trace: InstalledTrace) {
        UnsafeMutableRawPointer(mutating: trace.anchor).assumingMemoryBound(to: UInt32.self).pointee = trace.original
    }

    /// Shows the recorder every instruction from now on (or stops).
    public func setRecording(_ on: Bool) {
        perigee_set_recording(on ? 1 : 0)
    }

    /// Per trace (by its first exit's number): the words its exits read for a direct link
    /// (`TraceExit.directLink`), one per exit, then one where exits that link directly add
    /// the rounds their loop went (the trampoline no longer sees them), then one where a
    /// trace that runs once through counts its runs.
    private var exitLinkWords: [Int: (words: UnsafeMutablePointer<UInt>, count: Int)] = [:]
    /// Root trace number to its first exit's number.
    private var firstExits: [Int: Int] = [:]

    /// The exits' direct-link words of the trace whose first exit is `firstExit` (see
    /// `exitLinkWords`); they live as long as the process (exit numbers are never reused).
    public func exitLinks(_ firstExit: Int) -> UnsafeMutablePointer<UInt> { exitLinkWords[firstExit]!.words }
    /// The word a trace that runs once through counts its runs in (for `reoptimize`).
    public func entryCounter(_ firstExit: Int) -> UnsafeMutablePointer<UInt> { directRounds(firstExit) + 1 }

    /// The word where the trace's directly linking exits add its loop's rounds.
    public func directRounds(_ firstExit: Int) -> UnsafeMutablePointer<UInt> {
        let cells = exitLinkWords[firstExit]!
        return cells.words + cells.count
    }

    /// Hands out `records.count` consecutive exit numbers for the trace being compiled; the
    /// first one.
    public func addExits(_ records: [TraceExit]) -> Int {
        let first = addExitRecords(records)
        let words = UnsafeMutablePointer<UInt>.allocate(capacity: records.count + 2)
        words.initialize(repeating: 0, count: records.count + 2)
        exitLinkWords[first] = (words, records.count)
        for i in records.indices { exits[first + i].directLink = words + i }
        if let trace = records.first?.trace { firstExits[Int(trace)] = first }
        return first
    }

    private func addExitRecords(_ records: [TraceExit]) -> Int {
        if exitCount + records.count > exitCapacity {
            let capacity = max(64, max(exitCapacity * 2, exitCount + records.count))
            let grown = UnsafeMutablePointer<TraceExit>.allocate(capacity: capacity)
            grown.moveInitialize(from: exits, count: exitCount)
            exits.deallocate()
            exits = grown
            exitCapacity = capacity
        }
        (exits + exitCount).initialize(from: records, count: records.count)
        exitCount += records.count
        return exitCount - records.count
    }

    public func exit(_ number: Int) -> TraceExit { exits[number] }

    /// How often root trace `number` was entered, and the rounds its loop went in all.
    public func statistics(_ number: Int) -> (entries: Int, rounds: Int) {
        guard number >= 1 && number <= traces.count else { return (0, 0) }
        let direct = firstExits[number].map { Int(bitPattern: directRounds($0).pointee) } ?? 0
        return (doors[number - 1].runs, doors[number - 1].totalRounds + direct)
    }

    /// Sends exit `number` to trace code `entry` from now on (a side trace), or takes a
    /// failed side trace attempt into account (`entry` nil).
    public func attach(_ entry: TraceEntry?, toExit number: Int, giveUp: Bool = false) {
        if let entry {
            exits[number].link = entry
            exits[number].attached = true
            if linksDirectly(number) { linkDirectly(number) }
        } else if exits[number].attempts < Int32.max { exits[number].attempts += 1 }
        if giveUp { exits[number].attempts = Int32.max }
        exits[number].taken = 0
    }

    /// Whether exit `number` may call its side trace itself. The trampoline watches a root
    /// trace's exits until it has decided whether the trace should be recorded again
    /// (`countReentries`); other traces' exits (side traces', and roots taken off their
    /// anchor) it need not watch.
    private func linksDirectly(_ number: Int) -> Bool {
        guard exits[number].directLink != nil else { return false }
        let trace = Int(exits[number].trace)
        guard trace >= 1 && trace <= traces.count, traces[trace - 1] != nil else { return true }
        return retraceReentries == 0 || doors[trace - 1].settled
    }

    private func linkDirectly(_ number: Int) {
        guard let link = exits[number].link, let word = exits[number].directLink else { return }
        word.pointee = UInt(bitPattern: unsafeBitCast(link, to: UnsafeRawPointer.self))
    }

    /// Exit `number` enters `entry` from now on instead of the side trace it had (the same
    /// trace compiled again, with better code).
    public func replaceLink(ofExit number: Int, with entry: TraceEntry) {
        guard exits[number].link != nil else { return }
        exits[number].link = entry
        if let word = exits[number].directLink, word.pointee != 0 { linkDirectly(number) }
    }

    /// Root trace `number`, where it is still installed, is entered through `entry` from now
    /// on (the same trace compiled again, with better code).
    public func replaceEntry(of number: Int, with entry: TraceEntry) {
        guard number >= 1 && number <= traces.count, traces[number - 1] != nil else { return }
        traces[number - 1]!.entry = entry
        doors[number - 1].entry = entry
    }

    /// A number for a trace on its way through the compiler (installed later, or never).
    public func reserve() -> Int {
        traces.append(nil)
        growDoors()
        (doors + traces.count - 1).initialize(to: TraceDoor(entry: { _, _ in 0 }, loopStart: 0,
                                                            runs: 0))
        return traces.count
    }

    private func growDoors() {
        guard traces.count > doorCapacity else { return }
        let grown = UnsafeMutablePointer<TraceDoor>.allocate(capacity: max(16, doorCapacity * 2))
        grown.moveInitialize(from: doors, count: traces.count - 1)
        doors.deallocate()
        doors = grown
        doorCapacity = max(16, doorCapacity * 2)
    }

    /// Installs root trace `number` (reserved) at its loop instruction (FORL or LOOP): the
    /// loop now runs through the trace-entry form (JFORL, JLOOP).
    public func install(_ trace: InstalledTrace, number: Int) {
        traces[number - 1] = trace
        doors[number - 1] = TraceDoor(entry: trace.entry, loopStart: trace.loopStart, runs: 0)
        let patched = UnsafeMutableRawPointer(mutating: trace.anchor).assumingMemoryBound(to: Instruction.self)
        let entry = patched.pointee.verifiedOpcode.variants.unsafelyUnwrapped.trace
        patched.pointee = Instruction(entry, a: UInt32(patched.pointee.ra), d: UInt32(number))
    }

    /// Counts a run of root trace `number` that side traces re-entered `reentries` times
    /// (`repeats` of them through the same exit as the time before, the last through exit
    /// `last`) while its loop went `rounds` rounds; asks `onRetrace` when re-entries through
    /// one side trace dominate.
    func countReentries(_ number: Int, _ reentries: Int, repeats: Int, rounds: Int, last: Int) {
        doors[number - 1].reentries += reentries
        doors[number - 1].repeats += repeats
        doors[number - 1].rounds += rounds
        doors[number - 1].lastReentry = last
        let door = doors[number - 1]
        guard retraceReentries > 0, door.reentries >= retraceReentries, traces[number - 1] != nil else { return }
        if door.reentries > door.rounds && door.repeats * 10 >= door.reentries * 9 { onRetrace?(number) }
        if number <= traces.count, traces[number - 1] != nil { settle(number) }
        doors[number - 1].reentries = 0
        doors[number - 1].repeats = 0
        doors[number - 1].rounds = 0
    }

    /// Root trace `number` stays: its exits call their side traces themselves from now on.
    private func settle(_ number: Int) {
        doors[number - 1].settled = true
        guard let first = firstExits[number], let count = exitLinkWords[first]?.count else { return }
        for n in first..<first + count where exits[n].attached { linkDirectly(n) }
    }

    /// Patches the loop instruction at `anchor` to its interpreter-only form (IFORL, ILOOP):
    /// a loop that will not compile stops counting.
    public func blacklist(_ anchor: UnsafePointer<UInt32>) {
        let patched = UnsafeMutableRawPointer(mutating: anchor).assumingMemoryBound(to: Instruction.self)
        if let interpreter = patched.pointee.verifiedOpcode.variants?.interpreter { patched.pointee.setOpcode(interpreter) }
    }
}

/// Before each instruction while recording: the recorder sees it, then it runs.
@_cdecl("perigee_op_record") @inline(__always) func opRecord(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let L = s.pointee.L
    s.pointee.withVM { vm in vm.traces.recorder?(L, valueSlots(base) - L.pointee.stack, pc - 1) }
    return stay(pc, base)
}

/// JFORL: FORL's step; when the loop goes on, its trace runs the next iterations and the
/// interpreter continues where the trace left.
@_cdecl("perigee_op_JFORL") @inline(__always) func opJFORL(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    // A loop edge charges the instruction budget, as FORL does (a trace charges its own).
    if spendInstructions(Instruction(ins).loopCost) { return slowPath(run, base, pc) { $0.loopBudgetSpent() } }
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let step = r[a + 2].number
    let next = r[a].number + step
    guard step >= 0 ? next <= r[a + 1].number : next >= r[a + 1].number else { return stay(pc, base) }
    r[a] = Value(number: next)
    r[a + 3] = Value(number: next)
    return slowPath(run, base, pc) { $0.runTrace(Instruction(ins).rd) }
}

/// JITERL: ITERL's step; when the loop goes on, its trace runs the next iterations. (ITERN's
/// fast path, which keeps its own position in A-1, enters the trace itself.)
@_cdecl("perigee_op_JITERL") @inline(__always) func opJITERL(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    if spendInstructions(Instruction(ins).loopCost) { return slowPath(run, base, pc) { $0.loopBudgetSpent() } }
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    if r[a].isNil { return stay(pc, base) }
    r[a - 1] = r[a]
    return slowPath(run, base, pc) { $0.runTrace(Instruction(ins).rd) }
}

/// JLOOP: the `while` or `repeat` loop's trace runs its iterations.
@_cdecl("perigee_op_JLOOP") @inline(__always) func opJLOOP(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    if spendInstructions(Instruction(ins).loopCost) { return slowPath(run, base, pc) { $0.loopBudgetSpent() } }
    return slowPath(run, base, pc) { $0.runTrace(Instruction(ins).rd) }
}

extension InterpreterRun {
    /// Runs root trace `number` on this frame, and the traces its exits lead to, and goes
    /// on at the exit they finally took (in whichever frame it left); with a debug hook set,
    /// the loop body runs interpreted instead (hooks see every instruction).
    mutating func runTrace(_ root: Int) -> CallStatus? {
        // A JFORL/JLOOP only ever names a live trace: retiring or flushing restores the anchor.
        let door = withVM { $0.traces.doors + (root - 1) }
        if withVM({ !$0.hooks.mask.isEmpty }) {
            pc = UnsafePointer(closure.proto.pointee.bytecode) + door.pointee.loopStart
            return nil
        }
        var frame = slotIndex(base)
        // Traces may call builtins that run Lua code, which may record and install traces:
        // the trace table's arrays are looked up afresh after every trace returns.
        withVM { $0.traces.running += 1 }
        let exitFrame = withVM { $0.traces.exitFrame }
        var number = door.pointee.entry(UnsafeMutableRawPointer(L), frame)
        withVM { $0.traces.doors[root - 1].runs += 1 }
        // Exits may make objects (a reference cdata the trace had not made): when the
        // collector is due, the interpreter runs its step before any link.
        var collectorDue = false
        var reentries = 0, rounds = 0, repeats = 0
        var lastReentry = withVM { $0.traces.doors[root - 1].lastReentry }
        let loopRounds = withVM { $0.traces.loopRounds }
        let compiledWaiting = withVM { $0.traces.compiledWaiting }
        while true {
            // Compiled code waits (and every exit returns here meanwhile): installed now.
            if compiledWaiting.pointee != 0 { withVM { $0.traces.onCompiled?() } }
            let exit = withVM { $0.traces.exits + number }
            frame = exitFrame.pointee
            if exit.pointee.trace == Int32(root) { rounds += loopRounds.pointee }
            guard let link = exit.pointee.link else { break }
            if withVM({ $0.g.stepDue }) {
                collectorDue = true
                break
            }
            if exit.pointee.linksTo == Int32(root) {
                reentries += 1
                if number == lastReentry { repeats += 1 }
                lastReentry = number
            }
            let via = number
            number = link(UnsafeMutableRawPointer(L), frame)
            // A side trace whose end called its loop's trace itself: out of the loop through
            // exit `via` and back in (the trampoline sees the loop's trace leave again).
            if exit.pointee.trace == Int32(root) && withVM({ $0.traces.exits[number].trace }) == Int32(root) {
                reentries += 1
                if via == lastReentry { repeats += 1 }
                lastReentry = via
            }
        }
        withVM { $0.traces.running -= 1 }
        withVM { $0.traces.doors[root - 1].totalRounds += rounds }
        if reentries > 0 {
            withVM { $0.traces.countReentries(root, reentries, repeats: repeats, rounds: rounds, last: lastReentry) }
        }
        let exit = withVM { $0.traces.exits + number }
        rebase(frame)
        closure = base[FrameLayout.functionSlot].function
        k = closure.proto.pointee.numbers
        pc = exit.pointee.pc
        if exit.pointee.multres >= 0 { multres = exit.pointee.multres }
        if exit.pointee.yields {
            // Lua code a helper ran for the trace yielded: the coroutine goes on in the
            // interpreter when resumed (the trace wrote its state before the call).
            return .yield
        }
        if let callee = exit.pointee.failedCallee {
            // An instruction a helper ran for the trace raised an error: it unwinds from
            // the callee's frame (a builtin's), or from this one.
            errorFrameBase = callee > 0 ? frame + callee : nil
            return .error
        }
        syncTop()
        if exit.pointee.collects || collectorDue {
            return withVM { $0.g.checkGC() } ? nil : .error
        }
        exit.pointee.taken &+= 1
        if exit.pointee.taken >= withVM({ $0.traces.hotExit }) && exit.pointee.attempts < Int32.max {
            let L = L
            withVM { vm in vm.traces.onHotExit?(number, L, frame) }
        }
        return nil
    }
}
