/// 64-bit integer cdata (`int64_t`, `uint64_t`) computed inline in programs that use the
/// FFI: `+ - * / %`, unary minus and the comparisons, with luajit's rules (PerigeeCodegen's
/// Integer64Code, which the JIT shares; the runtime's answers in runtime/FFI/CInteger64.swift).
///
/// NumberInference tells which registers certainly hold such an integer (from `LL`/`ULL`
/// constants, and arithmetic with one of them as an operand). Those keep their value
/// unboxed in an LLVM value (an `i64` copy of the register, promoted to a machine register);
/// arithmetic on them allocates nothing. The stack slot of such a register may hold an
/// older value ("stale"); it gets a new cdata made from the copy (`perigee_box_integer64`)
/// where the value escapes: before any call into the runtime (which may read the frame,
/// collect garbage, or hand the activation to the interpreter), before an instruction that
/// reads the register without knowing integers (calls, returns, table stores into tables,
/// ...), and where a result goes into a register that is not kept unboxed.
///
/// An operand not known at compile time is tested at run time: a number (truncated to the
/// operation's type), or a cdata whose C type id is `int64_t` or `uint64_t` (its payload).
/// Arithmetic whose type inference fixed (an operand known to be an integer) leaves the
/// speculative code for the interpreter (`perigee_despecialize`) when such an operand turns
/// out to be anything else or to change the type (a `uint64_t` where `int64_t` was
/// inferred); arithmetic on operands of unknown kinds computes numbers and integers
/// inline and calls the runtime for anything else (metamethods, errors), and goes on.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

/// An operand of 64-bit integer arithmetic or a comparison, as far as compiled code knows it.
enum Integer64Operand {
    /// An unboxed integer of a known type.
    case integer(LLVMValueRef, unsigned: Bool)
    /// A number (a double).
    case number(LLVMValueRef)
    /// Decoded at run time: a number's bits or an integer's, which of the two, and for an
    /// integer whether it is a `uint64_t`.
    case dynamic(raw: LLVMValueRef, isNumber: LLVMValueRef, unsigned: LLVMValueRef)
}

extension FunctionLowering {
    // MARK: Unboxed registers

    /// The `i64` copy of register r (registers that ever hold an unboxed integer have one).
    func integerCopy(_ r: Int) -> LLVMValueRef { integer64Copies[r]! }

    /// Makes a new cdata holding `bits` (`uint64_t` when `unsigned`, an i1) and stores it into
    /// register r's slot.
    func boxInteger(into r: Int, _ bits: LLVMValueRef, unsigned: LLVMValueRef) {
        let code = b.or(i64(r), b.shl(b.zext(unsigned, cx.i64), i64(8)))
        let status = callRuntime(.boxInteger64, [thread, base, i64(currentPC), code, bits])
        refreshFrame()
        bailIfNegative(status)
    }

    /// Boxes the unboxed integer of register r (known at `currentPC`) into its slot, unless
    /// the slot holds it already (boxed on another path since the value was computed).
    func boxRegister(_ r: Int) {
        guard let unsigned = numbers.integer(r, at: currentPC), let flag = integer64Boxed[r] else { return }
        let box = newBlock("box"), boxed = newBlock("boxed")
        b.condBr(b.load(cx.i1, flag), boxed, box)
        b.position(atEndOf: box)
        boxInteger(into: r, b.load(cx.i64, integerCopy(r)), unsigned: signedness(unsigned: unsigned))
        b.store(cx.constant(1, cx.i1), flag)
        b.br(boxed)
        b.position(atEndOf: boxed)
    }

    /// Before a call into the runtime: every stale slot gets its register's value.
    func boxStaleRegisters() {
        guard numbers.integers, currentPC < proto.bytecode.count else { return }
        for r in numbers.states[currentPC].stale.subtracting(boxedNow).members { boxRegister(r) }
    }

    /// At the start of instruction `pc`: boxes the stale registers it reads as boxed values.
    func boxEscapingRegisters(_ pc: Int) {
        boxedNow = RegisterSet()
        guard numbers.integers else { return }
        let escaping = numbers.escapingAt(pc, proto.bytecode[pc])
        for r in escaping.members { boxRegister(r) }
        boxedNow = escaping
    }

    /// Writes integer `bits` of the type inferred (`unsigned`) into register a, as instruction
    /// `pc` leaves it: the unboxed copy, and a boxed value in the slot unless that stays stale.
    func storeInteger(_ a: Int, _ bits: LLVMValueRef, unsigned: Bool, at pc: Int) {
        let after = numbers.results[pc]
        if after.integer(a) != nil { b.store(bits, integerCopy(a)) }
        if let flag = integer64Boxed[a] { b.store(cx.constant(after.stale.contains(a) ? 0 : 1, cx.i1), flag) }
        guard !after.stale.contains(a) else { return }
        boxInteger(into: a, bits, unsigned: signedness(unsigned: unsigned))
    }

