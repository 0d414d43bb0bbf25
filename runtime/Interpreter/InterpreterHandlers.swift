/// The instruction handlers of the common instructions: constants and moves, arithmetic,
/// comparisons, branches and loops, upvalues, globals and table fields. The dispatch loop
/// (CSupport's `perigee_interpret`) calls the handler of each instruction with the frame
/// base and the next pc in registers; a handler returns where execution goes on. Fast paths
/// are here; everything that may call a metamethod or fail goes out of line into the run.
import CSupport
import PerigeeFrontend

typealias RunPointer = UnsafeMutablePointer<InterpreterRun>
typealias Slots = UnsafeMutablePointer<UInt64>
typealias Code = UnsafePointer<UInt32>

/// The innermost interpreter run's state (`perigee_interpret` sets it for each run).
@inline(__always) var run: UnsafeMutableRawPointer { perigee_run.unsafelyUnwrapped }

@inline(__always) func runState(_ run: UnsafeMutableRawPointer) -> RunPointer {
    run.assumingMemoryBound(to: InterpreterRun.self)
}


/// Goes on at `pc` in the same frame.
@inline(__always) func stay(_ pc: Code, _ base: Slots) -> PerigeeStep { PerigeeStep(pc: pc, base: base) }

/// After a comparison or test, the JMP at `pc` follows: where execution goes on when it is
/// taken or stepped over.
@inline(__always) func afterTest(_ pc: Code, taken: Bool) -> Code {
    taken ? pc + 1 + Instruction(pc.pointee).jumpOffset : pc + 1
}

@inline(__always) func branch(_ taken: Bool, _ pc: Code, _ base: Slots) -> PerigeeStep {
    PerigeeStep(pc: afterTest(pc, taken: taken), base: base)
}

/// Runs an out-of-line part of an instruction on the run, with base and pc published to it.
@inline(__always) func slowPath(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code,
                                _ body: (inout InterpreterRun) -> CallStatus?) -> PerigeeStep {
    let s = runState(run)
    s.pointee.base = valueSlots(base)
    s.pointee.pc = pc
    let done = body(&s.pointee)
    return s.pointee.proceed(done)
}

/// The primitive of operand D of KPRI, ISEQP and USETP.
@inline(__always) func primitive(_ d: Int) -> Value { d == 0 ? .nil : (d == 1 ? .false : .true) }

// MARK: Constants and moves

@_cdecl("perigee_op_MOV") @inline(__always)
func opMOV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    base[Instruction(ins).ra] = base[Instruction(ins).rd]
    return stay(pc, base)
}

@_cdecl("perigee_op_NOT") @inline(__always)
func opNOT(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    r[Instruction(ins).ra] = r[Instruction(ins).rd].isTruthy ? .false : .true
    return stay(pc, base)
}

@_cdecl("perigee_op_KSTR") @inline(__always)
func opKSTR(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    valueSlots(base)[Instruction(ins).ra] = runState(run).pointee.k[-1 - Instruction(ins).rd]
    return stay(pc, base)
}

@_cdecl("perigee_op_KNUM") @inline(__always)
func opKNUM(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    valueSlots(base)[Instruction(ins).ra] = runState(run).pointee.k[Instruction(ins).rd]
    return stay(pc, base)
}

@_cdecl("perigee_op_KSHORT") @inline(__always)
func opKSHORT(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    valueSlots(base)[Instruction(ins).ra] = Value(number: Double(Instruction(ins).signedD))
    return stay(pc, base)
}

@_cdecl("perigee_op_KPRI") @inline(__always)
func opKPRI(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    valueSlots(base)[Instruction(ins).ra] = primitive(Instruction(ins).rd)
    return stay(pc, base)
}

@_cdecl("perigee_op_KNIL") @inline(__always)
func opKNIL(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    var i = Instruction(ins).ra
    let last = Instruction(ins).rd
    while i <= last { r[i] = .nil; i += 1 }
    return stay(pc, base)
}

// MARK: Arithmetic

