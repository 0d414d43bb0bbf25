/// The trace recorder: sees each instruction of a hot loop's iteration before the interpreter
/// runs it, with the live values in the registers, and emits IR specialized on what it sees
/// (types, table shapes), with a guard wherever a later iteration could differ. Every
/// bytecode is either recorded or ends the recording with a named reason.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeFrontend
import PerigeeRuntime

/// Why a recording stopped without a trace.
public struct TraceAbort: Error, Equatable {
    public let reason: String
    /// A side trace may stop before the instruction instead (the interpreter runs it); not
    /// when the recording lost track of the interpreter.
    let endsSideTrace: Bool
    init(_ reason: String, endsSideTrace: Bool = true) {
        self.reason = reason
        self.endsSideTrace = endsSideTrace
    }
    static func nyi(_ op: Opcode) -> TraceAbort { TraceAbort("NYI: bytecode \(op.name)") }
}

/// Field ids of FLOAD and the upvalue reference (the literal operand).
enum IRField: UInt16 {
    case functionEnv, stringLength
    /// A Lua function's prototype.
    case functionTarget
    /// The key and value `IRCall.next` found.
    case nextKey, nextValue
    /// A table's metatable (null when none), and its byte of metamethods known absent.
    case tableMetatable, absentMetamethods
    /// A cdata's C type id (an int); the address a pointer or reference cdata holds; (FREF)
    /// the address of a cdata's payload.
    case cdataType, cdataAddress, cdataPayload
}

/// The runtime helpers a trace calls (the literal operand of CALLL and CALLS): `t[key]`
/// through `__index` tables (`perigee_lookup`), and a store that needs no `__newindex`
/// (`perigee_store`). Each reports when the interpreter must run the instruction instead.
enum IRCall: UInt16 {
    case lookup, store
    /// Instructions run as the interpreter runs them: a builtin's call (`perigee_call`),
    /// a concatenation (`perigee_concat`), a new table (`perigee_table`), arithmetic and
    /// `#` through metamethods (`perigee_arith`), reads and stores through `__index` and
    /// `__newindex` functions (`perigee_index`, `perigee_newindex`), a generic `for`'s
    /// iterator call (`perigee_iterate`).
    case call, concat, table, arith, index, newindex, iterate
    /// A new closure (`perigee_closure`), and the closing of a frame's upvalues from a
    /// register up (`perigee_close`).
    case closure, close
    /// `next` over a table from a position (`perigee_next_entry`): the next position, the
    /// key and value in FLOAD's `nextKey` and `nextValue`.
    case next
    /// Two strings' order (`perigee_string_compare`, CALLL): negative, zero or positive.
    case stringCompare
    /// TSETM's stores of the values a call or VARG left (`perigee_setmulti`).
    case setmulti
    /// A call of a builtin with a fast-function id: its common case as the interpreter runs
    /// it (`perigee_fast_call`: no frame, no call through its entry), else `call`'s.
    case fastCall
}

/// How a recording ends.
enum TraceEnd: Equatable {
    /// Back to its own start: a looping root trace.
    case loop
    /// Into compiled trace `number`, whose code runs next on the last snapshot's frame.
    case link(Int)
    /// Back to the interpreter at the last snapshot.
    case interpreter
    /// Into the trace itself, on the last snapshot's frame: a function trace that called
    /// itself (up-recursion, a frame deeper) or tail-called itself (tail-recursion).
    case recursion
}

/// A call: the callee's register, its argument count and the results wanted (-1: all).
struct CallShape {
    let a: Int
    let nargs: Int
    let wanted: Int
}

/// A Lua function the trace entered (the start frame is the first): its prototype, its
/// frame's base relative to the start frame's, and for an inlined call where its results go.
struct RecordedFrame {
    let proto: ProtoRef
    /// The base the function's registers are at (a vararg function's moves at its FUNCV).
    var offset: Int
    /// The caller's call instruction (register `callA`, `wanted` results).
    let callA: Int
    let wanted: Int
    /// A metamethod called by the caller's instruction (an arithmetic operator's): the
    /// frame sits above the caller's registers, below it the continuation the interpreter
    /// goes on with, and its first result goes to register `callA`.
    var continuation = false
    /// A vararg function's call before its FUNCV: the arguments it was called with, which
    /// FUNCV moves its frame above.
    var pendingArguments: Int? = nil
    /// A vararg function's frame after FUNCV: the base it was called at (where it returns
    /// through; its varargs follow the fixed parameters there) and how many varargs it has.
    /// Nil while not known: a trace's first frame finds them in its link.
    var varargBase: Int? = nil
    var varargCount = 0
    /// A concatenation's metamethod: the register its result goes to besides `callA` (the
    /// pair's left operand, where the interpreter puts it).
    var concatOperand: Int? = nil
    /// Where the frame's function sits below the base it was called at.
    var callOffset: Int { varargBase ?? offset }
}

final class TraceRecorder {
    let ir = TraceIR()
    /// A root trace's loop instruction (FORL or LOOP, its anchor); nil for a side trace.
    let anchor: UnsafePointer<UInt32>?
    /// A side trace's parent exit.
    let parentExit: Int?
    /// Where the recording starts: a root trace's loop body, a side trace's exit pc.
    let startPC: UnsafePointer<UInt32>
    /// A numeric `for` loop (the trace ends with FORL's step), else a `while`/`repeat` loop.
    let isForLoop: Bool
    /// A root trace of a function (anchored at its FUNCF), not of a loop.
    let isFunctionTrace: Bool
    /// The start frame's prototype and base slot.
    let proto: ProtoRef
    let base: Int
    let maxRecord: Int
    /// The universe's global state (metatables and metamethod names).
    let g: GlobalRef
    /// How the recording ended, once it did.
    private(set) var end: TraceEnd?
    /// The frames the trace is in, the start frame first.
    var frames: [RecordedFrame]
    /// The stack the trace's frames need above its start frame's base (0: no more than the
    /// start frame's own).
    var stackNeeded = 0
    /// The IR value each slot holds now (slots not read or written yet are absent), by slot
    /// index relative to the start frame's base; slot -2 is the running function.
    var slots: [Int: IRRef] = [:]
    var modified: Set<Int> = []
    /// The snapshot of the instruction being recorded, once one of its guards needed it.
    private var currentSnapshot: Int?
    var currentPC: UnsafePointer<UInt32>
    private var recorded = 0
    /// The loop's step is non-negative.
    private var stepsUp = true
    /// A root `for` loop whose index the trace counts in 32-bit integers: the index's slot
    /// (its start and step were integers, and they and the bound small, when recorded).
    private(set) var narrowedIndex: Int?
    /// The largest magnitude of a narrowed loop's start, step and bound: the index plus
    /// the step stays a 32-bit integer.
    static let narrowLimit = Double(1 << 30)
    /// The exits taken when a call through the runtime fails: snapshot index, and the
    /// callee's frame relative to the exit's.
    private(set) var failures: [Int: Int] = [:]
    /// The exits taken when Lua code a helper ran yields.
    private(set) var yields: Set<Int> = []
    /// The `next` builtin (ITERN steps it).
    var nextFunction: UnsafeRawPointer?
    /// `coroutine.yield`, which ends a recording (luajit does not compile it either).
    /// The builtins that always answer exactly one value (function object addresses).
    var singleResultBuiltins: Set<UnsafeRawPointer> = []
    /// How many results the last call wanting all of them left (for CALLM, RETM, TSETM).
    var multres: Int?
    /// The coroutine the recording runs in.
    private var thread: ThreadRef?
    /// After an instruction a runtime helper runs: where the interpreter comes back to.
    private var resumeAfterRuntime: UnsafePointer<UInt32>?
    /// The recording waits while a runtime helper runs Lua code (a builtin's callback, a
    /// metamethod, a function `pcall` calls).
    var isWaitingForRuntime: Bool { resumeAfterRuntime != nil }
    /// What one run of the trace charges to the instruction budget (loop edges, function
    /// entries), as the interpreter charges it.
    private(set) var budgetCost = 0
    /// `multres` was just made: the next instruction recorded may consume it, no later one.
    var multresFresh = false
    /// Back edges of loops without a trace that a side trace went through.
    private var passedLoops = 0
    /// A side trace that ends at a return from its start frame.
    private(set) var endsAtReturn = false
    /// Each instruction recorded and its frame depth, for `-jdump`'s `b` (when asked).
    var keepsBytecode = false
    private(set) var bytecode: [(pc: UnsafePointer<UInt32>, depth: Int, proto: ProtoRef)] = []

    /// The instructions recorded, one a line as `-jdump` lists them: index in its function,
    /// a dot for each inlined frame, the opcode and its operands.
    func recordedBytecode() -> String {
        var text = ""
        for (pc, depth, proto) in bytecode {
            let i = Instruction(pc.pointee)
            let op = i.verifiedOpcode
            let index = String(pc - code(proto))
            let number = String(repeating: "0", count: max(0, 4 - index.count)) + index
            let operands = op.hasB ? "\(i.ra) \(i.rb) \(i.rc)" : "\(i.ra) \(i.rd)"
            text += "\(number) \(String(repeating: ". ", count: depth))\(op.name + String(repeating: " ", count: max(0, 6 - op.name.count))) \(operands)\n"
        }
        return text
    }

    /// Why a side trace stopped before an instruction it could not record (`-jdump` says).
    private(set) var stopReason: String?
    static let maxPassedLoops = 2
    static let maxDepth = 16
    /// luajit's recunroll, callunroll and loopunroll: calls of the trace's own function
    /// inlined before it links to itself, calls of any other function already in the trace
    /// before the recording gives up, and tail calls in one trace.
    var recUnroll = 2, callUnroll = 3, loopUnroll = 15
    /// Whether an inner loop (by its FORL) is one its own recording left: a root trace
    /// unrolls it, `loopunroll` rounds at most (luajit's inner loop unrolling).
    var isShortLoop: (UnsafePointer<UInt32>) -> Bool = { _ in false }
    /// Where compiled trace `n`'s loop body starts in its prototype's code.
    var loopStartOf: (Int) -> Int? = { _ in nil }
    private var unrolledRounds = 0
    static let leavingLoop = "leaving loop in root trace"
    static let returnToLowerFrame = "NYI: return to lower frame"
    /// A known recursive function's recording that met a call that did not recurse (its
    /// base case).
    static let returnBeforeRecursing = "return from a recursive function before it recursed"
    private var tailCalls = 0
    /// Whether compiled function trace n only returns (to the interpreter): such a function
    /// is recorded through (its JFUNCF undone while it runs), any other is linked to.
    var returnsOnly: ((Int) -> Bool)?
    /// Whether a function is known to recurse (a trace of it that only returned went).
    var recursive: ((UnsafePointer<UInt32>) -> Bool)?
    /// luajit's maxsnap: more snapshots abort the recording.
    var maxSnapshots = 500
    /// A function entry whose JFUNCF the recording undid while its FUNCF runs, and its word.
    private var unpatched: (pc: UnsafeMutablePointer<UInt32>, word: UInt32)?
    /// Set when recording gave up on the recursion of a function whose trace only returns:
    /// that trace should go, so that one that recurses can form.
    private(set) var retryFunctionTrace: Int?
    /// A function trace's recording called the function itself.
    private var calledItself = false
    /// The trace allocates tables itself (TNEW, TDUP): it checks the collector's debt.
    var allocates = false
    /// A root trace of the loop at `anchor`.
    init(anchor: UnsafePointer<UInt32>, proto: ProtoRef, base: Int, maxRecord: Int, g: GlobalRef) {
        self.anchor = anchor
        self.g = g
        parentExit = nil
        self.proto = proto
        self.base = base
        self.maxRecord = maxRecord
        let op = Instruction(anchor.pointee).verifiedOpcode
        isForLoop = op == .FORL
        isFunctionTrace = op == .FUNCF
        // A FORL or ITERL jumps back to its body; a LOOP's and a FUNCF's body follow it.
        startPC = op == .LOOP || op == .FUNCF ? anchor + 1 : anchor + 1 + Instruction(anchor.pointee).jumpOffset
        currentPC = startPC
        frames = [RecordedFrame(proto: proto, offset: 0, callA: 0, wanted: 0)]
    }

