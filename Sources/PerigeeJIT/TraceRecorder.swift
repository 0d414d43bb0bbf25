/// The trace recorder: sees each instruction of a hot loop's iteration before the interpreter
/// runs it, with the live values in the registers, and emits IR specialized on what it sees
/// (types, table shapes), with a guard wherever a later iteration could differ. Every
/// bytecode is either recorded or ends the recording with a named reason.
import PerigeeFrontend
import PerigeeRuntime

/// Why a recording stopped without a trace.
public struct TraceAbort: Error, Equatable {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    static func nyi(_ op: Opcode) -> TraceAbort { TraceAbort("NYI: bytecode \(op.name)") }
}

/// Field ids of FLOAD and the upvalue reference (the literal operand).
enum IRField: UInt16 {
    case functionEnv, stringLength
}

final class TraceRecorder {
    let ir = TraceIR()
    /// The loop's FORL or LOOP (the trace's anchor) and the first instruction of its body.
    let anchor: UnsafePointer<UInt32>
    /// A numeric `for` loop (the trace ends with FORL's step), else a `while`/`repeat` loop.
    let isForLoop: Bool
    let loopStart: Int
    let proto: ProtoRef
    let base: Int
    let maxRecord: Int
    /// The IR value each frame slot holds now (slots not read or written yet are absent);
    /// slot -2 is the running function.
    private var slots: [Int: IRRef] = [:]
    private var modified: Set<Int> = []
    /// The snapshot of the instruction being recorded, once one of its guards needed it.
    private var currentSnapshot: Int?
    private var currentPC = 0
    private var recorded = 0
    /// The loop's step is non-negative.
    private var stepsUp = true

    init(anchor: UnsafePointer<UInt32>, proto: ProtoRef, base: Int, maxRecord: Int) {
        self.anchor = anchor
        self.proto = proto
        self.base = base
        self.maxRecord = maxRecord
        let code = UnsafePointer(proto.pointee.bytecode)
        isForLoop = Instruction(anchor.pointee).verifiedOpcode == .FORL
        // A FORL jumps back to its body; a LOOP's body follows it.
        loopStart = isForLoop ? anchor - code + 1 + Instruction(anchor.pointee).jumpOffset : anchor - code + 1
    }

    var code: UnsafePointer<UInt32> { UnsafePointer(proto.pointee.bytecode) }
    var k: UnsafeMutablePointer<Value> { proto.pointee.numbers }

    // MARK: Slots and guards

    /// The IR type of a live value, for the types traces handle.
    static func type(of v: Value) -> IRType? {
        if v.isNumber { return .number }
        guard let type = IRType(rawValue: UInt8(truncatingIfNeeded: 0x1FFFF ^ v.top17)), type.rawValue <= IRType.userdata.rawValue else {
            return nil
        }
        switch type {
        case .nil, .false, .true, .string, .table, .function, .userdata: return type
        default: return nil
        }
    }

    /// The snapshot that a guard of the current instruction leaves through: the state before
    /// the instruction, which the interpreter then runs itself.
    private func guardSnapshot() -> Int {
        if let current = currentSnapshot { return current }
        let entries = modified.sorted().map { SnapshotEntry(slot: $0, ref: slots[$0]!) }
        let index = ir.snapshot(pc: currentPC, depth: 0, entries)
        currentSnapshot = index
        return index
    }

    @discardableResult
    private func emitGuard(_ op: IROp, _ type: IRType, _ a: IRRef, _ b: IRRef = .none) -> IRRef {
        _ = guardSnapshot()
        return ir.emit(op, type, a, b, guard: true)
    }

    /// The value of slot `slot` (`live` is its value now): loaded with a type guard the first
    /// time the trace reads it.
    private func read(_ slot: Int, _ live: Value) throws -> IRRef {
        if let ref = slots[slot] { return ref }
        guard let type = TraceRecorder.type(of: live) else { throw TraceAbort("NYI: slot of an unsupported type") }
        _ = guardSnapshot()
        let ref: IRRef
        if type.isPrimitive {
            ir.emit(.SLOAD, type, UInt16(bitPattern: Int16(slot)), 0, guard: true)
            ref = ir.primitive(type)
        } else {
            ref = ir.emit(.SLOAD, type, UInt16(bitPattern: Int16(slot)), 0, guard: true)
        }
        slots[slot] = ref
        return ref
    }

