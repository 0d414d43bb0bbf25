/// 64-bit integers and pointers in traces, computed as the runtime's `builtinArithmetic`
/// and `cdataCompare` compute them (luajit's rules): `+ - * / %` and unary minus on
/// `int64_t`/`uint64_t` cdata and numbers, wrapping around 2^64 (unsigned when either
/// operand is a `uint64_t`, numbers truncated to the operation's type); `==`, `~=`, `<`,
/// `<=` of such integers and of pointers; and pointer differences (a number of elements).
///
/// An integer the trace computes stays unboxed (IR type int64 or uint64, an LLVM i64); a
/// slot holding one holds CNEWI, the cdata made only where a boxed value is needed (an
/// exit, a store into a table, a call through the runtime), as CREF is for references. A
/// slot first read as an integer operand is a typed SLOAD (the cdata's C type guarded, its
/// value loaded), so a loop carries such a slot as an integer and allocates nothing.
import PerigeeFrontend
import PerigeeRuntime

extension TraceRecorder {
    /// What 64-bit integer arithmetic or comparison of `a` and `b` computes in: uint64
    /// when either is a `uint64_t`, else int64; nil unless both are numbers or
    /// `int64_t`/`uint64_t` cdata and at least one is a cdata.
    func integer64Type(_ a: Value, _ b: Value) -> IRType? {
        func kind(_ v: Value) -> (cdata: Bool, unsigned: Bool)? {
            if v.isNumber { return (false, false) }
            return g.cdataInteger64(v).map { (true, $0) }
        }
        guard let x = kind(a), let y = kind(b), x.cdata || y.cdata else { return nil }
        return x.unsigned || y.unsigned ? .uint64 : .int64
    }

    /// An operand of a 64-bit integer operation of IR type `type`, as its 64 bits: a
    /// number converted (luajit's truncation), or a cdata's value, from register `register`
    /// (nil: the constant `live`).
    func integer64Operand(_ register: Int?, _ live: Value, _ type: IRType) throws -> IRRef {
        if live.isNumber {
            let d = try register.map { try read(offset + $0, live) } ?? ir.number(live.number)
            let mode: IRConversion = type == .uint64 ? .numberToUInt64 : .numberToInt64
            return ir.emit(.CONV, type, d.raw, mode.rawValue)
        }
        let unsigned = g.cdataInteger64(live)!
        let own: IRType = unsigned ? .uint64 : .int64
        let id = g.cdataInteger64ID(unsigned: unsigned)
        guard let register else { return ir.int64(g.cdataInteger64Bits(live, unsigned: unsigned), unsigned: unsigned) }
        let slot = offset + register
        guard let held = slots[slot] else {
            // Read first as an integer: the slot's value unboxed (its C type guarded with
            // its tag); the slot keeps the cdata (made again only if an exit needs it).
            _ = guardSnapshot()
            let load = ir.emit(.SLOAD, own, UInt16(bitPattern: Int16(slot)), 0, guard: true)
            slots[slot] = ir.emit(.CNEWI, .cdata, load.raw, UInt16(id))
            return load
        }
        if !held.isConstant && ir[held].op == .CNEWI { return ir[held].ref1 }
        // A constant cdata (KCDATA): its value, which never changes.
        if held.isConstant { return ir.int64(g.cdataInteger64Bits(live, unsigned: unsigned), unsigned: unsigned) }
        emitGuard(.EQ, .int, ir.emit(.FLOAD, .int, held.raw, IRField.cdataType.rawValue), ir.int(id))
        let payload = ir.emit(.FREF, .pointer, held.raw, IRField.cdataPayload.rawValue)
        return ir.emit(.CLOAD, own, payload.raw, UInt16((unsigned ? CScalarStorage.uint64 : .int64).rawValue))
    }

    /// `+ - * / %` and unary minus on 64-bit integers (and numbers): false when the
    /// operands are not that (or the operator is `^`, which the runtime computes).
    func recordInteger64Arithmetic(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let form = i.verifiedOpcode.arithmetic!
        let x: (register: Int?, live: Value), y: (register: Int?, live: Value)
        switch form.operands {
        case .unary: x = (i.rd, frame[i.rd]); y = x
        case .variableNumber: x = (i.rb, frame[i.rb]); y = (nil, k[i.rc])
        case .numberVariable: x = (nil, k[i.rc]); y = (i.rb, frame[i.rb])
        case .variableVariable: x = (i.rb, frame[i.rb]); y = (i.rc, frame[i.rc])
        }
        guard form.op != .pow, let type = integer64Type(x.live, y.live) else { return false }
        let op = IROp(form.op)
        let a = try integer64Operand(x.register, x.live, type)
        let b = op == .NEG ? IRRef.none : try integer64Operand(y.register, y.live, type)
        let result = ir.emit(op, type, a, b)
        write(offset + i.ra, boxedInteger64(result, type))
        return true
    }

    /// The cdata an unboxed integer of IR type `type` stands for (made where needed).
    func boxedInteger64(_ value: IRRef, _ type: IRType) -> IRRef {
        allocates = true
        return ir.emit(.CNEWI, .cdata, value.raw, UInt16(g.cdataInteger64ID(unsigned: type == .uint64)))
    }

