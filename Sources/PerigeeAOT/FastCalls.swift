/// Calls of builtins in compiled code. A call site whose callee register was loaded under a
/// builtin's name (`math.sqrt(x)`, a local or upvalue `band`, `s:byte(i)`, `select`, ...)
/// tests the callee's fast-function id and, with arguments the inline form handles, computes
/// the result itself; anything else (another function under that name, a string where a
/// number is expected, an index outside the string) takes the ordinary call. A call that
/// reaches any builtin with a fast-function id runs its common case through
/// `perigee_fast_call`, without a frame, as the interpreter does; only what that declines
/// (other argument types, errors) calls the builtin, so the builtin keeps the semantics,
/// its error messages and tracebacks.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

/// What a call site computes inline when its callee is the builtin it names.
enum InlineBuiltin: Equatable {
    /// A math function or `type` (`FastFunction`), with its arity's arguments.
    case math(FastFunction)
    /// The math functions that keep their C function as an upvalue (`mathUnary`: `asin`,
    /// `log10`, `deg`, ...; `mathBinary`: `pow`, `atan2`): a direct call of it on numbers.
    case mathC(FastBuiltin)
    /// A `bit` operation on number arguments (`tohex` makes a string: it takes the fast call).
    case bit(FastBuiltin)
    /// `string.len(s)`; `string.byte(s [, i])` of a byte inside `s`.
    case stringLen, stringByte
    /// `select('#', ...)`.
    case selectCount
    /// `tonumber(x)` of a number; `rawget(t, k)` of a table with a number or string key.
    case tonumber, rawget

    static let bitOperations: [String: FastBuiltin] = [
        "tobit": .tobit, "bnot": .bnot, "bswap": .bswap, "band": .band, "bor": .bor, "bxor": .bxor,
        "lshift": .lshift, "rshift": .rshift, "arshift": .arshift, "rol": .rol, "ror": .ror,
    ]
    static let mathCFunctions: [String: FastBuiltin] = [
        "asin": .mathUnary, "acos": .mathUnary, "log10": .mathUnary, "sinh": .mathUnary, "cosh": .mathUnary,
        "tanh": .mathUnary, "deg": .mathUnary, "rad": .mathUnary, "pow": .mathBinary, "atan2": .mathBinary,
    ]

    /// The form for a call of a function named `name` with `nargs` arguments.
    init?(named name: String, nargs: Int) {
        if let ff = FastFunction(named: name), ff.arity == nargs {
            self = .math(ff)
        } else if let kind = InlineBuiltin.mathCFunctions[name], nargs == (kind == .mathBinary ? 2 : 1) {
            self = .mathC(kind)
        } else if let op = InlineBuiltin.bitOperations[name] {
            switch op {
            case .band, .bor, .bxor: guard nargs >= 1 && nargs <= 8 else { return nil }
            case .lshift, .rshift, .arshift, .rol, .ror: guard nargs == 2 else { return nil }
            default: guard nargs == 1 else { return nil }
            }
            self = .bit(op)
        } else {
            switch (name, nargs) {
            case ("len", 1): self = .stringLen
            case ("byte", 1), ("byte", 2): self = .stringByte
            case ("select", 1...): self = .selectCount
            case ("tonumber", 1): self = .tonumber
            case ("rawget", 2): self = .rawget
            default: return nil
            }
        }
    }

    /// Whether the builtin answers a number whenever it returns (not `type`, `select(n, ...)`,
    /// `tonumber`, `rawget`, nor `string.byte`, which answers nothing past the string's end).
    var answersNumber: Bool {
        switch self {
        case .math(let ff): return ff != .type
        case .mathC, .bit, .stringLen: return true
        case .stringByte, .selectCount, .tonumber, .rawget: return false
        }
    }

    /// The fast-function id of the builtin this form computes.
    var id: UInt8 {
        switch self {
        case .math(let ff): return ff.rawValue
        case .mathC(let kind), .bit(let kind): return kind.rawValue
        case .stringLen: return FastBuiltin.stringLen.rawValue
        case .stringByte: return FastBuiltin.stringByte.rawValue
        case .selectCount: return FastBuiltin.select.rawValue
        case .tonumber: return FastBuiltin.tonumber.rawValue
        case .rawget: return FastBuiltin.rawget.rawValue
        }
    }
}