    private func write(_ slot: Int, _ ref: IRRef) {
        slots[slot] = ref
        modified.insert(slot)
    }

    private func type(_ ref: IRRef) -> IRType { ir[ref].type }

    /// A value loaded from memory (`load`'s address in `address`), guarded to the type `live`
    /// has now.
    private func load(_ op: IROp, _ address: IRRef, _ live: Value) throws -> IRRef {
        guard let type = TraceRecorder.type(of: live) else { throw TraceAbort("NYI: load of an unsupported type") }
        let ref = emitGuard(op, type, address)
        return type.isPrimitive ? ir.primitive(type) : ref
    }

    // MARK: Recording

    /// Records the instruction at `pc` in the frame at slot `base` of thread `L`, before it
    /// runs. True when the trace is complete (the loop's FORL was reached again).
    func record(_ L: ThreadRef, base frameBase: Int, pc: UnsafePointer<UInt32>) throws -> Bool {
        guard frameBase == base, L.pointee.stack[frameBase + FrameLayout.functionSlot].function.proto == proto,
              pc >= code, pc - code < Int(proto.pointee.bytecodeCount) else {
            throw TraceAbort("leaving loop in root trace")
        }
        recorded += 1
        if recorded > maxRecord { throw TraceAbort("trace too long") }
        currentPC = pc - code
        currentSnapshot = nil
        if recorded == 1 && currentPC != loopStart { throw TraceAbort("leaving loop in root trace") }
        let frame = L.pointee.stack + frameBase
        let i = Instruction(pc.pointee)
        func reg(_ r: Int) throws -> IRRef { try read(r, frame[r]) }
        switch i.verifiedOpcode {
        case .MOV:
            write(i.ra, try reg(i.rd))
        case .KSTR:
            write(i.ra, ir.object(k[-1 - i.rd], .string))
        case .KSHORT:
            write(i.ra, ir.number(Double(i.signedD)))
        case .KNUM:
            write(i.ra, ir.number(k[i.rd].number))
        case .KPRI:
            write(i.ra, ir.primitive(i.rd == 0 ? .nil : (i.rd == 1 ? .false : .true)))
        case .KNIL:
            for r in i.ra...i.rd { write(r, .nil) }
        case .NOT:
            let v = try reg(i.rd)
            write(i.ra, ir.primitive(isTruthy(v) ? .false : .true))
        case .ADDVN, .SUBVN, .MULVN, .DIVVN, .MODVN, .ADDNV, .SUBNV, .MULNV, .DIVNV, .MODNV,
             .ADDVV, .SUBVV, .MULVV, .DIVVV, .MODVV, .POW, .UNM:
            try recordArithmetic(i, frame)
        case .ISLT, .ISGE, .ISLE, .ISGT:
            try recordOrder(i, frame)
        case .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP:
            try recordEquality(i, frame)
        case .IST, .ISF:
            _ = try reg(i.rd)
        case .ISTC, .ISFC:
            let v = try reg(i.rd)
            if isTruthy(v) == (i.verifiedOpcode == .ISTC) { write(i.ra, v) }
        case .JMP:
            break
        case .TGETV, .TGETB:
            try recordArrayRead(i, frame)
        case .TSETV, .TSETB:
            try recordArrayWrite(i, frame)
        case .TGETS:
            let t = try reg(i.rb)
            guard frame[i.rb].isTable else { throw TraceAbort("NYI: field of a non-table") }
            write(i.ra, try recordFieldRead(t, frame[i.rb].table, k[-1 - i.rc]))
        case .GGET:
            let env = ir.emit(.FLOAD, .table, try function(frame).raw, IRField.functionEnv.rawValue)
            let live = frame[FrameLayout.functionSlot].function.pointee.env.unsafelyUnwrapped
            write(i.ra, try recordFieldRead(env, live, k[-1 - i.rd]))
        case .TSETS:
            let t = try reg(i.rb)
            guard frame[i.rb].isTable else { throw TraceAbort("NYI: field of a non-table") }
            try recordFieldWrite(t, frame[i.rb].table, k[-1 - i.rc], try reg(i.ra))
        case .GSET:
            let env = ir.emit(.FLOAD, .table, try function(frame).raw, IRField.functionEnv.rawValue)
            let live = frame[FrameLayout.functionSlot].function.pointee.env.unsafelyUnwrapped
            try recordFieldWrite(env, live, k[-1 - i.rd], try reg(i.ra))
        case .LEN:
            let v = try reg(i.rd)
            switch type(v) {
            case .string: write(i.ra, ir.emit(.FLOAD, .number, v.raw, IRField.stringLength.rawValue))
            case .table: write(i.ra, ir.emit(.ALEN, .number, v))
            default: throw TraceAbort("NYI: length of this type")
            }
        case .UGET:
            let uv = ir.emit(.UREFC, .pointer, try function(frame).raw, UInt16(i.rd))
            let live = frame[FrameLayout.functionSlot].function.upvalueObjects[i.rd].unsafelyUnwrapped.pointee.v.pointee
            write(i.ra, try load(.ULOAD, uv, live))
        case .USETV:
            let uv = ir.emit(.UREFC, .pointer, try function(frame).raw, UInt16(i.ra))
            ir.emit(.USTORE, .nil, uv, try reg(i.rd))
        case .CALL:
            try recordMathCall(i, frame)
        case .FORL:
            guard pc == anchor else { throw TraceAbort("inner loop in root trace") }
            try recordLoopEnd(i, frame)
            return true
        case .LOOP:
            guard pc == anchor else { throw TraceAbort("inner loop in root trace") }
            closeLoop()
            return true
        case .FORI, .JFORI, .IFORL, .JFORL, .ITERL, .IITERL, .JITERL, .ILOOP, .JLOOP, .ITERC, .ITERN, .ISNEXT:
            throw TraceAbort("inner loop in root trace")
        default:
            throw TraceAbort.nyi(i.verifiedOpcode)
        }
        return false
    }

