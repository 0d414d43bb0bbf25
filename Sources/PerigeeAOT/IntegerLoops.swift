/// Numeric `for` loops that count in 64-bit integers. A loop qualifies when its step is an
/// integer constant (the usual `for i = a, b` and `for i = a, b, -1`); at run time its start
/// must also be an integer, which is checked on entry. The counter then runs in an LLVM
/// integer, the visible variable is that integer converted to a double, and a body that
/// indexes a table with it uses the integer directly.
///
/// Lua's semantics stay exactly those of doubles: the counter is kept within ±2^53, where
/// every integer is a double and double addition is exact. A limit at or beyond that edge
/// is clamped to it (at exactly 2^53 doubles cannot step further either), and a loop that
/// reaches the clamp hands the rest of the activation to the interpreter at its FORL, which
/// goes on in doubles. A start that is not an integer hands the whole loop over at its FORI.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM

struct IntegerLoops {
    struct Loop {
        /// The FORI's base register (index, limit, step, visible variable from there).
        let base: Int
        /// The constant step.
        let step: Int
    }

    /// Integer loops by the pc of their FORI.
    private(set) var loops: [Int: Loop] = [:]
    /// `variables[pc]`: the visible loop variables that hold their loop's integer at `pc`
    /// (inside the body of an integer loop that never assigns the variable).
    private(set) var variables: [Int: [Int]] = [:]

    /// The largest magnitude a counter takes: beyond 2^53 doubles are no longer exact.
    static let bound: Double = 9_007_199_254_740_992

    init() {}

    init(_ proto: Prototype) {
        let code = proto.bytecode
        var targets = Set<Int>()
        for (pc, ins) in code.enumerated() where ins.opcode.format.cd == .jump {
            targets.insert(ins.jumpTarget(from: pc))
        }
        for (pc, ins) in code.enumerated() where ins.opcode == .FORI || ins.opcode == .JFORI {
            let a = Int(ins.a)
            // The step is written right before the FORI, and nothing jumps between them.
            guard pc > 0, !targets.contains(pc), let step = IntegerLoops.integerConstant(code[pc - 1], proto, into: a + 2)
            else { continue }
            let exit = ins.jumpTarget(from: pc)
            let forl = exit - 1
            guard forl > pc, forl < code.count else { continue }
            loops[pc] = Loop(base: a, step: step)
            let body = (pc + 1)..<forl
            if !body.contains(where: { code[$0].mayWrite(a + 3) }) {
                for at in body { variables[at, default: []].append(a + 3) }
            }
        }
    }

    func isInteger(_ r: Int, at pc: Int) -> Bool { variables[pc]?.contains(r) ?? false }

    /// The integer `ins` loads into register r, when it is a small integer constant.
    static func integerConstant(_ ins: Instruction, _ proto: Prototype, into r: Int) -> Int? {
        guard Int(ins.a) == r else { return nil }
        switch ins.opcode {
        case .KSHORT:
            return ins.signedD
        case .KNUM:
            let v = proto.numberConstants[Int(ins.d)]
            guard v == v.rounded(.towardZero), abs(v) <= Double(Int32.max) else { return nil }
            return Int(v)
        default:
            return nil
        }
    }
}

extension FunctionLowering {
    /// FORI of an integer loop: number operands and an integer start enter (or skip) the
    /// loop inline; anything else (numeric strings, a fractional start, errors) hands the
    /// activation to the interpreter here.
    func lowerIntegerForPrep(_ pc: Int, _ loop: IntegerLoops.Loop) {
        let a = loop.base, up = loop.step >= 0
        let start = numberValue(a, at: pc), limit = numberValue(a + 1, at: pc)
        let bound = cx.constant(IntegerLoops.bound)
        var fits = b.and(b.fcmp(LLVMRealOEQ, unaryMath("llvm.floor.f64", start), start),
                         b.fcmp(LLVMRealOLE, unaryMath("llvm.fabs.f64", start), bound))
        for r in [a, a + 1] where !numbers.isNumber(r, at: pc) { fits = b.and(fits, isNumber(load(r))) }
        // A -0 start is not its integer's number (the variable's first value must stay -0).
        fits = b.and(fits, b.icmp(LLVMIntNE, b.bitcast(start, cx.i64), bits(UInt64(1) << 63)))
        let inline = newBlock("forprep"), other = newBlock("forother"), enter = newBlock("enter")
        b.condBr(fits, inline, other)
        b.position(atEndOf: other)
        b.ret(call(.interpretRest, [i64(pc), i64(0)]))
        b.position(atEndOf: inline)
        setShadow(a, start); setShadow(a + 1, limit)
        b.condBr(b.fcmp(up ? LLVMRealOLE : LLVMRealOGE, start, limit), enter, block(jumpTarget(pc)))
        b.position(atEndOf: enter)
        // Past ±2^53 the loop goes on in doubles (see lowerIntegerForLoop).
        let edge = cx.constant(up ? IntegerLoops.bound : -IntegerLoops.bound)
        let clamped = b.fcmp(up ? LLVMRealOGE : LLVMRealOLE, limit, edge)
        let within = b.select(clamped, edge, limit)
        let slots = loopLimits[pc]!
        b.store(b.fptosi(unaryMath(up ? "llvm.floor.f64" : "llvm.ceil.f64", within), cx.i64), slots.limit)
        b.store(clamped, slots.clamped)
        let i = b.fptosi(start, cx.i64)
        b.store(i, integerShadows[a]!)
        b.store(i, integerShadows[a + 3]!)
        // The first value is the start itself (a -0 stays -0).
        storeNumber(a + 3, start)
        b.br(block(pc + 1))
    }

    /// FORL of an integer loop: an integer add and compare. A loop whose limit was clamped
    /// and that reached the clamp goes on in the interpreter, from this FORL.
    func lowerIntegerForLoop(_ pc: Int, _ loop: IntegerLoops.Loop) {
        let a = loop.base, slots = loopLimits[jumpTarget(pc) - 1]!
        let next = b.addNSW(b.load(cx.i64, integerShadows[a]!), i64(loop.step))
        let limit = b.load(cx.i64, slots.limit)
        let again = newBlock("again"), exit = newBlock("exit"), onward = newBlock("onward")
        b.condBr(b.icmp(loop.step >= 0 ? LLVMIntSLE : LLVMIntSGE, next, limit), again, exit)
        b.position(atEndOf: again)
        b.store(next, integerShadows[a]!)
        b.store(next, integerShadows[a + 3]!)
        let d = b.sitofp(next, cx.double)
        storeNumber(a, d)
        storeNumber(a + 3, d)
        b.br(block(jumpTarget(pc)))
        b.position(atEndOf: exit)
        b.condBr(b.load(cx.i1, slots.clamped), onward, block(pc + 1))
        b.position(atEndOf: onward)
        b.ret(call(.interpretRest, [i64(pc), i64(0)]))
    }
}
