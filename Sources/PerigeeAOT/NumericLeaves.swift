/// Known callees that only compute with numbers: straight-line arithmetic on their
/// parameters and constants, ending in one returned value, such as spectral-norm's
/// `local function A(i, j) local ij = i + j - 1 return 1.0 / (ij * (ij - 1) * 0.5 + i) end`.
/// A call of one (KnownCallees) with number arguments computes the callee's arithmetic in
/// the caller: no frame, no link, no result through the stack top. Anything else (another
/// callee in the register, an argument that is not a number, a spent instruction budget)
/// makes the ordinary call, which runs the callee's own code, so metamethods, coercions and
/// errors stay the callee's. In a fast loop's copy (FastLoops) such a call is then no call
/// at all, and the loop gets a fast copy.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeRuntime

struct NumericLeaf {
    /// The callee's instructions past its header: arithmetic (not `^`, which calls libm),
    /// moves and number constants, then RET1.
    let steps: [Instruction]
    let numberConstants: [Double]
    /// The parameters the steps read before writing them (each must be a number).
    let parameters: [Int]
    /// The register RET1 returns.
    let result: Int

    /// Longest callee computed inline (instructions).
    static let maxSteps = 32

    init?(_ proto: Prototype) {
        guard !proto.flags.contains(.vararg), proto.upvalues.isEmpty else { return nil }
        var code = proto.bytecode[...]
        while let first = code.first, first.opcode.control == .header { code = code.dropFirst() }
        guard let last = code.last, last.opcode == .RET1, code.count <= NumericLeaf.maxSteps else { return nil }
        let parameterCount = Int(proto.parameterCount)
        var written = Set<Int>(), read = Set<Int>()
        func use(_ r: Int) -> Bool {
            if written.contains(r) { return true }
            guard r < parameterCount else { return false }
            read.insert(r)
            return true
        }
        for ins in code.dropLast() {
            let op = ins.opcode
            if let form = op.arithmetic, form.op != .pow {
                switch form.operands {
                case .variableNumber, .numberVariable: guard use(ins.rb) else { return nil }
                case .variableVariable: guard use(ins.rb), use(ins.rc) else { return nil }
                case .unary: guard use(ins.rd) else { return nil }
                }
            } else {
                switch op {
                case .MOV: guard use(ins.rd) else { return nil }
                case .KSHORT, .KNUM: break
                default: return nil
                }
            }
            written.insert(ins.ra)
        }
        guard use(last.ra) else { return nil }
        steps = Array(code)
        numberConstants = proto.numberConstants
        parameters = read.sorted()
        result = last.ra
    }

    /// Whether a call passing `nargs` fixed arguments gives every parameter it reads.
    func takes(nargs: Int) -> Bool { parameters.allSatisfy { $0 < nargs } }
}

extension FunctionLowering {
    /// The numeric leaf the CALL at `pc` is known to call, and its symbol, when the call's
    /// `nargs` fixed arguments give every parameter it reads.
    func numericLeaf(at pc: Int, nargs: Int) -> (NumericLeaf, String)? {
        guard let leaf = numericLeaves[pc], leaf.takes(nargs: nargs), let symbol = knownTargets[pc] else { return nil }
        return (leaf, symbol)
    }