    private func function(_ frame: UnsafeMutablePointer<Value>) throws -> IRRef {
        try read(FrameLayout.functionSlot, frame[FrameLayout.functionSlot])
    }

    /// A call of a math builtin compiled code computes itself (`math.sqrt`, `floor`, `min`,
    /// ...) on numbers, wanting one result or none: a guard that the callee is still that
    /// builtin, then the computation. Any other call ends the recording.
    private func recordMathCall(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let a = i.ra, nargs = i.rc - 1, wanted = i.rb - 1
        let callee = frame[a]
        guard callee.isFunction, let ff = FastFunction(id: callee.function.pointee.ffid), ff != .type,
              ff != .ipairsIterator, ff.arity == nargs, wanted == 0 || wanted == 1 else {
            throw TraceAbort.nyi(i.verifiedOpcode)
        }
        var args: [IRRef] = []
        for n in 0..<nargs {
            guard frame[a + 2 + n].isNumber else { throw TraceAbort.nyi(i.verifiedOpcode) }
            args.append(try read(a + 2 + n, frame[a + 2 + n]))
        }
        emitGuard(.EQ, .function, try read(a, callee), ir.object(callee, .function))
        let result: IRRef
        switch ff {
        case .min: result = ir.emit(.MIN, .number, args[0], args[1])
        case .max: result = ir.emit(.MAX, .number, args[0], args[1])
        case .fmod: result = ir.emit(.FPMATH, .number, ir.emit(.CARG, .number, args[0], args[1]).raw, UInt16(ff.rawValue))
        default: result = ir.emit(.FPMATH, .number, args[0].raw, UInt16(ff.rawValue))
        }
        if wanted == 1 { write(a, result) }
    }

