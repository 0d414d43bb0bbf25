/// Innermost numeric `for` loops lowered twice: a *fast copy* whose slow paths leave it for
/// good, and the ordinary lowering (the *slow copy*), which they continue in.
///
/// In the ordinary lowering a slow path (a runtime lookup, `__index`, arithmetic through the
/// runtime, a write barrier, a spent instruction budget) calls into the runtime and rejoins
/// the loop. LLVM must then assume that every stack slot and table changed on each round, so
/// it reloads a table operand from its slot and re-reads its array part's size and address
/// on every access, and hoists nothing. In the fast copy such a path instead branches into
/// the slow copy: at the instruction itself when nothing has been written yet (the slow copy
/// runs the whole instruction again), or at the next one when the instruction is complete
/// (after a write barrier). The fast copy then has no calls, only exits, and LICM moves
/// loop-invariant loads (the frame address, a table register's value, its array part) out
/// of the loop. The loop's entry goes to the fast copy; once in the slow copy, that run of
/// the loop stays there (its back edge is its own), and the next run starts fast again.
///
/// Both copies run the same instructions on the same frame and share the number copies of
/// registers, so either can take over at any instruction boundary; inference facts hold in
/// both, since each copy's paths are paths of the bytecode.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

struct FastLoops {
    struct Loop {
        /// The loop's FORI and FORL.
        let fori: Int
        let forl: Int
        /// Registers the body reads tables from and never writes: read once on entry to
        /// the fast copy, with their array part (InvariantTable).
        let invariantTables: [Int]
        /// Registers the body (or the FORL) may write: the fast copy keeps them in LLVM
        /// values and writes them to their slots where it leaves.
        let written: [Int]
        /// The upvalues the body reads (UGET): read once on entry to the fast copy, which
        /// runs no code that could store into one (no USETs, no calls).
        let upvalues: [Int]
        /// The body and the FORL: the instructions lowered twice.
        var body: ClosedRange<Int> { (fori + 1)...forl }
    }

    /// A loop-invariant table operand of a fast copy, read on entry. The fast copy calls
    /// nothing, so no code runs that could resize the table, give it a metatable or move the
    /// stack: its array part's size and address and its metatable stay as read (inline
    /// stores write values into existing slots only).
    struct InvariantTable {
        /// The register's value (a table: the fast copy is entered only then), the table's
        /// object, array part limit and address, and whether it lacks a metatable.
        let value: LLVMValueRef
        let object: LLVMValueRef
        let arrayLimit: LLVMValueRef
        let array: LLVMValueRef
        let noMetatable: LLVMValueRef
    }

    private(set) var loops: [Loop] = []
    /// The budget a fast copy owes before it pays the counter (FunctionLowering's
    /// `chargeBudgetInFastCopy`).
    static let batchedCharge = 4096
    /// The loop whose body holds each pc.
    private var owner: [Int: Int] = [:]

    init() {}

    /// The innermost numeric `for` loops whose bodies hold only instructions whose slow paths
    /// can leave for the slow copy (no calls but of builtins computed inline, no closures,
    /// nested loops, `#`, `..`, `^`, upvalue stores) and whose jumps stay in the loop or
    /// leave it at its end.
    /// `inlineCalls`: the CALLs (and CALLMs) computed inline behind a builtin check
    /// (FastCalls), whose other callees can leave for the slow copy too.
    init(_ proto: Prototype, inlineCalls: Set<Int>) {
        let code = proto.bytecode
        for (fori, ins) in code.enumerated() where ins.opcode == .FORI || ins.opcode == .JFORI {
            let forl = ins.jumpTarget(from: fori) - 1
            guard forl > fori, forl < code.count, FastLoops.isLoopEnd(code[forl].opcode),
                  code[forl].jumpTarget(from: forl) == fori + 1 else { continue }
            let inside = (fori + 1)...(forl + 1)
            let simple = ((fori + 1)..<forl).allSatisfy { pc in
                let op = code[pc].opcode
                if op == .JMP { return inside.contains(code[pc].jumpTarget(from: pc)) }
                if op == .CALL || op == .CALLM { return inlineCalls.contains(pc) }
                return FastLoops.leavesForSlowCopy(op)
            }
            guard simple else { continue }
            let body = (fori + 1)...forl
            let tables = Set(body.compactMap { pc -> Int? in
                switch code[pc].opcode {
                case .TGETV, .TGETS, .TGETB, .TSETV, .TSETS, .TSETB: return code[pc].rb
                default: return nil
                }
            })
            let invariant = tables.filter { r in !body.contains { code[$0].mayWrite(r) } }.sorted()
            let written = (0..<Int(proto.frameSize)).filter { r in body.contains { code[$0].mayWrite(r) } }
            let upvalues = Set(body.compactMap { code[$0].opcode == .UGET ? code[$0].rd : nil }).sorted()
            let loop = Loop(fori: fori, forl: forl, invariantTables: invariant, written: written, upvalues: upvalues)
            for pc in loop.body { owner[pc] = loops.count }
            loops.append(loop)
        }
    }

