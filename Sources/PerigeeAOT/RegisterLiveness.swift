/// Which registers a function may still read before it writes them, at each instruction: a
/// backward dataflow over the bytecode, conservative where an instruction reads a range
/// (multiple-result calls and returns, concatenation: every register from its base up
/// counts as read).
/// NumberInference uses it so that a register whose unboxed integer is dead needs no box.
import PerigeeFrontend

struct RegisterLiveness {
    /// `live[pc]`: the registers that may be read from instruction `pc` on before a write.
    private(set) var live: [RegisterSet]

    init(_ proto: Prototype) {
        let code = proto.bytecode
        live = Array(repeating: RegisterSet(), count: code.count + 1)
        var captured = RegisterSet()
        for child in proto.children {
            for uv in child.upvalues where uv & upvalueIsLocal != 0 { captured.insert(Int(uv & 0xff)) }
        }
        var changed = true
        while changed {
            changed = false
            for pc in code.indices.reversed() {
                let ins = code[pc]
                var out = RegisterSet()
                for next in RegisterLiveness.successors(ins, pc) where next >= 0 && next <= code.count { out = out | live[next] }
                let (uses, defines) = RegisterLiveness.effects(ins)
                // Closures read captured locals from their slots at any time.
                let state = uses | out.subtracting(defines) | captured
                if state != live[pc] {
                    live[pc] = state
                    changed = true
                }
            }
        }
    }

    /// Where control may go after instruction `ins` at `pc`.
    static func successors(_ ins: Instruction, _ pc: Int) -> [Int] {
        switch ins.opcode.control {
        case .return, .tailCall: return []
        case .jump: return [ins.jumpTarget(from: pc)]
        case .loop: return [pc + 1, ins.jumpTarget(from: pc)]
        case .conditional: return [pc + 1, pc + 2]
        default: return [pc + 1]
        }
    }

    /// The registers instruction `ins` reads, and those it certainly writes.
    static func effects(_ ins: Instruction) -> (uses: RegisterSet, defines: RegisterSet) {
        var uses = RegisterSet(), defines = RegisterSet()
        func from(_ r: Int) -> RegisterSet {
            var set = RegisterSet()
            for s in max(r, 0)..<256 { set.insert(s) }
            return set
        }
        let f = ins.opcode.format
        switch ins.opcode {
        case .FORI, .JFORI, .FORL, .IFORL, .JFORL:
            for r in ins.ra...(ins.ra + 2) { uses.insert(r) }
            defines.insert(ins.ra + 3)
            return (uses, defines)
        case .ITERC, .ITERN, .ITERL, .IITERL, .JITERL, .ISNEXT:
            return (from(ins.ra - 3), defines)
        case .CALL, .CALLT:
            // The callee, its link and the arguments after it (C - 1 of CALL, D - 1 of CALLT).
            let count = ins.opcode == .CALL ? ins.rc : ins.rd
            for r in ins.ra...(ins.ra + count) { uses.insert(r) }
            return (uses, defines)
        case .RET, .RET1:
            for r in ins.ra..<(ins.ra + max(ins.rd - 1, 0)) { uses.insert(r) }
            return (uses, defines)
        case .RET0, .KNIL, .VARG:
            return (uses, defines)
        default:
            break
        }
        if f.a == .variable { uses.insert(ins.ra) }
        if f.b == .variable { uses.insert(ins.rb) }
        if f.cd == .variable { uses.insert(ins.rc) }
        if f.a == .base || f.a == .rbase { uses = uses | from(ins.ra) }
        if f.b == .rbase || f.cd == .rbase { uses = uses | from(ins.rb) }
        if f.a == .dst { defines.insert(ins.ra) }
        return (uses, defines)
    }
}