    /// A side trace from exit `parentExit`, where the interpreter goes on at `pc` in the
    /// frame at `base`.
    init(parentExit: Int, pc: UnsafePointer<UInt32>, proto: ProtoRef, base: Int, maxRecord: Int, g: GlobalRef) {
        anchor = nil
        self.g = g
        self.parentExit = parentExit
        self.proto = proto
        self.base = base
        self.maxRecord = maxRecord
        isForLoop = false
        isFunctionTrace = false
        startPC = pc
        currentPC = pc
        frames = [RecordedFrame(proto: proto, offset: 0, callA: 0, wanted: 0)]
    }

    var isSide: Bool { parentExit != nil }

    /// A side trace starting at an instruction that uses the `count` results of the call
    /// before it (CALLM, CALLMT, RETM, TSETM).
    func startAfterCall(results count: Int) {
        multres = count
        multresFresh = true
    }
    /// Where a root `while` or `repeat` loop's LOOP says the loop ends.
    private var loopExit: UnsafePointer<UInt32> {
        guard let anchor else { return startPC }
        return anchor + 1 + Instruction(anchor.pointee).jumpOffset
    }
    /// The instruction index of a root trace's loop body in its prototype.
    var loopStart: Int { startPC - code(proto) }
    var current: RecordedFrame { frames[frames.count - 1] }
    /// The prototype of the function the recording is in now.
    var runningProto: ProtoRef { current.proto }
    var offset: Int { current.offset }
    func code(_ p: ProtoRef) -> UnsafePointer<UInt32> { UnsafePointer(p.pointee.bytecode) }
    /// The running function's constants.
    var k: UnsafeMutablePointer<Value> { current.proto.pointee.numbers }

    // MARK: Slots and guards

    /// The IR type of a live value, for the types traces handle.
    static func type(of v: Value) -> IRType? {
        if v.isNumber { return .number }
        guard let type = IRType(rawValue: UInt8(truncatingIfNeeded: 0x1FFFF ^ v.top17)), type.rawValue <= IRType.userdata.rawValue else {
            return nil
        }
        switch type {
        case .nil, .false, .true, .string, .table, .function, .thread, .userdata, .cdata: return type
        default: return nil
        }
    }

    /// Per function recorded through: the slots its closures may capture (`SlotLiveness`).
    private var capturedSlots: [ProtoRef: [Int]] = [:]

    /// The state before the current instruction, which the interpreter then runs itself.
    /// With `purged` (an exit's snapshot, a loop's back edge) it leaves out the current
    /// frame's slots the bytecode from here no longer reads (`SlotLiveness`), and all from
    /// `top` on; the snapshots that end the trace otherwise keep every modified slot.
    private func takeSnapshot(purged: Bool = false, below top: Int = .max) -> Int {
        var modified = modified.sorted().filter { $0 < top }
        if purged && ir.optimizations.contains(.dce) {
            let proto = current.proto
            let captured = capturedSlots[proto] ?? SlotLiveness.capturedSlots(proto)
            capturedSlots[proto] = captured
            let dead = SlotLiveness.dead(in: proto, at: currentPC, captured: captured), base = offset
            modified.removeAll { dead.isDead($0 - base) }
        }
        let entries = modified.map { SnapshotEntry(slot: $0, ref: slots[$0]!) }
        return ir.snapshot(pc: currentPC, depth: frames.count - 1, baseOffset: offset, multres: multres, entries)
    }

    /// The snapshot a guard of the current instruction leaves through.
    func guardSnapshot() -> Int {
        if let current = currentSnapshot { return current }
        let index = takeSnapshot(purged: true)
        currentSnapshot = index
        return index
    }

    @discardableResult
    func emitGuard(_ op: IROp, _ type: IRType, _ a: IRRef, _ b: IRRef = .none) -> IRRef {
        _ = guardSnapshot()
        return ir.emit(op, type, a, b, guard: true)
    }

    /// The value of slot `slot` (`live` is its value now): loaded with a type guard the first
    /// time the trace reads it.
    func read(_ slot: Int, _ live: Value) throws -> IRRef {
        if let ref = slots[slot] { return ref }
        guard let type = TraceRecorder.type(of: live) else { throw TraceAbort("NYI: slot of an unsupported type") }
        _ = guardSnapshot()
        let ref: IRRef
        if type.isPrimitive {
            ir.emit(.SLOAD, type, UInt16(bitPattern: Int16(slot)), 0, guard: true)
            ref = ir.primitive(type)
        } else {
            ref = ir.emit(.SLOAD, type, UInt16(bitPattern: Int16(slot)), 0, guard: true)
        }
        slots[slot] = ref
        return ref
    }

    func write(_ slot: Int, _ ref: IRRef) {
        slots[slot] = ref
        modified.insert(slot)
    }

    func type(_ ref: IRRef) -> IRType { ir[ref].type }

    /// A value loaded from memory (`load`'s address in `address`), guarded to the type `live`
    /// has now.
    func load(_ op: IROp, _ address: IRRef, _ live: Value) throws -> IRRef {
        guard let type = TraceRecorder.type(of: live) else { throw TraceAbort("NYI: load of an unsupported type") }
        let ref = emitGuard(op, type, address)
        return type.isPrimitive ? ir.primitive(type) : ref
    }

    // MARK: Recording

    /// Records the instruction at `pc` in the frame at slot `base` of thread `L`, before it
    /// runs. True when the trace is complete (`end` says how it ended).
    func record(_ L: ThreadRef, base frameBase: Int, pc: UnsafePointer<UInt32>) throws -> Bool {
        restoreEntry()
        if thread == nil { thread = L }
        if L != thread {
            // Another coroutine runs (one a builtin resumed): not the trace's.
            if resumeAfterRuntime != nil { return false }
            throw TraceAbort("NYI: coroutine switch during recording", endsSideTrace: false)
        }
        if let resume = resumeAfterRuntime {
            // What a runtime helper's Lua code runs is not the trace's: recording goes on
            // when the interpreter is back after the instruction.
            if frameBase == base + offset && pc == resume {
                resumeAfterRuntime = nil
            } else if frameBase < base + offset {
                throw TraceAbort("error thrown or hook called during recording", endsSideTrace: false)
            } else {
                return false
            }
        }
        let p = current.proto
        guard frameBase == base + offset, L.pointee.stack[frameBase + FrameLayout.functionSlot].function.proto == p,
              pc >= code(p), pc - code(p) < Int(p.pointee.bytecodeCount) else {
            throw TraceAbort(frames.count > 1 || isSide ? "NYI: unexpected frame" : TraceRecorder.leavingLoop, endsSideTrace: false)
        }
        recorded += 1
        if keepsBytecode { bytecode.append((pc, frames.count - 1, current.proto)) }
        // The instruction budget: the trace charges what the interpreter would.
        budgetCost += Instruction(pc.pointee).budgetCost ?? 0
        currentPC = pc
        currentSnapshot = nil
        // Only the instruction right after a call wanting all results may use their count.
        if multres != nil {
            if multresFresh { multresFresh = false } else { multres = nil }
        }
        if recorded == 1 && pc != startPC { throw TraceAbort(TraceRecorder.leavingLoop) }
        if let anchor, !isFunctionTrace, frames.count == 1, startPC <= anchor ? pc < startPC || pc > anchor : pc >= loopExit {
            throw TraceAbort(TraceRecorder.leavingLoop)
        }
        // The interpreter cannot go on at a FUNCV: it needs the call's argument count.
        let atVarargEntry = Instruction(pc.pointee).verifiedOpcode == .FUNCV
        if recorded > maxRecord {
            guard isSide, !atVarargEntry else { throw TraceAbort("trace too long", endsSideTrace: false) }
            return stop(.interpreter)
        }
        // luajit's limits on the IR and the snapshots, for side traces too.
        if ir.count > maxRecord { throw TraceAbort("trace too long", endsSideTrace: false) }
        // (Each call through the runtime adds two exits of its own, which luajit would not
        // have: they are not counted.)
        if ir.snapshots.count - 2 * ir.runtimeCalls.count > maxSnapshots {
            throw TraceAbort("too many snapshots", endsSideTrace: false)
        }
        let done: Bool
        do {
            done = try record(L.pointee.stack + frameBase, pc)
        } catch let abort as TraceAbort where isSide && recorded > 1 && abort.endsSideTrace && !atVarargEntry {
            // A side trace stops before what it cannot record: the interpreter runs it.
            stopReason = abort.reason
            return stop(.interpreter)
        }
        if done && end == .interpreter && recorded == 1 {
            throw TraceAbort("NYI: bytecode \(Instruction(pc.pointee).verifiedOpcode.name)", endsSideTrace: false)
        }
        return done
    }

    /// Ends the recording with the state before the current instruction.
    private func stop(_ how: TraceEnd) -> Bool {
        currentSnapshot = nil
        // The back edge carries only the slots the next iteration may read: not the body's
        // locals (a table the body makes afresh each time is not kept for it, and may be sunk).
        if how == .loop {
            loopSnapshot = takeSnapshot(purged: true, below: SlotLiveness.firstFreeSlot(at: anchor!))
        } else {
            finalSnapshot = takeSnapshot()
        }
        end = how
        return true
    }