extension FunctionLowering {
    /// The builtin the call at `pc` (callee in register `a`, `nargs` arguments, `multi`: and
    /// a previous call's results) probably calls, judged by the callee's name, and the
    /// arguments its inline form takes: for `multi`, `select('#', ...)` takes any number,
    /// the others the fixed ones and one result of the previous call (checked where called).
    func expectedBuiltin(_ pc: Int, _ a: Int, nargs: Int, multi: Bool = false) -> (InlineBuiltin, Int)? {
        compact ? nil : FunctionLowering.expectedBuiltin(proto, pc, a, nargs: nargs, multi: multi, guidance: guidance)
    }

    /// Without a name, the builtin a profile saw the call reach (`guidance`), if any.
    static func expectedBuiltin(_ proto: Prototype, _ pc: Int, _ a: Int, nargs: Int, multi: Bool,
                                guidance: FunctionGuidance? = nil) -> (InlineBuiltin, Int)? {
        let count = multi ? nargs + 1 : nargs
        if let (_, name) = proto.slotName(pc, a) {
            if multi, name == "select", nargs >= 1 { return (.selectCount, nargs) }
            if let form = InlineBuiltin(named: name, nargs: count) { return (form, count) }
        }
        guard let id = guidance?.builtins[pc] else { return nil }
        return InlineBuiltin(id: id, nargs: count).map { ($0, count) }
    }

    /// The calls of `proto` (by pc) that want one result from a builtin that answers numbers:
    /// past them, compiled code has checked the result to be a number (another callee's
    /// other answer hands the activation to the interpreter), so arithmetic on it needs no check.
    /// In chunks that use the FFI (`integers`), `bit` calls may answer 64-bit cdata: not those.
    static func numericCalls(_ proto: Prototype, _ guidance: FunctionGuidance? = nil, integers: Bool = false) -> Set<Int> {
        guard !isCompact(proto) else { return [] }
        var calls: Set<Int> = []
        for (pc, ins) in proto.bytecode.enumerated() where (ins.opcode == .CALL || ins.opcode == .CALLM) && ins.rb == 2 {
            let multi = ins.opcode == .CALLM
            if let (form, _) = expectedBuiltin(proto, pc, ins.ra, nargs: multi ? ins.rc : ins.rc - 1, multi: multi,
                                               guidance: guidance),
               form.answersNumber {
                if integers, case .bit = form { continue }
                calls.insert(pc)
            }
        }
        return calls
    }

    /// Stores into register `a` the one result of `builtin` on the call's `nargs` arguments
    /// (the fixed ones; `count`: all of them, as an i64) when the function object `f` is that
    /// builtin and the arguments suit the inline form; otherwise control goes to `otherwise`.
    func storeInlineBuiltin(_ builtin: InlineBuiltin, _ f: LLVMValueRef, _ pc: Int, _ a: Int, nargs: Int,
                            count: LLVMValueRef, otherwise: LLVMBasicBlockRef) {
        let id = cx.constant(Int64(builtin.id), cx.i8)
        guardOr(b.icmp(LLVMIntEQ, loadField(f, RuntimeLayout.functionFFID, cx.i8), id), slow: otherwise)
        let first = a + 2
        switch builtin {
        case .math(.type):
            store(a, callRuntime(.typeName, [load(first)]))
        case .math(let ff):
            storeNumber(a, mathFunction(ff, (0..<ff.arity).map { numberArgument(first + $0, pc, otherwise) }))
        case .mathC:
            let type = cx.function(cx.double, Array(repeating: cx.double, count: nargs))
            let args = (0..<nargs).map { numberArgument(first + $0, pc, otherwise) }
            // The C function, a light userdata in the builtin's first upvalue.
            let cFunction = b.pointerCast(objectPointer(loadField(f, RuntimeLayout.functionUpvalues, cx.i64)),
                                          cx.pointer(to: type))
            storeNumber(a, b.call(type, cFunction, args))
        case .bit(let op):
            let x = (0..<nargs).map { exactBitOperand(first + $0) ?? toBit(numberArgument(first + $0, pc, otherwise)) }
            let r: LLVMValueRef
            switch op {
            case .band, .bor, .bxor: r = x.dropFirst().reduce(x[0]) { bitOperation(op, $0, $1) }
            case .lshift, .rshift, .arshift, .rol, .ror: r = bitOperation(op, x[0], x[1])
            default: r = bitOperation(op, x[0])
            }
            storeNumber(a, b.sitofp(r, cx.double))
            recordBitResult(a, r)
        case .stringLen:
            let s = stringArgument(first, otherwise)
            storeNumber(a, b.sitofp(loadCount(s, RuntimeLayout.stringLength), cx.double))
        case .stringByte:
            storeNumber(a, byteOfString(pc, first, nargs: nargs, otherwise: otherwise))
        case .selectCount:
            // A string whose first byte is '#' (an empty string's terminating zero is not).
            let selector = stringArgument(first, otherwise)
            let hash = cx.constant(Int64(UInt8(ascii: "#")), cx.i8)
            guardOr(b.icmp(LLVMIntEQ, loadField(selector, GCString.bytesOffset, cx.i8), hash), slow: otherwise)
            storeNumber(a, b.sitofp(b.sub(count, i64(1)), cx.double))
        case .tonumber:
            storeNumber(a, numberArgument(first, pc, otherwise))
        case .rawget:
            storeRawGet(pc, a, otherwise: otherwise)
        }
    }