    /// The eligible loop whose body (or FORL) is `pc`.
    func loop(containing pc: Int) -> Loop? { owner[pc].map { loops[$0] } }

    static func isLoopEnd(_ op: Opcode) -> Bool { op == .FORL || op == .IFORL || op == .JFORL }

    /// Instructions whose every runtime call in their lowering can be replaced by a branch
    /// into the slow copy (FunctionLowering's `leaveFastCopy`).
    static func leavesForSlowCopy(_ op: Opcode) -> Bool {
        if NumberInference.isArithmetic(op) { return true }
        switch op {
        case .MOV, .KSTR, .KNUM, .KSHORT, .KPRI, .KNIL, .NOT, .UNM,
             .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP,
             .ISTC, .ISFC, .IST, .ISF, .UGET,
             .GGET, .TGETV, .TGETS, .TGETB, .TSETV, .TSETS, .TSETB:
            return true
        default:
            return false
        }
    }
}

extension FunctionLowering {
    /// The block of `pc` in the ordinary lowering (in a fast loop's body: the slow copy).
    func ordinaryBlock(_ pc: Int) -> LLVMBasicBlockRef {
        if let existing = blocks[pc] { return existing }
        let made = b.appendBlock(to: function, "pc\(pc)")
        blocks[pc] = made
        return made
    }

    /// The block of `pc` in a fast loop's fast copy.
    func fastBlock(_ pc: Int) -> LLVMBasicBlockRef { cachedBlock(\.fastBlocks, pc, "fast") }

    /// The block that enters the fast copy of the loop whose FORI is `fori`: it reads the
    /// loop's invariant tables.
    func fastEntry(_ fori: Int) -> LLVMBasicBlockRef { cachedBlock(\.fastEntries, fori, "fastentry") }

    /// The block cached at `key` in `cache`, made on first use.
    private func cachedBlock(_ cache: ReferenceWritableKeyPath<FunctionLowering, [Int: LLVMBasicBlockRef]>, _ pc: Int,
                             _ prefix: String) -> LLVMBasicBlockRef {
        if let existing = self[keyPath: cache][pc] { return existing }
        let made = b.appendBlock(to: function, "\(prefix)\(pc)")
        self[keyPath: cache][pc] = made
        return made
    }

    /// Where a branch from the instruction being lowered to `pc` goes: inside the fast copy
    /// being lowered, its own blocks; from outside a fast loop (its FORI), into the fast copy.
    func branchTarget(_ pc: Int) -> LLVMBasicBlockRef {
        let loop = fastLoops.loop(containing: pc)
        if inFastCopy { return loop == nil ? fastExit(to: pc) : fastBlock(pc) }
        guard let loop else { return ordinaryBlock(pc) }
        if !loop.body.contains(currentPC) { return pc == loop.fori + 1 ? fastEntry(loop.fori) : fastBlock(pc) }
        return ordinaryBlock(pc)
    }