/// ADD*..MOD* and POW: operator and operand form come from the opcode's definition (a
/// constant in each handler, so each folds to its own fast path).
@inline(__always) func arithmetic(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code, _ ins: UInt32,
                                  _ op: Opcode) -> PerigeeStep {
    let form = op.arithmetic.unsafelyUnwrapped
    let r = valueSlots(base)
    let i = Instruction(ins)
    let x: Value, y: Value
    switch form.operands {
    case .variableNumber:
        x = r[i.rb]; y = runState(run).pointee.k[i.rc]
        if x.isNumber { r[i.ra] = Value(number: form.op.apply(x.number, y.number)); return stay(pc, base) }
    case .numberVariable:
        x = runState(run).pointee.k[i.rc]; y = r[i.rb]
        if y.isNumber { r[i.ra] = Value(number: form.op.apply(x.number, y.number)); return stay(pc, base) }
    case .variableVariable, .unary:
        x = r[i.rb]; y = r[i.rc]
        if x.isNumber && y.isNumber { r[i.ra] = Value(number: form.op.apply(x.number, y.number)); return stay(pc, base) }
    }
    return arithmeticOther(base, pc, ins)
}

/// Arithmetic on anything but numbers, out of line and in tail position (the handlers'
/// number case saves no registers): coercions and metamethods.
@_cdecl("perigee_arithmetic_other") @inline(never)
func arithmeticOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let i = Instruction(ins)
    let k = runState(run).pointee.k
    let x: Value, y: Value
    switch i.verifiedOpcode.arithmetic.unsafelyUnwrapped.operands {
    case .variableNumber: x = r[i.rb]; y = k[i.rc]
    case .numberVariable: x = k[i.rc]; y = r[i.rb]
    case .variableVariable, .unary: x = r[i.rb]; y = r[i.rc]
    }
    return slowPath(run, base, pc) { $0.arithmeticSlow(ins, x, y) }
}

@_cdecl("perigee_op_ADDVN") @inline(__always) func opADDVN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .ADDVN) }
@_cdecl("perigee_op_SUBVN") @inline(__always) func opSUBVN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .SUBVN) }
@_cdecl("perigee_op_MULVN") @inline(__always) func opMULVN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .MULVN) }
@_cdecl("perigee_op_DIVVN") @inline(__always) func opDIVVN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .DIVVN) }
@_cdecl("perigee_op_MODVN") @inline(__always) func opMODVN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .MODVN) }
@_cdecl("perigee_op_ADDNV") @inline(__always) func opADDNV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .ADDNV) }
@_cdecl("perigee_op_SUBNV") @inline(__always) func opSUBNV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .SUBNV) }
@_cdecl("perigee_op_MULNV") @inline(__always) func opMULNV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .MULNV) }
@_cdecl("perigee_op_DIVNV") @inline(__always) func opDIVNV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .DIVNV) }
@_cdecl("perigee_op_MODNV") @inline(__always) func opMODNV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .MODNV) }
@_cdecl("perigee_op_ADDVV") @inline(__always) func opADDVV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .ADDVV) }
@_cdecl("perigee_op_SUBVV") @inline(__always) func opSUBVV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .SUBVV) }
@_cdecl("perigee_op_MULVV") @inline(__always) func opMULVV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .MULVV) }
@_cdecl("perigee_op_DIVVV") @inline(__always) func opDIVVV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .DIVVV) }
@_cdecl("perigee_op_MODVV") @inline(__always) func opMODVV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .MODVV) }
@_cdecl("perigee_op_POW") @inline(__always) func opPOW(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { arithmetic(run, base, pc, ins, .POW) }

@_cdecl("perigee_op_UNM") @inline(__always)
func opUNM(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let v = r[Instruction(ins).rd]
    if v.isNumber { r[Instruction(ins).ra] = Value(number: -v.number); return stay(pc, base) }
    return slowPath(run, base, pc) { $0.arithmeticSlow(ins, v, v) }
}

@_cdecl("perigee_op_LEN") @inline(__always)
func opLEN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let v = r[Instruction(ins).rd]
    if v.isString { r[Instruction(ins).ra] = Value(number: Double(v.string.count)); return stay(pc, base) }
    if v.isTable { r[Instruction(ins).ra] = Value(number: Double(v.table.length())); return stay(pc, base) }
    return slowPath(run, base, pc) { $0.lengthSlow(ins, v) }
}

