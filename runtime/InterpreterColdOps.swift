/// The rarer instructions, which share one handler, the slow paths of the common ones
/// (metamethods, coercions, errors), and the instruction hook's handler.
import CSupport
import PerigeeFrontend

/// Instructions that seldom run in a hot loop: run by the run's `coldInstruction`.
@_cdecl("perigee_op_cold") @inline(__always) func opCold(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    slowPath(run, base, pc) { $0.coldInstruction(ins) }
}

/// Before each instruction while a line, count or return hook is set. Returns the same pc
/// and base to go on with the instruction, anything else to go on there instead.
@_cdecl("perigee_op_hook") @inline(__always) func opHook(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    guard s.pointee.vm.hooks.onInstructions else { return stay(pc, base) }
    return slowPath(run, base, pc) { r in
        let index = r.slotIndex(r.base)
        r.status = r.vm.instructionHook(r.L, r.closure, r.pc, base: index)
        r.rebase(index)
        return nil
    }
}

extension InterpreterRun {
    /// The instructions without a handler of their own.
    mutating func coldInstruction(_ ins: UInt32) -> CallStatus? {
        let a = operandA(ins)
        switch unsafeBitCast(UInt8(truncatingIfNeeded: ins), to: Opcode.self) {
        case .CAT:
            syncTop()
            return runConcatenation(from: operandB(ins), to: operandC(ins), into: a)
        case .KCDATA:
            L.pointee.base = UInt32(slotIndex(base))
            return vm.errorAt(L, closure, currentPC(), "FFI constants (LL, ULL and i literals) need the ffi library, which Perigee does not have yet")
        case .USETS:
            closure.upvalueObjects[a].unsafelyUnwrapped.set(k[-1 - operandD(ins)], g)
        case .USETN:
            closure.upvalueObjects[a].unsafelyUnwrapped.set(k[operandD(ins)], g)
        case .USETP:
            closure.upvalueObjects[a].unsafelyUnwrapped.set(primitive(ins >> 16), g)
        case .FNEW:
            return newClosure(ins)
        case .TNEW:
            syncTop()
            guard let t = vm.newTable(sizes: operandD(ins)) else { return vm.outOfMemory(L) }
            base[a] = Value(table: t)
            g.checkGC()
        case .TDUP:
            syncTop()
            guard let t = vm.duplicateTable(k[-1 - operandD(ins)].table) else { return vm.outOfMemory(L) }
            base[a] = Value(table: t)
            g.checkGC()
        case .GSET:
            let key = k[-1 - operandD(ins)]
            let env = closure.pointee.env.unsafelyUnwrapped
            syncTop()
            return finish(vm.resolveNewIndex(L, closure, currentPC(), Value(table: env), key, base[a], slot: -1), into: -1)
        case .TSETM:
            return storeMultiple(ins)
        case .VARG:
            return varargs(ins)
        case .ISNEXT:
            // `pairs`/`next` loops: a hidden traversal position instead of the key, when
            // the iterator really is `next` on a table; otherwise fall back for good.
            if base[a - 3].isFunction && base[a - 3].function == vm.nextFunction && base[a - 2].isTable && base[a - 1].isNil {
                base[a - 1] = Value(number: 0)
            } else {
                vm.despecializeIterator(pc - 1)
            }
            pc += jumpOffset(ins)
        case .ISTYPE, .ISNUM:
            return vm.errorAt(L, closure, currentPC(), "internal error: type-check instruction outside a trace")
        case .FUNCC, .FUNCCW:
            return vm.runtimeError("internal error: native function header in Lua code", L)
        default:
            return vm.errorAt(L, closure, currentPC(), "internal error: instruction \(ins & 0xff) has no handler")
        }
        return nil
    }

    /// FNEW: a closure of the prototype constant D, its upvalues from this frame's
    /// registers or this closure's upvalues.
    mutating func newClosure(_ ins: UInt32) -> CallStatus? {
        syncTop()
        let p = k[-1 - operandD(ins)].proto
        guard let f = g.newLuaClosure(p, env: closure.pointee.env) else { return vm.outOfMemory(L) }
        base[operandA(ins)] = Value(function: f)
        let descriptors = p.pointee.upvalueDescriptors
        for i in 0..<Int(p.pointee.upvalueCount) {
            let d = descriptors[i]
            if d & upvalueIsLocal != 0 {
                guard let uv = L.findUpvalue(slot: slotIndex(base) + Int(d & 0xff), g) else { return vm.outOfMemory(L) }
                f.setUpvalue(i, uv, g)
            } else {
                f.setUpvalue(i, closure.upvalueObjects[Int(d)].unsafelyUnwrapped, g)
            }
        }
        g.checkGC()
        return nil
    }

    /// TSETM: stores base[a] ..< base[a + multres] at t[start ...], t = base[a - 1] (a table
    /// in compiled code; checked for bytecode loaded from a dump).
    mutating func storeMultiple(_ ins: UInt32) -> CallStatus? {
        let a = operandA(ins)
        guard base[a - 1].isTable else { return vm.errorAt(L, closure, currentPC(), "internal error: TSETM on a non-table") }
        let t = base[a - 1].table
        let start = Int(k[operandD(ins)].number - 4_503_599_627_370_496)
        L.pointee.base = UInt32(slotIndex(base))
        L.pointee.top = UInt32(slotIndex(base) + a + multres)
        if !vm.storeMultiple(t, from: base + a, count: multres, at: start) { return vm.outOfMemory(L) }
        syncTop()
        return nil
    }

