/// Which registers certainly hold numbers before each instruction of a function: a forward
/// dataflow over the bytecode (constants, arithmetic, numeric `for` control values), joined
/// by intersection. Compiled arithmetic only goes on with numbers (the interpreter takes
/// over otherwise), so its operands and result are numbers after it. The lowering drops type checks and slow paths where
/// the operands are known numbers, so number code is straight-line LLVM code.
import PerigeeFrontend

struct NumberInference {
    /// `states[pc]`: what registers hold whenever instruction `pc` starts.
    private(set) var states: [RegisterKinds]
    /// `results[pc]`: what they hold after instruction `pc` (before any join).
    private(set) var results: [RegisterKinds]
    /// Whether 64-bit integer cdata are tracked (programs that use the FFI).
    let integers: Bool
    /// Registers whose 64-bit integers are boxed whenever computed (never stale): those a
    /// join would otherwise meet stale on one way and not as an integer on another.
    private(set) var eager = RegisterSet()

    /// `speculative`: arithmetic is compiled for numbers only (anything else leaves the
    /// compiled code), so its operands and result are numbers after it. Otherwise
    /// arithmetic handles any operands, and its result is a number only when they were.
    /// `numericCalls`: the calls (by pc) whose one result compiled code checks to be a number,
    /// handing the activation to the interpreter otherwise (calls of numeric builtins).
    /// `integers`: 64-bit integer cdata are tracked too (see `infer`), and arithmetic whose
    /// operands are not known handles any operands instead of speculating.
    init(_ proto: Prototype, speculative: Bool = true, numericCalls: Set<Int> = [], integers: Bool = false) {
        self.integers = integers
        states = []
        results = []
        // Locals a closure captures are read by it from their slots: never kept unboxed.
        var captured = RegisterSet()
        for child in proto.children {
            for uv in child.upvalues where uv & upvalueIsLocal != 0 { captured.insert(Int(uv & 0xff)) }
        }
        while true {
            infer(proto, speculative: speculative, numericCalls: numericCalls, captured: captured)
            var violations = RegisterSet()
            for state in states { violations = violations | state.stale.subtracting(state.integers) }
            if violations.isEmpty { break }
            eager = eager | violations
        }
        // A local that a closure may assign (a mutable upvalue) can change whenever Lua code
        // runs: in a call, and in any metamethod. It is never known to be a number.
        for child in proto.children {
            for uv in child.upvalues where uv & upvalueIsLocal != 0 && uv & upvalueIsImmutable == 0 {
                let r = Int(uv & 0xff)
                for pc in states.indices { states[pc].numbers.remove(r) }
            }
        }
    }