    private func record(_ frame: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>) throws -> Bool {
        let i = Instruction(pc.pointee)
        func reg(_ r: Int) throws -> IRRef { try read(offset + r, frame[r]) }
        func set(_ r: Int, _ ref: IRRef) { write(offset + r, ref) }
        switch i.verifiedOpcode {
        case .MOV:
            set(i.ra, try reg(i.rd))
        case .KSTR:
            set(i.ra, ir.object(k[-1 - i.rd], .string))
        case .KCDATA:
            // The prototype's cdata constant itself (the interpreter loads the same object).
            set(i.ra, ir.object(k[-1 - i.rd], .cdata))
        case .KSHORT:
            set(i.ra, ir.number(Double(i.signedD)))
        case .KNUM:
            set(i.ra, ir.number(k[i.rd].number))
        case .KPRI:
            set(i.ra, ir.primitive(i.rd == 0 ? .nil : (i.rd == 1 ? .false : .true)))
        case .KNIL:
            for r in i.ra...i.rd { set(r, .nil) }
        case .NOT:
            let v = try reg(i.rd)
            set(i.ra, ir.primitive(isTruthy(v) ? .false : .true))
        case .ADDVN, .SUBVN, .MULVN, .DIVVN, .MODVN, .ADDNV, .SUBNV, .MULNV, .DIVNV, .MODNV,
             .ADDVV, .SUBVV, .MULVV, .DIVVV, .MODVV, .POW, .UNM:
            if try recordArithmetic(i, frame) { return true }
        case .ISLT, .ISGE, .ISLE, .ISGT:
            if try recordOrder(i, frame) { return true }
        case .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP:
            if try recordEquality(i, frame) { return true }
        case .IST, .ISF:
            _ = try reg(i.rd)
        case .ISTC, .ISFC:
            let v = try reg(i.rd)
            if isTruthy(v) == (i.verifiedOpcode == .ISTC) { set(i.ra, v) }
        case .JMP, .FUNCF, .IFUNCF, .JFUNCF:
            break
        case .FUNCV:
            try recordVarargEntry(frame)
        case .VARG:
            try recordVarargs(i, frame)
        case .TSETM:
            try recordStoreMultiple(i, frame)
        case .TGETV, .TGETB, .TGETS, .GGET:
            if try recordTableRead(i, frame) { return true }
        case .TSETV, .TSETB, .TSETS, .GSET:
            if try recordTableWrite(i, frame) { return true }
        case .LEN:
            let v = try reg(i.rd)
            switch type(v) {
            case .string: set(i.ra, ir.emit(.FLOAD, .number, v.raw, IRField.stringLength.rawValue))
            case .table: set(i.ra, ir.emit(.ALEN, .number, v))
            default: runInRuntime(.arith)
            }
        case .UGET:
            let uv = try upvalue(frame, i.rd)
            let live = frame[FrameLayout.functionSlot].function.upvalueObjects[i.rd].unsafelyUnwrapped.pointee.v.pointee
            if let slot = uv.slot { set(i.ra, try read(slot, live)); break }
            set(i.ra, try load(.ULOAD, uv.reference, live))
        case .USETV:
            let value = try reg(i.rd)
            let uv = try upvalue(frame, i.ra)
            if let slot = uv.slot { write(slot, value); break }
            ir.emit(.USTORE, .nil, uv.reference, value)
        case .CALL, .CALLM:
            // CALL's C counts its arguments plus one; CALLM's the fixed ones before the
            // results of the call wanting all of them.
            var nargs = i.rc - 1
            if i.verifiedOpcode == .CALLM {
                guard let multres else { throw TraceAbort("NYI: variable number of arguments") }
                nargs = i.rc + multres
            }
            let call = CallShape(a: i.ra, nargs: nargs, wanted: i.rb - 1)
            let callee = frame[i.ra]
            if callee.isFunction && callee.function.isLua {
                if try recordCall(call, frame, pc) { return true }
            } else if callee.isCData, try recordCCall(call, frame) {
                // A C function called by the trace itself (TraceRecorder+CData.swift).
            } else if let ends = try recordTableCall(call, frame, pc) {
                if ends { return true }
            } else {
                try recordBuiltinCall(call, frame)
            }
        case .RET0, .RET1, .RET, .RETM:
            return try recordReturn(i, frame)
        case .CALLT, .CALLMT:
            // From an inlined frame; from a side trace's first frame, a Lua callee only (the
            // caller below it is not known to the trace until it returns there).
            var nargs = i.rd - 1
            if i.verifiedOpcode == .CALLMT {
                guard let multres else { throw TraceAbort("NYI: variable number of arguments") }
                nargs = i.rd + multres
            }
            if frame[i.ra].isTable, frames.count > 1 || isSide,
               let ends = try recordTableTailCall(i, nargs: nargs, frame) {
                return ends
            }
            let callee = frame[i.ra]
            let lua = callee.isFunction && callee.function.isLua
            // A builtin the trace computes: its result is returned from the frame.
            if !lua, frames.count > 1 || isSide, let results = try selectResults(CallShape(a: i.ra, nargs: nargs, wanted: -1), frame) {
                return try returnFromFrame(results, frame)
            }
            if !lua, frames.count > 1 || isSide,
               let result = try computedBuiltin(CallShape(a: i.ra, nargs: nargs, wanted: -1), frame) {
                return try returnFromFrame([result], frame)
            }
            guard frames.count > 1 || ((isSide || isFunctionTrace) && lua) else {
                if isFunctionTrace {
                    // A builtin tail-called from the function's frame: the interpreter calls
                    // it and returns (see returnFromFrame).
                    guard calledItself else { throw TraceAbort(TraceRecorder.returnToLowerFrame) }
                    endsAtReturn = true
                    return stop(.interpreter)
                }
                if isSide { throw TraceAbort.nyi(.CALLT) }
                throw TraceAbort(TraceRecorder.leavingLoop)
            }
            if lua {
                return try recordTailCall(i, nargs: nargs, frame, callee: callee)
            } else {
                guard i.verifiedOpcode == .CALLT else { throw TraceAbort.nyi(.CALLMT) }
                try recordBuiltinTailCall(i, frame)
            }
        case .FORI:
            return try recordLoopEntry(i, frame, pc)
        case .FORL, .IFORL, .JFORL:
            return try recordLoopStep(i, frame, pc)
        case .LOOP, .ILOOP:
            if isOwnLoop(pc) { return stop(.loop) }
            // A loop that is not compiled: a side trace goes on through its body, a few times.
            guard isSide, passLoop() else { return try innerLoop() }
        case .JLOOP:
            // A compiled loop: its trace runs from the loop's body.
            currentPC = pc + 1
            return stop(.link(i.rd))
        case .CAT:
            // Two operands, the first a table whose __concat is a Lua function: called inlined.
            if i.rc == i.rb + 1, frame[i.rb].isTable,
               let ends = try callMetamethod(.concat, of: frame[i.rb], i, result: i.ra, concat: (i.rb, i.rc), operands: {
                   [try reg(i.rb), try reg(i.rc)]
               }) {
                return ends
            }
            // A string, then such a table: the string's metatable has no __concat (guarded).
            if i.rc == i.rb + 1, frame[i.rb].isString, frame[i.rc].isTable,
               let strings = g.pointee.typeMetatables[Int(ValueTag.string.rawValue)],
               g.metamethod(.concat, in: strings).isNil,
               let ends = try callMetamethod(.concat, of: frame[i.rc], i, result: i.ra, concat: (i.rb, i.rc), owner: 1, operands: {
                   let name = self.g.name(of: .concat)
                   let key = self.ir.emit(.HREF, .pointer, self.ir.object(Value(table: strings), .table),
                                          self.ir.object(Value(string: name), .string))
                   _ = try self.load(.HLOAD, key, .nil)
                   return [try reg(i.rb), try reg(i.rc)]
               }) {
                return ends
            }
            // Strings and numbers are read (typed); any other operand's __concat runs in the
            // runtime's concatenation.
            for r in i.rb...i.rc where frame[r].isString || frame[r].isNumber { _ = try reg(r) }
            runInRuntime(.concat)
        case .TNEW:
            // A new table the trace makes itself (the collector's step waits for a point
            // where the trace's state is on the stack: see TraceLowering).
            set(i.ra, emitGuard(.TNEW, .table, IRRef(raw: UInt16(i.rd))))
            allocates = true
        case .TDUP:
            set(i.ra, emitGuard(.TDUP, .table, ir.object(k[-1 - i.rd], .table)))
            allocates = true
        case .FNEW:
            runInRuntime(.closure)
        case .UCLO:
            // Then the jump, which the interpreter takes after closing.
            runInRuntime(.close, resume: pc + 1 + i.jumpOffset)
        case .ITERC:
            return try recordIteratorCall(i, frame, pc)
        case .ITERN:
            return try recordNext(i, frame, pc)
        case .ITERL, .IITERL, .JITERL:
            return try recordIteratorLoop(i, frame, pc)
        case .ISNEXT:
            // A generic for that really runs next over a table: the hidden position starts
            // at 0, and ITERN steps it.
            let a = i.ra
            guard frame[a - 3].isFunction, UnsafeRawPointer(frame[a - 3].function) == nextFunction,
                  frame[a - 2].isTable, frame[a - 1].isNil else { throw TraceAbort.nyi(.ISNEXT) }
            emitGuard(.EQ, .function, try reg(a - 3), ir.object(frame[a - 3], .function))
            _ = try reg(a - 2)
            _ = try reg(a - 1)
            set(a - 1, ir.number(0))
        case .JFORI:
            throw TraceAbort("NYI: bytecode \(i.verifiedOpcode.name)")
        default:
            throw TraceAbort.nyi(i.verifiedOpcode)
        }
        return false
    }

    /// The running function (the slot below the current frame's link).
    private func function(_ frame: UnsafeMutablePointer<Value>) throws -> IRRef {
        try read(offset + FrameLayout.functionSlot, frame[FrameLayout.functionSlot])
    }

    /// Upvalue `n` of the running function: its reference, or the trace-relative slot it
    /// is open on when that slot is in one of the trace's frames (the trace holds that
    /// slot's value itself; a guard pins the upvalue to the slot).
    private func upvalue(_ frame: UnsafeMutablePointer<Value>, _ n: Int) throws -> (reference: IRRef, slot: Int?) {
        let uv = frame[FrameLayout.functionSlot].function.upvalueObjects[n].unsafelyUnwrapped
        let function = try self.function(frame)
        let start = frame - offset
        let lowest = start + (frames.map(\.offset).min() ?? 0) + FrameLayout.functionSlot
        let v = uv.pointee.v
        guard v >= lowest && v < frame + Int(current.proto.pointee.frameSize) else {
            return (ir.emit(.UREFC, .pointer, function.raw, UInt16(n)), nil)
        }
        let slot = v - start
        let address = ir.emit(.UREFO, .pointer, function.raw, UInt16(n))
        emitGuard(.EQ, .pointer, address, ir.emit(.BASE, .pointer, UInt16(bitPattern: Int16(slot)), 0))
        return (address, slot)
    }

    /// A call of a Lua function, inlined: a guard that the callee is still that function,
    /// then its frame (link, missing parameters) and its instructions, recorded as they run.
    /// A function trace's own function called once more than `recUnroll` times ends the
    /// trace (it links to itself on the new frame), and so does a function with a trace
    /// of its own that does more than return (it links to that). True when the trace ends.
    func recordCall(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>,
                            callee calleeValue: Value? = nil) throws -> Bool {
        let a = call.a, live = calleeValue ?? frame[a], callee = live.function
        let p = callee.proto
        guard p.pointee.flags & ProtoFlag.noJIT == 0 else { throw TraceAbort("blacklisted function") }
        guard frames.count < TraceRecorder.maxDepth else { throw TraceAbort("NYI: call depth") }
        let recursion = isFunctionTrace && p == proto
        if recursion { calledItself = true }
        let depth = frames.reduce(0) { $0 + ($1.proto == p ? 1 : 0) }
        if !recursion && depth > callUnroll {
            let entry = Instruction(code(p).pointee)
            if entry.verifiedOpcode == .JFUNCF && returnsOnly?(entry.rd) == true {
                retryFunctionTrace = entry.rd
                throw TraceAbort("call unroll limit reached", endsSideTrace: false)
            }
            throw TraceAbort("call unroll limit reached")
        }
        // (A callee the trace put in the slot itself, a constant, needs no guard.)
        let calleeRef = try read(offset + a, live)
        if !calleeRef.isConstant { try guardCallee(calleeRef, live) }
        let nargs = call.nargs, calleeOffset = offset + a + 2
        write(calleeOffset + FrameLayout.linkSlot, ir.pointer(UInt64(UInt(bitPattern: pc + 1))))
        if p.isVarargFunction {
            try readMovedParameters(p, at: calleeOffset, nargs: nargs, frame + a + 2)
        } else {
            for n in nargs..<max(nargs, Int(p.pointee.parameterCount)) { write(calleeOffset + n, .nil) }
        }
        frames.append(RecordedFrame(proto: p, offset: calleeOffset, callA: a, wanted: call.wanted,
                                    pendingArguments: p.isVarargFunction ? nargs : nil))
        stackNeeded = max(stackNeeded, calleeOffset + p.frameNeeded(nargs: nargs))
        if recursion && depth > recUnroll {
            currentPC = code(p) + 1
            multres = nil
            // The call's function entry, which the trace goes round instead of running.
            budgetCost += 1
            return stop(.recursion)
        }
        return try enter(p)
    }

    /// The guard that a called Lua function is the one seen: that closure, or for a function
    /// whose closures are made again and again, any closure of its prototype (the closure
    /// seen stays alive with the trace, and with it the prototype the guard names).
    private func guardCallee(_ ref: IRRef, _ live: Value) throws {
        let f = live.function
        guard f.isLua, f.proto.pointee.flags & ProtoFlag.manyClosures != 0 else {
            emitGuard(.EQ, .function, ref, ir.object(live, .function))
            return
        }
        _ = ir.object(live, .function)
        let target = ir.emit(.FLOAD, .pointer, ref.raw, IRField.functionTarget.rawValue)
        emitGuard(.EQ, .pointer, target, ir.pointer(UInt64(UInt(bitPattern: f.proto))))
    }

