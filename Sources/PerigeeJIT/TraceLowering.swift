/// Lowers a trace's IR to one LLVM function `i64 (i8* L, i64 base)` on the shared
/// code-generation layer. Every guard branches to its snapshot's exit block, which writes
/// the snapshot's slots (boxed) into the Lua frames and returns the exit's number; the
/// interpreter, or the trace linked to that exit, goes on from there.
///
/// A looping trace is an entry block, the loop body in IR order, and the back edge. Its
/// stack is read once, at entry: slots the loop changes travel around it as PHIs (boxed
/// values, type-checked where the trace reads them), the others stay as loaded. An exit
/// writes its snapshot's slots and, for the slots it does not name, the values the previous
/// iteration left. Any other trace (a side trace, a root trace that leads into another
/// trace's loop) runs once through, reading each slot where it first needs it, and ends
/// through its last snapshot.
import CLLVM
import PerigeeCodegen
import PerigeeFrontend
import PerigeeLLVM
import PerigeeRuntime

final class TraceLowering: RuntimeCodeEmitter {
    let rt: RuntimeInterface
    let cx: LLVMContext
    let b: IRBuilder
    let function: LLVMValueRef
    let ir: TraceIR
    /// The back edge's snapshot (not an exit) of a looping trace; nil for a trace that runs
    /// once through.
    let loopSnapshot: Int?
    /// The snapshot a trace that runs once through ends with.
    let finalSnapshot: Int?
    /// Where the code finds the runtime's cells, its constants' payloads and its exits'
    /// numbers (TraceLowering+Addresses.swift).
    let addressing: TraceAddressing
    let module: LLVMModule
    var addressTable: LLVMValueRef?
    /// Closure constants that guards compare functions with by prototype (an ahead-of-time
    /// trace: the closure it recorded exists only in the recording run).
    var prototypeGuards: Set<UInt16> = []
    /// The stack slots the trace's inlined frames need above its base (0: none).
    let stackNeeded: Int
    /// What a run (or loop iteration) charges to the instruction budget, and the exit taken
    /// when it is spent.
    let budgetCost: Int
    let budgetExit: Int?
    /// Whether an instruction limit is set (`--max-instructions`): without one the trace
    /// only checks the counter for Ctrl-C.
    let budgetLimited: Bool
    /// For a trace that allocates: the exit taken when the collector is due (at the back
    /// edge, or before the end) (the global state's debt is checked).
    let gcExit: Int?
    /// A root `for` loop's index slot, to count in 32-bit integers (see `narrowIndex`).
    let narrowedIndex: Int?
    /// The narrowed loop: its integer index (a PHI), bound and step, the IR of the index's
    /// step (ADD) and of the bound's load, and the next index as the step computes it.
    private var counter: (index: LLVMValueRef, stop: LLVMValueRef, step: LLVMValueRef, add: IRRef, bound: IRRef)?
    private var nextIndex: LLVMValueRef?
    /// Numbers that are a narrowed index converted (`sitofp`), with the integer they came from.
    var integers: [LLVMValueRef: LLVMValueRef] = [:]
    /// Carried numbers whose TOBIT travels round the loop with them (`slotsCarriedAsBits`),
    /// with that 32-bit integer.
    private var knownBits: [LLVMValueRef: LLVMValueRef] = [:]
    /// A function trace that ends by calling (or tail-calling) itself: its last snapshot
    /// writes the new frame and the trace starts again on it, a loop over frames.
    let recursive: Bool
    /// The tables the trace does not make, and the exits make instead (TraceLowering+Sinking).
    let sinking: AllocationSinking.Plan
    /// While an exit's code is lowered: the sunk tables it has made, and its snapshot's
    /// first instruction (the stores before it are replayed).
    var materialized: [UInt16: LLVMValueRef] = [:]
    var materializingBefore: IRRef?
    /// The rounds a looping trace's loop went (a PHI of the loop's head), which its exits
    /// write to the runtime's `loopRounds` cell.
    private var rounds: LLVMValueRef?

    private var values: [UInt16: LLVMValueRef] = [:]
    /// Upvalue loads guarded only by a comparison of their bits with a constant
    /// (`upvaluesComparedWithConstants`), and those bits.
    private var comparedAsBits: Set<UInt16> = []
    private var loadedBits: [UInt16: LLVMValueRef] = [:]
    /// The instructions of a loop lowered before it (see `LoopInvariants`).
    private var hoisted: Set<UInt16> = []
    private var exits: [Int: LLVMBasicBlockRef] = [:]
    var thread: LLVMValueRef!
    var base: LLVMValueRef!
    private var scratch: LLVMValueRef!
    /// A trace that calls builtins through the runtime keeps the Lua stack as the truth:
    /// every slot is read where the trace needs it and written back at each call and back
    /// edge, and the stack's address is loaded afresh (a call may move the stack).
    var memoryMode: Bool { !ir.runtimeCalls.isEmpty }
    var frame: LLVMValueRef!
    /// A trace that runs once through (or keeps the stack as the truth) writes its slots as
    /// it goes: at each snapshot it stores what changed since the last, so the stack always
    /// holds the current snapshot's state and an exit stores nothing. Code grows with the
    /// slots changed, not with slots times exits. A loop in registers writes at its exits.
    var writesThrough: Bool { loopSnapshot == nil || memoryMode }
    /// The value each slot got from the trace's stores on the path being lowered.
    private var written: [Int: UInt16] = [:]
    /// The value of each slot the loop changes, as the previous iteration left it: unboxed
    /// for slots whose type stays the same around the loop (`stable`), boxed otherwise.
    private var carried: [Int: LLVMValueRef] = [:]
    private var stable: [Int: IRType] = [:]
    /// Carried slots whose value round the loop is a reference cdata not made yet (CREF):
    /// its C type (see TraceLowering+CData.swift).
    private var sunkReferences: [Int: Int] = [:]
    /// Carried slots the loop writes but never reads whose value round the loop is a 64-bit
    /// integer cdata not made yet (CNEWI): the integer travels round, with a flag that is
    /// true until the loop first wrote the slot (an exit then restores the value found at
    /// entry), and the C type of the cdata an exit makes.
    private var sunkIntegers: [Int: (ctype: Int, fresh: LLVMValueRef, found: LLVMValueRef)] = [:]
    /// The boxed value, loaded at entry, of each slot the trace reads and never changes;
    /// unboxed (checked once, at entry) in `checked`.
    private var invariant: [Int: LLVMValueRef] = [:]
    private var checked: [Int: LLVMValueRef] = [:]
    /// The cdata a 64-bit integer slot held where the trace read it as an integer (a typed
    /// SLOAD, by reference; `checkedBoxes` by slot for the ones checked at entry): where the
    /// slot's value is boxed unchanged, it is that object, not a new one.
    private var integerOrigins: [UInt16: LLVMValueRef] = [:]
    private var checkedBoxes: [Int: LLVMValueRef] = [:]
    /// The exit taken before the first instruction: a slot's type is not the recorded one,
    /// or the stack is too small for the inlined frames.
    let entryExit: Int