    /// MOV of an unboxed integer: the copy, the slot (the same object, or as stale as the
    /// source's) and whether it is boxed; boxed first when the destination must not be stale.
    func moveInteger(_ a: Int, _ d: Int, at pc: Int) {
        let after = numbers.results[pc]
        if !after.stale.contains(a) { boxRegister(d) }
        if after.integer(a) != nil { b.store(b.load(cx.i64, integerCopy(d)), integerCopy(a)) }
        if let flag = integer64Boxed[a] { b.store(b.load(cx.i1, integer64Boxed[d]!), flag) }
        store(a, load(d))
    }

    // MARK: Operands

    /// Register r at `pc` as an operand: unboxed, a known number, or decoded from its slot
    /// (control goes to `other` for values that are neither numbers nor 64-bit integers).
    func integer64Operand(_ r: Int, at pc: Int, other: LLVMBasicBlockRef) -> Integer64Operand {
        if let unsigned = numbers.integer(r, at: pc) { return .integer(b.load(cx.i64, integerCopy(r)), unsigned: unsigned) }
        if numbers.isNumber(r, at: pc) { return .number(numberValue(r, at: pc)) }
        return decodedOperand(load(r), other: other)
    }

    /// Boxed value `v` decoded: a number, or an `int64_t`/`uint64_t` cdata; `other` otherwise.
    func decodedOperand(_ v: LLVMValueRef, other: LLVMBasicBlockRef) -> Integer64Operand {
        let number = newBlock("i64.number"), cdata = newBlock("i64.cdata"), joined = newBlock("i64.operand")
        b.condBr(isNumber(v), number, cdata)
        b.position(atEndOf: cdata)
        let (bits, unsigned) = cdataInteger64(v, other: other)
        let cdataEnd = b.insertBlock!
        b.br(joined)
        b.position(atEndOf: number)
        b.br(joined)
        b.position(atEndOf: joined)
        let yes = cx.constant(1, cx.i1), no = cx.constant(0, cx.i1)
        return .dynamic(raw: b.phi(cx.i64, [(v, number), (bits, cdataEnd)]),
                        isNumber: b.phi(cx.i1, [(yes, number), (no, cdataEnd)]),
                        unsigned: b.phi(cx.i1, [(no, number), (unsigned, cdataEnd)]))
    }

    /// Whether the operand is a `uint64_t` (an i1).
    func isUnsigned(_ o: Integer64Operand) -> LLVMValueRef {
        switch o {
        case .integer(_, let unsigned): return signedness(unsigned: unsigned)
        case .number: return signedness(unsigned: false)
        case .dynamic(_, _, let unsigned): return unsigned
        }
    }

    /// The operand's 64 bits in an operation of signedness `unsigned`.
    func bits(of o: Integer64Operand, unsigned: LLVMValueRef) -> LLVMValueRef {
        switch o {
        case .integer(let v, _): return v
        case .number(let d): return integer64(fromNumber: d, unsigned: unsigned)
        case .dynamic(let raw, let isNumber, _):
            return b.select(isNumber, integer64(fromNumber: b.bitcast(raw, cx.double), unsigned: unsigned), raw)
        }
    }

    /// The operands of arithmetic instruction `pc` (the first and second, the same one twice
    /// for unary minus), decoded; `other` takes what is neither numbers nor integers.
    private func arithmeticOperands(_ pc: Int, other: LLVMBasicBlockRef) -> (Integer64Operand, Integer64Operand) {
        let ins = proto.bytecode[pc]
        let form = ins.opcode.arithmetic!
        func constant() -> Integer64Operand { .number(cx.constant(proto.numberConstants[ins.rc])) }
        switch form.operands {
        case .unary:
            let x = integer64Operand(ins.rd, at: pc, other: other)
            return (x, x)
        case .variableNumber: return (integer64Operand(ins.rb, at: pc, other: other), constant())
        case .numberVariable: return (constant(), integer64Operand(ins.rb, at: pc, other: other))
        case .variableVariable:
            let x = integer64Operand(ins.rb, at: pc, other: other)
            return (x, integer64Operand(ins.rc, at: pc, other: other))
        }
    }

    /// Instruction `pc` when it is arithmetic or a comparison with an operand inference
    /// knows to be a 64-bit integer: whether control falls through; nil for other instructions.
    func lowerInteger64Instruction(_ pc: Int) -> Bool? {
        switch proto.bytecode[pc].opcode {
        case .UNM, .ADDVN, .SUBVN, .MULVN, .DIVVN, .MODVN, .ADDNV, .SUBNV, .MULNV, .DIVNV, .MODNV,
             .ADDVV, .SUBVV, .MULVV, .DIVVV, .MODVV:
            return lowerInteger64Arithmetic(pc) ? true : nil
        case .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQN, .ISNEN:
            return lowerInteger64Comparison(pc) ? false : nil
        default:
            return nil
        }
    }

    // MARK: Arithmetic