    /// A Lua function the trace goes into (its frame set up): when it has a trace that does
    /// more than return, the recording ends there (linked to it); one that only returns is
    /// recorded through, its FUNCF back in place while it runs. True when the trace ends.
    private func enter(_ p: ProtoRef) throws -> Bool {
        let entry = UnsafeMutablePointer(mutating: code(p))
        let header = Instruction(entry.pointee)
        guard header.verifiedOpcode == .JFUNCF else { return false }
        if returnsOnly?(header.rd) ?? false {
            unpatched = (entry, entry.pointee)
            UnsafeMutableRawPointer(entry).assumingMemoryBound(to: Instruction.self).pointee.setOpcode(.FUNCF)
            return false
        }
        currentPC = code(p) + 1
        multres = nil
        budgetCost += 1
        return stop(.link(header.rd))
    }

    /// Puts back the JFUNCF the recording undid (before the next instruction, and when the
    /// recording ends).
    func restoreEntry() {
        guard let (pc, word) = unpatched else { return }
        pc.pointee = word
        unpatched = nil
    }

    /// A return: from an inlined call, its results go to the caller's registers and the
    /// trace goes on in the caller; from the start frame, a side trace goes on in its caller
    /// when it can, a function trace and any other side trace end (the interpreter returns),
    /// and a loop's trace gives up.
    private func recordReturn(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        var results: [IRRef] = []
        switch i.verifiedOpcode {
        case .RET1: results = [try read(offset + i.ra, frame[i.ra])]
        case .RET: for r in i.ra..<(i.ra + i.rd - 1) { results.append(try read(offset + r, frame[r])) }
        case .RETM:
            // The fixed results and those of the call or VARG before it.
            guard let multres else { throw TraceAbort("NYI: variable number of results") }
            for r in i.ra..<(i.ra + i.rd + multres) { results.append(try read(offset + r, frame[r])) }
        default: break
        }
        return try returnFromFrame(results, frame)
    }

    /// The current frame returns `results` to its caller: an inlined frame's caller, or
    /// for a side trace the caller below its first frame; a function trace's first frame
    /// returns to the interpreter, which the trace ends in. True when the trace ends.
    func returnFromFrame(_ results: [IRRef], _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let callee = frames.count > 1 ? frames.removeLast() : try returnBelowStart(frame)
        guard let callee else {
            guard isSide || isFunctionTrace else { throw TraceAbort(TraceRecorder.leavingLoop) }
            if isFunctionTrace, let anchor, recursive?(anchor) ?? false {
                // Its trace should recurse: this recording met a call that did not.
                throw TraceAbort(TraceRecorder.returnBeforeRecursing)
            }
            // A function trace that only returns, of a function that did not call itself,
            // runs once per call from the interpreter and would compete with loop traces
            // for the compiler: as luajit, none (the loops calling it inline it).
            if isFunctionTrace && !isSide && !calledItself { throw TraceAbort(TraceRecorder.returnToLowerFrame) }
            endsAtReturn = true
            return stop(.interpreter)
        }
        // The callee's frame (and a metamethod's continuation below it) is gone: its slots
        // are dead.
        let first = callee.callOffset + (callee.continuation ? FrameLayout.continuationSlot : FrameLayout.functionSlot)
        for slot in slots.keys where slot >= first { slots[slot] = nil }
        modified = modified.filter { $0 < first }
        if callee.continuation {
            // An operator's result goes to its register; a comparison's decides the branch
            // the interpreter takes, which the result's (guarded) type fixes.
            if callee.callA >= 0 { write(offset + callee.callA, results.first ?? .nil) }
            if let operand = callee.concatOperand { write(offset + operand, results.first ?? .nil) }
        } else {
            deliver(results, to: first, wanted: callee.wanted)
        }
        return false
    }

    /// A tail call of a Lua function: the callee replaces the frame (function and arguments
    /// moved down, the link kept), as the interpreter does it. A function trace's function
    /// tail-calling itself from the trace's first frame ends the trace (it links to itself).
    /// True when the trace ends.
    func recordTailCall(_ i: Instruction, nargs: Int, _ frame: UnsafeMutablePointer<Value>, callee live: Value) throws -> Bool {
        let a = i.ra, callee = live.function
        let p = callee.proto
        guard p.pointee.flags & ProtoFlag.noJIT == 0 else { throw TraceAbort("blacklisted function") }
        // Tail calls can go round: they count against the loop unroll limit.
        tailCalls += 1
        guard tailCalls <= loopUnroll else { throw TraceAbort("loop unroll limit reached") }
        let function = try read(offset + a, live)
        try guardCallee(function, live)
        let args = try (0..<nargs).map { try read(offset + a + 2 + $0, frame[a + 2 + $0]) }
        // A vararg frame is replaced from the base it was called at, whose link stays.
        let base = try callBase(frame)
        write(base + FrameLayout.functionSlot, function)
        for (n, ref) in args.enumerated() { write(base + n, ref) }
        let vararg = p.isVarargFunction
        let kept = vararg ? nargs : max(nargs, Int(p.pointee.parameterCount))
        for n in nargs..<kept { write(base + n, .nil) }
        let replaced = frames.removeLast()
        frames.append(RecordedFrame(proto: p, offset: base, callA: replaced.callA, wanted: replaced.wanted,
                                    continuation: replaced.continuation, pendingArguments: vararg ? nargs : nil))
        stackNeeded = max(stackNeeded, base + p.frameNeeded(nargs: nargs))
        // The slots of the replaced frame above the arguments are dead.
        for slot in slots.keys where slot >= base + kept { slots[slot] = nil }
        modified = modified.filter { $0 < base + kept }
        if isFunctionTrace && frames.count == 1 && p == proto {
            currentPC = code(p) + 1
            multres = nil
            // The call's function entry, which the trace goes round instead of running (a
            // tail-recursive loop must charge the budget, or it could not be stopped).
            budgetCost += 1
            return stop(.recursion)
        }
        return try enter(p)
    }

    /// A tail call of a builtin from an inlined frame: the builtin runs through the runtime
    /// (as a call wanting one result), and its result is returned from the frame. The
    /// result's type is not known while recording: it is moved as it is, through the stack.
    private func recordBuiltinTailCall(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let a = i.ra
        guard singleResultBuiltins.contains(UnsafeRawPointer(frame[a].function)), !current.continuation else {
            throw TraceAbort.nyi(.CALLT)
        }
        emitGuard(.EQ, .function, try read(offset + a, frame[a]), ir.object(frame[a], .function))
        let call = Instruction(.CALL, a: UInt32(a), b: 2, c: UInt32(i.rd))
        runInRuntime(.call, instruction: call, failingCallee: a + 2)
        let result = ir.emit(.SLOAD, .pointer, UInt16(bitPattern: Int16(offset + a)), 0)
        let returnPC = frame[FrameLayout.linkSlot].returnPC
        let returning = frames.removeLast()
        let first = returning.offset + FrameLayout.functionSlot
        for slot in slots.keys where slot >= first { slots[slot] = nil }
        modified = modified.filter { $0 < first }
        if returning.wanted != 0 {
            ir.emit(.XSTORE, .nil, ir.emit(.BASE, .pointer, UInt16(bitPattern: Int16(first)), 0), result)
            slots[first] = nil
            modified.remove(first)
        }
        if returning.wanted > 1 { for n in 1..<returning.wanted { write(first + n, .nil) } }
        if returning.wanted < 0 {
            multres = 1
            multresFresh = true
        }
        // The interpreter comes back in the caller, after its call.
        resumeAfterRuntime = returnPC
    }

    /// A side trace returning from the frame it started in goes on in the caller when that
    /// is a Lua function that called it (a guard on the frame's return PC pins the call
    /// site, and with it the caller's prototype): the returning frame, with the caller
    /// now the trace's outermost frame. Nil otherwise (and for root traces).
    private func returnBelowStart(_ frame: UnsafeMutablePointer<Value>) throws -> RecordedFrame? {
        guard isSide else { return nil }
        // A vararg frame returns through the frame it was called in (its link guarded, as
        // VARG guards it).
        var called = offset
        if FrameLayout.varargDistance(frame[FrameLayout.linkSlot]) != nil {
            called = try callBase(frame)
        }
        let calledFrame = frame + (called - offset)
        let link = calledFrame[FrameLayout.linkSlot]
        guard link.isReturnPC else { return nil }
        let call = Instruction(link.returnPC[-1])
        let callerOffset = called - call.ra - 2
        let caller = calledFrame[-call.ra - 2 + FrameLayout.functionSlot]
        guard caller.isFunction, caller.function.isLua,
              base + callerOffset >= 2, frames.count < TraceRecorder.maxDepth else { return nil }
        let linkRef = ir.emit(.SLOAD, .pointer, UInt16(bitPattern: Int16(called + FrameLayout.linkSlot)), 0)
        emitGuard(.EQ, .pointer, linkRef, ir.pointer(link.bits))
        let returning = frames.removeLast()
        frames.append(RecordedFrame(proto: caller.function.proto, offset: callerOffset, callA: 0, wanted: 0))
        return RecordedFrame(proto: returning.proto, offset: returning.offset, callA: call.ra, wanted: call.rb - 1,
                             varargBase: returning.varargBase)
    }

    /// ITERC: the iterator of a generic `for` called with its state and control. A Lua
    /// iterator is inlined, `ipairs`'s is computed in the trace, any other runs through
    /// the runtime.
    private func recordIteratorCall(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>) throws -> Bool {
        let a = i.ra
        let iterator = frame[a - 3]
        guard iterator.isFunction else {
            runInRuntime(.iterate)
            return false
        }
        if FastFunction(id: iterator.function.pointee.ffid) == .ipairsIterator, i.rb >= 3, frame[a - 2].isTable,
           frame[a - 1].isNumber {
            // ipairs: t[i + 1], while it is not nil.
            let function = try read(offset + a - 3, iterator)
            emitGuard(.EQ, .function, function, ir.object(iterator, .function))
            let t = try read(offset + a - 2, frame[a - 2]), control = try read(offset + a - 1, frame[a - 1])
            let next = frame[a - 1].number + 1
            let key = ir.emit(.ADD, .number, control, ir.number(1))
            guard let (reference, live) = try tableReference(t, frame[a - 2].table, key, Value(number: next)), !live.isNil else {
                throw TraceAbort("NYI: ipairs at the end of its table")
            }
            write(offset + a, key)
            write(offset + a + 1, try load(ir[reference].op == .AREF ? .ALOAD : .HLOAD, reference, live))
            for r in 2..<max(2, i.rb - 1) { write(offset + a + r, .nil) }
            return false
        }
        guard iterator.function.isLua else {
            runInRuntime(.iterate)
            return false
        }
        // The call frame as the interpreter writes it: iterator, (link), state, control.
        write(offset + a, try read(offset + a - 3, iterator))
        write(offset + a + 2, try read(offset + a - 2, frame[a - 2]))
        write(offset + a + 3, try read(offset + a - 1, frame[a - 1]))
        return try recordCall(CallShape(a: a, nargs: 2, wanted: i.rb - 1), frame, pc, callee: iterator)
    }

