/// The rarer instructions, which share one handler, the slow paths of the common ones
/// (metamethods, coercions, errors), and the instruction hook's handler.
import CSupport
import PerigeeFrontend

/// Instructions that seldom run in a hot loop: run by the run's `coldInstruction`.
@_cdecl("perigee_op_cold") @inline(__always) func opCold(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    slowPath(run, base, pc) { $0.coldInstruction(ins) }
}

/// TNEW and TDUP: the table made right here while no collector step is due (and no
/// finalizer's error waits to be raised); otherwise, or when memory runs out, the full
/// handler makes it and takes the step. A step that becomes due with this table is taken
/// at the next safepoint (the next allocating instruction or builtin return).
@_cdecl("perigee_op_TNEW") @inline(__always) func opTNEW(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let g = s.pointee.g
    let i = Instruction(ins)
    if !g.stepDue && !g.pointee.finalizerFailed {
        let made = i.verifiedOpcode == .TNEW ? g.newTable(sizes: i.rd) : g.duplicateTable(s.pointee.k[-1 - i.rd].table)
        if let t = made {
            valueSlots(base)[i.ra] = Value(table: t)
            return stay(pc, base)
        }
    }
    return slowPath(run, base, pc) { $0.frame.newTable(i) }
}

/// TSETM (a constructor's last values, from a call or `...`): stored right here when they
/// all land in the table's array part and the table is not black (no barrier); otherwise
/// the full handler grows the table, stores and takes the barrier.
@_cdecl("perigee_op_TSETM") @inline(__always) func opTSETM(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let r = valueSlots(base)
    let i = Instruction(ins)
    let target = r[i.ra - 1]
    if target.isTable {
        let t = target.table
        let start = FrameView.storeMultipleStart(s.pointee.k[i.rd])
        let count = s.pointee.multres
        if start >= 1 && start + count <= Int(t.pointee.arrayLimit) && t.pointee.marked & GCMark.black == 0,
           let array = t.pointee.array {
            for n in 0..<count { t.storeInArray(array + (start - 1 + n), r[i.ra + n]) }
            return stay(pc, base)
        }
    }
    return slowPath(run, base, pc) { $0.coldInstruction(ins) }
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
    /// The running frame, for the slow paths every engine shares (publishes base and top).
    /// Made from the run's unretained VM: no reference counting on the way.
    var frame: FrameView {
        @inline(__always) get { withVM { FrameView($0, L, base: slotIndex(base), closure: closure, pc: currentPC()) } }
    }

    /// The instructions without a handler of their own.
    mutating func coldInstruction(_ ins: UInt32) -> CallStatus? {
        let i = Instruction(ins)
        switch i.verifiedOpcode {
        case .CAT:
            syncTop()
            return runConcatenation(from: i.rb, to: i.rc, into: i.ra)
        case .KCDATA:
            base[i.ra] = k[-1 - i.rd]
        case .USETS, .USETN, .USETP:
            frame.setUpvalue(i)
        case .FNEW:
            return frame.newClosure(i)
        case .GSET:
            return finish(frame.storeFallback(i), into: -1)
        case .TSETM:
            let status = frame.storeMultiple(i, count: multres)
            syncTop()
            return status
        case .VARG:
            let index = slotIndex(base)
            let (status, count) = frame.varargs(i)
            rebase(index)
            if i.rb == 0 { multres = count }
            return status
        case .ISNEXT:
            _ = frame.beginNextTraversal(i)
            pc += i.jumpOffset
        case .ISTYPE, .ISNUM:
            return frame.error("internal error: type-check instruction outside a trace")
        case .FUNCC, .FUNCCW:
            return vm.runtimeError("internal error: native function header in Lua code", L)
        default:
            return frame.error("internal error: instruction \(ins & 0xff) has no handler")
        }
        return nil
    }

    // MARK: Slow paths of the common instructions

    /// Arithmetic (or UNM) whose operands are not both numbers: coercion or a metamethod.
    @inline(never) mutating func arithmeticSlow(_ ins: UInt32, _ x: Value, _ y: Value) -> CallStatus? {
        // 64-bit integers (the FFI's) compute here, before any look at metamethods.
        if x.isCData || y.isCData, let form = Instruction(ins).verifiedOpcode.arithmetic,
           case .value(let v)? = g.integer64Arithmetic(form.op, x, y) {
            base[Instruction(ins).ra] = v
            return g.checkGC() ? nil : .error
        }
        return finish(frame.arithmeticFallback(Instruction(ins), x, y), into: Instruction(ins).ra)
    }

    @inline(never) mutating func lengthSlow(_ ins: UInt32, _ v: Value) -> CallStatus? {
        finish(frame.lengthFallback(Instruction(ins), v), into: Instruction(ins).ra)
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

    /// ISEQV, ISNEV on two different tables or userdata of a kind, or with a cdata: `__eq` or
    /// the FFI's comparison of 64-bit integers may decide.
    @inline(never) mutating func equalitySlow(_ ins: UInt32, _ x: Value, _ y: Value, whenEqual: Bool) -> CallStatus? {
        syncTop()
        switch vm.resolveEquality(x, y) {
        case .call(let mm, let p, let q, _):
            return callMetamethodInLoop(mm, p, q, nil)
        case .value(let equal):
            pc = afterTest(pc, taken: equal.isTruthy == whenEqual)
        case .failed:
            pc = afterTest(pc, taken: !whenEqual)
        }
        return nil
    }

    /// FORI when a control value is not a number: numeric strings are converted (and
    /// stored back); anything else is an error.
    @inline(never) mutating func forPrepareSlow(_ ins: UInt32) -> CallStatus? {
        guard let enter = frame.forPrepare(Instruction(ins)) else { return .error }
        if !enter { pc += Instruction(ins).jumpOffset }
        return nil
    }

    /// A read `object[key]` the fast path could not finish: inherited through `__index`
    /// tables, or a metamethod, or an error naming register `slot` (-1: a global).
    @inline(never) mutating func indexSlow(_ ins: UInt32, _ object: Value, _ key: Value, slot: Int) -> CallStatus? {
        if object.isTable, let inherited = g.indexThroughTables(object.table, key) {
            base[Instruction(ins).ra] = inherited
            return nil
        }
        // A C library's function handed out before (`ffi.C.sqrt`).
        if object.isUserdata, let f = withVM({ $0.cachedCFunction(object, key) }) {
            base[Instruction(ins).ra] = f
            return nil
        }
        syncTop()
        return finish(vm.resolveIndex(L, closure, currentPC(), object, key, slot: slot), into: Instruction(ins).ra)
    }

    /// A store the fast path could not finish.
    @inline(never) mutating func newIndexSlow(_ ins: UInt32) -> CallStatus? {
        finish(frame.storeFallback(Instruction(ins)), into: -1)
    }
}
