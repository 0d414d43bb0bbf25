/// The IR part of `-jdump` in luajit's layout: one line per instruction (number, guard mark,
/// PHI mark, type, opcode, operands) with the snapshots between them.

extension TraceIR {
    /// `text` left-aligned in `width` columns.
    private func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func number(_ ref: IRRef) -> String {
        let n = Int(ref.raw) - Int(IRRef.bias)
        let digits = String(n)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// How an operand reads: instructions by number, constants by value.
    public func operandText(_ ref: IRRef) -> String {
        guard ref.isConstant else { return number(ref) }
        let k = self[ref]
        switch k.op {
        case .KPRI: return k.type == .nil ? "nil" : (k.type == .false ? "false" : "true")
        case .KINT:
            let v = intValue(ref)
            return v < 0 ? String(v) : "+" + String(v)
        case .KNUM:
            let d = Double(bitPattern: payload(ref))
            let text = d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            return d.sign == .minus ? text : "+" + text
        case .KGC: return "\(k.type.dumpName):0x\(String(payload(ref), radix: 16))"
        case .KSLOT:
            let (key, index) = slotKey(ref)
            return "\(operandText(key)) @\(index)"
        case .KPTR, .KNULL, .KINT64: return "[0x\(String(payload(ref), radix: 16))]"
        default: return "k\(k.op.name)"
        }
    }

    /// The line of the instruction at `ref`.
    public func line(_ ref: IRRef, isPHIOperand: Bool = false) -> String {
        let ins = self[ref]
        var operands: [String] = []
        for (kind, value) in [(ins.op.info.op1, ins.op1), (ins.op.info.op2, ins.op2)] {
            switch kind {
            case .ref: if value != 0 { operands.append(operandText(IRRef(raw: value))) }
            case .literal: operands.append(ins.op == .SLOAD && operands.isEmpty ? "#\(value)" : String(value))
            case .constant, .none: break
            }
        }
        // `}`: sunk (made only by the exits that need it).
        let marks = (ins.isGuard ? ">" : " ") + " " + (sunk.contains(ref.raw) ? "}" : isPHIOperand ? "+" : " ")
        let head = number(ref) + " " + marks + ins.type.dumpName + " " + padded(ins.op.name, 6)
        guard let last = operands.popLast() else { return head }
        return head + " " + (operands.map { padded($0, 5) } + [last]).joined(separator: " ")
    }

    /// A snapshot's line: its number and the slots it restores (`----` for unmodified ones).
    public func snapshotLine(_ index: Int) -> String {
        let snap = snapshots[index]
        let top = (snap.entries.map(\.slot).max() ?? -1) + 1
        var cells = [String](repeating: "----", count: max(0, top))
        for entry in snap.entries where entry.slot >= 0 {
            // A frame link (a return PC) reads as luajit's frame marker.
            cells[entry.slot] = self[entry.ref].op == .KPTR ? "|" : operandText(entry.ref)
        }
        return "....        SNAP   #\(padded(String(index), 3)) [ " + cells.joined(separator: " ") + (cells.isEmpty ? "]" : " ]")
    }

    /// The whole IR listing: instructions in order, each snapshot before the instruction it
    /// precedes, LOOP as the separator between the pre-roll and the loop body.
    public func dump() -> String {
        var lines: [String] = []
        var phiOperands: Set<UInt16> = []
        for ins in instructions where ins.op == .PHI {
            phiOperands.insert(ins.op1)
            phiOperands.insert(ins.op2)
        }
        var snap = 0
        for i in 0..<instructions.count {
            let ref = IRRef(raw: IRRef.bias + 1 + UInt16(i))
            while snap < snapshots.count && snapshots[snap].ref <= ref {
                lines.append(snapshotLine(snap))
                snap += 1
            }
            if instructions[i].op == .LOOP {
                lines.append(number(ref) + " ------ LOOP ------------")
                continue
            }
            lines.append(line(ref, isPHIOperand: phiOperands.contains(ref.raw)))
        }
        while snap < snapshots.count {
            lines.append(snapshotLine(snap))
            snap += 1
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