    /// Register `r` as a double when it holds a number (else to `otherwise`).
    private func numberArgument(_ r: Int, _ pc: Int, _ otherwise: LLVMBasicBlockRef) -> LLVMValueRef {
        let v = valueBits(r, at: pc)
        if !numbers.isNumber(r, at: pc) { guardOr(isNumber(v), slow: otherwise) }
        return b.bitcast(v, cx.double)
    }

    /// The string object in register `r` (else to `otherwise`).
    private func stringArgument(_ r: Int, _ otherwise: LLVMBasicBlockRef) -> LLVMValueRef {
        let v = load(r)
        guardOr(hasTag(v, ValueBits.stringTag), slow: otherwise)
        return objectPointer(v)
    }

    /// `string.byte(s [, i])` (s in register `first`) as a double, when the byte at integer
    /// position i (from the end when negative) is inside s; else to `otherwise`, which also
    /// answers the calls with no result.
    private func byteOfString(_ pc: Int, _ first: Int, nargs: Int, otherwise: LLVMBasicBlockRef) -> LLVMValueRef {
        let s = stringArgument(first, otherwise)
        let length = loadCount(s, RuntimeLayout.stringLength)
        var index = i64(1)
        if nargs == 1 {
            guardOr(b.icmp(LLVMIntUGT, length, i64(0)), slow: otherwise)
        } else {
            let d = numberArgument(first + 1, pc, otherwise)
            let n = b.sitofp(length, cx.double)
            let inside = b.and(b.and(b.fcmp(LLVMRealOGE, d, b.fneg(n)), b.fcmp(LLVMRealOLE, d, n)),
                               b.fcmp(LLVMRealONE, d, cx.constant(0.0)))
            guardOr(inside, slow: otherwise)
            // Inside ±length, so the conversion is defined; the round trip says it is an integer.
            let i = b.fptosi(d, cx.i64)
            guardOr(b.fcmp(LLVMRealOEQ, b.sitofp(i, cx.double), d), slow: otherwise)
            index = b.select(b.icmp(LLVMIntSLT, i, i64(0)), b.add(b.add(i, length), i64(1)), i)
        }
        let byte = b.load(cx.i8, b.gep(cx.i8, s, [b.add(index, i64(GCString.bytesOffset - 1))]))
        return b.sitofp(b.zext(byte, cx.i32), cx.double)
    }

    /// `rawget(t, k)` (arguments from register `a + 2`) of a table and a number or string key,
    /// into register `a`; other keys go to `otherwise`.
    private func storeRawGet(_ pc: Int, _ a: Int, otherwise: LLVMBasicBlockRef) {
        let t = tableOperand(a + 2, slow: otherwise)
        let key = load(a + 3)
        let number = newBlock("numberkey"), notNumber = newBlock("otherkey"), hashed = newBlock("hashed"),
            done = newBlock("rawgot")
        b.condBr(isNumber(key), number, notNumber)
        b.position(atEndOf: number)
        storeSlotValue(arraySlot(t, key, slow: hashed), into: a, done: done)
        b.position(atEndOf: hashed)
        storeSlotValue(findNumberSlot(t, key), into: a, done: done)
        b.position(atEndOf: notNumber)
        guardOr(hasTag(key, ValueBits.stringTag), slow: otherwise)
        storeSlotValue(findStringSlot(t, key), into: a, done: done)
        b.position(atEndOf: done)
    }