    /// In the fast copy: the invariant table in register r, read on entry.
    func invariantTable(_ r: Int) -> FastLoops.InvariantTable? { inFastCopy ? invariantTables[r] : nil }

    /// In the fast copy: the value of upvalue `d`, read on entry.
    func invariantUpvalue(_ d: Int) -> LLVMValueRef? { inFastCopy ? invariantUpvalues[d] : nil }

    /// Reads the invariant tables of `loop` (in its fast entry block): when one of those
    /// registers holds no table, this run of the loop goes to the slow copy, so the fast
    /// copy tests no table operand's type.
    func readInvariantTables(_ loop: FastLoops.Loop) {
        invariantTables = [:]
        for r in loop.invariantTables {
            let value = load(r)
            guardOr(hasTag(value, ValueBits.tableTag), slow: ordinaryBlock(loop.fori + 1))
            let object = objectPointer(value)
            invariantTables[r] = FastLoops.InvariantTable(
                value: value, object: object,
                arrayLimit: loadCount(object, RuntimeLayout.tableArrayLimit),
                array: b.pointerCast(loadPointerField(object, RuntimeLayout.tableArray), rt.i64p),
                noMetatable: hasNoMetatable(object))
        }
    }

    /// In the fast copy, ends the current block with a branch into the slow copy at `pc`
    /// (true); in the ordinary lowering does nothing (false), and the slow path is lowered.
    func leaveFastCopy(at pc: Int) -> Bool {
        guard inFastCopy else { return false }
        chargeLeafCalls(before: pc)
        writeDeferredSlots(liveAt: pc)
        b.br(ordinaryBlock(pc))
        return true
    }

    /// A block that leaves the fast copy for the ordinary block of `pc` (outside it, or in
    /// the slow copy), writing the slots first.
    func fastExit(to pc: Int) -> LLVMBasicBlockRef {
        let from = b.insertBlock!, exit = newBlock("leavefast")
        b.position(atEndOf: exit)
        writeDeferredSlots(liveAt: pc)
        b.br(ordinaryBlock(pc))
        b.position(atEndOf: from)
        return exit
    }

    /// Writes the registers the fast copy keeps in LLVM values to their stack slots: before
    /// it leaves for the code of instruction `pc` (in the slow copy, past the loop, or in the
    /// interpreter), the frame must hold every register that code may read. (Registers it
    /// would overwrite first keep older values, as in luajit's traces; locals closures
    /// capture count as read.) Writing only those keeps dead temporaries out of machine
    /// registers across the loop.
    func writeDeferredSlots(liveAt pc: Int) {
        chargePending()
        let live = liveRegisters[pc]
        for (r, value) in deferredSlots.sorted(by: { $0.key < $1.key }) where live.contains(r) {
            // An integer loop's index and variable are made numbers here (slot and number
            // copy), from their integers, rather than each round, where only code reading
            // them as numbers needs them.
            if let base = fastIntegerLoop, r == base || (r == base + 3 && integerLoops.isInteger(r, at: pc)),
               let integer = integerShadows[r] {
                let number = b.sitofp(b.load(cx.i64, integer), cx.double)
                b.store(b.bitcast(number, cx.i64), slotAddress(r), memory: .stack)
                setShadow(r, number)
                continue
            }
            b.store(b.load(cx.i64, value), slotAddress(r), memory: .stack)
        }
    }