    init(_ ir: TraceIR, loopSnapshot: Int?, finalSnapshot: Int?, entryExit: Int, stackNeeded: Int,
         budgetCost: Int, budgetExit: Int?, budgetLimited: Bool = true, gcExit: Int? = nil,
         narrowedIndex: Int? = nil, recursive: Bool = false, addressing: TraceAddressing,
         sinking: AllocationSinking.Plan = AllocationSinking.Plan(), module: LLVMModule, name: String) {
        self.sinking = sinking
        self.addressing = addressing
        self.module = module
        self.gcExit = gcExit
        self.recursive = recursive
        self.budgetCost = budgetCost
        self.budgetExit = budgetExit
        self.budgetLimited = budgetLimited
        self.narrowedIndex = narrowedIndex
        self.ir = ir
        self.loopSnapshot = loopSnapshot
        self.finalSnapshot = finalSnapshot
        self.entryExit = entryExit
        self.stackNeeded = stackNeeded
        rt = RuntimeInterface(module)
        cx = module.context
        b = IRBuilder(cx)
        b.memoryTags = MemoryTags(cx)
        function = module.addFunction(name, cx.function(cx.i64, [rt.i8p, cx.i64]))
    }

    func lower() {
        b.position(atEndOf: newBlock("entry"))
        thread = b.parameter(function, 0)
        // Cells for the runtime's answers, in the entry block (once, not per iteration).
        scratch = b.pointerCast(b.alloca(cx.arrayType(cx.i64, 2)), rt.i64p)
        base = b.parameter(function, 1)
        countRun()
        var again: LLVMBasicBlockRef?
        if recursive {
            // Each round runs on the frame the previous one called.
            let entry = b.insertBlock!
            again = newBlock("again")
            b.br(again!)
            b.position(atEndOf: again!)
            base = b.phi(cx.i64, [(base, entry)], "base")
        }
        // Without calls through the runtime nothing moves the stack: the frame's address
        // holds throughout (a round of a recursive trace).
        frame = b.gep(cx.i64, stackBase(thread), [base])
        if stackNeeded > 0 {
            let size = b.zext(loadField(thread, RuntimeLayout.threadStackSize, cx.i32), cx.i64)
            guardHolds(b.icmp(LLVMIntSGE, size, b.add(base, i64(stackNeeded))), exit: entryExit)
        }
        comparedAsBits = upvaluesComparedWithConstants()
        if let loopSnapshot { lowerLoop(loopSnapshot) } else { lowerOnce() }
        // Exits that write the same slots with the same values share the code that does it
        // (one block, told the exit's number and frame).
        var leaving: [[SnapshotEntry]?: (block: LLVMBasicBlockRef, number: LLVMValueRef, frame: LLVMValueRef,
                                         rounds: LLVMValueRef?)] = [:]
        for (index, block) in exits.sorted(by: { $0.key < $1.key }) {
            b.position(atEndOf: block)
            if let again, index == finalSnapshot {
                writeBack(index)
                let next = b.add(base, i64(ir.snapshots[index].baseOffset))
                b.addIncoming(base, [(next, b.insertBlock!)])
                b.br(again)
                continue
            }
            let number = exitNumber(index), frame = b.add(base, i64(ir.snapshots[index].baseOffset))
            // (Exits before the loop's head, all through the entry exit, went no round.)
            let roundsGone = rounds.map { index == entryExit ? i64(0) : $0 }
            if writtenBack(index) != nil && namesSunkTable(index) {
                leaveMakingTables(index, number: number, frame: frame, rounds: roundsGone)
                continue
            }
            if index == finalSnapshot && linksDirectly {
                writeBack(index)
                leaveIntoLinkedTrace(frame: frame)
                continue
            }
            let key = writesThrough ? nil : writtenBack(index)
            if let shared = leaving[key] {
                b.addIncoming(shared.number, [(number, block)])
                b.addIncoming(shared.frame, [(frame, block)])
                if let phi = shared.rounds, let roundsGone { b.addIncoming(phi, [(roundsGone, block)]) }
                b.br(shared.block)
                continue
            }
            let leave = newBlock("leave\(index)")
            b.br(leave)
            b.position(atEndOf: leave)
            let numberPhi = b.phi(cx.i64, [(number, block)], "exit")
            let framePhi = b.phi(cx.i64, [(frame, block)], "frame")
            let roundsPhi = roundsGone.map { b.phi(cx.i64, [($0, block)], "rounds") }
            leaving[key] = (leave, numberPhi, framePhi, roundsPhi)
            writeBack(index)
            leaveExit(number: numberPhi, frame: framePhi, rounds: reportsLoopRounds ? roundsPhi : nil)
        }
    }

    /// A builtin's call tried through `perigee_fast_call` first (the interpreter's fast
    /// path), then made in full when it declines: the status either way.
    private func fastCall(_ call: RuntimeCall, _ frameBase: LLVMValueRef, _ instruction: LLVMValueRef) -> LLVMValueRef {
        let i = Instruction(call.instruction)
        let nargs = i.verifiedOpcode == .CALLM ? i.rc + call.multres : i.rc - 1
        let fast = callRuntime(.fastCall, [thread, frameBase, i64(i.ra), i64(nargs), i64(i.rb - 1)])
        let answered = b.insertBlock!
        let slow = newBlock("call"), done = newBlock("called")
        b.condBr(b.icmp(LLVMIntSGE, fast, i64(0)), done, slow)
        b.position(atEndOf: slow)
        let status = callRuntime(.call, [thread, frameBase, instruction, i64(call.pc), i64(call.multres)])
        let called = b.insertBlock!
        b.br(done)
        b.position(atEndOf: done)
        return b.phi(cx.i64, [(fast, answered), (status, called)], "status")
    }

    /// The slots exit `snapshot` writes, with their values (nil: it writes none).
    private func writtenBack(_ snapshot: Int) -> [SnapshotEntry]? {
        if snapshot == entryExit { return nil }
        if ir.runtimeCalls.values.contains(where: { $0.failure == snapshot || $0.yield == snapshot }) { return nil }
        return ir.snapshots[snapshot].entries
    }

    /// The body in IR order, with the snapshot before each instruction as its guards' exit.
    private func lowerBody() {
        var snapshot = -1
        for n in 0..<ir.count {
            let ref = IRRef(raw: IRRef.bias + 1 + UInt16(n))
            while snapshot + 1 < ir.snapshots.count && ir.snapshots[snapshot + 1].ref <= ref {
                snapshot += 1
                if writesThrough { writeThrough(snapshot) }
            }
            if hoisted.contains(ref.raw) || sinking.skipped.contains(ref.raw) { continue }
            if let value = lower(ref, ir[ref], exit: snapshot) { values[ref.raw] = value }
        }
    }

    /// A trace that runs once through and leaves through its last snapshot.
    private func lowerOnce() {
        lowerBody()
        writeThrough(finalSnapshot!)
        chargeBudget()
        checkCollector()
        b.br(exitBlock(finalSnapshot!))
    }