    /// ITERN: `next` over a table, from the position the interpreter keeps in A-1; then
    /// the loop's back edge, which ITERN takes itself.
    private func recordNext(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>) throws -> Bool {
        let a = i.ra
        let position = frame[a - 1]
        guard position.isNumber, position.number >= 0, position.number < 2_147_483_648, frame[a - 2].isTable,
              frame[a - 3].isFunction, UnsafeRawPointer(frame[a - 3].function) == nextFunction else {
            throw TraceAbort("NYI: generic for over another iterator")
        }
        var key = Value.nil, value = Value.nil
        let after = frame[a - 2].table.entry(from: Int(position.number), &key, &value)
        guard after >= 0 else { throw TraceAbort("NYI: next at the end of its table") }
        emitGuard(.EQ, .function, try read(offset + a - 3, frame[a - 3]), ir.object(frame[a - 3], .function))
        let t = try read(offset + a - 2, frame[a - 2])
        let start = try read(offset + a - 1, position)
        guard let keyType = TraceRecorder.type(of: key), let valueType = TraceRecorder.type(of: value) else {
            throw TraceAbort("NYI: table entry of an unsupported type")
        }
        let next = emitGuard(.CALLL, .number, ir.emit(.CARG, .nil, t, start), IRRef(raw: IRCall.next.rawValue))
        let keyRef = emitGuard(.FLOAD, keyType, next, IRRef(raw: IRField.nextKey.rawValue))
        let valueRef = emitGuard(.FLOAD, valueType, next, IRRef(raw: IRField.nextValue.rawValue))
        write(offset + a - 1, next)
        write(offset + a, keyType.isPrimitive ? ir.primitive(keyType) : keyRef)
        write(offset + a + 1, valueType.isPrimitive ? ir.primitive(valueType) : valueRef)
        // The ITERL after it: this loop's back edge, or a compiled loop's entry.
        let loop = pc + 1
        currentPC = try loopBody(loop)
        if isOwnLoop(loop) { return stop(.loop) }
        if Instruction(loop.pointee).verifiedOpcode == .JITERL { return stop(.link(Instruction(loop.pointee).rd)) }
        if isSide { return stop(.interpreter) }
        throw TraceAbort("inner loop in root trace")
    }

    /// ITERL after ITERC: the loop goes on while the iterator's first result is not nil.
    private func recordIteratorLoop(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>) throws -> Bool {
        let a = i.ra
        let v = try read(offset + a, frame[a])
        if type(v) == .nil {
            // The loop ends: on after it.
            return false
        }
        write(offset + a - 1, v)
        let body = try loopBody(pc)
        if isOwnLoop(pc) {
            currentPC = body
            return stop(.loop)
        }
        if i.verifiedOpcode == .JITERL {
            currentPC = body
            return stop(.link(i.rd))
        }
        if isSide { return stop(.interpreter) }
        throw TraceAbort("inner loop in root trace")
    }

    /// A side trace goes through the back edge of a loop that is not compiled: true while
    /// it has not done so too often.
    private func passLoop() -> Bool {
        passedLoops += 1
        return passedLoops <= TraceRecorder.maxPassedLoops
    }

    /// The first instruction of the body of the loop whose back edge (FORL, ITERL) is at
    /// `pc`. A compiled loop's JFORL or JITERL holds its trace's number where the jump
    /// was: its body is where that trace starts (the interpreter goes on there when the
    /// trace is left before it runs).
    private func loopBody(_ pc: UnsafePointer<UInt32>) throws -> UnsafePointer<UInt32> {
        let i = Instruction(pc.pointee)
        guard i.verifiedOpcode == .JFORL || i.verifiedOpcode == .JITERL else { return pc + 1 + i.jumpOffset }
        guard let start = loopStartOf(i.rd) else { throw TraceAbort("link to a flushed trace") }
        return code(current.proto) + start
    }

    /// Whether a root trace records through the inner loop whose FORL is at `loopEnd`
    /// (not compiled, and short: see `isShortLoop`).
    private func unrolls(_ loopEnd: UnsafePointer<UInt32>) -> Bool {
        !isSide && !isFunctionTrace && loopEnd != anchor && Instruction(loopEnd.pointee).verifiedOpcode == .FORL
            && isShortLoop(loopEnd)
    }

    /// Whether the loop instruction at `pc` closes the root trace's own loop: its anchor, in
    /// the trace's first frame (the same loop in a function the trace inlined, a recursive
    /// call's, is another loop).
    private func isOwnLoop(_ pc: UnsafePointer<UInt32>) -> Bool { pc == anchor && frames.count == 1 }

    /// Another loop that is not compiled: it ends a side trace (the interpreter runs the
    /// loop) and gives up a root trace (the inner loop gets its own trace first).
    private func innerLoop() throws -> Bool {
        if isSide { return stop(.interpreter) }
        throw TraceAbort("inner loop in root trace")
    }

    /// FORI: a loop that is not entered is stepped over (a guard that it still is not); one
    /// that is entered ends the trace when its loop is compiled (its trace runs next) and
    /// otherwise ends a side trace and gives up a root trace.
    private func recordLoopEntry(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>) throws -> Bool {
        let a = i.ra
        for r in a...(a + 2) where !frame[r].isNumber { throw TraceAbort("NYI: loop control of non-numbers") }
        let index = try read(offset + a, frame[a]), stop = try read(offset + a + 1, frame[a + 1])
        let step = try read(offset + a + 2, frame[a + 2])
        let up = frame[a + 2].number >= 0
        emitGuard(up ? .LE : .GT, .number, ir.number(0), step)
        let enters = up ? frame[a].number <= frame[a + 1].number : frame[a].number >= frame[a + 1].number
        let loopEnd = pc + 1 + i.jumpOffset - 1
        if !enters {
            if up { emitGuard(.GT, .number, index, stop) } else { emitGuard(.LT, .number, index, stop) }
            return false
        }
        let op = Instruction(loopEnd.pointee).verifiedOpcode
        guard op == .JFORL || (isSide && passedLoops < TraceRecorder.maxPassedLoops) || unrolls(loopEnd) else {
            return try innerLoop()
        }
        if up { emitGuard(.LE, .number, index, stop) } else { emitGuard(.LE, .number, stop, index) }
        write(offset + a + 3, index)
        if op != .JFORL { return false }
        currentPC = pc + 1
        return self.stop(.link(Instruction(loopEnd.pointee).rd))
    }

    /// FORL: the root trace's own loop closes; a compiled loop's step leads into its trace;
    /// a loop that ends is stepped over; any other loop ends a side trace or gives up a root.
    private func recordLoopStep(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>) throws -> Bool {
        let a = i.ra
        let index = try read(offset + a, frame[a]), stop = try read(offset + a + 1, frame[a + 1])
        let step = try read(offset + a + 2, frame[a + 2])
        let up = frame[a + 2].number >= 0
        let next = frame[a].number + frame[a + 2].number
        let continues = up ? next <= frame[a + 1].number : next >= frame[a + 1].number
        let own = isOwnLoop(pc)
        if !own && !continues {
            // Leaving the loop: the interpreter's FORL changes nothing then. The step's sign
            // picks the comparison: guarded too (a side trace may start where the loop's
            // trace checked it, at its entry, and found another).
            emitGuard(up ? .LE : .GT, .number, ir.number(0), step)
            let sum = ir.emit(.ADD, .number, index, step)
            if up { emitGuard(.GT, .number, sum, stop) } else { emitGuard(.LT, .number, sum, stop) }
            return false
        }
        if own {
            try recordLoopEnd(i, frame)
            return true
        }
        let compiled = i.verifiedOpcode == .JFORL
        guard compiled || (isSide && passLoop()) || unrolls(pc) else { return try innerLoop() }
        if !compiled && !isSide {
            unrolledRounds += 1
            guard unrolledRounds <= loopUnroll else { throw TraceAbort("loop unroll limit reached") }
        }
        emitGuard(up ? .LE : .GT, .number, ir.number(0), step)
        let sum = ir.emit(.ADD, .number, index, step)
        if up { emitGuard(.LE, .number, sum, stop) } else { emitGuard(.LE, .number, stop, sum) }
        write(offset + a, sum)
        write(offset + a + 3, sum)
        if !compiled { return false }
        currentPC = try loopBody(pc)
        return self.stop(.link(i.rd))
    }

    /// A call of a builtin a trace computes itself, wanting one result or none: a guard that
    /// the callee is still that builtin, then the computation on the arguments' (guarded)
    /// types. The math functions (inline, or their C function called directly), the `bit`
    /// library, `type`, `assert`, `tonumber` of a number, `string.len` and `string.byte`.
    /// Any other call ends the recording.
    private func recordBuiltinCall(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>) throws {
        if let results = try selectResults(call, frame) ?? unpackResults(call, frame) {
            deliver(results, to: offset + call.a, wanted: call.wanted)
            stackNeeded = max(stackNeeded, offset + call.a + results.count + FrameLayout.entrySlack)
        } else if let result = try computedBuiltin(call, frame) {
            deliver([result], to: offset + call.a, wanted: call.wanted)
        } else {
            try recordRuntimeCall(call, frame)
        }
    }

    /// The result of builtin call `call` computed by the trace itself (after a guard on the
    /// callee), or nil when the trace does not compute this builtin with these arguments.
    private func computedBuiltin(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>) throws -> IRRef? {
        let a = call.a, nargs = call.nargs
        let callee = frame[a]
        let i = Instruction(currentPC.pointee)
        guard callee.isFunction else { throw TraceAbort.nyi(i.verifiedOpcode) }
        let f = callee.function
        emitGuard(.EQ, .function, try read(offset + a, callee), ir.object(callee, .function))
        let live = (0..<nargs).map { frame[a + 2 + $0] }
        func argument(_ n: Int) throws -> IRRef { try read(offset + a + 2 + n, live[n]) }
        func numbers(_ count: Int) throws -> [IRRef] {
            guard nargs >= count, live.prefix(count).allSatisfy(\.isNumber) else { throw TraceAbort.nyi(i.verifiedOpcode) }
            return try (0..<count).map(argument)
        }
        let result: IRRef
        if let ff = FastFunction(id: f.pointee.ffid), ff != .ipairsIterator {
            if ff == .type {
                guard nargs >= 1, let name = g.intern(TraceRecorder.typeName(live[0])) else { throw TraceAbort.nyi(i.verifiedOpcode) }
                _ = try argument(0)
                result = ir.object(Value(string: name), .string)
            } else {
                let args = try numbers(ff.arity)
                switch ff {
                case .min: result = ir.emit(.MIN, .number, args[0], args[1])
                case .max: result = ir.emit(.MAX, .number, args[0], args[1])
                case .fmod: result = ir.emit(.FPMATH, .number, ir.emit(.CARG, .number, args[0], args[1]).raw, UInt16(ff.rawValue))
                default: result = ir.emit(.FPMATH, .number, args[0].raw, UInt16(ff.rawValue))
                }
            }
        } else if let fb = FastBuiltin(id: f.pointee.ffid), fb == .tonumber, nargs == 1,
                  let unsigned = g.cdataInteger64(live[0]) {
            // tonumber of an int64_t or uint64_t cdata: its value converted.
            let type: IRType = unsigned ? .uint64 : .int64
            let value = try integer64Operand(a + 2, live[0], type)
            result = ir.emit(.CONV, .number, value.raw, (unsigned ? IRConversion.uint64ToNumber : .int64ToNumber).rawValue)
        } else if let fb = FastBuiltin(id: f.pointee.ffid), let computed = try? recordFastBuiltin(fb, f, nargs, live, argument, numbers, i) {
            result = computed
        } else {
            return nil
        }
        return result
    }