// MARK: Comparisons and tests (each comparison is followed by the JMP taken when true)

@inline(__always) func compare(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code, _ ins: UInt32,
                               _ test: (Double, Double) -> Bool) -> PerigeeStep {
    let r = valueSlots(base)
    let x = r[Instruction(ins).ra], y = r[Instruction(ins).rd]
    if x.isNumber && y.isNumber { return branch(test(x.number, y.number), pc, base) }
    return slowPath(run, base, pc) { $0.compareSlow(ins, x, y) }
}

@_cdecl("perigee_op_ISLT") @inline(__always) func opISLT(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { compare(run, base, pc, ins) { $0 < $1 } }
@_cdecl("perigee_op_ISGE") @inline(__always) func opISGE(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { compare(run, base, pc, ins) { !($0 < $1) } }
@_cdecl("perigee_op_ISLE") @inline(__always) func opISLE(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { compare(run, base, pc, ins) { $0 <= $1 } }
@_cdecl("perigee_op_ISGT") @inline(__always) func opISGT(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { compare(run, base, pc, ins) { !($0 <= $1) } }

@inline(__always) func equality(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code, _ ins: UInt32, whenEqual: Bool) -> PerigeeStep {
    let r = valueSlots(base)
    let x = r[Instruction(ins).ra], y = r[Instruction(ins).rd]
    let equal = x.rawEquals(y)
    if !equal && (((x.isTable || x.isUserdata) && x.top17 == y.top17) || x.isCData || y.isCData) {
        return slowPath(run, base, pc) { $0.equalitySlow(ins, x, y, whenEqual: whenEqual) }
    }
    return branch(equal == whenEqual, pc, base)
}

@_cdecl("perigee_op_ISEQV") @inline(__always) func opISEQV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { equality(run, base, pc, ins, whenEqual: true) }
@_cdecl("perigee_op_ISNEV") @inline(__always) func opISNEV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep { equality(run, base, pc, ins, whenEqual: false) }

@_cdecl("perigee_op_ISEQS") @inline(__always) func opISEQS(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let x = valueSlots(base)[Instruction(ins).ra], s = runState(run).pointee.k[-1 - Instruction(ins).rd]
    if x.isCData { return cdataEqualsConstant(run, base, pc, ins, s, whenEqual: true) }
    return branch(x == s, pc, base)
}
@_cdecl("perigee_op_ISNES") @inline(__always) func opISNES(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let x = valueSlots(base)[Instruction(ins).ra], s = runState(run).pointee.k[-1 - Instruction(ins).rd]
    if x.isCData { return cdataEqualsConstant(run, base, pc, ins, s, whenEqual: false) }
    return branch(x != s, pc, base)
}

@inline(__always) func equalsNumber(_ run: UnsafeMutableRawPointer, _ base: Slots, _ ins: UInt32) -> Bool {
    let x = valueSlots(base)[Instruction(ins).ra]
    return x.isNumber && x.number == runState(run).pointee.k[Instruction(ins).rd].number
}
/// A cdata compared with a constant: the FFI's `__eq` decides (`1LL == 1`, `ptr == nil`).
@inline(never) func cdataEqualsConstant(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code, _ ins: UInt32,
                                        _ constant: Value, whenEqual: Bool) -> PerigeeStep {
    let x = valueSlots(base)[Instruction(ins).ra]
    return slowPath(run, base, pc) { $0.equalitySlow(ins, x, constant, whenEqual: whenEqual) }
}
@_cdecl("perigee_op_ISEQN") @inline(__always) func opISEQN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    if valueSlots(base)[Instruction(ins).ra].isCData {
        return cdataEqualsConstant(run, base, pc, ins, runState(run).pointee.k[Instruction(ins).rd], whenEqual: true)
    }
    return branch(equalsNumber(run, base, ins), pc, base)
}
@_cdecl("perigee_op_ISNEN") @inline(__always) func opISNEN(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    if valueSlots(base)[Instruction(ins).ra].isCData {
        return cdataEqualsConstant(run, base, pc, ins, runState(run).pointee.k[Instruction(ins).rd], whenEqual: false)
    }
    return branch(!equalsNumber(run, base, ins), pc, base)
}
@_cdecl("perigee_op_ISEQP") @inline(__always) func opISEQP(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let x = valueSlots(base)[Instruction(ins).ra]
    if x.isCData { return cdataEqualsConstant(run, base, pc, ins, primitive(Instruction(ins).rd), whenEqual: true) }
    return branch(x == primitive(Instruction(ins).rd), pc, base)
}
@_cdecl("perigee_op_ISNEP") @inline(__always) func opISNEP(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let x = valueSlots(base)[Instruction(ins).ra]
    if x.isCData { return cdataEqualsConstant(run, base, pc, ins, primitive(Instruction(ins).rd), whenEqual: false) }
    return branch(x != primitive(Instruction(ins).rd), pc, base)
}

@_cdecl("perigee_op_ISTC") @inline(__always) func opISTC(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let v = base[Instruction(ins).rd]
    if Value(bits: v).isTruthy { base[Instruction(ins).ra] = v; return branch(true, pc, base) }
    return stay(pc + 1, base)
}
@_cdecl("perigee_op_ISFC") @inline(__always) func opISFC(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let v = base[Instruction(ins).rd]
    if !Value(bits: v).isTruthy { base[Instruction(ins).ra] = v; return branch(true, pc, base) }
    return stay(pc + 1, base)
}
@_cdecl("perigee_op_IST") @inline(__always) func opIST(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    branch(valueSlots(base)[Instruction(ins).rd].isTruthy, pc, base)
}
@_cdecl("perigee_op_ISF") @inline(__always) func opISF(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    branch(!valueSlots(base)[Instruction(ins).rd].isTruthy, pc, base)
}

// MARK: Branches and loops

@_cdecl("perigee_op_JMP") @inline(__always) func opJMP(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    stay(pc + Instruction(ins).jumpOffset, base)
}

/// Counts a loop edge for the JIT; nothing but a flag test while no one counts.
@inline(__always) func countLoop(_ run: UnsafeMutableRawPointer, _ pc: Code) {
    if runState(run).pointee.withVM({ $0.hotCounters.isCounting }) { countLoopEdge(run, pc) }
}

@inline(never) func countLoopEdge(_ run: UnsafeMutableRawPointer, _ pc: Code) {
    runState(run).pointee.withVM { $0.hotCounters.count(pc - 1, by: 2) }
}

@_cdecl("perigee_op_FORI") @inline(__always) func opFORI(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let idx = r[a], stop = r[a + 1], step = r[a + 2]
    guard idx.isNumber && stop.isNumber && step.isNumber else {
        return slowPath(run, base, pc) { $0.forPrepareSlow(ins) }
    }
    let i = idx.number, s = stop.number
    if step.number >= 0 ? i <= s : i >= s {
        r[a + 3] = idx
        return stay(pc, base)
    }
    return stay(pc + Instruction(ins).jumpOffset, base)
}

/// Whether a loop edge must take its handler's other path: the instruction budget is spent
/// (subtracting `cost` from it) or the JIT counts loops (not a loop it gave up on, IFORL,
/// IITERL, ILOOP, whose edges are never counted).
@inline(__always) func loopEdgeIsWatched(_ run: UnsafeMutableRawPointer, cost: Int, _ ins: UInt32) -> Bool {
    spendInstructions(cost) || (runState(run).pointee.withVM({ $0.hotCounters.isCounting }) && !isBlacklistedLoop(ins))
}

/// IFORL, IITERL, ILOOP: a loop edge the JIT no longer counts.
@inline(__always) func isBlacklistedLoop(_ ins: UInt32) -> Bool {
    switch Instruction(ins).verifiedOpcode {
    case .IFORL, .IITERL, .ILOOP: return true
    default: return false
    }
}

/// A loop edge while the budget is spent or the JIT counts, out of line and in tail
/// position (the common edge saves no registers); the budget was charged already. Nil when
/// the loop instruction's own work follows.
@inline(__always) func watchedLoopEdge(_ base: Slots, _ pc: Code) -> PerigeeStep? {
    if perigee_instruction_budget < 0 { return slowPath(run, base, pc) { $0.loopBudgetSpent() } }
    if !isBlacklistedLoop(pc[-1]) { countLoop(run, pc) }
    return nil
}

@_cdecl("perigee_for_loop_edge_other") @inline(never)
func forLoopEdgeOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    watchedLoopEdge(base, pc) ?? forLoopStep(base, pc, ins)
}
@_cdecl("perigee_iterator_loop_edge_other") @inline(never)
func iteratorLoopEdgeOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    watchedLoopEdge(base, pc) ?? iteratorLoopStep(base, pc, ins)
}
@_cdecl("perigee_loop_edge_other") @inline(never)
func loopEdgeOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    watchedLoopEdge(base, pc) ?? stay(pc, base)
}