    /// Charges the instruction budget what the trace's run (or loop iteration) ran; when it
    /// is spent the trace leaves through `budgetExit` (the state its end writes, with no
    /// link), and the interpreter's next charge raises the error.
    private func chargeBudget() {
        guard budgetCost > 0, let budgetExit else { return }
        let counter = cellPointer(.budgetCounter)
        // Volatile: the SIGINT handler makes the counter negative while the loop runs.
        let now = b.load(cx.i64, counter, volatile: true)
        guard budgetLimited else {
            // No limit: nothing to count, only Ctrl-C to notice (no store, so no chain of
            // memory dependences from one round to the next).
            guardHolds(b.icmp(LLVMIntSGE, now, i64(0)), exit: budgetExit)
            return
        }
        let left = b.sub(now, i64(budgetCost))
        b.store(left, counter, volatile: true)
        guardHolds(b.icmp(LLVMIntSGE, left, i64(0)), exit: budgetExit)
    }

    /// A narrowed index plus or minus a small integer constant.
    private func isNarrowedOffset(_ ins: IRIns) -> Bool {
        !ins.ref1.isConstant && integers[value(ins.ref1)] != nil && smallInteger(ins.ref2) != nil
    }

    /// A narrowed index modulo a positive integer constant.
    private func isNarrowedModulo(_ ins: IRIns) -> Bool {
        !ins.ref1.isConstant && integers[value(ins.ref1)] != nil && (smallInteger(ins.ref2) ?? 0) > 0
    }

    /// The value of a number constant that is an integer small enough that a narrowed
    /// index (below 2^30 in magnitude) plus or minus it stays a 32-bit integer.
    private func smallInteger(_ ref: IRRef) -> Int32? {
        guard let d = ir.numberValue(ref), d == d.rounded(), abs(d) <= Double(1 << 20) else { return nil }
        return Int32(d)
    }

    /// A trace that allocates leaves through `gcExit` when the collector is due: the
    /// interpreter runs its step with the trace's state on the stack (a step inside the
    /// trace would not see the objects only its registers hold).
    private func checkCollector() {
        guard let gcExit else { return }
        let state = b.intToPtr(cellBits(.globalState), rt.i8p)
        func cell(_ field: PartialKeyPath<GlobalState>) -> LLVMValueRef {
            loadField(state, MemoryLayout<GlobalState>.offset(of: field)!, cx.i64)
        }
        guardHolds(b.icmp(LLVMIntSLT, cell(\GlobalState.totalBytes), cell(\GlobalState.threshold)), exit: gcExit)
    }

    private func lowerLoop(_ loopSnapshot: Int) {
        if memoryMode { return lowerLoopInMemory(loopSnapshot) }
        let backEdge = Dictionary(uniqueKeysWithValues: ir.snapshots[loopSnapshot].entries.map { ($0.slot, $0.ref) })
        var loaded: [Int: IRType] = [:]
        for ins in ir.instructions where ins.op == .SLOAD && ins.type != .pointer { loaded[Int(Int16(bitPattern: ins.op1))] = ins.type }
        // Entry: every slot the trace reads or changes, loaded once; the types of invariant
        // slots and of slots whose type the loop keeps are checked here, once.
        var initial: [Int: LLVMValueRef] = [:]
        for slot in Set(backEdge.keys).union(loaded.keys).sorted() {
            let v = b.load(cx.i64, slotAddress(slot), memory: .stack)
            guard let type = loaded[slot], !type.isPrimitive else {
                if backEdge[slot] == nil { invariant[slot] = v } else { initial[slot] = v }
                continue
            }
            if TraceLowering.isInteger64(type) {
                // An int64_t or uint64_t read as its integer: carried as one when the loop
                // leaves an integer of its type there (see TraceLowering+CArithmetic).
                if let next = backEdge[slot], !(isInteger64Box(next) && ir[ir[next].ref1].type == type) {
                    initial[slot] = v
                    continue
                }
                let n = checkedInteger64(v, type, exit: entryExit)
                if backEdge[slot] == nil {
                    checked[slot] = n
                    checkedBoxes[slot] = v
                } else {
                    initial[slot] = n
                    stable[slot] = type
                }
                continue
            }
            // (A cdata slot the loop leaves an unboxed integer in is carried boxed.)
            if let next = backEdge[slot], ir[next].type != type || isReference(next) || isInteger64Box(next) {
                initial[slot] = v
                continue
            }
            guardHolds(hasType(v, type), exit: entryExit)
            if backEdge[slot] == nil { checked[slot] = unboxed(v, type)! } else { initial[slot] = unboxed(v, type)!; stable[slot] = type }
        }
        let narrowed = narrowIndex(backEdge, initial)
        // LOOP: what every iteration computes alike runs once, here; a hoisted guard that
        // fails leaves through the entry exit, before the loop has done anything.
        hoisted = LoopInvariants.hoistable(ir, changedSlots: Set(backEdge.keys))
        comparedAsBits = upvaluesComparedWithConstants()  // again: pairs split by hoisting drop out
        for raw in hoisted.sorted() {
            let ref = IRRef(raw: raw)
            if let value = lower(ref, ir[ref], exit: entryExit) { values[raw] = value }
        }
        let bitSlots = slotsCarriedAsBits(backEdge)
        let bitsAtEntry = bitSlots.map { toBit(initial[$0]!) }
        let (loop, entry) = openLoop()
        let integerIndex = narrowed.map { b.phi(cx.i32, [($0.start, entry)], "index") }
        if reportsLoopRounds { rounds = b.phi(cx.i64, [(i64(0), entry)], "rounds") }
        for slot in backEdge.keys.sorted() where !(narrowed?.slots.contains(slot) ?? false) {
            // (A slot the loop reads gets the object: its reads need one.)
            if isReference(backEdge[slot]!) && loaded[slot] == nil { sunkReferences[slot] = Int(ir[backEdge[slot]!].op2) }
            if isInteger64Box(backEdge[slot]!) && loaded[slot] == nil {
                let fresh = b.phi(cx.i1, [(cx.constant(1, cx.i1), entry)], "fresh\(slot)")
                sunkIntegers[slot] = (Int(ir[backEdge[slot]!].op2), fresh, initial[slot]!)
                carried[slot] = b.phi(cx.i64, [(i64(0), entry)], "slot\(slot)")
                continue
            }
            let type = stable[slot].map { $0 == .number ? cx.double : TraceLowering.isInteger64($0) ? cx.i64 : rt.i8p } ?? cx.i64
            carried[slot] = b.phi(type, [(initial[slot]!, entry)], "slot\(slot)")
        }
        var bitPhis: [(slot: Int, phi: LLVMValueRef)] = []
        for (slot, bits) in zip(bitSlots, bitsAtEntry) {
            let phi = b.phi(cx.i32, [(bits, entry)], "bits\(slot)")
            knownBits[carried[slot]!] = phi
            bitPhis.append((slot, phi))
        }
        if let narrowed, let integerIndex {
            // The index (and the loop variable, while the body leaves it alone) as the
            // integer counter's value (after the PHIs, which head the block).
            counter = (integerIndex, narrowed.stop, narrowed.step, backEdge[narrowed.slot]!, narrowed.bound)
            let asNumber = b.sitofp(integerIndex, cx.double)
            integers[asNumber] = integerIndex
            for slot in narrowed.slots { carried[slot] = asNumber }
        }
        lowerBody()
        chargeBudget()
        checkCollector()
        // The back edge: this iteration's values become the next one's.
        let next = ir.snapshots[loopSnapshot].entries.filter { !(narrowed?.slots.contains($0.slot) ?? false) }
            .map { ($0.slot, stable[$0.slot] != nil || sunkIntegers[$0.slot] != nil ? value($0.ref)
                    : sunkReferences[$0.slot] != nil ? sunkBits($0.ref) : boxed($0.ref)) }
        let nextRounds = rounds.map { b.add($0, i64(1)) }
        let end = b.insertBlock!
        if let rounds, let nextRounds { b.addIncoming(rounds, [(nextRounds, end)]) }
        for (slot, value) in next { b.addIncoming(carried[slot]!, [(value, end)]) }
        for (_, sunk) in sunkIntegers { b.addIncoming(sunk.fresh, [(cx.constant(0, cx.i1), end)]) }
        if let integerIndex { b.addIncoming(integerIndex, [(nextIndex!, end)]) }
        for (slot, phi) in bitPhis { b.addIncoming(phi, [(value(ir[backEdge[slot]!].ref1), end)]) }
        closeLoop(loop)
    }

