/// The runtime's side of the tracing JIT, all of it: the table of installed traces, the
/// recorder's door (a dispatch table that shows it each instruction before it runs), and the
/// handlers of JFORL and JLOOP, which enter a trace. The runtime knows nothing of how traces are made:
/// PerigeeJIT installs itself through `TraceTable`.
import CSupport
import PerigeeFrontend

/// A trace's machine code: `(L, base) -> exit number`. It runs on the frame at slot `base`
/// and, when a guard fails, writes its snapshot into that frame and returns its number.
public typealias TraceEntry = @convention(c) (UnsafeMutableRawPointer, Int) -> Int

/// An installed trace.
public struct InstalledTrace {
    public let entry: TraceEntry
    /// For each exit number, the instruction index the interpreter continues at.
    public let exitPCs: [Int]
    /// The instruction index of the loop body (where the loop goes on when the trace is
    /// not entered, with a debug hook set).
    public let loopStart: Int
    /// The anchor, and its own instruction as it was before it was patched.
    public let anchor: UnsafePointer<UInt32>
    public let original: UInt32
    /// Where the trace counts its completed iterations (its back edge adds one).
    public let iterations: UnsafeMutablePointer<Int>

    public init(entry: TraceEntry, exitPCs: [Int], loopStart: Int, anchor: UnsafePointer<UInt32>,
                iterations: UnsafeMutablePointer<Int>) {
        self.entry = entry
        self.exitPCs = exitPCs
        self.loopStart = loopStart
        self.anchor = anchor
        self.iterations = iterations
        original = anchor.pointee
    }
}

/// What entering a trace needs, in plain memory: the JFORL/JLOOP handlers read it with no
/// reference counting on the way in and out.
struct TraceDoor {
    let entry: TraceEntry
    let exitPCs: UnsafeMutablePointer<Int>
    let loopStart: Int
    let iterations: UnsafeMutablePointer<Int>
    /// How many times the trace was entered.
    var runs: Int
}

/// The traces of one Lua universe, numbered from 1 as `-jv` prints them.
public final class TraceTable {
    public private(set) var traces: [InstalledTrace?] = []
    /// Trace n's door at `doors[n - 1]`.
    private(set) var doors = UnsafeMutablePointer<TraceDoor>.allocate(capacity: 0)
    private var doorCapacity = 0
    /// Called before each instruction while recording, with the thread, the frame's base
    /// slot and the instruction's address; the recorder stops recording itself.
    public var recorder: ((ThreadRef, Int, UnsafePointer<UInt32>) -> Void)?

    /// Set by the JIT when it is installed: `jit.on()`/`jit.off()` switch recording with
    /// `setCompiling`, `jit.flush()` calls `onFlush` after the anchors are restored.
    public var setCompiling: ((Bool) -> Void)?
    public var onFlush: (() -> Void)?
    public private(set) var isCompiling = false

    /// After this many runs, a trace that averages fewer iterations per run than
    /// `minimumIterations` is retired (entering and leaving it costs more than it saves, and
    /// there are no side traces yet to continue where it leaves): its loop goes back to the
    /// interpreter for good.
    static let retirementRuns = 64
    static let minimumIterations = 4

    /// Traces entered, and traces retired, for reports.
    public var entries: Int { (0..<traces.count).reduce(0) { $0 + doors[$1].runs } }
    public private(set) var retired = 0

    /// Turns recording of new traces on or off (`jit.on`, `jit.off`); false without a JIT.
    @discardableResult
    public func compile(_ on: Bool) -> Bool {
        guard let setCompiling else { return false }
        isCompiling = on
        setCompiling(on)
        return true
    }

    /// Restores every anchor and forgets every trace (`jit.flush`).
    public func flush() {
        for case let trace? in traces { restore(trace) }
        for n in 0..<traces.count { doors[n].exitPCs.deallocate() }
        traces.removeAll()
        onFlush?()
    }