@_cdecl("perigee_op_FORL") @inline(__always) func opFORL(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    if loopEdgeIsWatched(run, cost: -Instruction(ins).jumpOffset, ins) { return forLoopEdgeOther(base, pc, ins) }
    return forLoopStep(base, pc, ins)
}

@inline(__always) func forLoopStep(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let a = Instruction(ins).ra
    let st = r[a + 2].number
    let i = r[a].number + st
    let s = r[a + 1].number
    if st >= 0 ? i <= s : i >= s {
        r[a] = Value(number: i)
        r[a + 3] = Value(number: i)
        return stay(pc + Instruction(ins).jumpOffset, base)
    }
    return stay(pc, base)
}

@_cdecl("perigee_op_ITERL") @inline(__always) func opITERL(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    if loopEdgeIsWatched(run, cost: -Instruction(ins).jumpOffset, ins) { return iteratorLoopEdgeOther(base, pc, ins) }
    return iteratorLoopStep(base, pc, ins)
}

@inline(__always) func iteratorLoopStep(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let a = Instruction(ins).ra
    let v = base[a]
    if Value(bits: v).isNil { return stay(pc, base) }
    base[a - 1] = v
    return stay(pc + Instruction(ins).jumpOffset, base)
}

@_cdecl("perigee_op_LOOP") @inline(__always) func opLOOP(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    if loopEdgeIsWatched(run, cost: Instruction(ins).loopCost, ins) { return loopEdgeOther(base, pc, ins) }
    return stay(pc, base)
}