    /// The carried number slots whose 32-bit value (`bit.tobit` of it) travels round the
    /// loop beside the number: the loop leaves in them an integer converted to a number
    /// (a `bit` operation's result) and reads them through TOBIT (the next `bit`
    /// operation). The TOBIT is then the integer the previous round left, or the entry
    /// value's TOBIT computed once: a chain of `bit` operations round the loop stays in
    /// integer registers, and the conversion to a number, which only the exits and other
    /// arithmetic use, is off that chain (luajit carries such slots as integers too).
    private func slotsCarriedAsBits(_ backEdge: [Int: IRRef]) -> [Int] {
        var readAsBits = Set<Int>()
        for ins in ir.instructions where ins.op == .TOBIT && !ins.ref1.isConstant {
            let operand = ir[ins.ref1]
            if operand.op == .SLOAD { readAsBits.insert(Int(Int16(bitPattern: operand.op1))) }
        }
        return backEdge.keys.sorted().filter { slot in
            guard stable[slot] == .number, readAsBits.contains(slot), let next = backEdge[slot], !next.isConstant
            else { return false }
            let ins = ir[next]
            return ins.op == .CONV && ins.op2 == IRConversion.intToNumber.rawValue && ir[ins.ref1].type == .int
        }
    }

    /// The upvalue loads whose only guard may be the comparison of their boxed bits with a
    /// constant object (`bit.bxor` kept in an upvalue, guarded to be the builtin seen):
    /// a load compared with EQ whose value nothing uses before that comparison except
    /// snapshots, which store the bits loaded (what the upvalue holds, whatever its type).
    /// The comparison holds only for the constant's type, and from it on the value is the
    /// constant. Each such upvalue is then checked with one compare, where it took a type
    /// check, an unboxing and a compare: a root trace entered again and again from its
    /// side traces checks every upvalue it calls through at each entry, and so do the side
    /// traces. A hoisted load (`hoisted`) only pairs with a hoisted comparison.
    private func upvaluesComparedWithConstants() -> Set<UInt16> {
        var unused = Set<UInt16>(), compared = Set<UInt16>()
        for n in 0..<ir.count {
            let ref = IRRef(raw: IRRef.bias + 1 + UInt16(n)), ins = ir[ref]
            if ins.op == .EQ, !ins.ref1.isConstant, unused.contains(ins.ref1.raw), ins.ref2.isConstant,
               ir[ins.ref2].op == .KGC, ir[ins.ref1].type == ins.type, !prototypeGuards.contains(ins.op2),
               hoisted.contains(ins.ref1.raw) == hoisted.contains(ref.raw) {
                compared.insert(ins.ref1.raw)
            }
            for operand in [ins.ref1, ins.ref2] where !operand.isConstant { unused.remove(operand.raw) }
            if ins.op == .ULOAD && ins.type != .number && !ins.type.isPrimitive && !TraceLowering.isInteger64(ins.type)
                && ins.type != .pointer && !sinking.skipped.contains(ref.raw) {
                unused.insert(ref.raw)
            }
        }
        return compared
    }

    /// luajit's narrowing of a `for` loop's index: when the recorder saw integer start and
    /// step and a small bound, the entry checks that they still are (else it leaves through
    /// the entry exit) and the loop counts in 32-bit integers: the index's step is an
    /// integer add that cannot overflow, its test an integer compare, and array indexes
    /// made from the index need no conversion checks. Nil when the loop's shape is not the
    /// plain one (index and bound unchanged by the body, stepped by the step slot).
    private func narrowIndex(_ backEdge: [Int: IRRef], _ initial: [Int: LLVMValueRef])
        -> (slot: Int, slots: [Int], start: LLVMValueRef, stop: LLVMValueRef, step: LLVMValueRef, bound: IRRef)? {
        guard let a = narrowedIndex, stable[a] == .number, let start = initial[a],
              let stop = checked[a + 1], let step = checked[a + 2], let add = backEdge[a], !add.isConstant else { return nil }
        let ins = ir[add]
        func isLoad(_ ref: IRRef, _ slot: Int) -> Bool {
            !ref.isConstant && ir[ref].op == .SLOAD && Int(Int16(bitPattern: ir[ref].op1)) == slot
        }
        guard ins.op == .ADD, isLoad(ins.ref1, a), isLoad(ins.ref2, a + 2),
              let bound = ir.instructions.indices.lazy.map({ IRRef(raw: IRRef.bias + 1 + UInt16($0)) })
                  .first(where: { isLoad($0, a + 1) }) else { return nil }
        let limit = Int64(TraceRecorder.narrowLimit)
        func integer(_ d: LLVMValueRef) -> LLVMValueRef {
            // fptosi of a number out of range is poison: frozen, it is some integer, which
            // converts back to another number (NaN too compares unequal). The range is then
            // checked on the integer, in one unsigned compare.
            let n = b.freeze(b.fptosi(d, cx.i32))
            guardHolds(b.fcmp(LLVMRealOEQ, b.sitofp(n, cx.double), d), exit: entryExit)
            let offset = b.add(n, cx.constant(limit, cx.i32))
            guardHolds(b.icmp(LLVMIntULE, offset, cx.constant(2 * limit, cx.i32)), exit: entryExit)
            return n
        }
        let startInt = integer(start), stepInt = integer(step)
        // An integer index passes an integer bound where it passes the bound itself.
        let up = b.fcmp(LLVMRealOGE, step, cx.constant(0.0))
        let rounded = b.select(up, mathFunction(.floor, [stop]), mathFunction(.ceil, [stop]))
        let stopInt = integer(rounded)
        // The loop variable travels with the index when the body does not change it.
        let slots = backEdge[a + 3] == add && stable[a + 3] == .number ? [a, a + 3] : [a]
        return (a, slots, startInt, stopInt, stepInt, bound)
    }