    /// Stores the value in table slot `slot` (null: absent, nil) into register `a`; then `done`.
    private func storeSlotValue(_ slot: LLVMValueRef, into a: Int, done: LLVMBasicBlockRef) {
        let present = b.icmp(LLVMIntNE, b.ptrToInt(slot, cx.i64), i64(0))
        let read = newBlock("read"), absent = newBlock("absent")
        b.condBr(present, read, absent)
        b.position(atEndOf: read)
        store(a, b.load(cx.i64, slot))
        b.br(done)
        b.position(atEndOf: absent)
        store(a, bits(ValueBits.nil))
        b.br(done)
    }

    /// CALL/CALLM of an expected `bit` operation: computed inline; any other callee or
    /// arguments hand the rest of this activation to the interpreter, from this call. So the
    /// code after the call is reached from the inline path alone, and straight-line code
    /// there keeps the 32-bit result (`exactIntegers`) instead of converting it back and forth.
    func lowerBitCall(_ pc: Int, _ a: Int, _ bReg: Int, _ op: InlineBuiltin, nargs: Int, count: LLVMValueRef, multi: Bool) {
        let other = newBlock("notbit"), computed = newBlock("computed")
        let callee = load(a)
        guardOr(hasTag(callee, ValueBits.functionTag), slow: other)
        if multi { guardOr(b.icmp(LLVMIntEQ, count, i64(nargs)), slow: other) }
        storeInlineBuiltin(op, objectPointer(callee), pc, a, nargs: nargs, count: count, otherwise: other)
        adjustOneResult(a, bReg)
        b.br(computed)
        b.position(atEndOf: other)
        b.ret(call(.interpretRest, [i64(pc), b.load(cx.i64, multres)]))
        b.position(atEndOf: computed)
    }

    /// The one result in register `a` as call instruction B wants it: counted in `multres`
    /// (B = 0), or followed by nils.
    func adjustOneResult(_ a: Int, _ bReg: Int) {
        if bReg == 0 {
            b.store(i64(1), multres)
        } else {
            for i in 1..<max(bReg - 1, 1) { store(a + i, bits(ValueBits.nil)) }
        }
    }

    /// Whether the exact integers behind registers (`exactIntegers`) stay current past
    /// the instruction at `pc`: it writes registers only inline and control goes on from it
    /// alone (no runtime call that could run Lua code and change a local, no merge).
    func keepsExactIntegers(_ pc: Int) -> Bool {
        let ins = proto.bytecode[pc]
        switch ins.opcode {
        case .MOV, .KSTR, .KNUM, .KSHORT, .KPRI, .KNIL, .UGET:
            return true
        case .CALL, .CALLM:
            let multi = ins.opcode == .CALLM
            guard case .bit? = expectedBuiltin(pc, ins.ra, nargs: multi ? ins.rc : ins.rc - 1, multi: multi)?.0 else { return false }
            return !numbers.integers
        default:
            // Speculative arithmetic leaves the compiled code when it cannot go on inline
            // (in FFI chunks it goes on with other values).
            return !generic && !numbers.integers && NumberInference.isArithmetic(ins.opcode)
        }
    }

    /// A builtin with a fast-function id runs its common case through `perigee_fast_call` on
    /// this frame's registers: its results land from register `a`, adjusted to `wanted`
    /// (-1: all, counted in `multres`). When that declines, or the callee is another
    /// builtin, control goes to `general`.
    func callFastBuiltin(_ f: LLVMValueRef, _ a: Int, nargs: LLVMValueRef, wanted: Int, general: LLVMBasicBlockRef) {
        let ffid = loadField(f, RuntimeLayout.functionFFID, cx.i8)
        guardOr(b.icmp(LLVMIntUGT, ffid, cx.constant(Int64(GCFunction.builtinFFID), cx.i8)), slow: general)
        let r = call(.fastCall, [i64(a), nargs, i64(wanted)])
        guardOr(b.icmp(LLVMIntSGE, r, i64(0)), slow: general)
        if wanted < 0 {
            b.store(r, multres)
            setStackTop(thread, b.add(b.add(base, i64(a)), r))
        }
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