    /// A fast copy's loop edge adds its charge to the budget it owes (a value LLVM keeps in a
    /// register), and pays the counter only when that reaches `batchedCharge`, and wherever
    /// it leaves: a round then costs no load and store of the counter, whose volatile
    /// accesses LLVM cannot keep in registers, and the count stays exact. A spent budget
    /// leaves at the loop edge for the slow copy, which charges that edge again and raises
    /// the error; Ctrl-C is noticed within a batch.
    func chargeBudgetInFastCopy(_ cost: Int, _ pc: Int) {
        let owed = b.add(b.load(cx.i64, pendingCharge!), i64(cost))
        b.store(owed, pendingCharge!)
        let pay = newBlock("pay"), go = newBlock("owing")
        b.condBr(b.icmp(LLVMIntSGE, owed, i64(FastLoops.batchedCharge)), pay, go)
        b.position(atEndOf: pay)
        let counter = rt.instructionBudget()
        let left = b.sub(b.load(cx.i64, counter, volatile: true, memory: .budgetCounter), owed)
        b.store(left, counter, volatile: true, memory: .budgetCounter)
        b.store(i64(0), pendingCharge!)
        let spent = newBlock("spent")
        b.condBr(b.icmp(LLVMIntSLT, left, i64(0)), spent, go)
        b.position(atEndOf: spent)
        // The slow copy charges this instruction again, and calls the runtime.
        b.store(b.add(left, i64(cost)), counter, volatile: true, memory: .budgetCounter)
        _ = leaveFastCopy(at: pc)
        b.position(atEndOf: go)
    }

    /// Pays what the fast copy owes the budget (where it leaves).
    func chargePending() {
        guard inFastCopy, let pendingCharge else { return }
        let counter = rt.instructionBudget()
        let owed = b.load(cx.i64, pendingCharge)
        b.store(b.sub(b.load(cx.i64, counter, volatile: true, memory: .budgetCounter), owed), counter,
                volatile: true, memory: .budgetCounter)
        b.store(i64(0), pendingCharge)
    }

    /// A CALL of a builtin computed inline, in the fast copy: any other callee (or arguments
    /// the inline form does not take) leaves for the slow copy, which makes the call.
    func lowerFastCopyBuiltinCall(_ pc: Int, _ a: Int, _ bReg: Int, _ inline: InlineBuiltin, nargs: Int) {
        let other = newBlock("notinline")
        let callee = load(a)
        guardOr(hasTag(callee, ValueBits.functionTag), slow: other)
        storeInlineBuiltin(inline, objectPointer(callee), pc, a, nargs: nargs, count: i64(nargs), otherwise: other)
        adjustOneResult(a, bReg)
        let computed = b.insertBlock!
        b.position(atEndOf: other)
        _ = leaveFastCopy(at: pc)
        b.position(atEndOf: computed)
    }

    /// Lowers the fast copy of every fast loop (after the ordinary lowering, whose blocks
    /// its exits branch to).
    func lowerFastCopies() {
        for loop in fastLoops.loops {
            currentPC = loop.fori
            b.position(atEndOf: fastEntry(loop.fori))
            deferredSlots = [:]
            let initial = loop.written.map { load($0) }
            for (r, value) in zip(loop.written, initial) {
                b.store(value, registerValues[r]!)
                deferredSlots[r] = registerValues[r]!
            }
            b.store(i64(0), pendingCharge!)
            readInvariantTables(loop)
            invariantUpvalues = Dictionary(uniqueKeysWithValues: loop.upvalues.map { ($0, upvalueValue($0)) })
            checkLeafCallees(loop)
            b.br(fastBlock(loop.fori + 1))
            inFastCopy = true
            fastIntegerLoop = integerLoops.loops[loop.fori]?.base
            defer {
                inFastCopy = false; deferredSlots = [:]; invariantUpvalues = [:]; checkedLeafCalls = []; foldedLeafCalls = []
                fastIntegerLoop = nil
            }
            for pc in loop.body {
                b.position(atEndOf: fastBlock(pc))
                // Every way out of an instruction of the fast copy but its inline path leaves
                // the copy, so exact integers carry on as in straight-line code.
                if pc == loop.body.lowerBound || jumpTargets.contains(pc) || !keepsExactIntegers(pc - 1) {
                    exactIntegers.removeAll()
                }
                if let debug, let debugScope, pc < proto.lines.count { debug.setLine(b, Int(proto.lines[pc]), in: debugScope) }
                currentPC = pc
                boxEscapingRegisters(pc)
                if let cost = proto.bytecode[pc].budgetCost { chargeBudget(cost + foldedLeafCalls.count, pc) }
                if lowerInstruction(pc) { b.br(block(pc + 1)) }
            }
        }
    }
}