    private func recordFastBuiltin(_ fb: FastBuiltin, _ f: FunctionRef, _ nargs: Int, _ live: [Value],
                                   _ argument: (Int) throws -> IRRef, _ numbers: (Int) throws -> [IRRef],
                                   _ i: Instruction) throws -> IRRef {
        func bits(_ ref: IRRef) -> IRRef { ir.emit(.TOBIT, .int, ref) }
        func number(_ ref: IRRef) -> IRRef { ir.emit(.CONV, .number, ref.raw, 0) }
        switch fb {
        case .mathUnary, .atan, .mathBinary:
            // The C function itself (an upvalue of the builtin; atan's is libm's).
            let arity = fb == .mathBinary ? 2 : 1
            let args = try numbers(arity)
            let cFunction = fb == .atan ? TraceRecorder.atanAddress : UInt64(f.upvalueValues[0].payload)
            var operands = ir.emit(.CARG, .nil, ir.pointer(cFunction), args[0])
            if arity == 2 { operands = ir.emit(.CARG, .nil, operands, args[1]) }
            return ir.emit(.CALLN, .number, operands.raw, UInt16(arity))
        case .tobit:
            return number(bits(try numbers(1)[0]))
        case .bnot, .bswap:
            return number(ir.emit(fb == .bnot ? .BNOT : .BSWAP, .int, bits(try numbers(1)[0])))
        case .band, .bor, .bxor:
            guard nargs >= 1 else { throw TraceAbort.nyi(i.verifiedOpcode) }
            let args = try numbers(nargs)
            let op: IROp = fb == .band ? .BAND : (fb == .bor ? .BOR : .BXOR)
            return number(args.dropFirst().reduce(bits(args[0])) { ir.emit(op, .int, $0, bits($1)) })
        case .lshift, .rshift, .arshift, .rol, .ror:
            let args = try numbers(2)
            let op: IROp = [.lshift: .BSHL, .rshift: .BSHR, .arshift: .BSAR, .rol: .BROL, .ror: .BROR][fb]!
            return number(ir.emit(op, .int, bits(args[0]), bits(args[1])))
        case .setmetatable where nargs >= 2 && live[0].isTable && live[1].isTable && live[0].table.pointee.metatable == nil:
            // A table without a metatable (so none protected) gets one: a store and the
            // collector's barrier.
            let t = try argument(0), mt = try argument(1)
            emitGuard(.EQ, .pointer, ir.emit(.FLOAD, .pointer, t.raw, IRField.tableMetatable.rawValue), ir.pointer(0))
            ir.emit(.FSTORE, .nil, ir.emit(.FREF, .pointer, t.raw, IRField.tableMetatable.rawValue), mt)
            return t
        case .tonumber where nargs == 1 && live[0].isNumber:
            return try argument(0)
        case .assert where nargs >= 1:
            let v = try argument(0)
            guard isTruthy(v) else { throw TraceAbort("NYI: assert that fails") }
            return v
        case .stringLen where nargs >= 1 && live[0].isString:
            return ir.emit(.FLOAD, .number, try argument(0).raw, IRField.stringLength.rawValue)
        case .stringByte where (nargs == 1 || nargs == 2) && live[0].isString:
            let s = try argument(0)
            var index = ir.number(1)
            var at = 1.0
            if nargs == 2 {
                guard live[1].isNumber else { throw TraceAbort.nyi(i.verifiedOpcode) }
                at = live[1].number
                index = try argument(1)
            }
            // Bytes inside the string at integer positions, counted from the start (1 up) or
            // from the end (-1 down); other indexes (0, past either end) are not recorded.
            let count = Double(live[0].string.count)
            guard at == at.rounded(), at >= 1 && at <= count || at <= -1 && at >= -count else {
                throw TraceAbort("NYI: string.byte outside the string")
            }
            if nargs == 2 {
                let length = ir.emit(.FLOAD, .number, s.raw, IRField.stringLength.rawValue)
                emitGuard(.EQ, .number, ir.emit(.FPMATH, .number, index.raw, UInt16(FastFunction.floor.rawValue)), index)
                if at < 0 {
                    // From the end: position length + index + 1, still inside the string.
                    emitGuard(.LE, .number, index, ir.number(-1))
                    index = ir.emit(.ADD, .number, ir.emit(.ADD, .number, length, index), ir.number(1))
                }
                emitGuard(.LE, .number, ir.number(1), index)
                emitGuard(.LE, .number, index, length)
            }
            return number(ir.emit(.XLOAD, .int, ir.emit(.STRREF, .pointer, s, index).raw, 1))
        default:
            throw TraceAbort.nyi(i.verifiedOpcode)
        }
    }

    /// A builtin the trace does not compute itself, called as the interpreter calls it: the
    /// trace writes its state to the stack, calls, and goes on reading the stack, which the
    /// callee may have changed. Wanting all results only from builtins known to answer one.
    private func recordRuntimeCall(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>) throws {
        let i = Instruction(currentPC.pointee)
        let callee = UnsafeRawPointer(frame[call.a].function)
        // A trace does not yield (a loop that yields every time round would leave its trace
        // every time round); it resumes coroutines through the runtime.
        if CoroutineSwitch(id: frame[call.a].function.pointee.ffid) == .yield {
            throw TraceAbort("NYI: unsupported builtin \(CoroutineSwitch.yield.builtinName)")
        }
        guard call.wanted >= 0 || singleResultBuiltins.contains(callee) else {
            throw TraceAbort.nyi(i.verifiedOpcode)
        }
        for n in 0..<call.nargs where TraceRecorder.type(of: frame[call.a + 2 + n]) == nil {
            throw TraceAbort("NYI: argument of an unsupported type")
        }
        let passedOn = i.verifiedOpcode == .CALLM ? call.nargs - i.rc : 0
        let ffid = frame[call.a].function.pointee.ffid
        let fast = FastBuiltin(id: ffid) != nil || FastFunction(id: ffid) != nil
        runInRuntime(fast ? .fastCall : .call, multres: passedOn, failingCallee: call.a + 2)
        // A builtin known to answer one value, wanted all: the next instruction counts one.
        multres = call.wanted < 0 ? 1 : nil
        multresFresh = true
    }

    /// The current instruction run by a runtime helper, as the interpreter runs it: the
    /// trace writes its state to the stack, the helper runs the instruction on it, and the
    /// trace goes on reading the stack, which the helper may have changed (a call may have
    /// run Lua code that changed any slot an upvalue reaches). An error raised there leaves
    /// through an exit of its own; `failingCallee` names the callee's frame (relative to
    /// the current one) the error unwinds from, when there is one.
    func runInRuntime(_ helper: IRCall, instruction: Instruction? = nil, multres passedOn: Int = 0,
                              failingCallee: Int? = nil, resume: UnsafePointer<UInt32>? = nil) {
        let i = instruction ?? Instruction(currentPC.pointee)
        let writeBack = guardSnapshot()
        let failure = ir.snapshot(pc: currentPC + 1, depth: frames.count - 1, baseOffset: offset, [])
        failures[failure] = failingCallee ?? 0
        let yield = ir.snapshot(pc: currentPC + 1, depth: frames.count - 1, baseOffset: offset, [])
        yields.insert(yield)
        ir.emitRuntimeCall(RuntimeCall(helper: helper.rawValue, instruction: i.raw, pc: currentPC - code(current.proto),
                                       frameOffset: offset, writeBack: writeBack, failure: failure, yield: yield,
                                       multres: passedOn))
        slots.removeAll()
        modified.removeAll()
        multres = nil
        resumeAfterRuntime = resume ?? currentPC + 1
    }

    /// The address of libm's `atan`, which `math.atan` runs.
    static let atanAddress: UInt64 = {
        let f: @convention(c) (Double) -> Double = atan
        return UInt64(UInt(bitPattern: unsafeBitCast(f, to: UnsafeRawPointer.self)))
    }()

    /// `type(v)`'s answer for a value of a type traces handle.
    static func typeName(_ v: Value) -> String {
        if v.isNumber { return "number" }
        switch type(of: v) {
        case .nil?: return "nil"
        case .false?, .true?: return "boolean"
        case .string?: return "string"
        case .table?: return "table"
        case .function?: return "function"
        case .cdata?: return "cdata"
        case .thread?: return "thread"
        default: return "userdata"
        }
    }

    /// A call's results into the slots from `first`: as many as the call wants (nil for
    /// those missing), or all of them (-1), which the next CALLM, RETM or TSETM then counts.
    func deliver(_ results: [IRRef], to first: Int, wanted: Int) {
        if wanted < 0 {
            for (n, ref) in results.enumerated() { write(first + n, ref) }
            multres = results.count
            multresFresh = true
        } else {
            for n in 0..<wanted { write(first + n, n < results.count ? results[n] : .nil) }
        }
    }

    /// Whether the value `ref` is truthy: known from its (guarded) type.
    private func isTruthy(_ ref: IRRef) -> Bool { type(ref) != .nil && type(ref) != .false }

    /// Arithmetic on numbers; a metamethod of the first operand's metatable that is a Lua
    /// function is called inlined; anything else runs as the interpreter runs it. True
    /// when the trace ends (it links to the metamethod's trace).
    private func recordArithmetic(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let form = i.verifiedOpcode.arithmetic!
        let x: IRRef, y: IRRef, liveX: Value, liveY: Value
        switch form.operands {
        case .unary: liveX = frame[i.rd]; liveY = liveX
        case .variableNumber: liveX = frame[i.rb]; liveY = k[i.rc]
        case .numberVariable: liveX = k[i.rc]; liveY = frame[i.rb]
        case .variableVariable: liveX = frame[i.rb]; liveY = frame[i.rc]
        }
        if !(liveX.isNumber && liveY.isNumber), form.operands != .numberVariable,
           let ends = try callMetamethod(form.op.metamethod, of: liveX, i, result: i.ra, operands: {
               let x = try self.read(self.offset + (form.operands == .unary ? i.rd : i.rb), liveX)
               switch form.operands {
               case .unary: return [x, x]
               case .variableNumber: return [x, self.ir.number(liveY.number)]
               default: return [x, try self.read(self.offset + i.rc, liveY)]
               }
           }) {
            return ends
        }
        // Strings or other metamethods: as the interpreter does it (64-bit integers, pointer
        // differences and pointer arithmetic on cdata by the trace itself,
        // TraceRecorder+CArithmetic.swift and TraceRecorder+CData.swift).
        guard liveX.isNumber && liveY.isNumber else {
            if liveX.isCData || liveY.isCData {
                if try recordInteger64Arithmetic(i, frame) || recordPointerDifference(i, frame)
                    || recordPointerArithmetic(i, frame) { return false }
            }
            runInRuntime(.arith)
            return false
        }
        switch form.operands {
        case .unary: x = try read(offset + i.rd, liveX); y = x
        case .variableNumber: x = try read(offset + i.rb, liveX); y = ir.number(liveY.number)
        case .numberVariable: x = ir.number(liveX.number); y = try read(offset + i.rb, liveY)
        case .variableVariable: x = try read(offset + i.rb, liveX); y = try read(offset + i.rc, liveY)
        }
        let op = IROp(form.op)
        write(offset + i.ra, ir.emit(op, .number, x, op == .NEG ? .none : y))
        return false
    }