    /// The forward dataflow, joined by intersection (and union for stale slots).
    private mutating func infer(_ proto: Prototype, speculative: Bool, numericCalls: Set<Int>, captured: RegisterSet) {
        let code = proto.bytecode
        states = Array(repeating: .all, count: code.count + 1)
        results = Array(repeating: RegisterKinds(), count: code.count + 1)
        var reached = Array(repeating: false, count: code.count + 1)
        states[0] = RegisterKinds()
        reached[0] = true
        var work: [Int] = [0]
        // A stale slot whose register is dead (written before it is read again) needs no box.
        let live = integers ? RegisterLiveness(proto).live : []
        func flow(_ state: RegisterKinds, to pc: Int) {
            guard pc >= 0 && pc < states.count else { return }
            var state = state
            if integers { state.stale = state.stale & live[pc] }
            let joined = reached[pc] ? states[pc] & state : state
            if !reached[pc] || joined != states[pc] {
                reached[pc] = true
                states[pc] = joined
                work.append(pc)
            }
        }
        let integers = self.integers, eager = self.eager
        func setInteger(_ s: inout RegisterKinds, _ r: Int, unsigned: Bool, stale: Bool) {
            if !integers || captured.contains(r) { s.setOther(r) } else {
                s.setInteger(r, unsigned: unsigned, stale: stale && !eager.contains(r))
            }
        }
        while let pc = work.popLast() {
            guard pc < code.count else { continue }
            let ins = code[pc]
            let a = ins.ra, d = ins.rd, b = ins.rb, c = ins.rc
            let target = ins.jumpTarget(from: pc)
            var s = states[pc]
            if integers { s.stale = s.stale.subtracting(NumberInference.escaping(ins)) }
            defer { results[pc] = s }
            switch ins.opcode {
            case .KNUM, .KSHORT:
                s.setNumber(a)
                flow(s, to: pc + 1)
            case .KCDATA:
                switch proto.gcConstants[d] {
                case .int64: setInteger(&s, a, unsigned: false, stale: false)
                case .uint64: setInteger(&s, a, unsigned: true, stale: false)
                default: s.setOther(a)
                }
                flow(s, to: pc + 1)
            case .MOV:
                if s.numbers.contains(d) {
                    s.setNumber(a)
                } else if let unsigned = s.integer(d) {
                    setInteger(&s, a, unsigned: unsigned, stale: s.stale.contains(d))
                } else {
                    s.setOther(a)
                }
                flow(s, to: pc + 1)
            case .UNM, .ADDVN, .SUBVN, .MULVN, .DIVVN, .MODVN, .ADDNV, .SUBNV, .MULNV, .DIVNV, .MODNV,
                 .ADDVV, .SUBVV, .MULVV, .DIVVV, .MODVV:
                let operands = NumberInference.operands(ins)
                if integers, let unsigned = NumberInference.integerArithmetic(ins, s, speculative: speculative) {
                    setInteger(&s, a, unsigned: unsigned, stale: true)
                } else if speculative && !integers {
                    // Past speculative arithmetic, operands and result are numbers (anything
                    // else left for the interpreter).
                    s.setNumber(a)
                    for r in operands { s.setNumber(r) }
                } else if operands.allSatisfy({ s.numbers.contains($0) }) {
                    s.setNumber(a)
                } else {
                    s.setOther(a)
                }
                flow(s, to: pc + 1)
            case .POW:
                if s.numbers.contains(b) && s.numbers.contains(c) { s.setNumber(a) } else { s.setOther(a) }
                flow(s, to: pc + 1)
            case .FORI, .JFORI:
                for r in a...(a + 2) { s.setNumber(r) }
                flow(s, to: target)
                s.setNumber(a + 3)
                flow(s, to: pc + 1)
            case .FORL, .IFORL, .JFORL:
                for r in a...(a + 2) { s.setNumber(r) }
                flow(s, to: pc + 1)
                s.setNumber(a + 3)
                flow(s, to: target)
            case .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP,
                 .IST, .ISF:
                flow(s, to: pc + 1)
                flow(s, to: pc + 2)
            case .ISTC, .ISFC:
                s.setOther(a)
                flow(s, to: pc + 1)
                flow(s, to: pc + 2)
            case .JMP, .UCLO:
                flow(s, to: target)
            case .ISNEXT:
                s.setOther(a - 1)
                flow(s, to: target)
            case .ITERL, .IITERL, .JITERL:
                s.setOther(a - 1)
                flow(s, to: pc + 1)
                flow(s, to: target)
            case .CALL, .CALLM, .VARG:
                s.removeFrom(a)
                if numericCalls.contains(pc) { s.setNumber(a) }
                flow(s, to: pc + 1)
            case .ITERC, .ITERN:
                s.removeFrom(a - 1)
                flow(s, to: pc + 1)
                if ins.opcode == .ITERN { flow(s, to: pc + 2) }
            case .KNIL:
                for r in a...max(a, d) { s.setOther(r) }
                flow(s, to: pc + 1)
            case .RET, .RET0, .RET1, .RETM, .CALLT, .CALLMT:
                break
            case .TSETV, .TSETS, .TSETB, .TSETR, .TSETM, .GSET, .USETV, .USETS, .USETN, .USETP,
                 .LOOP, .ILOOP, .JLOOP, .FUNCF, .IFUNCF, .JFUNCF, .FUNCV, .IFUNCV, .JFUNCV:
                flow(s, to: pc + 1)
            default:
                s.setOther(a)
                flow(s, to: pc + 1)
            }
        }
        for pc in states.indices where !reached[pc] { states[pc] = RegisterKinds() }
    }