    /// The loop head after the entry block: the head, and the entry block.
    private func openLoop() -> (LLVMBasicBlockRef, LLVMBasicBlockRef) {
        let loop = newBlock("loop")
        let entry = b.insertBlock!
        b.br(loop)
        b.position(atEndOf: loop)
        return (loop, entry)
    }

    /// The back edge to `loop`.
    private func closeLoop(_ loop: LLVMBasicBlockRef) {
        b.br(loop)
    }

    /// A loop whose state lives in the Lua stack: each iteration writes back what it
    /// changed, and the next one reads what it needs.
    private func lowerLoopInMemory(_ loopSnapshot: Int) {
        let (loop, entry) = openLoop()
        if reportsLoopRounds { rounds = b.phi(cx.i64, [(i64(0), entry)], "rounds") }
        // The last round's calls may have moved the stack.
        frame = b.gep(cx.i64, stackBase(thread), [base])
        lowerBody()
        writeThrough(loopSnapshot)
        chargeBudget()
        checkCollector()
        if let rounds { b.addIncoming(rounds, [(b.add(rounds, i64(1)), b.insertBlock!)]) }
        closeLoop(loop)
    }

    // MARK: Values

    /// Slot `slot`'s address in the current frame (`frame` is the frame's address since the
    /// last call through the runtime, which may move the stack).
    private func slotAddress(_ slot: Int) -> LLVMValueRef { b.gep(cx.i64, frame, [i64(slot)]) }

    /// Stores snapshot entries into their slots.
    func store(_ entries: [SnapshotEntry]) {
        for entry in entries { b.store(boxed(entry.ref), slotAddress(entry.slot), memory: .stack) }
    }

    /// The top 17 bits of a value of GC type `type`.
    func tag(_ type: IRType) -> UInt64 { 0x1FFFF ^ UInt64(type.rawValue) }

    private func primitiveBits(_ type: IRType) -> UInt64 {
        type == .nil ? ValueBits.nil : (type == .false ? ValueBits.false : ValueBits.true)
    }

    /// The LLVM value of `ref`: a double for numbers, an i8* for objects and addresses.
    func value(_ ref: IRRef) -> LLVMValueRef {
        guard ref.isConstant else { return values[ref.raw]! }
        let k = ir[ref]
        switch k.op {
        case .KNUM: return cx.constant(Double(bitPattern: ir.payload(ref)))
        case .KGC, .KPTR: return b.intToPtr(payloadBits(ref), rt.i8p)
        case .KINT: return cx.constant(Int64(ir.intValue(ref)), cx.i32)
        case .KINT64: return bits(ir.payload(ref))
        default: return bits(primitiveBits(k.type))
        }
    }

    /// `ref` as a boxed Lua value (i64).
    func boxed(_ ref: IRRef) -> LLVMValueRef {
        // An upvalue whose type only a later comparison checks: the bits it held.
        if !ref.isConstant, let bits = loadedBits[ref.raw] { return bits }
        // A frame link is stored as it is.
        if ref.isConstant && ir[ref].op == .KPTR { return payloadBits(ref) }
        // A table the trace sank: made by the exit being lowered.
        if sinking.isSunk(ref) { return materializedTable(ref) }
        // A reference cdata the trace has not made: made now.
        if isReference(ref) { return referenceBits(ref) }
        // A 64-bit integer cdata the trace has not made: made now, unless it is the one a
        // slot held.
        if isInteger64Box(ref) { return integerOrigins[ir[ref].ref1.raw] ?? integer64Bits(ref) }
        // A slot's raw bits (of a type not known while recording).
        if !ref.isConstant && ir[ref].op == .SLOAD && ir[ref].type == .pointer { return b.ptrToInt(value(ref), cx.i64) }
        let type = ir[ref].type
        if type.isPrimitive { return bits(primitiveBits(type)) }
        if type == .number { return b.bitcast(value(ref), cx.i64) }
        return b.or(b.ptrToInt(value(ref), cx.i64), bits(tag(type) << Value.tagShift))
    }

    /// Whether boxed `v` has type `type`.
    private func hasType(_ v: LLVMValueRef, _ type: IRType) -> LLVMValueRef {
        if type == .number { return isNumber(v) }
        if type.isPrimitive { return b.icmp(LLVMIntEQ, v, bits(primitiveBits(type))) }
        return hasTag(v, tag(type))
    }

    /// Boxed `v` of (guarded) type `type`, unboxed.
    private func unboxed(_ v: LLVMValueRef, _ type: IRType) -> LLVMValueRef? {
        if type.isPrimitive { return nil }
        return type == .number ? b.bitcast(v, cx.double) : objectPointer(v)
    }

    /// The operands of a CARG chain, left to right.
    func arguments(_ ref: IRRef) -> [IRRef] {
        let ins = ir[ref]
        guard ins.op == .CARG else { return [ref] }
        return arguments(ins.ref1) + [ins.ref2]
    }

    // MARK: Guards and exits

    private func exitBlock(_ snapshot: Int) -> LLVMBasicBlockRef {
        if let block = exits[snapshot] { return block }
        let block = newBlock("exit\(snapshot)")
        exits[snapshot] = block
        return block
    }

    /// Goes on when `condition` holds; otherwise leaves through snapshot `exit`.
    func guardHolds(_ condition: LLVMValueRef, exit: Int) {
        guardOr(condition, slow: exitBlock(exit), rarely: true)
    }

    /// Stores the slots whose values in `snapshot` differ from what the trace stored last
    /// (a sunk table's slot is left to the exits, which make the table).
    private func writeThrough(_ snapshot: Int) {
        guard let entries = writtenBack(snapshot) else { return }
        let changed = entries.filter { written[$0.slot] != $0.ref.raw }
        store(changed.filter { !sinking.isSunk($0.ref) })
        for entry in changed { written[entry.slot] = entry.ref.raw }
    }

    func writeBack(_ snapshot: Int) {
        // Leaving before the loop: the frame is as the trace found it. A failed call's exit:
        // its state was written before the call, and the error unwinds from what the callee
        // left. Writing through: the stack already holds the snapshot's state.
        guard !writesThrough, let entries = writtenBack(snapshot) else { return }
        store(entries)
        let named = Set(entries.map(\.slot))
        for (slot, value) in carried.sorted(by: { $0.key < $1.key }) where !named.contains(slot) {
            b.store(boxedSlot(slot, value), slotAddress(slot), memory: .stack)
        }
    }

    /// A carried slot's value, boxed.
    private func boxedSlot(_ slot: Int, _ v: LLVMValueRef) -> LLVMValueRef {
        if let ctype = sunkReferences[slot] { return materialized(v, ctype: ctype) }
        if let sunk = sunkIntegers[slot] { return b.select(sunk.fresh, sunk.found, integer64Bits(ctype: sunk.ctype, v)) }
        guard let type = stable[slot] else { return v }
        if type == .number { return b.bitcast(v, cx.i64) }
        if TraceLowering.isInteger64(type) {
            return integer64Bits(ctype: Int(global.cdataInteger64ID(unsigned: type == .uint64)), v)
        }
        return b.or(b.ptrToInt(v, cx.i64), bits(tag(type) << Value.tagShift))
    }

