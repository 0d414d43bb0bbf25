/// NARROW of 32-bit results: `bit.tobit` (and every `bit` operation, which starts with it)
/// of a sum or difference of 32-bit integers is the sum computed in 32 bits, wrapping.
///
/// `tobit(h + lshift(h, 1) + lshift(h, 4))` records number additions of integers converted
/// to numbers, then TOBIT. Number additions of integers are exact while every partial sum
/// stays below 2^53 in magnitude, and TOBIT of an exact integer keeps its low 32 bits, which
/// is what 32-bit wrapping additions of the same integers give. So when the operands of a
/// tree of ADD and SUB are integers converted to numbers, or integer constants, and the sum
/// of their largest magnitudes stays below 2^51 (the range of TOBIT's own rounding), the
/// TOBIT is replaced by the same tree of integer ADD and SUB (luajit narrows TOBIT of
/// additions alike). The number instructions stay for whatever else uses them.
enum WrappingSums {
    /// The integer tree for TOBIT of `ref`, or nil when `ref` is not such a sum.
    static func narrowed(_ ir: TraceIR, _ ref: IRRef) -> IRRef? {
        guard ir.optimizations.contains(.narrow), isSum(ir, ref) else { return nil }
        var magnitude = 0.0, operands = 0
        guard bound(ir, ref, &magnitude, &operands), magnitude < 0x1p51 else { return nil }
        return integerTree(ir, ref)
    }

    /// The most operands one narrowed tree may have (luajit's backpropagation is bounded too).
    private static let maximumOperands = 64

    private static func isSum(_ ir: TraceIR, _ ref: IRRef) -> Bool {
        guard ref != .none, !ref.isConstant else { return false }
        let ins = ir[ref]
        return ins.type == .number && (ins.op == .ADD || ins.op == .SUB)
    }

    /// Whether every operand of the tree at `ref` is an integer, adding their largest
    /// magnitudes to `magnitude`.
    private static func bound(_ ir: TraceIR, _ ref: IRRef, _ magnitude: inout Double, _ operands: inout Int) -> Bool {
        if isSum(ir, ref) {
            return bound(ir, ir[ref].ref1, &magnitude, &operands) && bound(ir, ir[ref].ref2, &magnitude, &operands)
        }
        operands += 1
        guard operands <= maximumOperands else { return false }
        if let d = ir.numberValue(ref) {
            guard d == d.rounded(), abs(d) < 0x1p51 else { return false }
            magnitude += abs(d)
            return true
        }
        guard isConvertedInteger(ir, ref) else { return false }
        magnitude += 0x1p31
        return true
    }

    private static func isConvertedInteger(_ ir: TraceIR, _ ref: IRRef) -> Bool {
        guard ref != .none, !ref.isConstant else { return false }
        let ins = ir[ref]
        return ins.op == .CONV && ins.op2 == IRConversion.intToNumber.rawValue && ir[ins.ref1].type == .int
    }

    /// The tree at `ref` in 32-bit integers (operands checked by `bound`).
    private static func integerTree(_ ir: TraceIR, _ ref: IRRef) -> IRRef {
        if let d = ir.numberValue(ref) { return ir.int(Int32(truncatingIfNeeded: Int64(d))) }
        let ins = ir[ref]
        if ins.op == .CONV { return ins.ref1 }
        let a = integerTree(ir, ins.ref1), b = integerTree(ir, ins.ref2)
        return ir.emit(ins.op, .int, a, b)
    }
}