    /// Whether the value `ref` is truthy: known from its (guarded) type.
    private func isTruthy(_ ref: IRRef) -> Bool { type(ref) != .nil && type(ref) != .false }

    private func recordArithmetic(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let form = i.verifiedOpcode.arithmetic!
        let x: IRRef, y: IRRef, liveX: Value, liveY: Value
        switch form.operands {
        case .unary: liveX = frame[i.rd]; liveY = liveX; x = try read(i.rd, liveX); y = x
        case .variableNumber: liveX = frame[i.rb]; liveY = k[i.rc]; x = try read(i.rb, liveX); y = ir.number(liveY.number)
        case .numberVariable: liveX = k[i.rc]; liveY = frame[i.rb]; x = ir.number(liveX.number); y = try read(i.rb, liveY)
        case .variableVariable: liveX = frame[i.rb]; liveY = frame[i.rc]; x = try read(i.rb, liveX); y = try read(i.rc, liveY)
        }
        guard liveX.isNumber && liveY.isNumber else { throw TraceAbort("NYI: arithmetic on non-numbers") }
        let op: IROp
        switch form.op {
        case .add: op = .ADD
        case .sub: op = .SUB
        case .mul: op = .MUL
        case .div: op = .DIV
        case .mod: op = .MOD
        case .pow: op = .POW
        case .unm: op = .NEG
        }
        write(i.ra, ir.emit(op, .number, x, op == .NEG ? .none : y))
    }

    /// ISLT ISGE ISLE ISGT on numbers: a guard that the comparison goes the way it goes now.
    private func recordOrder(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let liveX = frame[i.ra], liveY = frame[i.rd]
        guard liveX.isNumber && liveY.isNumber else { throw TraceAbort("NYI: comparison of non-numbers") }
        let x = try read(i.ra, liveX), y = try read(i.rd, liveY)
        let (a, b) = (liveX.number, liveY.number)
        // The IR comparisons mean what the bytecode's do: GE is "not LT", GT "not LE".
        let op: IROp
        switch i.verifiedOpcode {
        case .ISLT, .ISGE: op = a < b ? .LT : .GE
        default: op = a <= b ? .LE : .GT
        }
        emitGuard(op, .number, x, y)
    }

    private func recordEquality(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let live = frame[i.ra]
        let x = try read(i.ra, live)
        let other: IRRef, liveOther: Value
        switch i.verifiedOpcode {
        case .ISEQV, .ISNEV: liveOther = frame[i.rd]; other = try read(i.rd, liveOther)
        case .ISEQS, .ISNES: liveOther = k[-1 - i.rd]; other = ir.object(liveOther, .string)
        case .ISEQN, .ISNEN: liveOther = k[i.rd]; other = ir.number(liveOther.number)
        default: liveOther = i.rd == 0 ? .nil : (i.rd == 1 ? .false : .true); other = ir.primitive(type(ofPrimitive: i.rd))
        }
        let (tx, ty) = (type(x), type(other))
        // Different types are never equal; primitives are equal by type. Both known here.
        if tx != ty || tx.isPrimitive { return }
        switch tx {
        case .number:
            emitGuard(live.number == liveOther.number ? .EQ : .NE, .number, x, other)
        case .string, .function:
            // Interned strings and functions are equal exactly when they are the same object.
            emitGuard(live.bits == liveOther.bits ? .EQ : .NE, tx, x, other)
        default:
            throw TraceAbort("NYI: comparison that may call __eq")
        }
    }

    private func type(ofPrimitive d: Int) -> IRType { d == 0 ? .nil : (d == 1 ? .false : .true) }