    /// A pointer operand (a pointer, an array decaying to one, or a reference to an array
    /// the trace made): its element type, and a closure emitting its guards and address.
    /// Nil for other values (nothing is emitted).
    func pointerOperand(_ register: Int, _ live: Value) -> (element: CTypeID, address: () throws -> IRRef)? {
        guard live.isCData else { return nil }
        let slot = offset + register
        if let ref = slots[slot], !ref.isConstant, ir[ref].op == .CREF {
            guard let t = g.cdataTraceType(CTypeID(ir[ref].op2)) else { return nil }
            if t.kind == .pointer { return (t.element, { self.ir[ref].ref1 }) }
            if t.kind == .reference, let target = g.cdataTraceType(t.element), target.kind == .array {
                return (target.element, { self.ir[ref].ref1 })
            }
            return nil
        }
        let id = g.cdataTypeID(live)
        guard let t = g.cdataTraceType(id), t.kind == .pointer || t.kind == .array else { return nil }
        return (t.element, {
            let p = try self.read(slot, live)
            self.emitGuard(.EQ, .int, self.ir.emit(.FLOAD, .int, p.raw, IRField.cdataType.rawValue), self.ir.int(id))
            return t.kind == .pointer ? self.ir.emit(.FLOAD, .pointer, p.raw, IRField.cdataAddress.rawValue)
                : self.ir.emit(.FREF, .pointer, p.raw, IRField.cdataPayload.rawValue)
        })
    }

    /// `p - q` of two pointers to one element type (or to elements of no size): the
    /// difference of their addresses in elements, a number. False for other operands.
    func recordPointerDifference(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let form = i.verifiedOpcode.arithmetic!
        guard form.op == .sub, form.operands == .variableVariable,
              let p = pointerOperand(i.rb, frame[i.rb]), let q = pointerOperand(i.rc, frame[i.rc]) else { return false }
        let size = max(g.cdataSize(p.element), 0)
        guard size == 0 || g.cdataSameElement(p.element, q.element) else { return false }
        let a = ir.emit(.CONV, .int64, try p.address().raw, IRConversion.pointerToInt64.rawValue)
        let b = ir.emit(.CONV, .int64, try q.address().raw, IRConversion.pointerToInt64.rawValue)
        var difference = ir.emit(.SUB, .int64, a, b)
        if size > 1 { difference = ir.emit(.DIV, .int64, difference, ir.int64(UInt64(size), unsigned: false)) }
        write(offset + i.ra, ir.emit(.CONV, .number, difference.raw, IRConversion.int64ToNumber.rawValue))
        return true
    }

    /// ISLT ISGE ISLE ISGT with a cdata operand: 64-bit integers (signed, or unsigned when
    /// either is a `uint64_t`) or two pointers (their addresses, unsigned), guarded to go
    /// the way they go now. False for other operands.
    func recordCDataOrder(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let liveX = frame[i.ra], liveY = frame[i.rd]
        let op = i.verifiedOpcode
        let strict = op == .ISLT || op == .ISGE
        // GE is "not LT" and GT "not LE", as the bytecode's are.
        func comparison(_ holds: Bool) -> IROp { strict ? (holds ? .LT : .GE) : (holds ? .LE : .GT) }
        func unsignedComparison(_ op: IROp) -> IROp { IROp(rawValue: op.rawValue + IROp.ULT.rawValue - IROp.LT.rawValue)! }
        if let type = integer64Type(liveX, liveY) {
            let unsigned = type == .uint64
            let p = g.cdataInteger64Bits(liveX, unsigned: unsigned), q = g.cdataInteger64Bits(liveY, unsigned: unsigned)
            let (s, t) = (Int64(bitPattern: p), Int64(bitPattern: q))
            let holds = unsigned ? (strict ? p < q : p <= q) : (strict ? s < t : s <= t)
            let a = try integer64Operand(i.ra, liveX, type), b = try integer64Operand(i.rd, liveY, type)
            let guardOp = comparison(holds)
            emitGuard(unsigned ? unsignedComparison(guardOp) : guardOp, type, a, b)
            return true
        }
        guard let x = pointerOperand(i.ra, liveX), let y = pointerOperand(i.rd, liveY),
              let p = g.cdataPointerAddress(liveX), let q = g.cdataPointerAddress(liveY) else { return false }
        let a = try x.address(), b = try y.address()
        emitGuard(unsignedComparison(comparison(strict ? p < q : p <= q)), .pointer, a, b)
        return true
    }

    /// `==` and `~=` with a cdata operand (`register` and `live` the first, `other` the
    /// second's register or nil for a constant, `liveOther` its value): a pointer against
    /// nil, 64-bit integers (and numbers), two pointers by address. False for other operands.
    func recordCDataEquality(_ register: Int, _ live: Value, _ other: Int?, _ liveOther: Value) throws -> Bool {
        if liveOther.isNil {
            // (A register holding nil is guarded to hold it.)
            if let other { _ = try read(offset + other, liveOther) }
            return try recordPointerIsNull(try read(offset + register, live), live)
        }
        if let type = integer64Type(live, liveOther) {
            let unsigned = type == .uint64
            let equal = g.cdataInteger64Bits(live, unsigned: unsigned) == g.cdataInteger64Bits(liveOther, unsigned: unsigned)
            let a = try integer64Operand(register, live, type), b = try integer64Operand(other, liveOther, type)
            emitGuard(equal ? .EQ : .NE, type, a, b)
            return true
        }
        guard let other, let x = pointerOperand(register, live), let y = pointerOperand(other, liveOther),
              let p = g.cdataPointerAddress(live), let q = g.cdataPointerAddress(liveOther) else { return false }
        let a = try x.address(), b = try y.address()
        emitGuard(p == q ? .EQ : .NE, .pointer, a, b)
        return true
    }
}