// MARK: Upvalues

@_cdecl("perigee_op_UGET") @inline(__always) func opUGET(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let closure = runState(run).pointee.closure
    valueSlots(base)[Instruction(ins).ra] = closure.upvalueObjects[Instruction(ins).rd].unsafelyUnwrapped.value
    return stay(pc, base)
}

@_cdecl("perigee_op_USETV") @inline(__always) func opUSETV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    s.pointee.closure.upvalueObjects[Instruction(ins).ra].unsafelyUnwrapped.set(valueSlots(base)[Instruction(ins).rd], s.pointee.g)
    return stay(pc, base)
}

/// UCLO: closes the upvalues of registers from A up, then jumps.
@_cdecl("perigee_op_UCLO") @inline(__always)
func opUCLO(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let L = s.pointee.L
    let from = valueSlots(base) + Instruction(ins).ra
    if L.hasOpenUpvalues(atOrAbove: from) { L.closeUpvalues(from: from - L.pointee.stack, s.pointee.g) }
    return stay(pc + Instruction(ins).jumpOffset, base)
}

// MARK: Globals and table fields

@_cdecl("perigee_op_GGET") @inline(__always) func opGGET(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let key = s.pointee.k[-1 - Instruction(ins).rd]
    let env = s.pointee.closure.pointee.env.unsafelyUnwrapped
    let v = env.get(string: key.string)
    if !v.isNil || env.pointee.metatable == nil {
        valueSlots(base)[Instruction(ins).ra] = v
        return stay(pc, base)
    }
    return globalGetOther(base, pc, ins)
}

/// A global absent from an environment with a metatable: its `__index`, out of line and in
/// tail position (the common read saves no registers).
@_cdecl("perigee_gget_other") @inline(never) func globalGetOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let s = runState(run)
    let key = s.pointee.k[-1 - Instruction(ins).rd]
    let env = s.pointee.closure.pointee.env.unsafelyUnwrapped
    return slowPath(run, base, pc) { $0.indexSlow(ins, Value(table: env), key, slot: -1) }
}