    /// VARG: the varargs sit below this frame, from the original base + parameter count.
    mutating func varargs(_ ins: UInt32) -> CallStatus? {
        let a = operandA(ins)
        let delta = base[-1].frameValue
        let params = Int(closure.proto.pointee.parameterCount)
        let available = max(0, delta - 2 - params)
        let wanted = operandB(ins) - 1
        if wanted >= 0 {
            let from = base - delta + params
            for i in 0..<wanted { base[a + i] = i < available ? from[i] : .nil }
            return nil
        }
        let needed = slotIndex(base) + a + available + 4
        if needed > Int(L.pointee.stackSize) {
            let index = slotIndex(base)
            guard L.ensureStack(needed - Int(L.pointee.top), g) else { return vm.errorAt(L, closure, currentPC(), "stack overflow") }
            rebase(index)
        }
        let from = base - delta + params
        for i in 0..<available { base[a + i] = from[i] }
        multres = available
        L.pointee.top = UInt32(max(Int(L.pointee.top), slotIndex(base) + a + available))
        return nil
    }

    // MARK: Slow paths of the common instructions

    /// Arithmetic (or UNM) whose operands are not both numbers: coercion or a metamethod.
    @inline(never) mutating func arithmeticSlow(_ ins: UInt32, _ kind: ArithmeticOp, _ x: Value, _ y: Value) -> CallStatus? {
        syncTop()
        let op = UInt8(truncatingIfNeeded: ins)
        let slots: (Int, Int)
        if op == Opcode.UNM.rawValue {
            slots = (operandD(ins), operandD(ins))
        } else if op <= Opcode.MODVN.rawValue {
            slots = (operandB(ins), -1)
        } else if op <= Opcode.MODNV.rawValue {
            slots = (-1, operandB(ins))
        } else {
            slots = (operandB(ins), operandC(ins))
        }
        return finish(vm.resolveArithmetic(L, closure, currentPC(), kind, x, y, operandSlots: slots), into: operandA(ins))
    }

    @inline(never) mutating func lengthSlow(_ ins: UInt32, _ v: Value) -> CallStatus? {
        syncTop()
        return finish(vm.resolveLength(L, closure, currentPC(), v, slot: operandD(ins)), into: operandA(ins))
    }

    /// ISLT, ISGE, ISLE, ISGT on operands that are not both numbers.
    @inline(never) mutating func compareSlow(_ ins: UInt32, _ x: Value, _ y: Value) -> CallStatus? {
        syncTop()
        let op = UInt8(truncatingIfNeeded: ins)
        let lessEqual = op == Opcode.ISLE.rawValue || op == Opcode.ISGT.rawValue
        let (outcome, inverted) = vm.resolveComparison(L, closure, currentPC(), x, y, lessEqual: lessEqual)
        switch outcome {
        case .value(let r):
            let positive = op == Opcode.ISLT.rawValue || op == Opcode.ISLE.rawValue
            pc = afterTest(pc, taken: positive ? r.isTruthy : !r.isTruthy)
            return nil
        case .call(let mm, let p, let q, _):
            return callMetamethodInLoop(mm, p, q, nil, inverted: inverted)
        case .failed:
            return .error
        }
    }

    /// ISEQV, ISNEV on two different tables or userdata of a kind: `__eq` may decide.
    @inline(never) mutating func equalitySlow(_ ins: UInt32, _ x: Value, _ y: Value, whenEqual: Bool) -> CallStatus? {
        syncTop()
        if case .call(let mm, let p, let q, _) = vm.resolveEquality(x, y) {
            return callMetamethodInLoop(mm, p, q, nil)
        }
        pc = afterTest(pc, taken: !whenEqual)
        return nil
    }

    /// FORI when a control value is not a number: numeric strings are converted (and
    /// stored back); anything else is an error.
    @inline(never) mutating func forPrepareSlow(_ ins: UInt32) -> CallStatus? {
        let a = operandA(ins)
        guard let i = vm.forNumber(base[a]), let s = vm.forNumber(base[a + 1]), let st = vm.forNumber(base[a + 2]) else {
            let what = vm.forNumber(base[a]) == nil ? "initial value" : (vm.forNumber(base[a + 1]) == nil ? "limit" : "step")
            return vm.errorAt(L, closure, currentPC(), "'for' \(what) must be a number")
        }
        base[a] = Value(number: i); base[a + 1] = Value(number: s); base[a + 2] = Value(number: st)
        if st >= 0 ? i <= s : i >= s {
            base[a + 3] = Value(number: i)
        } else {
            pc += jumpOffset(ins)
        }
        return nil
    }

    /// A read `object[key]` the fast path could not finish: inherited through `__index`
    /// tables, or a metamethod, or an error naming register `slot` (-1: a global).
    @inline(never) mutating func indexSlow(_ ins: UInt32, _ object: Value, _ key: Value, slot: Int) -> CallStatus? {
        if object.isTable, let inherited = g.indexThroughTables(object.table, key) {
            base[operandA(ins)] = inherited
            return nil
        }
        syncTop()
        return finish(vm.resolveIndex(L, closure, currentPC(), object, key, slot: slot), into: operandA(ins))
    }

    /// A store `base[B][key] = base[A]` the fast path could not finish.
    @inline(never) mutating func newIndexSlow(_ ins: UInt32, _ key: Value) -> CallStatus? {
        syncTop()
        let b = operandB(ins)
        return finish(vm.resolveNewIndex(L, closure, currentPC(), base[b], key, base[operandA(ins)], slot: b), into: -1)
    }
}