    /// Instruction `i`'s metamethod `event` from the metatable of table `live`, when it is
    /// a Lua function the trace can inline: guards that the table's metatable and its
    /// handler are the ones seen, then the call as the interpreter makes it (a frame above
    /// the current one's registers, with the continuation below it) and the handler's
    /// instructions. Nil when it is not such a call (nothing is emitted); true when the
    /// trace ends at the handler (linked to its trace).
    /// A comparison answered by the other one (`__le` by `__lt`) is `inverted`, with the
    /// metamethod it stands for guarded `absent`; a concatenation's pair `concat` (its
    /// registers B and C) gets its result in B too, as the interpreter resumes it.
    func callMetamethod(_ event: Metamethod, of live: Value, _ i: Instruction, result: Int? = nil,
                        alsoOf other: Value? = nil, inverted: Bool = false, absent: Metamethod? = nil,
                        concat: (b: Int, c: Int)? = nil, owner: Int = 0,
                        operands: () throws -> [IRRef]) throws -> Bool? {
        guard live.isTable, let mt = live.table.pointee.metatable else { return nil }
        let handler = g.metamethod(event, in: mt)
        guard handler.isFunction, handler.function.isLua else { return nil }
        if let absent, !g.metamethod(absent, in: mt).isNil { return nil }
        // A comparison's second operand must have the same handler: here, the same metatable.
        if let other, !(other.isTable && other.table.pointee.metatable == mt) { return nil }
        let p = handler.function.proto
        guard p.pointee.flags & ProtoFlag.noJIT == 0,
              frames.count < TraceRecorder.maxDepth else { return nil }
        if frames.reduce(0, { $0 + ($1.proto == p ? 1 : 0) }) > callUnroll {
            throw TraceAbort("call unroll limit reached")
        }
        let arguments = try operands()
        let mtRef = ir.object(Value(table: mt), .table)
        for operand in other == nil ? [arguments[owner]] : Array(arguments.prefix(2)) {
            emitGuard(.EQ, .pointer, ir.emit(.FLOAD, .pointer, operand.raw, IRField.tableMetatable.rawValue),
                      ir.pointer(UInt64(UInt(bitPattern: mt))))
        }
        let name = g.name(of: event)
        let slot = hashSlot(mtRef, mt, ir.object(Value(string: name), .string), name)
        let function = ir.object(handler, .function)
        emitGuard(.EQ, .function, try load(.HLOAD, slot, handler), function)
        if let absent {
            _ = try load(.HLOAD, ir.emit(.HREF, .pointer, mtRef, ir.object(Value(string: g.name(of: absent)), .string)), .nil)
        }
        // The frame pushContinuationFrame makes: the continuation, the function, the link.
        let continuationSlot = offset + Int(current.proto.pointee.frameSize)
        let calleeOffset = continuationSlot - FrameLayout.continuationSlot
        write(continuationSlot, ir.pointer(FrameLayout.continuationResume(currentPC + 1, inverted: inverted,
                                                                          concatTop: concat?.c ?? 0)))
        write(calleeOffset + FrameLayout.functionSlot, function)
        write(calleeOffset + FrameLayout.linkSlot, ir.pointer(FrameLayout.continuationLink(distance: calleeOffset - offset)))
        for (n, argument) in arguments.enumerated() { write(calleeOffset + n, argument) }
        let vararg = p.isVarargFunction
        if !vararg {
            for n in arguments.count..<max(arguments.count, Int(p.pointee.parameterCount)) { write(calleeOffset + n, .nil) }
        }
        frames.append(RecordedFrame(proto: p, offset: calleeOffset, callA: result ?? -1, wanted: 1, continuation: true,
                                    pendingArguments: vararg ? arguments.count : nil, concatOperand: concat?.b))
        stackNeeded = max(stackNeeded, calleeOffset + p.frameNeeded(nargs: arguments.count))
        return try enter(p)
    }

    /// ISLT ISGE ISLE ISGT on numbers: a guard that the comparison goes the way it goes now.
    private func recordOrder(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let liveX = frame[i.ra], liveY = frame[i.rd]
        if liveX.isTable && liveY.isTable {
            // __lt (ISLT, ISGE) or __le (ISLE, ISGT) of two tables sharing a metatable whose
            // handler is a Lua function: called inlined, its result decides the branch.
            let op = i.verifiedOpcode
            let event: Metamethod = op == .ISLT || op == .ISGE ? .lt : .le
            if let ends = try callMetamethod(event, of: liveX, i, alsoOf: liveY, operands: {
                [try self.read(self.offset + i.ra, liveX), try self.read(self.offset + i.rd, liveY)]
            }) {
                return ends
            }
            // No __le: not (y < x), __lt called with the operands swapped and its result inverted.
            if event == .le, let ends = try callMetamethod(.lt, of: liveY, i, alsoOf: liveX, inverted: true, absent: .le, operands: {
                [try self.read(self.offset + i.rd, liveY), try self.read(self.offset + i.ra, liveX)]
            }) {
                return ends
            }
            throw TraceAbort("NYI: comparison of non-numbers")
        }
        if liveX.isString && liveY.isString {
            // Strings: the runtime's comparison (bytes, then length), its sign guarded.
            let x = try read(offset + i.ra, liveX), y = try read(offset + i.rd, liveY)
            let (p, q) = (liveX.string, liveY.string)
            let bytes = Int(memcmp(p.bytes, q.bytes, min(p.count, q.count)))
            let order = bytes != 0 ? bytes : p.count - q.count
            let compared = ir.emit(.CALLL, .int, ir.emit(.CARG, .nil, x, y).raw, IRCall.stringCompare.rawValue)
            let holds = i.verifiedOpcode == .ISLT || i.verifiedOpcode == .ISGE ? order < 0 : order <= 0
            let zero = ir.int(0)
            switch (i.verifiedOpcode == .ISLT || i.verifiedOpcode == .ISGE, holds) {
            case (true, true): emitGuard(.LT, .int, compared, zero)
            case (true, false): emitGuard(.GE, .int, compared, zero)
            case (false, true): emitGuard(.LE, .int, compared, zero)
            case (false, false): emitGuard(.GT, .int, compared, zero)
            }
            return false
        }
        if liveX.isCData || liveY.isCData {
            // 64-bit integers and pointers (TraceRecorder+CArithmetic.swift).
            guard try recordCDataOrder(i, frame) else { throw TraceAbort("NYI: comparison of cdata") }
            return false
        }
        guard liveX.isNumber && liveY.isNumber else { throw TraceAbort("NYI: comparison of non-numbers") }
        let x = try read(offset + i.ra, liveX), y = try read(offset + i.rd, liveY)
        let (a, b) = (liveX.number, liveY.number)
        // The IR comparisons mean what the bytecode's do: GE is "not LT", GT "not LE".
        let op: IROp
        switch i.verifiedOpcode {
        case .ISLT, .ISGE: op = a < b ? .LT : .GE
        default: op = a <= b ? .LE : .GT
        }
        emitGuard(op, .number, x, y)
        return false
    }

    private func recordEquality(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let live = frame[i.ra]
        let liveOther: Value
        let op = i.verifiedOpcode
        switch op {
        case .ISEQV, .ISNEV: liveOther = frame[i.rd]
        case .ISEQS, .ISNES: liveOther = k[-1 - i.rd]
        case .ISEQN, .ISNEN: liveOther = k[i.rd]
        default: liveOther = i.rd == 0 ? .nil : (i.rd == 1 ? .false : .true)
        }
        // A cdata compares by its C value (NULL equals nil, 1LL equals 1): a pointer against
        // nil or another pointer, and 64-bit integers (and numbers), are recorded
        // (TraceRecorder+CArithmetic.swift); other comparisons are not.
        if live.isCData || liveOther.isCData {
            // (Equality is symmetric: the cdata goes first.)
            let other = op == .ISEQV || op == .ISNEV ? i.rd : nil
            let recorded = live.isCData ? try recordCDataEquality(i.ra, live, other, liveOther)
                : try other.map { try recordCDataEquality($0, liveOther, i.ra, live) } ?? false
            guard recorded else {
                throw TraceAbort("NYI: comparison of cdata")
            }
            return false
        }
        let x = try read(offset + i.ra, live)
        let other: IRRef
        switch op {
        case .ISEQV, .ISNEV: other = try read(offset + i.rd, liveOther)
        case .ISEQS, .ISNES: other = ir.object(liveOther, .string)
        case .ISEQN, .ISNEN: other = ir.number(liveOther.number)
        default: other = ir.primitive(type(ofPrimitive: i.rd))
        }
        let (tx, ty) = (type(x), type(other))
        // Different types are never equal; primitives are equal by type. Both known here.
        if tx != ty || tx.isPrimitive { return false }
        switch tx {
        case .number:
            emitGuard(live.number == liveOther.number ? .EQ : .NE, .number, x, other)
        case .string, .function, .thread:
            // Interned strings, functions and coroutines are equal exactly when they are the
            // same object (none has `__eq`).
            emitGuard(live.bits == liveOther.bits ? .EQ : .NE, tx, x, other)
        case .table:
            // The same table, or __eq decides (only when the first one's metatable has it):
            // a Lua function shared through one metatable is called inlined, and its
            // result's guarded type fixes the branch.
            if live.bits != liveOther.bits {
                emitGuard(.NE, tx, x, other)
                if let ends = try callMetamethod(.eq, of: live, i, alsoOf: liveOther, operands: { [x, other] }) {
                    return ends
                }
                try guardNoMetamethod(.eq, x, live.table)
            } else {
                emitGuard(.EQ, tx, x, other)
            }
        default:
            throw TraceAbort("NYI: comparison that may call __eq")
        }
        return false
    }

    /// Guards that table `t` (live: `table`) has no metamethod `mm`: no metatable, or this
    /// metatable with `mm` known absent (its cache bit, which any change to it clears).
    private func guardNoMetamethod(_ mm: Metamethod, _ t: IRRef, _ table: TableRef) throws {
        let meta = ir.emit(.FLOAD, .pointer, t.raw, IRField.tableMetatable.rawValue)
        guard let mt = table.pointee.metatable else {
            emitGuard(.EQ, .pointer, meta, ir.pointer(0))
            return
        }
        guard g.metamethod(mm, in: mt).isNil, mm.rawValue < Metamethod.fastCount else {
            throw TraceAbort("NYI: metamethod \(g.name(of: mm).description) on this path")
        }
        let constant = ir.object(Value(table: mt), .table)
        emitGuard(.EQ, .table, meta, constant)
        let absent = ir.emit(.FLOAD, .int, constant.raw, IRField.absentMetamethods.rawValue)
        let bit = ir.int(Int32(mm.bit))
        emitGuard(.EQ, .int, ir.emit(.BAND, .int, absent, bit), bit)
    }

    private func type(ofPrimitive d: Int) -> IRType { d == 0 ? .nil : (d == 1 ? .false : .true) }

    /// The slot of `t[key]` (TGETV, TGETB, TSETV, TSETB) and the value it holds now: the
    /// array part's for an integer key inside it (AREF guards that the key still is), the
    /// hash part's for another number or a string the table holds (HREF guards that it
    /// still holds it); nil for a key the table does not hold.
    private func tableReference(_ t: IRRef, _ table: TableRef, _ key: IRRef, _ liveKey: Value) throws -> (IRRef, Value)? {
        // Other keys (tables, booleans, functions) go through the runtime's lookup and store.
        guard liveKey.isNumber || liveKey.isString else { return nil }
        if liveKey.isNumber {
            let d = liveKey.number
            if d >= 0, d < Double(table.pointee.arrayLimit), d == d.rounded() {
                return (emitGuard(.AREF, .pointer, t, key), table.pointee.array.unsafelyUnwrapped[Int(d) - 1])
            }
        }
        let live = table.get(liveKey)
        if live.isNil { return nil }
        if liveKey.isString && key.isConstant { return (hashSlot(t, table, key, liveKey.string), live) }
        return (emitGuard(.HREF, .pointer, t, key), live)
    }

    /// The hash slot of constant string `key` in `t`: HREFK at the node where the live table
    /// holds it (the guard checks the key is there), or HREF's search.
    func hashSlot(_ t: IRRef, _ table: TableRef, _ key: IRRef, _ name: StringRef) -> IRRef {
        guard let index = table.nodeIndex(ofString: name), index < 1 << 16 else { return emitGuard(.HREF, .pointer, t, key) }
        return emitGuard(.HREFK, .pointer, t, ir.slot(key, index))
    }