    /// `+ - * / %` and unary minus with an operand inference knows to be a 64-bit integer:
    /// the result is kept unboxed; operands that turn out otherwise leave the speculative
    /// code. False when inference knows no such operand.
    func lowerInteger64Arithmetic(_ pc: Int) -> Bool {
        let ins = proto.bytecode[pc]
        guard let unsigned = NumberInference.integerArithmetic(ins, numbers.states[pc], speculative: !generic) else { return false }
        let mismatch = newBlock("i64.mismatch")
        let (x, y) = arithmeticOperands(pc, other: mismatch)
        let type = signedness(unsigned: unsigned)
        if !unsigned {
            // A `uint64_t` met where inference expected `int64_t` arithmetic.
            for o in [x, y] { if case .dynamic = o { guardOr(inverse(isUnsigned(o)), slow: mismatch) } }
        }
        let result = integer64Arithmetic(ins.opcode.arithmetic!.op, bits(of: x, unsigned: type), bits(of: y, unsigned: type),
                                         unsigned: type)
        storeInteger(ins.ra, result, unsigned: unsigned, at: pc)
        let next = b.insertBlock!
        // Only the speculative version reaches this (the generic one infers integers from
        // known operands alone).
        b.position(atEndOf: mismatch)
        b.ret(call(.despecialize, [i64(pc), i64(0)]))
        b.position(atEndOf: next)
        return true
    }

    /// Arithmetic on operands of unknown kinds, past the failed number check (the builder is
    /// in that block): numbers and 64-bit integers compute inline (the integer result boxed),
    /// anything else through the runtime; then `done`.
    func lowerDynamicInteger64Arithmetic(_ pc: Int, done: LLVMBasicBlockRef) {
        let ins = proto.bytecode[pc]
        let runtime = newBlock("arith.runtime")
        let (x, y) = arithmeticOperands(pc, other: runtime)
        let unsigned = b.or(isUnsigned(x), isUnsigned(y))
        let result = integer64Arithmetic(ins.opcode.arithmetic!.op, bits(of: x, unsigned: unsigned),
                                         bits(of: y, unsigned: unsigned), unsigned: unsigned)
        boxInteger(into: ins.ra, result, unsigned: unsigned)
        b.br(done)
        b.position(atEndOf: runtime)
        bailIfNegative(call(.arith, pc: pc))
        b.br(done)
    }

    // MARK: Comparisons

    private func inverse(_ condition: LLVMValueRef) -> LLVMValueRef { b.icmp(LLVMIntEQ, condition, cx.constant(0, cx.i1)) }

    /// ISLT ISGE ISLE ISGT ISEQV ISNEV ISEQN ISNEN on numbers and 64-bit integers, at least
    /// one an integer, when inference knows one operand to be an integer: inline, with what
    /// turns out otherwise compared by the runtime. False when inference knows none.
    func lowerInteger64Comparison(_ pc: Int) -> Bool {
        let ins = proto.bytecode[pc]
        guard numbers.integer(ins.ra, at: pc) != nil
                || (ins.opcode != .ISEQN && ins.opcode != .ISNEN && numbers.integer(ins.rd, at: pc) != nil) else { return false }
        let runtime = newBlock("compare")
        let x = integer64Operand(ins.ra, at: pc, other: runtime)
        let y: Integer64Operand = ins.opcode == .ISEQN || ins.opcode == .ISNEN
            ? .number(cx.constant(proto.numberConstants[ins.rd])) : integer64Operand(ins.rd, at: pc, other: runtime)
        branchOnInteger64Comparison(pc, x, y)
        b.position(atEndOf: runtime)
        compareThroughRuntime(pc)
        return true
    }

    /// Past a failed number check of a comparison (the builder is in that block): operands
    /// that are numbers and 64-bit integers compare inline, anything else in the runtime.
    func lowerDynamicInteger64Comparison(_ pc: Int, _ x: LLVMValueRef, _ y: LLVMValueRef) {
        let runtime = newBlock("compare")
        branchOnInteger64Comparison(pc, decodedOperand(x, other: runtime), decodedOperand(y, other: runtime))
        b.position(atEndOf: runtime)
        compareThroughRuntime(pc)
    }

    /// The comparison of instruction `pc` on two decoded operands, branching as it decides.
    private func branchOnInteger64Comparison(_ pc: Int, _ x: Integer64Operand, _ y: Integer64Operand) {
        let unsigned = b.or(isUnsigned(x), isUnsigned(y))
        let p = bits(of: x, unsigned: unsigned), q = bits(of: y, unsigned: unsigned)
        let holds: LLVMValueRef
        switch proto.bytecode[pc].opcode {
        case .ISLT: holds = integer64Less(p, q, orEqual: false, unsigned: unsigned)
        case .ISGE: holds = inverse(integer64Less(p, q, orEqual: false, unsigned: unsigned))
        case .ISLE: holds = integer64Less(p, q, orEqual: true, unsigned: unsigned)
        case .ISGT: holds = inverse(integer64Less(p, q, orEqual: true, unsigned: unsigned))
        case .ISEQV, .ISEQN: holds = b.icmp(LLVMIntEQ, p, q)
        default: holds = b.icmp(LLVMIntNE, p, q)
        }
        branchOnFollowingJump(holds, pc)
    }
}