@inline(never) func inheritedValue(_ g: GlobalRef, _ t: TableRef, _ key: Value) -> Value? {
    g.indexThroughTables(t, key)
}

/// A table read whose key the instruction names; `get` reads the table's own entry.
@inline(__always) func tableGet(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code, _ ins: UInt32,
                                key: Value, _ get: (TableRef) -> Value) -> PerigeeStep {
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb]
    if t.isTable {
        let tab = t.table
        let v = get(tab)
        if !v.isNil || tab.pointee.metatable == nil {
            r[Instruction(ins).ra] = v
            return stay(pc, base)
        }
        // Methods and defaults inherited through `__index` tables.
        if let inherited = inheritedValue(runState(run).pointee.g, tab, key) {
            r[Instruction(ins).ra] = inherited
            return stay(pc, base)
        }
    } else if t.isCData, let v = runState(run).pointee.g.cdataRead(t, key) {
        // A C element or member read in place (FFI/CDataAccess.swift).
        r[Instruction(ins).ra] = v
        return v.isCData ? afterCDataAllocation(run, base, pc) : stay(pc, base)
    }
    return slowPath(run, base, pc) { $0.indexSlow(ins, t, key, slot: Instruction(ins).rb) }
}

/// A cdata read boxed its result (a reference, a 64-bit integer, a pointer): with it in its
/// register, this is a safepoint, as after FNEW.
@inline(__always) func afterCDataAllocation(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code) -> PerigeeStep {
    let g = runState(run).pointee.g
    if g.pointee.totalBytes < g.pointee.threshold { return stay(pc, base) }
    return slowPath(run, base, pc) { r in
        r.syncTop()
        return r.g.checkGC() ? nil : .error
    }
}

// The table instructions' common cases come first, with nothing but loads and stores, so
// the handler saves no registers; everything else is tail-called out of line (`*Other`).

@_cdecl("perigee_op_TGETV") @inline(__always) func opTGETV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb], key = r[Instruction(ins).rc]
    if t.isTable && key.isNumber, let slot = t.table.arraySlot(key.number) {
        let v = slot.pointee
        if !v.isNil || t.table.pointee.metatable == nil {
            r[Instruction(ins).ra] = v
            return stay(pc, base)
        }
    }
    return tableGetVariableOther(base, pc, ins)
}
@_cdecl("perigee_tgetv_other") @inline(never) func tableGetVariableOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let key = valueSlots(base)[Instruction(ins).rc]
    return tableGet(run, base, pc, ins, key: key) { $0.get(key) }
}
@_cdecl("perigee_op_TGETS") @inline(__always) func opTGETS(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb]
    if t.isTable {
        let key = runState(run).pointee.k[-1 - Instruction(ins).rc]
        let v = t.table.get(string: key.string)
        if !v.isNil {
            r[Instruction(ins).ra] = v
            return stay(pc, base)
        }
    }
    return tableGetStringOther(base, pc, ins)
}
/// TGETS's other cases. A table reaching here has no value of its own at the key (TGETS
/// just looked), so its own lookup is not repeated: nil without a metatable, else what
/// `__index` gives.
@_cdecl("perigee_tgets_other") @inline(never) func tableGetStringOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let key = runState(run).pointee.k[-1 - Instruction(ins).rc]
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb]
    if t.isTable {
        let tab = t.table
        if tab.pointee.metatable == nil {
            r[Instruction(ins).ra] = .nil
            return stay(pc, base)
        }
        if let inherited = inheritedValue(runState(run).pointee.g, tab, key) {
            r[Instruction(ins).ra] = inherited
            return stay(pc, base)
        }
        return slowPath(run, base, pc) { $0.indexSlow(ins, t, key, slot: Instruction(ins).rb) }
    }
    return tableGet(run, base, pc, ins, key: key) { $0.get(string: key.string) }
}
@_cdecl("perigee_op_TGETB") @inline(__always) func opTGETB(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb]
    let c = Instruction(ins).rc
    if t.isTable && c < Int(t.table.pointee.arrayLimit) {
        let v = t.table.pointee.array.unsafelyUnwrapped[c &- 1]
        if !v.isNil || t.table.pointee.metatable == nil {
            r[Instruction(ins).ra] = v
            return stay(pc, base)
        }
    }
    return tableGetByteOther(base, pc, ins)
}
@_cdecl("perigee_tgetb_other") @inline(never) func tableGetByteOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let c = Instruction(ins).rc
    return tableGet(run, base, pc, ins, key: Value(number: Double(c))) { $0.get(integer: c) }
}

