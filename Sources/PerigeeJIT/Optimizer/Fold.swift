/// FOLD: constant folding and algebraic simplification, applied to each instruction as it is
/// emitted (before CSE), as luajit's fold engine is. A rule answers an existing value (an
/// operand, a constant, or `.true` for a guard that always holds), or nothing when the
/// instruction must be emitted as it is. Every rule is exact: floating-point identities
/// only where IEEE arithmetic gives the operand back bit for bit (x - 0, x * 1, x / 1,
/// x + -0), and no number is folded to a NaN (the run-time NaN's sign is the machine's).
import PerigeeRuntime

enum Fold {
    static func simplify(_ ir: TraceIR, _ op: IROp, _ type: IRType, _ a: UInt16, _ b: UInt16) -> IRRef? {
        let x = IRRef(raw: a), y = IRRef(raw: b)
        switch op {
        case .ADD where type == .number, .SUB where type == .number, .MUL where type == .number,
             .DIV where type == .number, .MOD where type == .number:
            return arithmetic(ir, op, x, y)
        case .NEG where type == .number:
            return ir.numberValue(x).map { ir.number(-$0) }
        case .CONV:
            switch IRConversion(rawValue: b) {
            case .intToNumber?: return ir.intValue(ifConstant: x).map { ir.number(Double($0)) }
            case .numberToInt64?: return ir.numberValue(x).map { ir.int64(UInt64(bitPattern: doubleToInt64($0)), unsigned: false) }
            case .numberToUInt64?: return ir.numberValue(x).map { ir.int64(doubleToUInt64($0), unsigned: true) }
            default: return nil
            }
        case .TOBIT:
            if let d = ir.numberValue(x) { return ir.int(tobit(d)) }
            // A number converted from an integer has that integer's bits.
            if !x.isConstant, ir[x].op == .CONV, ir[x].op2 == IRConversion.intToNumber.rawValue { return ir[x].ref1 }
            return WrappingSums.narrowed(ir, x)
        case .BNOT, .BSWAP:
            return ir.intValue(ifConstant: x).map { ir.int(op == .BNOT ? ~$0 : Int32(bitPattern: UInt32(bitPattern: $0).byteSwapped)) }
        case .BAND, .BOR, .BXOR, .BSHL, .BSHR, .BSAR, .BROL, .BROR:
            return bitOperation(ir, op, x, y)
        case .LT, .GE, .LE, .GT, .EQ, .NE:
            return comparison(ir, op, type, x, y) == true ? .true : nil
        default:
            return nil
        }
    }

    /// bit.tobit's rounding of a number to 32 bits, as the lowering computes it.
    static func tobit(_ d: Double) -> Int32 { Int32(truncatingIfNeeded: (d + 6_755_399_441_055_744.0).bitPattern) }

    private static func arithmetic(_ ir: TraceIR, _ op: IROp, _ x: IRRef, _ y: IRRef) -> IRRef? {
        let p = ir.numberValue(x), q = ir.numberValue(y)
        if let p, let q {
            let r: Double
            switch op {
            case .ADD: r = p + q
            case .SUB: r = p - q
            case .MUL: r = p * q
            case .DIV: r = p / q
            default: r = p - (p / q).rounded(.down) * q
            }
            return r.isNaN ? nil : ir.number(r)
        }
        // Identities that give x back bit for bit (commutative operations hold constants second).
        guard let q else { return nil }
        switch op {
        case .SUB where q == 0 && q.sign == .plus: return x
        case .ADD where q == 0 && q.sign == .minus: return x
        case .MUL where q == 1, .DIV where q == 1: return x
        default: return nil
        }
    }