    /// The table and key operands of TGETV/TGETB/TSETV/TSETB (B and C), TGETS/TSETS (B and
    /// a constant string) and GGET/GSET (the function's environment and a constant string).
    private func tableOperands(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> (IRRef, TableRef, IRRef, Value) {
        let op = i.verifiedOpcode
        if op == .GGET || op == .GSET {
            let env = ir.emit(.FLOAD, .table, try function(frame).raw, IRField.functionEnv.rawValue)
            let key = k[-1 - i.rd]
            return (env, frame[FrameLayout.functionSlot].function.pointee.env.unsafelyUnwrapped, ir.object(key, .string), key)
        }
        let liveT = frame[i.rb]
        var t = try read(offset + i.rb, liveT)
        if liveT.isString && (op == .TGETS || op == .TGETV || op == .TGETB) {
            // A string's methods: its metatable's __index table (the string library).
            t = try stringIndexTable()
            let index = g.pointee.typeMetatables[Int(ValueTag.string.rawValue)]!.get(string: g.intern("__index")!).table
            switch op {
            case .TGETB: return (t, index, ir.number(Double(i.rc)), Value(number: Double(i.rc)))
            case .TGETS: return (t, index, ir.object(k[-1 - i.rc], .string), k[-1 - i.rc])
            default: return (t, index, try read(offset + i.rc, frame[i.rc]), frame[i.rc])
            }
        }
        guard liveT.isTable else { throw TraceAbort("NYI: index of a non-table") }
        switch op {
        case .TGETB, .TSETB: return (t, liveT.table, ir.number(Double(i.rc)), Value(number: Double(i.rc)))
        case .TGETS, .TSETS: return (t, liveT.table, ir.object(k[-1 - i.rc], .string), k[-1 - i.rc])
        default: return (t, liveT.table, try read(offset + i.rc, frame[i.rc]), frame[i.rc])
        }
    }

    /// `t.name` for a constant string key that `t` does not hold, found through a chain of
    /// `__index` tables (a method of a class): guards that each table on the way lacks the
    /// key (its slot, or the shared nil, holds nil), that its metatable and that
    /// metatable's `__index` are the ones seen, then the load where the key is. Nil, with
    /// nothing emitted, when the chain is not tables only ending in one that holds the key.
    private func inheritedRead(_ t: IRRef, _ table: TableRef, _ key: IRRef, _ name: StringRef) throws -> IRRef? {
        guard let indexName = g.intern("__index") else { return nil }
        var chain: [(TableRef, Value)] = []
        var current = table
        var holder: TableRef?
        // Absent from every table of the chain, whose last has no metatable: nil (a method
        // or field that is not there, as `node.next` at a list's end).
        var absent = false
        for _ in 0..<TraceRecorder.maxIndexChain {
            guard let mt = current.pointee.metatable else {
                absent = !chain.isEmpty
                break
            }
            let index = g.metamethod(.index, in: mt)
            guard index.isTable else { return nil }
            chain.append((mt, index))
            if !index.table.get(string: name).isNil {
                holder = index.table
                break
            }
            current = index.table
        }
        guard holder != nil || absent else { return nil }
        var ref = t
        for (mt, index) in chain {
            _ = try load(.HLOAD, ir.emit(.HREF, .pointer, ref, key), .nil)
            let mtRef = ir.object(Value(table: mt), .table)
            emitGuard(.EQ, .pointer, ir.emit(.FLOAD, .pointer, ref.raw, IRField.tableMetatable.rawValue),
                      ir.pointer(UInt64(UInt(bitPattern: mt))))
            let slot = hashSlot(mtRef, mt, ir.object(Value(string: indexName), .string), indexName)
            let next = ir.object(index, .table)
            emitGuard(.EQ, .table, try load(.HLOAD, slot, index), next)
            ref = next
        }
        guard let holder else {
            _ = try load(.HLOAD, ir.emit(.HREF, .pointer, ref, key), .nil)
            emitGuard(.EQ, .pointer, ir.emit(.FLOAD, .pointer, ref.raw, IRField.tableMetatable.rawValue), ir.pointer(0))
            return .nil
        }
        return try load(.HLOAD, hashSlot(ref, holder, key, name), holder.get(string: name))
    }

    /// How many `__index` tables a read follows in a trace (the runtime follows more).
    static let maxIndexChain = 4

    /// The table strings index (the `__index` of the string metatable), guarded to be the
    /// one it is now.
    private func stringIndexTable() throws -> IRRef {
        guard let mt = g.pointee.typeMetatables[Int(ValueTag.string.rawValue)], let name = g.intern("__index") else {
            throw TraceAbort("NYI: index of a string without a metatable")
        }
        let index = mt.get(string: name)
        guard index.isTable else { throw TraceAbort("NYI: string metatable without an __index table") }
        let slot = hashSlot(ir.object(Value(table: mt), .table), mt, ir.object(Value(string: name), .string), name)
        let loaded = try load(.HLOAD, slot, index)
        let constant = ir.object(index, .table)
        emitGuard(.EQ, .table, loaded, constant)
        return constant
    }

    /// TGETV TGETB TGETS GGET: a slot's load when the table holds the key, else a lookup
    /// through the runtime, which follows `__index` tables (a function `__index` exits).
    private func recordTableRead(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let op = i.verifiedOpcode
        if op != .GGET && !frame[i.rb].isTable && !frame[i.rb].isString {
            // A cdata's element or member, computed by the trace (TraceRecorder+CData.swift).
            if frame[i.rb].isCData, try recordCDataRead(i, frame) { return false }
            // A C function of a library namespace (`ffi.C.sqrt`), handed out before.
            if frame[i.rb].isUserdata, try recordCLibraryRead(i, frame) { return false }
            // Another type's __index (userdata): as the interpreter does it.
            runInRuntime(.index)
            return false
        }
        let (t, table, key, liveKey) = try tableOperands(i, frame)
        if let (reference, live) = try tableReference(t, table, key, liveKey), !live.isNil {
            write(offset + i.ra, try load(ir[reference].op == .AREF ? .ALOAD : .HLOAD, reference, live))
            return false
        }
        // A constant key the table lacks, whose metatable's __index is a Lua function:
        // called inlined, after a guard that the key is still missing.
        if op != .GGET, liveKey.isString, key.isConstant, table.get(liveKey).isNil,
           let mt = table.pointee.metatable, g.metamethod(.index, in: mt).isFunction,
           let ends = try callMetamethod(.index, of: frame[i.rb], i, result: i.ra, operands: {
               _ = try self.load(.HLOAD, self.ir.emit(.HREF, .pointer, t, key), .nil)
               return [t, key]
           }) {
            return ends
        }
        // An absent key: the runtime looks it up, through __index tables; an __index
        // function runs as the interpreter runs it.
        let present = liveKey.isNil || (liveKey.isNumber && liveKey.number.isNaN) ? Value.nil : table.get(liveKey)
        if present.isNil, liveKey.isString, key.isConstant, let inherited = try inheritedRead(t, table, key, liveKey.string) {
            write(offset + i.ra, inherited)
            return false
        }
        guard let live = !present.isNil || table.pointee.metatable == nil ? present : g.indexThroughTables(table, liveKey) else {
            runInRuntime(.index)
            return false
        }
        guard let type = TraceRecorder.type(of: live) else { throw TraceAbort("NYI: load of an unsupported type") }
        let result = emitGuard(.CALLL, type, ir.emit(.CARG, .nil, t, key), IRRef(raw: IRCall.lookup.rawValue))
        write(offset + i.ra, type.isPrimitive ? ir.primitive(type) : result)
        return false
    }

    /// TSETV TSETB TSETS GSET: a store into the slot when the table holds the key, else a
    /// store through the runtime (a new key; a `__newindex` to call exits).
    private func recordTableWrite(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        if i.verifiedOpcode != .GSET && !frame[i.rb].isTable {
            if frame[i.rb].isCData, try recordCDataWrite(i, frame) { return false }
            runInRuntime(.newindex)
            return false
        }
        let value = try read(offset + i.ra, frame[i.ra])
        let (t, table, key, liveKey) = try tableOperands(i, frame)
        if let (reference, live) = try tableReference(t, table, key, liveKey),
           !(live.isNil && g.needsNewIndex(table, liveKey)) {
            // The store guards that a nil slot has no __newindex to consult (no metatable).
            emitGuard(ir[reference].op == .AREF ? .ASTORE : .HSTORE, .nil, reference, value)
            return false
        }
        if liveKey.isString, key.isConstant, !liveKey.string.hasMetamethodPrefix, !g.needsNewIndex(table, liveKey),
           let index = table.nodeIndex(ofString: liveKey.string), index < 1 << 16 {
            // A dead key's node (a constructor's key, as TDUP copies it): guards on the
            // metatable say no __newindex is consulted, so the store itself checks nothing.
            // Not for metamethod names: the runtime's store resets the absent-metamethod bits.
            let slot = emitGuard(.HREFK, .pointer, t, ir.slot(key, index))
            try guardNoMetamethod(.newindex, t, table)
            _ = ir.emit(.HSTORE, .nil, slot, value)
            return false
        }
        if liveKey.isNumber && liveKey.number.isNaN { throw TraceAbort("NYI: NaN key") }
        if g.needsNewIndex(table, liveKey) {
            // A constant key the table lacks, whose metatable's __newindex is a Lua function:
            // called inlined (after a guard that the key is still missing); anything else as
            // the interpreter does it.
            if i.verifiedOpcode != .GSET, liveKey.isString, key.isConstant, table.get(liveKey).isNil,
               let ends = try callMetamethod(.newindex, of: frame[i.rb], i, operands: {
                   _ = try self.load(.HLOAD, self.ir.emit(.HREF, .pointer, t, key), .nil)
                   return [t, key, value]
               }) {
                return ends
            }
            runInRuntime(.newindex)
            return false
        }
        if !t.isConstant && (ir[t].op == .TNEW || ir[t].op == .TDUP) && table.pointee.metatable != nil {
            // A table the trace made, with a metatable: a guard says the store consults no
            // __newindex (so a sunk table's store, which the runtime does not check, may be
            // replayed as a raw one where an exit makes the table).
            try guardNoMetamethod(.newindex, t, table)
        }
        emitGuard(.CALLS, .nil, ir.emit(.CARG, .nil, ir.emit(.CARG, .nil, t, key), value), IRRef(raw: IRCall.store.rawValue))
        return false
    }

    /// The root trace's own FORL: index += step, the guard that the loop goes on, and the
    /// back edge.
    private func recordLoopEnd(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let a = i.ra
        let index = try read(a, frame[a]), stop = try read(a + 1, frame[a + 1]), step = try read(a + 2, frame[a + 2])
        let next = ir.emit(.ADD, .number, index, step)
        // Leaving the loop goes on after the FORL with the index as it was.
        currentPC += 1
        currentSnapshot = nil
        if stepsUp {
            emitGuard(.LE, .number, next, stop)
        } else {
            emitGuard(.LE, .number, stop, next)
        }
        write(a, next)
        write(a + 3, next)
        currentPC = startPC
        _ = self.stop(.loop)
    }

    /// Starts a root trace: the loop's step direction is fixed for its whole run, so the
    /// guard on it comes first (an exit there runs the body in the interpreter).
    func begin(_ L: ThreadRef) throws {
        guard isForLoop, let anchor else { return }
        let frame = L.pointee.stack + base
        let a = Instruction(anchor.pointee).ra
        for slot in a...(a + 2) where !frame[slot].isNumber { throw TraceAbort("NYI: loop control of non-numbers") }
        currentPC = startPC
        stepsUp = frame[a + 2].number >= 0
        let (start, stop, stepValue) = (frame[a].number, frame[a + 1].number, frame[a + 2].number)
        func small(_ d: Double) -> Bool { d >= -TraceRecorder.narrowLimit && d <= TraceRecorder.narrowLimit }
        if ir.optimizations.contains(.narrow), start == start.rounded(), stepValue == stepValue.rounded(), stepValue != 0,
           small(start), small(stepValue),
           small(stepsUp ? stop.rounded(.down) : stop.rounded(.up)) {
            narrowedIndex = a
        }
        let step = try read(a + 2, frame[a + 2])
        if stepsUp {
            emitGuard(.LE, .number, ir.number(0), step)
        } else {
            emitGuard(.GT, .number, ir.number(0), step)
        }
    }

    /// The snapshot of a looping trace's back edge (the state each iteration ends with),
    /// and of any other trace's end.
    private(set) var loopSnapshot = -1
    private(set) var finalSnapshot = -1
}