    /// A CALL at `pc` of a numeric leaf (`leaf`, the function `symbol` names) with fixed
    /// arguments (C field `bReg`): when `callee` is that function and the arguments are
    /// numbers, the leaf's value goes to register `a` (nil to the other wanted results) and
    /// control to `computed`; otherwise to `otherwise`, which makes the call.
    func storeNumericLeaf(_ leaf: NumericLeaf, symbol: String, callee: LLVMValueRef, _ pc: Int, _ a: Int, _ bReg: Int,
                          otherwise: LLVMBasicBlockRef, computed: LLVMBasicBlockRef) {
        if !checkedLeafCalls.contains(pc) { guardFunction(callee, is: symbol, slow: otherwise) }
        var registers: [Int: LLVMValueRef] = [:]
        for p in leaf.parameters {
            let r = a + 2 + p, v = valueBits(r, at: pc)
            if !numbers.isNumber(r, at: pc) { guardOr(isNumber(v), slow: otherwise) }
            registers[p] = b.bitcast(v, cx.double)
        }
        if !foldedLeafCalls.contains(pc) {
            // Entering the callee costs 1, as its header would charge; a spent budget makes
            // the call, whose header charges it again and raises the error.
            let counter = rt.instructionBudget()
            let left = b.sub(b.load(cx.i64, counter, volatile: true, memory: .budgetCounter), i64(1))
            guardOr(b.icmp(LLVMIntSGE, left, i64(0)), slow: otherwise)
            b.store(left, counter, volatile: true, memory: .budgetCounter)
        }
        let constant = { (k: Int) in self.cx.constant(leaf.numberConstants[k]) }
        for ins in leaf.steps.dropLast() {
            if let form = ins.opcode.arithmetic {
                let (p, q): (LLVMValueRef, LLVMValueRef)
                switch form.operands {
                case .variableNumber: (p, q) = (registers[ins.rb]!, constant(ins.rc))
                case .numberVariable: (p, q) = (constant(ins.rc), registers[ins.rb]!)
                case .variableVariable: (p, q) = (registers[ins.rb]!, registers[ins.rc]!)
                case .unary: (p, q) = (registers[ins.rd]!, registers[ins.rd]!)
                }
                registers[ins.ra] = arithmetic(form.op, p, q)
            } else {
                switch ins.opcode {
                case .MOV: registers[ins.ra] = registers[ins.rd]!
                case .KSHORT: registers[ins.ra] = cx.constant(Double(ins.signedD))
                default: registers[ins.ra] = constant(ins.rd)
                }
            }
        }
        storeNumber(a, registers[leaf.result]!)
        adjustOneResult(a, bReg)
        b.br(computed)
    }

    /// In a fast copy: a CALL of a numeric leaf computed inline; any other callee or
    /// argument leaves for the slow copy, which makes the call.
    func lowerFastCopyLeafCall(_ pc: Int, _ a: Int, _ bReg: Int, _ leaf: NumericLeaf, symbol: String) {
        let other = newBlock("notleaf"), computed = newBlock("leafcomputed")
        storeNumericLeaf(leaf, symbol: symbol, callee: load(a), pc, a, bReg, otherwise: other, computed: computed)
        b.position(atEndOf: other)
        _ = leaveFastCopy(at: pc)
        b.position(atEndOf: computed)
    }

    /// Guards that `value` is the Lua function whose compiled code is `symbol`'s (else to
    /// `slow`).
    func guardFunction(_ value: LLVMValueRef, is symbol: String, slow: LLVMBasicBlockRef) {
        guardOr(hasTag(value, ValueBits.functionTag), slow: slow)
        let f = objectPointer(value)
        guardOr(isLuaFunction(f), slow: slow)
        let native = loadPointerField(protoOf(f), RuntimeLayout.protoNative)
        let target = rt.module.declare(symbol, rt.functionType)
        guardOr(b.icmp(LLVMIntEQ, b.ptrToInt(native, cx.i64), b.ptrToInt(target, cx.i64)), slow: slow)
    }

    /// On entry to the fast copy of `loop`: each numeric leaf call whose callee the body
    /// reads from an upvalue (fixed while the copy runs) has its callee checked here, once;
    /// a run whose upvalue holds another function takes the slow copy. When the body has no
    /// branches, every round makes each of those calls once, and the loop edge charges
    /// their budget with its own.
    func checkLeafCallees(_ loop: FastLoops.Loop) {
        let code = proto.bytecode
        let straight = ((loop.fori + 1)..<loop.forl).allSatisfy {
            code[$0].opcode.control == .sequential || code[$0].opcode.control == .call
        }
        checkedLeafCalls = []
        foldedLeafCalls = []
        for pc in loop.body where code[pc].opcode == .CALL {
            guard let (_, symbol) = numericLeaf(at: pc, nargs: code[pc].rc - 1),
                  let d = KnownCallees.calleeUpvalue(code, pc), let value = invariantUpvalues[d] else { continue }
            guardFunction(value, is: symbol, slow: ordinaryBlock(loop.fori + 1))
            checkedLeafCalls.insert(pc)
            if straight { foldedLeafCalls.insert(pc) }
        }
    }

    /// Leaving the fast copy at `pc` in the middle of a round: charges the leaf calls the
    /// round made before it, whose charge its loop edge would have made.
    func chargeLeafCalls(before pc: Int) {
        let made = foldedLeafCalls.filter { $0 < pc }.count
        guard made > 0 else { return }
        let counter = rt.instructionBudget()
        let left = b.sub(b.load(cx.i64, counter, volatile: true, memory: .budgetCounter), i64(made))
        b.store(left, counter, volatile: true, memory: .budgetCounter)
    }
}
