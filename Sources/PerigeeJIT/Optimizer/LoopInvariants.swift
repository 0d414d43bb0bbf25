/// LOOP: the instructions of a looping trace that compute the same value in every iteration
/// (invariant arithmetic and conversions, addresses, loads of memory the loop never writes,
/// and the guards on them) run once, before the loop, instead of in every iteration.
///
/// luajit peels one iteration and lets CSE find what the copy recomputes; Perigee hoists
/// instead, because its exits are code: a hoisted guard that fails leaves through the
/// trace's entry exit, before the loop's first instruction has run, and the interpreter runs
/// that iteration (what the recorded first iteration would have done). What stays in the
/// loop is what varies: the carried slots' PHIs are the lowering's (`TraceLowering`).
///
/// An instruction is invariant when every operand is (constants; loads of stack slots the
/// loop never changes; other invariant instructions) and it is pure, an address, or a load
/// no store of the trace may alias (`LoadForwarding.isUnwritten`). A trace that calls into
/// the runtime keeps the stack as the truth, and Lua code the runtime runs may change any
/// memory: nothing of it is hoisted.
enum LoopInvariants {
    /// The instructions (by reference) that may run once before the loop, given the slots
    /// the back edge changes.
    static func hoistable(_ ir: TraceIR, changedSlots: Set<Int>) -> Set<UInt16> {
        guard ir.optimizations.contains(.loop), ir.runtimeCalls.isEmpty else { return [] }
        let writers = LoadForwarding.writers(ir)
        var invariant: Set<UInt16> = []
        func isInvariant(_ ref: IRRef) -> Bool { ref.isConstant || invariant.contains(ref.raw) }
        for (n, ins) in ir.instructions.enumerated() {
            let ref = IRRef.bias + 1 + UInt16(n)
            let operands: Bool
            switch (ins.op.info.op1, ins.op.info.op2) {
            case (.ref, .ref): operands = isInvariant(ins.ref1) && isInvariant(ins.ref2)
            case (.ref, _): operands = isInvariant(ins.ref1)
            default: operands = true
            }
            guard operands else { continue }
            switch ins.op {
            case .SLOAD:
                if !changedSlots.contains(Int(Int16(bitPattern: ins.op1))) { invariant.insert(ref) }
            case .LT, .GE, .LE, .GT, .ULT, .UGE, .ULE, .UGT, .EQ, .NE, .CARG, .CALLN, .CONV, .TOBIT, .FPMATH,
                 .BNOT, .BSWAP, .BAND, .BOR, .BXOR, .BSHL, .BSHR, .BSAR, .BROL, .BROR,
                 .ADD, .SUB, .MUL, .DIV, .MOD, .POW, .NEG, .ABS, .MIN, .MAX,
                 .AREF, .HREFK, .HREF, .UREFO, .UREFC, .FREF, .BASE, .STRREF, .CINDEX, .CADDR, .CREF, .CNEWI:
                invariant.insert(ref)
            case .ALOAD, .HLOAD, .ULOAD, .FLOAD, .XLOAD, .ALEN, .CALLL, .CLOAD:
                if LoadForwarding.isUnwritten(ir, ins, writers: writers) { invariant.insert(ref) }
            default:
                continue
            }
        }
        return invariant
    }
}
