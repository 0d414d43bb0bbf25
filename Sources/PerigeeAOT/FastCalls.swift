/// Calls of math builtins computed inline. A call site whose callee register was loaded
/// under a fast function's name (`math.sqrt(x)`, a local or upvalue `sqrt`, `floor`, ...)
/// tests the callee's fast-function id and, with number arguments in the expected count,
/// computes the result itself; anything else (another function under that name, a
/// string argument, an error) takes the ordinary call, so the builtin keeps the semantics.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

extension FunctionLowering {
    /// The fast function the call at `pc` (callee in register `a`, `nargs` arguments)
    /// probably calls, judged by the callee's name.
    func expectedFastFunction(_ pc: Int, _ a: Int, nargs: Int) -> FastFunction? {
        guard !compact, let (_, name) = proto.slotName(pc, a),
              let ff = FastFunction(named: name), ff.arity == nargs else { return nil }
        return ff
    }

    /// Stores into register `a` the result of `ff` on the arguments in the call frame at
    /// `a`, when the function object `f` is that fast function and the arguments suit it;
    /// otherwise control goes to `otherwise`.
    func storeFastFunction(_ ff: FastFunction, _ f: LLVMValueRef, _ pc: Int, _ a: Int, otherwise: LLVMBasicBlockRef) {
        let id = cx.constant(Int64(ff.rawValue), cx.i8)
        guardOr(b.icmp(LLVMIntEQ, loadField(f, RuntimeLayout.functionFFID, cx.i8), id), slow: otherwise)
        if ff == .type {
            store(a, callRuntime(.typeName, [load(a + 2)]))
        } else {
            storeNumber(a, numericFastFunction(ff, pc, a, otherwise: otherwise))
        }
    }

    /// The number `ff` gives for the arguments at `a + 2...` (numbers, else `otherwise`).
    private func numericFastFunction(_ ff: FastFunction, _ pc: Int, _ a: Int, otherwise: LLVMBasicBlockRef) -> LLVMValueRef {
        var args: [LLVMValueRef] = []
        for i in 0..<ff.arity {
            let v = valueBits(a + 2 + i, at: pc)
            if !numbers.isNumber(a + 2 + i, at: pc) { guardOr(isNumber(v), slow: otherwise) }
            args.append(b.bitcast(v, cx.double))
        }
        return mathFunction(ff, args)
    }

    /// ITERC over `ipairs`: when the iterator is the builtin's, the state a table and the
    /// control a number whose successor indexes the array part, the step is an array read;
    /// anything else (the hash part, another iterator) goes to `generic`.
    func lowerIpairsStep(_ pc: Int, _ a: Int, results: Int, generic: LLVMBasicBlockRef) {
        let iterator = load(a - 3)
        guardOr(hasTag(iterator, ValueBits.functionTag), slow: generic)
        let id = cx.constant(Int64(FastFunction.ipairsIterator.rawValue), cx.i8)
        guardOr(b.icmp(LLVMIntEQ, loadField(objectPointer(iterator), RuntimeLayout.functionFFID, cx.i8), id), slow: generic)
        let t = tableOperand(a - 2, slow: generic)
        let control = load(a - 1)
        guardOr(isNumber(control), slow: generic)
        let next = b.fadd(b.bitcast(control, cx.double), cx.constant(1.0))
        let value = b.load(cx.i64, arraySlot(t, b.bitcast(next, cx.i64), slow: generic))
        let end = newBlock("ended"), step = newBlock("step")
        b.condBr(b.icmp(LLVMIntEQ, value, bits(ValueBits.nil)), end, step)
        b.position(atEndOf: end)
        for i in 0..<max(results, 1) { store(a + i, bits(ValueBits.nil)) }
        b.br(block(pc + 1))
        b.position(atEndOf: step)
        storeNumber(a, next)
        if results > 1 { store(a + 1, value) }
        for i in 2..<max(results, 2) { store(a + i, bits(ValueBits.nil)) }
        b.br(block(pc + 1))
    }
}