    /// The type of 64-bit integer arithmetic instruction `ins` computes in state `s` (true:
    /// `uint64_t`), when an operand is known to be such an integer: `uint64_t` when one
    /// is, else `int64_t`. Operands not known are checked at run time to be numbers or
    /// integers that keep that type (speculation leaves the compiled code otherwise); without
    /// speculation every operand must be known. Nil for other arithmetic.
    static func integerArithmetic(_ ins: Instruction, _ s: RegisterKinds, speculative: Bool) -> Bool? {
        let operands = ins.arithmeticOperands
        let kinds = operands.map { s.integer($0) }
        guard kinds.contains(where: { $0 != nil }) else { return nil }
        if !speculative && !operands.allSatisfy({ s.numbers.contains($0) || s.integer($0) != nil }) { return nil }
        return kinds.contains(true)
    }

    /// The registers whose stale slots instruction `ins` needs current before it starts
    /// (boxed then): those it reads without knowing 64-bit integers, all of them for
    /// instructions that may run other code or leave the function. Arithmetic, comparisons
    /// and moves take unboxed integers as they are, a cdata store its value, and their slow
    /// paths box what is stale before calling the runtime.
    static func escaping(_ ins: Instruction) -> RegisterSet {
        var set = RegisterSet()
        switch ins.opcode {
        case .UNM, .ADDVN, .SUBVN, .MULVN, .DIVVN, .MODVN, .ADDNV, .SUBNV, .MULNV, .DIVNV, .MODNV,
             .ADDVV, .SUBVV, .MULVV, .DIVVV, .MODVV,
             .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQN, .ISNEN,
             .MOV, .KSTR, .KCDATA, .KSHORT, .KNUM, .KPRI, .KNIL, .JMP, .LOOP, .ILOOP, .JLOOP, .FORL, .IFORL, .JFORL:
            break
        case .TGETV:
            set.insert(ins.rb); set.insert(ins.rc)
        case .TGETS, .TGETB:
            set.insert(ins.rb)
        case .TSETV:
            set.insert(ins.rb); set.insert(ins.rc)
        case .TSETS:
            set.insert(ins.rb)
        case .TSETB:
            set.insert(ins.ra); set.insert(ins.rb)
        case .IST, .ISF, .ISTC, .ISFC, .NOT, .LEN:
            set.insert(ins.rd)
        case .ISEQS, .ISNES, .ISEQP, .ISNEP:
            set.insert(ins.ra)
        default:
            return .all
        }
        return set
    }

    /// Whether register r holds a 64-bit integer (of either type) before some instruction.
    func everInteger(_ r: Int) -> Bool { states.contains { $0.integers.contains(r) } }

    /// Nil unless register r holds an unboxed 64-bit integer at `pc`; else whether a `uint64_t`.
    func integer(_ r: Int, at pc: Int) -> Bool? { states[pc].integer(r) }

    /// Whether register r's slot may be stale at `pc` (its integer not boxed yet).
    func isStale(_ r: Int, at pc: Int) -> Bool { states[pc].stale.contains(r) }

    /// The stale registers instruction `pc` boxes before it starts.
    func escapingAt(_ pc: Int, _ ins: Instruction) -> RegisterSet {
        states[pc].stale & NumberInference.escaping(ins)
    }

    func isNumber(_ r: Int, at pc: Int) -> Bool { states[pc].numbers.contains(r) }

    /// The registers an arithmetic instruction (UNM, ADDVN...MODVV) reads.
    static func operands(_ ins: Instruction) -> [Int] { ins.arithmeticOperands }

    /// Arithmetic that speculation covers (POW always goes through numbers or the runtime).
    static func isArithmetic(_ op: Opcode) -> Bool { op.arithmetic != nil && op != .POW }