    /// `jit.off(f)` and `jit.on(f)`: the loops of prototype `p` leave their traces (their
    /// anchors restored), and with `counting` blacklisted loops count again.
    public func resetLoops(of p: ProtoRef, counting: Bool) {
        let code = UnsafeMutableRawPointer(p.pointee.bytecode).assumingMemoryBound(to: Instruction.self)
        for pc in 0..<Int(p.pointee.bytecodeCount) {
            let op = code[pc].verifiedOpcode
            let number = code[pc].rd
            if op == .JFORL || op == .JLOOP, let trace = traces[number - 1] {
                restore(trace)
                traces[number - 1] = nil
            } else if counting, op.isPatchedVariant, let plain = op.variants?.plain, code[pc].verifiedOpcode != plain {
                code[pc].setOpcode(plain)
            }
        }
    }

    private func restore(_ trace: InstalledTrace) {
        UnsafeMutableRawPointer(mutating: trace.anchor).assumingMemoryBound(to: UInt32.self).pointee = trace.original
    }

    /// After its first runs: retires trace `number` when its runs are too short.
    func reviewRuns(_ number: Int) {
        guard let trace = traces[number - 1],
              trace.iterations.pointee < TraceTable.retirementRuns * TraceTable.minimumIterations else { return }
        restore(trace)
        blacklist(trace.anchor)
        traces[number - 1] = nil
        retired += 1
    }
    /// Shows the recorder every instruction from now on (or stops).
    public func setRecording(_ on: Bool) {
        perigee_set_recording(on ? 1 : 0)
    }

    /// Installs `trace` at its loop instruction `anchor` (FORL or LOOP): the loop now runs
    /// through the trace-entry form (JFORL, JLOOP). The trace's number.
    @discardableResult
    public func install(_ trace: InstalledTrace, at anchor: UnsafePointer<UInt32>) -> Int {
        if traces.count == doorCapacity {
            let grown = UnsafeMutablePointer<TraceDoor>.allocate(capacity: max(16, doorCapacity * 2))
            grown.moveInitialize(from: doors, count: traces.count)
            doors.deallocate()
            doors = grown
            doorCapacity = max(16, doorCapacity * 2)
        }
        let exits = UnsafeMutablePointer<Int>.allocate(capacity: max(1, trace.exitPCs.count))
        exits.initialize(from: trace.exitPCs, count: trace.exitPCs.count)
        (doors + traces.count).initialize(to: TraceDoor(entry: trace.entry, exitPCs: exits, loopStart: trace.loopStart,
                                                        iterations: trace.iterations, runs: 0))
        traces.append(trace)
        let number = traces.count
        let patched = UnsafeMutableRawPointer(mutating: anchor).assumingMemoryBound(to: Instruction.self)
        let entry = patched.pointee.verifiedOpcode.variants.unsafelyUnwrapped.trace
        patched.pointee = Instruction(entry, a: UInt32(patched.pointee.ra), d: UInt32(number))
        return number
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
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let step = r[a + 2].number
    let next = r[a].number + step
    guard step >= 0 ? next <= r[a + 1].number : next >= r[a + 1].number else { return stay(pc, base) }
    r[a] = Value(number: next)
    r[a + 3] = Value(number: next)
    return slowPath(run, base, pc) { $0.runTrace(Instruction(ins).rd) }
}

/// JLOOP: the `while` or `repeat` loop's trace runs its iterations.
@_cdecl("perigee_op_JLOOP") @inline(__always) func opJLOOP(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    slowPath(run, base, pc) { $0.runTrace(Instruction(ins).rd) }
}

extension InterpreterRun {
    /// Runs trace `number` on this frame and goes on at the exit it took; with a debug hook
    /// set, the loop body runs interpreted instead (hooks see every instruction).
    mutating func runTrace(_ number: Int) -> CallStatus? {
        let code = UnsafePointer(closure.proto.pointee.bytecode)
        // A JFORL/JLOOP only ever names a live trace: retiring or flushing restores the anchor.
        let door = withVM { $0.traces.doors + (number - 1) }
        if withVM({ !$0.hooks.mask.isEmpty }) {
            pc = code + door.pointee.loopStart
            return nil
        }
        let index = slotIndex(base)
        let exit = door.pointee.entry(UnsafeMutableRawPointer(L), index)
        door.pointee.runs += 1
        rebase(index)
        pc = code + door.pointee.exitPCs[exit]
        if door.pointee.runs == TraceTable.retirementRuns { withVM { $0.traces.reviewRuns(number) } }
        syncTop()
        return nil
    }
}
