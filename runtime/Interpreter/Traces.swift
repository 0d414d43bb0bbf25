/// The runtime's side of the tracing JIT, all of it: the table of installed traces, the
/// recorder's door (a dispatch table that shows it each instruction before it runs), and the
/// handler of JFORL, which enters a trace. The runtime knows nothing of how traces are made:
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
    /// The anchor's own instruction, as it was before it was patched.
    public let original: UInt32

    public init(entry: TraceEntry, exitPCs: [Int], loopStart: Int, original: UInt32) {
        self.entry = entry
        self.exitPCs = exitPCs
        self.loopStart = loopStart
        self.original = original
    }
}

/// The traces of one Lua universe, numbered from 1 as `-jv` prints them.
public final class TraceTable {
    public private(set) var traces: [InstalledTrace] = []
    /// Called before each instruction while recording, with the thread, the frame's base
    /// slot and the instruction's address; the recorder stops recording itself.
    public var recorder: ((ThreadRef, Int, UnsafePointer<UInt32>) -> Void)?
    public private(set) var isRecording = false

    /// Traces left and taken, for `-jv`-style counts.
    public internal(set) var entries = 0

    /// Shows the recorder every instruction from now on (or stops).
    public func setRecording(_ on: Bool) {
        isRecording = on
        perigee_set_recording(on ? 1 : 0)
    }

    /// Installs `trace` at the FORL at `anchor`: the loop now runs through JFORL and the
    /// trace. The trace's number.
    @discardableResult
    public func install(_ trace: InstalledTrace, at anchor: UnsafePointer<UInt32>) -> Int {
        traces.append(trace)
        let number = traces.count
        let patched = UnsafeMutableRawPointer(mutating: anchor).assumingMemoryBound(to: Instruction.self)
        patched.pointee = Instruction(.JFORL, a: UInt32(patched.pointee.ra), d: UInt32(number))
        return number
    }

    /// Patches the FORL at `anchor` to IFORL: a loop that will not compile stops counting.
    public func blacklist(_ anchor: UnsafePointer<UInt32>) {
        UnsafeMutableRawPointer(mutating: anchor).assumingMemoryBound(to: Instruction.self).pointee.setOpcode(.IFORL)
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

extension InterpreterRun {
    /// Runs trace `number` on this frame and goes on at the exit it took; with a debug hook
    /// set, the loop body runs interpreted instead (hooks see every instruction).
    mutating func runTrace(_ number: Int) -> CallStatus? {
        let trace = vm.traces.traces[number - 1]
        let code = UnsafePointer(closure.proto.pointee.bytecode)
        if !vm.hooks.mask.isEmpty {
            pc = code + trace.loopStart
            return nil
        }
        let index = slotIndex(base)
        vm.traces.entries += 1
        let exit = trace.entry(UnsafeMutableRawPointer(L), index)
        rebase(index)
        pc = code + trace.exitPCs[exit]
        syncTop()
        return nil
    }
}