    /// Whether some arithmetic in `proto` evidently works on tables: its result is indexed
    /// (a field read or written, a method called on it) before the register changes, or an
    /// operand was indexed before, unchanged since (`a * (1 / a:length())`), in
    /// straight-line code. Vector math through metamethods looks like this; number code
    /// (`s + x[i] * y`: the table is no operand) does not.
    static func indexesArithmeticResults(_ proto: Prototype) -> Bool {
        let code = proto.bytecode
        let targets = Set(code.indices.compactMap { pc -> Int? in
            let control = code[pc].opcode.control
            return control == .jump || control == .loop ? code[pc].jumpTarget(from: pc) : nil
        })
        for (pc, ins) in code.enumerated() where isArithmetic(ins.opcode) {
            // In FFI code an indexed operand is a C element or member (a number or a 64-bit
            // integer the integer paths keep unboxed), not a table of a vector class.
            if resultIndexed(code, after: pc) { return true }
            if !proto.flags.contains(.usesFFI) && operandIndexed(code, before: pc, targets: targets) { return true }
        }
        return false
    }

    /// Whether control leaves straight-line code at `ins` (or may skip what follows).
    private static func endsStraightLine(_ op: Opcode) -> Bool {
        switch op {
        case .JMP, .RET, .RET0, .RET1, .RETM, .CALLT, .CALLMT, .FORI, .FORL, .ITERC, .ITERN, .ITERL, .LOOP,
             .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP,
             .IST, .ISF, .ISTC, .ISFC, .UCLO:
            return true
        default:
            return false
        }
    }

    /// The result of arithmetic `pc` indexed by one of the next instructions.
    private static func resultIndexed(_ code: [Instruction], after pc: Int) -> Bool {
        let a = Int(code[pc].a)
        for next in code[(pc + 1)..<min(code.count, pc + 24)] {
            if endsStraightLine(next.opcode) { return false }
            switch next.opcode {
            case .TGETV, .TGETS, .TGETB, .TSETV, .TSETS, .TSETB:
                if next.rb == a { return true }
                let isRead = next.opcode.rawValue <= Opcode.TGETB.rawValue
                if isRead && Int(next.a) == a { return false }
            default:
                let format = next.opcode.format.a
                if (format == .dst && Int(next.a) == a) || (format == .base && Int(next.a) <= a) { return false }
            }
        }
        return false
    }

    /// An operand of arithmetic `pc` indexed by one of the instructions before, in the same
    /// straight-line code, and not written since.
    private static func operandIndexed(_ code: [Instruction], before pc: Int, targets: Set<Int>) -> Bool {
        var operands = Set(operands(code[pc]))
        var q = pc - 1
        while q >= max(0, pc - 24), !operands.isEmpty, !targets.contains(q + 1) {
            let previous = code[q]
            if endsStraightLine(previous.opcode) { return false }
            switch previous.opcode {
            case .TGETV, .TGETS, .TGETB, .TSETV, .TSETS, .TSETB:
                if operands.contains(Int(previous.rb)) { return true }
                let isRead = previous.opcode.rawValue <= Opcode.TGETB.rawValue
                if isRead { operands.remove(Int(previous.a)) }
            default:
                let format = previous.opcode.format.a
                if format == .dst { operands.remove(Int(previous.a)) }
                if format == .base { operands = operands.filter { $0 < Int(previous.a) } }
            }
            q -= 1
        }
        return false
    }

    /// Whether speculative code for `proto` may meet arithmetic on other values: some
    /// arithmetic operand is not known to be a number.
    static func speculates(_ proto: Prototype, _ inference: NumberInference) -> Bool {
        proto.bytecode.enumerated().contains { pc, ins in
            isArithmetic(ins.opcode) && !operands(ins).allSatisfy { inference.isNumber($0, at: pc) }
        }
    }

    /// Whether register r holds a number before some instruction.
    func everNumber(_ r: Int) -> Bool { states.contains { $0.numbers.contains(r) } }
}