    /// A typed load of boxed bits at `address`, guarded to the instruction's type.
    private func typedLoad(_ address: LLVMValueRef, _ ins: IRIns, exit: Int, memory: MemoryKind? = nil) -> LLVMValueRef? {
        let v = b.load(cx.i64, address, memory: memory)
        guardHolds(hasType(v, ins.type), exit: exit)
        return unboxed(v, ins.type)
    }

    /// The table whose slot an AREF or HREFK computed.
    private func table(ofSlot ref: IRRef) -> LLVMValueRef { value(ir[ref].ref1) }

    /// The store of boxed `v` into a table slot, with the barrier a collectable value needs.
    private func storeIntoTable(_ slot: LLVMValueRef, _ t: LLVMValueRef, _ value: IRRef) {
        b.store(boxed(value), slot, memory: .tableValue)
        let type = ir[value].type
        guard !type.isPrimitive && type != .number else { return }
        let done = newBlock("stored")
        tableBarrier(thread, t, done: done)
        b.position(atEndOf: done)
    }

    // MARK: Instructions

    private func lower(_ ref: IRRef, _ ins: IRIns, exit: Int) -> LLVMValueRef? {
        switch ins.op {
        case .SLOAD where ins.type == .pointer:
            // A frame link, as it is.
            return b.intToPtr(b.load(cx.i64, slotAddress(Int(Int16(bitPattern: ins.op1))), memory: .stack), rt.i8p)
        case .SLOAD:
            let slot = Int(Int16(bitPattern: ins.op1))
            // Checked at entry: invariant slots, and slots whose type the loop keeps.
            if let v = checked[slot] {
                integerOrigins[ref.raw] = checkedBoxes[slot]
                return v
            }
            if stable[slot] != nil { return carried[slot]! }
            // A trace that runs once through reads the frame where it first needs a slot.
            let v = carried[slot] ?? invariant[slot] ?? b.load(cx.i64, slotAddress(slot), memory: .stack)
            if TraceLowering.isInteger64(ins.type) {
                integerOrigins[ref.raw] = v
                return checkedInteger64(v, ins.type, exit: exit)
            }
            guardHolds(hasType(v, ins.type), exit: exit)
            return unboxed(v, ins.type)
        case .ADD where counter?.add == ref:
            // The narrowed index's step: cannot overflow (start, step and bound are small).
            let next = b.addNSW(counter!.index, counter!.step)
            nextIndex = next
            let asNumber = b.sitofp(next, cx.double)
            integers[asNumber] = next
            return asNumber
        case .ADD where isNarrowedOffset(ins), .SUB where isNarrowedOffset(ins):
            // A narrowed index plus or minus a small integer constant (an array index such as
            // `i + 1`): an integer too, with no conversion checks where it indexes an array.
            let c = smallInteger(ins.ref2)!
            let sum = b.addNSW(integers[value(ins.ref1)]!, cx.constant(Int64(ins.op == .ADD ? c : -c), cx.i32))
            let asNumber = b.sitofp(sum, cx.double)
            integers[asNumber] = sum
            return asNumber
        case .MOD where isNarrowedModulo(ins):
            // A narrowed index modulo a positive integer constant (`i % 3`): the integer
            // remainder, made non-negative as Lua's `a - floor(a/b)*b` is for b > 0.
            let divisor = cx.constant(Int64(smallInteger(ins.ref2)!), cx.i32)
            let r = b.srem(integers[value(ins.ref1)]!, divisor)
            let fixed = b.select(b.icmp(LLVMIntSLT, r, cx.constant(0, cx.i32)), b.add(r, divisor), r)
            let asNumber = b.sitofp(fixed, cx.double)
            integers[asNumber] = fixed
            return asNumber
        case .ADD where TraceLowering.isInteger64(ins.type), .SUB where TraceLowering.isInteger64(ins.type),
             .MUL where TraceLowering.isInteger64(ins.type), .DIV where TraceLowering.isInteger64(ins.type),
             .MOD where TraceLowering.isInteger64(ins.type), .NEG where TraceLowering.isInteger64(ins.type):
            return integer64Arithmetic(ins)
        case .ADD where ins.type == .int, .SUB where ins.type == .int:
            // 32-bit sums that wrap, narrowed from TOBIT of number sums (`WrappingSums`).
            return ins.op == .ADD ? b.add(value(ins.ref1), value(ins.ref2)) : b.sub(value(ins.ref1), value(ins.ref2))
        case .ADD, .SUB, .MUL, .DIV, .MOD, .POW:
            return arithmetic(ins.op.arithmeticOperator!, value(ins.ref1), value(ins.ref2))
        case .NEG:
            return b.fneg(value(ins.ref1))
        case .MIN, .MAX:
            // Not commuted: the instruction keeps the call's argument order (see IROp).
            return mathFunction(ins.op == .MIN ? .min : .max, [value(ins.ref1), value(ins.ref2)])
        case .FPMATH:
            let ff = FastFunction(rawValue: UInt8(ins.op2))!
            let operand = ir[ins.ref1]
            if operand.op == .CARG { return mathFunction(ff, [value(operand.ref1), value(operand.ref2)]) }
            return mathFunction(ff, [value(ins.ref1)])
        case .CARG:
            return nil
        case .TOBIT:
            // A narrowed index, or a slot whose 32 bits the loop carries: that integer.
            let v = value(ins.ref1)
            return integers[v] ?? knownBits[v] ?? toBit(v)
        case .BNOT, .BSWAP:
            return bitOperation(ins.op == .BNOT ? .bnot : .bswap, value(ins.ref1))
        case .BAND, .BOR, .BXOR, .BSHL, .BSHR, .BSAR, .BROL, .BROR:
            let op: FastBuiltin = [.BAND: .band, .BOR: .bor, .BXOR: .bxor, .BSHL: .lshift, .BSHR: .rshift,
                                   .BSAR: .arshift, .BROL: .rol, .BROR: .ror][ins.op]!
            return bitOperation(op, value(ins.ref1), value(ins.ref2))
        case .CONV:
            return conversion(ins)
        case .CNEWI:
            // The integer; the object is made where it is boxed (`integer64Bits`).
            return value(ins.ref1)
        case .CINDEX, .CADDR, .CLOAD, .CSTORE, .CREF, .CCALL:
            return lowerCData(ref, ins, exit: exit)
        case .CALLN:
            // A C function of doubles: the first argument is its address.
            let args = arguments(ins.ref1)
            let type = cx.function(cx.double, args.dropFirst().map { _ in cx.double })
            return b.call(type, b.pointerCast(value(args[0]), cx.pointer(to: type)), args.dropFirst().map(value))
        case .STRREF:
            // The address of byte `index` (from 1) of a string.
            let index = b.fptosi(value(ins.ref2), cx.i64)
            return b.gep(cx.i8, value(ins.ref1), [b.add(index, i64(GCString.bytesOffset - 1))])
        case .XSTORE:
            // A value moved as it is (its boxed bits) into a slot's address.
            b.store(boxed(ins.ref2), b.pointerCast(value(ins.ref1), rt.i64p))
            if ir[ins.ref1].op == .BASE { written[Int(Int16(bitPattern: ir[ins.ref1].op1))] = nil } else { written.removeAll() }
            return nil
        case .XLOAD:
            // A byte, as a 32-bit integer.
            return b.zext(b.load(cx.i8, value(ins.ref1)), cx.i32)
        case .CALLL where ins.op2 == IRCall.stringCompare.rawValue:
            // Two strings' order, as a 32-bit integer (its sign is what counts).
            let args = ir[ins.ref1]
            return b.trunc(callRuntime(.stringCompare, [value(args.ref1), value(args.ref2)]), cx.i32)
        case .CALLL where ins.op2 == IRCall.next.rawValue:
            // next(t) from a position: the next position (a number), or an exit at the end;
            // the key and value wait in the cells.
            let args = ir[ins.ref1]
            let position = b.fptosi(value(args.ref2), cx.i64)
            let next = callRuntime(.nextEntry, [value(args.ref1), position, scratch])
            guardHolds(b.icmp(LLVMIntSGE, next, i64(0)), exit: exit)
            return b.sitofp(next, cx.double)
        case .CALLL:
            // t[key] through __index tables: the runtime answers in a stack cell, or says
            // the interpreter must run the instruction.
            let args = ir[ins.ref1]
            let out = scratch!
            let status = callRuntime(.lookup, [value(args.ref1), boxed(args.ref2), out])
            guardHolds(b.icmp(LLVMIntEQ, status, i64(0)), exit: exit)
            return typedLoad(out, ins, exit: exit)
        case .CALLS where ins.op2 != IRCall.store.rawValue:
            // An instruction a runtime helper runs as the interpreter would, on the state
            // written back.
            let call = ir.runtimeCalls[ref.raw]!
            writeThrough(call.writeBack)
            // The helper may change any slot (Lua code it runs may set an open upvalue):
            // what the trace stored is no longer known to be there.
            defer { written.removeAll() }
            let frameBase = b.add(base, i64(call.frameOffset))
            let instruction = cx.constant(Int64(call.instruction), cx.i32)
            let status: LLVMValueRef
            let helper: RuntimeInterface.Helper
            switch IRCall(rawValue: ins.op2)! {
            case .concat: helper = .concat
            case .table: helper = .table
            case .arith: helper = .arith
            case .index: helper = .index
            case .newindex: helper = .newindex
            case .iterate: helper = .iterate
            case .closure: helper = .closure
            case .close: helper = .close
            case .setmulti: helper = .setmulti
            default: helper = .call
            }
            if helper == .close {
                status = callRuntime(.close, [thread, frameBase, i64(Int(Instruction(call.instruction).ra))])
            } else if IRCall(rawValue: ins.op2) == .fastCall {
                status = fastCall(call, frameBase, instruction)
            } else if helper == .call || helper == .setmulti {
                status = callRuntime(helper, [thread, frameBase, instruction, i64(call.pc), i64(call.multres)])
            } else {
                status = callRuntime(helper, [thread, frameBase, instruction, i64(call.pc)])
            }
            guardHolds(b.icmp(LLVMIntNE, status, i64(CompiledStatus.yield)), exit: call.yield)
            guardHolds(b.icmp(LLVMIntSGE, status, i64(0)), exit: call.failure)
            // The helper may have grown (moved) the stack.
            frame = b.gep(cx.i64, stackBase(thread), [base])
            return nil
        case .CALLS:
            // A store of a key the table does not hold yet (it may grow the table).
            let outer = ir[ins.ref1], inner = ir[outer.ref1]
            let status = callRuntime(.store, [value(inner.ref1), boxed(inner.ref2), boxed(outer.ref2)])
            guardHolds(b.icmp(LLVMIntEQ, status, i64(0)), exit: exit)
            return nil
        case .LE where counter != nil && (ins.ref1 == counter!.add && ins.ref2 == counter!.bound
                                          || ins.ref1 == counter!.bound && ins.ref2 == counter!.add):
            // The narrowed loop's test, on integers.
            let (x, y) = ins.ref1 == counter!.add ? (nextIndex!, counter!.stop) : (counter!.stop, nextIndex!)
            guardHolds(b.icmp(LLVMIntSLE, x, y), exit: exit)
            return nil
        case .ULT, .UGE, .ULE, .UGT:
            unsignedComparison(ins, exit: exit)
            return nil
        case .LT, .GE, .LE, .GT:
            if ir[ins.ref1].type == .int || TraceLowering.isInteger64(ins.type) {
                let predicate = [.LT: LLVMIntSLT, .GE: LLVMIntSGE, .LE: LLVMIntSLE, .GT: LLVMIntSGT][ins.op]!
                guardHolds(b.icmp(predicate, value(ins.ref1), value(ins.ref2)), exit: exit)
                return nil
            }
            // GE and GT hold when LT and LE fail (NaN included), as the bytecode's do.
            let predicate = [.LT: LLVMRealOLT, .GE: LLVMRealUGE, .LE: LLVMRealOLE, .GT: LLVMRealUGT][ins.op]!
            guardHolds(b.fcmp(predicate, value(ins.ref1), value(ins.ref2)), exit: exit)
            return nil
        case .EQ, .NE:
            let condition: LLVMValueRef
            if ins.type == .number {
                condition = b.fcmp(ins.op == .EQ ? LLVMRealOEQ : LLVMRealUNE, value(ins.ref1), value(ins.ref2))
            } else if ins.type == .int || TraceLowering.isInteger64(ins.type) {
                condition = b.icmp(ins.op == .EQ ? LLVMIntEQ : LLVMIntNE, value(ins.ref1), value(ins.ref2))
            } else if ins.op == .EQ, !ins.ref1.isConstant, let bits = loadedBits[ins.ref1.raw] {
                // An upvalue guarded by this comparison alone (`upvaluesComparedWithConstants`);
                // past it the load is the constant, which needs no register round a loop.
                // (Its boxed value stays the bits loaded: exits are lowered after the body,
                // and those before the comparison store what the upvalue held.)
                guardHolds(b.icmp(LLVMIntEQ, bits, boxed(ins.ref2)), exit: exit)
                values[ins.ref1.raw] = value(ins.ref2)
                return nil
            } else {
                var x = b.ptrToInt(value(ins.ref1), cx.i64)
                let y = b.ptrToInt(value(ins.ref2), cx.i64)
                if prototypeGuards.contains(ins.op2) { x = b.ptrToInt(protoOf(value(ins.ref1)), cx.i64) }
                condition = b.icmp(ins.op == .EQ ? LLVMIntEQ : LLVMIntNE, x, y)
            }
            guardHolds(condition, exit: exit)
            return nil
        case .AREF:
            // An index the narrowed loop counts is an integer already: no conversion checks.
            let key = value(ins.ref2)
            return arraySlot(value(ins.ref1), b.bitcast(key, cx.i64), integer: integers[key].map { b.sext($0, cx.i64) },
                             slow: exitBlock(exit))
        case .HREFK where ir[ins.ref2].op == .KSLOT:
            // The node the key was in while recording: inside the hash part, and holding it.
            let (key, index) = ir.slotKey(ins.ref2)
            let t = value(ins.ref1)
            if case .table = addressing {
                // Compiled ahead of time: this process hashes keys with another seed, so the
                // node is looked up.
                let slot = ir[key].type == .number ? findNumberSlot(t, boxed(key)) : findStringSlot(t, boxed(key))
                guardHolds(b.icmp(LLVMIntNE, b.ptrToInt(slot, cx.i64), i64(0)), exit: exit)
                return slot
            }
            guardHolds(b.icmp(LLVMIntULE, i64(index), loadCount(t, RuntimeLayout.tableHashMask)), exit: exit)
            let node = b.gep(cx.i8, loadPointerField(t, RuntimeLayout.tableNode), [i64(index * RuntimeLayout.nodeSize)])
            guardHolds(b.icmp(LLVMIntEQ, loadField(node, RuntimeLayout.nodeKey, cx.i64), boxed(key)), exit: exit)
            return fieldAddress(node, RuntimeLayout.nodeValue, cx.i64)
        case .HREFK, .HREF:
            let key = ins.ref2
            let slot = ir[key].type == .number ? findNumberSlot(value(ins.ref1), boxed(key))
                : findStringSlot(value(ins.ref1), boxed(key))
            guard ins.isGuard else {
                // A key that may be missing: its slot, or a cell holding nil.
                let missing = cellPointer(.nilCell)
                return b.select(b.icmp(LLVMIntEQ, b.ptrToInt(slot, cx.i64), i64(0)), missing, slot)
            }
            guardHolds(b.icmp(LLVMIntNE, b.ptrToInt(slot, cx.i64), i64(0)), exit: exit)
            return slot
        case .ALOAD, .HLOAD:
            return typedLoad(value(ins.ref1), ins, exit: exit, memory: .tableValue)
        case .ASTORE:
            let slot = value(ins.ref1), t = table(ofSlot: ins.ref1)
            guardNoNewIndex(t, slot, plainWhenNil: true, miss: exitBlock(exit))
            let old = b.load(cx.i64, slot, memory: .tableValue)
            // The key as the slot's AREF had it, when the loop counts it as an integer.
            let key = ir[ins.ref1].op == .AREF ? integers[value(ir[ins.ref1].ref2)].map { b.sext($0, cx.i64) } : nil
            noteArrayStore(t, slot: slot, key: key, old: old, value: boxed(ins.ref2), isNil: ir[ins.ref2].type == IRType.nil)
            storeIntoTable(slot, t, ins.ref2)
            return nil
        case .HSTORE:
            // Unguarded: the recorder proved by guards that a nil slot needs no __newindex.
            let slot = value(ins.ref1), t = table(ofSlot: ins.ref1)
            if ins.isGuard { guardNoNewIndex(t, slot, plainWhenNil: false, miss: exitBlock(exit)) }
            storeIntoTable(slot, t, ins.ref2)
            return nil
        case .FLOAD where ins.op2 == IRField.nextKey.rawValue || ins.op2 == IRField.nextValue.rawValue:
            let cell = ins.op2 == IRField.nextKey.rawValue ? scratch! : b.gep(cx.i64, scratch, [i64(1)])
            return typedLoad(cell, ins, exit: exit)
        case .FLOAD:
            switch IRField(rawValue: ins.op2)! {
            case .functionEnv: return loadPointerField(value(ins.ref1), RuntimeLayout.functionEnv)
            case .functionTarget: return loadPointerField(value(ins.ref1), RuntimeLayout.functionTarget)
            case .stringLength: return b.sitofp(loadCount(value(ins.ref1), RuntimeLayout.stringLength), cx.double)
            case .nextKey, .nextValue: preconditionFailure("lowered above")
            case .tableMetatable: return loadPointerField(value(ins.ref1), RuntimeLayout.tableMetatable)
            case .cdataType: return loadField(value(ins.ref1), RuntimeLayout.cdataType, cx.i32)
            case .cdataAddress: return loadPointerField(value(ins.ref1), RuntimeLayout.cdataPayload)
            case .cdataPayload: preconditionFailure("an address (FREF)")
            case .absentMetamethods:
                return b.zext(loadField(value(ins.ref1), RuntimeLayout.tableAbsentMetamethods, cx.i8), cx.i32)
            }
        case .FREF where ins.op2 == IRField.cdataPayload.rawValue:
            return b.gep(cx.i8, value(ins.ref1), [i64(RuntimeLayout.cdataPayload)])
        case .FREF:
            // The address of a table's metatable field (the only field a trace stores).
            precondition(IRField(rawValue: ins.op2) == .tableMetatable)
            return b.gep(cx.i8, value(ins.ref1), [i64(RuntimeLayout.tableMetatable)])
        case .FSTORE:
            let field = ir[ins.ref1], table = value(field.ref1)
            b.store(value(ins.ref2), b.pointerCast(value(ins.ref1), cx.pointer(to: rt.i8p)))
            let done = newBlock("stored")
            tableBarrier(thread, table, done: done)
            b.position(atEndOf: done)
            return nil
        case .ALEN:
            return b.sitofp(tableLength(value(ins.ref1)), cx.double)
        case .TNEW, .TDUP:
            // Null when memory runs out: the interpreter's TNEW or TDUP reports it.
            let t = ins.op == .TNEW ? callRuntime(.newTable, [i64(Int(ins.op1))]) : callRuntime(.duplicateTable, [value(ins.ref1)])
            guardHolds(b.icmp(LLVMIntNE, b.ptrToInt(t, cx.i64), i64(0)), exit: exit)
            return t
        case .UREFC:
            return loadPointerField(value(ins.ref1), RuntimeLayout.functionUpvalues + 8 * Int(ins.op2))
        case .UREFO:
            // The address an open upvalue points to.
            let uv = loadPointerField(value(ins.ref1), RuntimeLayout.functionUpvalues + 8 * Int(ins.op2))
            return b.bitcast(upvalueAddress(uv), rt.i8p)
        case .BASE:
            // The address of a slot of the trace's frames.
            return b.bitcast(slotAddress(Int(Int16(bitPattern: ins.op1))), rt.i8p)
        case .ULOAD where comparedAsBits.contains(ref.raw):
            // Guarded by the comparison of its bits (`upvaluesComparedWithConstants`).
            let bits = b.load(cx.i64, upvalueAddress(value(ins.ref1)))
            loadedBits[ref.raw] = bits
            return unboxed(bits, ins.type)
        case .ULOAD:
            return typedLoad(upvalueAddress(value(ins.ref1)), ins, exit: exit)
        case .USTORE:
            storeUpvalue(value(ins.ref1), boxed(ins.ref2))
            return nil
        default:
            preconditionFailure("the recorder never emits \(ins.op.name)")
        }
    }
}