    /// The array slot of `t[key]` for a table `t` and an integer key inside its array part.
    private func arrayReference(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> (IRRef, TableRef, Int) {
        let liveT = frame[i.rb]
        guard liveT.isTable else { throw TraceAbort("NYI: index of a non-table") }
        let t = try read(i.rb, liveT)
        let key: IRRef, liveKey: Double
        if i.verifiedOpcode == .TGETB || i.verifiedOpcode == .TSETB {
            liveKey = Double(i.rc)
            key = ir.number(liveKey)
        } else {
            let v = frame[i.rc]
            guard v.isNumber else { throw TraceAbort("NYI: table key of this type") }
            liveKey = v.number
            key = try read(i.rc, v)
        }
        let table = liveT.table
        guard liveKey >= 1, liveKey <= Double(table.pointee.arraySize), liveKey == liveKey.rounded() else {
            throw TraceAbort("NYI: table access outside the array part")
        }
        // AREF guards that the key is an integer inside the array part.
        return (emitGuard(.AREF, .pointer, t, key), table, Int(liveKey))
    }

    private func recordArrayRead(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let (reference, table, index) = try arrayReference(i, frame)
        let live = table.pointee.array.unsafelyUnwrapped[index - 1]
        if live.isNil { throw TraceAbort("NYI: nil read from the array part") }
        write(i.ra, try load(.ALOAD, reference, live))
    }

    private func recordArrayWrite(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let (reference, table, index) = try arrayReference(i, frame)
        if table.pointee.array.unsafelyUnwrapped[index - 1].isNil && table.pointee.metatable != nil {
            throw TraceAbort("NYI: store that may call __newindex")
        }
        // ASTORE guards that a nil slot has no __newindex to consult (no metatable).
        emitGuard(.ASTORE, .nil, reference, try read(i.ra, frame[i.ra]))
    }

    /// `t.key` for a constant string key present in table `t`: its hash slot, guarded.
    private func recordFieldRead(_ t: IRRef, _ table: TableRef, _ key: Value) throws -> IRRef {
        let live = table.get(string: key.string)
        if live.isNil { throw TraceAbort("NYI: read of an absent field") }
        let slot = emitGuard(.HREFK, .pointer, t, ir.object(key, .string))
        return try load(.HLOAD, slot, live)
    }

    private func recordFieldWrite(_ t: IRRef, _ table: TableRef, _ key: Value, _ value: IRRef) throws {
        if table.get(string: key.string).isNil { throw TraceAbort("NYI: store to an absent field") }
        let slot = emitGuard(.HREFK, .pointer, t, ir.object(key, .string))
        // HSTORE guards that the slot still holds a value (no __newindex to consult).
        emitGuard(.HSTORE, .nil, slot, value)
    }

    /// The loop's FORL: index += step, and the guard that the loop goes on.
    private func recordLoopEnd(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let a = i.ra
        let index = try read(a, frame[a]), stop = try read(a + 1, frame[a + 1]), step = try read(a + 2, frame[a + 2])
        let next = ir.emit(.ADD, .number, index, step)
        // Leaving the loop goes on after the FORL with the index as it was.
        currentPC += 1
        currentSnapshot = nil
        if stepsUp {
            emitGuard(.LE, .number, next, stop)
        } else {
            emitGuard(.LE, .number, stop, next)
        }
        write(a, next)
        write(a + 3, next)
        closeLoop()
    }

    /// The back edge: the state every iteration ends with, as a snapshot at the body's start.
    private func closeLoop() {
        currentPC = loopStart
        currentSnapshot = nil
        loopSnapshot = guardSnapshot()
    }

    /// Starts the trace: the loop's step direction is fixed for its whole run, so the guard
    /// on it comes first (an exit there runs the body in the interpreter).
    func begin(_ L: ThreadRef) throws {
        guard isForLoop else { return }
        let frame = L.pointee.stack + base
        let a = Instruction(anchor.pointee).ra
        for slot in a...(a + 2) where !frame[slot].isNumber { throw TraceAbort("NYI: loop control of non-numbers") }
        currentPC = loopStart
        stepsUp = frame[a + 2].number >= 0
        let step = try read(a + 2, frame[a + 2])
        if stepsUp {
            emitGuard(.LE, .number, ir.number(0), step)
        } else {
            emitGuard(.GT, .number, ir.number(0), step)
        }
    }

    /// The snapshot of the back edge (the last one the recording took): the state each
    /// iteration ends with.
    private(set) var loopSnapshot = -1
}