/// A table store whose key the instruction names; `set` stores into the table itself.
@inline(__always) func tableSet(_ run: UnsafeMutableRawPointer, _ base: Slots, _ pc: Code, _ ins: UInt32,
                                key: Value, _ set: (TableRef, Value, GlobalRef) -> TableStatus) -> PerigeeStep {
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb]
    if t.isTable {
        let tab = t.table
        // No __newindex to consult: a plain store (a bad key or no memory changes
        // nothing, and the slow path reports it).
        if !runState(run).pointee.g.needsNewIndex(tab, key) {
            if set(tab, r[Instruction(ins).ra], runState(run).pointee.g) == .ok { return stay(pc, base) }
        }
    } else if t.isCData && runState(run).pointee.g.cdataWrite(t, key, r[Instruction(ins).ra]) {
        return stay(pc, base)
    }
    return slowPath(run, base, pc) { $0.newIndexSlow(ins) }
}

/// A store into an existing slot needs neither `__newindex` (the slot holds a value, or the
/// table has no metatable) nor a barrier (the value is not an object, or the table is not
/// black): the common case of TSETV, TSETS and TSETB.
@inline(__always) func plainStore(_ t: TableRef, _ slot: UnsafeMutablePointer<Value>, _ v: Value) -> Bool {
    (!slot.pointee.isNil || t.pointee.metatable == nil) && !(v.isCollectable && t.pointee.marked & GCMark.black != 0)
}

@_cdecl("perigee_op_TSETV") @inline(__always) func opTSETV(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb], key = r[Instruction(ins).rc]
    if t.isTable && key.isNumber, let slot = t.table.arraySlot(key.number) {
        let v = r[Instruction(ins).ra]
        if plainStore(t.table, slot, v) {
            t.table.storeInArray(slot, v)
            return stay(pc, base)
        }
    }
    return tableSetVariableOther(base, pc, ins)
}
@_cdecl("perigee_tsetv_other") @inline(never) func tableSetVariableOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let key = valueSlots(base)[Instruction(ins).rc]
    return tableSet(run, base, pc, ins, key: key) { $0.set(key, $1, $2) }
}
@_cdecl("perigee_op_TSETS") @inline(__always) func opTSETS(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb]
    if t.isTable {
        let tab = t.table
        let key = runState(run).pointee.k[-1 - Instruction(ins).rc]
        if let slot = tab.existingSlot(string: key.string) {
            let v = r[Instruction(ins).ra]
            if plainStore(tab, slot, v) {
                // As every string-keyed store: the table may be a metatable.
                tab.pointee.absentMetamethods = 0
                slot.pointee = v
                return stay(pc, base)
            }
        }
    }
    return tableSetStringOther(base, pc, ins)
}
@_cdecl("perigee_tsets_other") @inline(never) func tableSetStringOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let key = runState(run).pointee.k[-1 - Instruction(ins).rc]
    return tableSet(run, base, pc, ins, key: key) { $0.set(string: key.string, $1, $2) }
}
@_cdecl("perigee_op_TSETB") @inline(__always) func opTSETB(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let r = valueSlots(base)
    let t = r[Instruction(ins).rb]
    let c = Instruction(ins).rc
    if t.isTable && c < Int(t.table.pointee.arrayLimit) {
        let slot = t.table.pointee.array.unsafelyUnwrapped + (c &- 1)
        let v = r[Instruction(ins).ra]
        if plainStore(t.table, slot, v) {
            t.table.storeInArray(slot, v)
            return stay(pc, base)
        }
    }
    return tableSetByteOther(base, pc, ins)
}
@_cdecl("perigee_tsetb_other") @inline(never) func tableSetByteOther(_ base: Slots, _ pc: Code, _ ins: UInt32) -> PerigeeStep {
    let c = Instruction(ins).rc
    return tableSet(run, base, pc, ins, key: Value(number: Double(c))) { $0.set(integer: c, $1, $2) }
}