    private static func bitOperation(_ ir: TraceIR, _ op: IROp, _ x: IRRef, _ y: IRRef) -> IRRef? {
        let p = ir.intValue(ifConstant: x), q = ir.intValue(ifConstant: y)
        if let p, let q {
            let count = UInt32(bitPattern: q) & 31, u = UInt32(bitPattern: p)
            let r: Int32
            switch op {
            case .BAND: r = p & q
            case .BOR: r = p | q
            case .BXOR: r = p ^ q
            case .BSHL: r = Int32(bitPattern: u << count)
            case .BSHR: r = Int32(bitPattern: u >> count)
            case .BSAR: r = p >> count
            case .BROL: r = Int32(bitPattern: u << count | (count == 0 ? 0 : u >> (32 - count)))
            default: r = Int32(bitPattern: u >> count | (count == 0 ? 0 : u << (32 - count)))
            }
            return ir.int(r)
        }
        if x == y {
            switch op {
            case .BAND, .BOR: return x
            case .BXOR: return ir.int(0)
            default: break
            }
        }
        guard let q else { return nil }
        switch op {
        case .BAND: return q == -1 ? x : (q == 0 ? y : nil)
        case .BOR: return q == 0 ? x : (q == -1 ? y : nil)
        case .BXOR: return q == 0 ? x : nil
        default: return q & 31 == 0 ? x : nil
        }
    }

    /// A comparison's outcome when it is known while recording (nil: unknown).
    private static func comparison(_ ir: TraceIR, _ op: IROp, _ type: IRType, _ x: IRRef, _ y: IRRef) -> Bool? {
        if let p = ir.numberValue(x), let q = ir.numberValue(y) {
            // GE and GT hold when LT and LE fail (NaN included), as the lowering's do.
            switch op {
            case .LT: return p < q
            case .GE: return !(p < q)
            case .LE: return p <= q
            case .GT: return !(p <= q)
            case .EQ: return p == q
            default: return p != q
            }
        }
        if let p = ir.intValue(ifConstant: x), let q = ir.intValue(ifConstant: y) {
            switch op {
            case .LT: return p < q
            case .GE: return p >= q
            case .LE: return p <= q
            case .GT: return p > q
            case .EQ: return p == q
            default: return p != q
            }
        }
        // The same value (not a number, which may be NaN), or two interned constants.
        guard op == .EQ || op == .NE, type != .number, x != .none, y != .none else { return nil }
        if x == y { return op == .EQ }
        if x.isConstant && y.isConstant && [.KGC, .KPTR].contains(ir[x].op) && [.KGC, .KPTR].contains(ir[y].op) {
            return (ir.payload(x) == ir.payload(y)) == (op == .EQ)
        }
        return nil
    }
}

extension TraceIR {
    /// The number of a KNUM constant (nil for anything else).
    func numberValue(_ ref: IRRef) -> Double? {
        guard ref != .none, ref.isConstant, self[ref].op == .KNUM else { return nil }
        return Double(bitPattern: payload(ref))
    }

    /// The integer of a KINT constant (nil for anything else).
    func intValue(ifConstant ref: IRRef) -> Int32? {
        guard ref != .none, ref.isConstant, self[ref].op == .KINT else { return nil }
        return intValue(ref)
    }

    /// The constant for a value a template holds (nil, a boolean, a number or a string);
    /// nil for other objects.
    func constant(for value: Value) -> IRRef? {
        if value.isNil { return .nil }
        if value.bits == Value.false.bits { return .false }
        if value.bits == Value.true.bits { return .true }
        if value.isNumber { return number(value.number) }
        if value.isString { return object(value, .string) }
        return nil
    }

    /// The Lua value of a constant (nil, false, true, a number or an object), or nil for
    /// anything else.
    func constantValue(_ ref: IRRef) -> Value? {
        guard ref != .none, ref.isConstant else { return nil }
        let k = self[ref]
        switch k.op {
        case .KPRI: return k.type == .nil ? .nil : (k.type == .false ? .false : .true)
        case .KNUM: return Value(number: Double(bitPattern: payload(ref)))
        case .KGC: return Value(bits: payload(ref) | (0x1FFFF ^ UInt64(k.type.rawValue)) << Value.tagShift)
        default: return nil
        }
    }
}
