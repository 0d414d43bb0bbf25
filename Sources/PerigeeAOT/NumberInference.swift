/// Which registers certainly hold numbers before each instruction of a function: a forward
/// dataflow over the bytecode (constants, arithmetic, numeric `for` control values), joined
/// by intersection. Compiled arithmetic only goes on with numbers (the interpreter takes
/// over otherwise), so its operands and result are numbers after it. The lowering drops type checks and slow paths where
/// the operands are known numbers, so number code is straight-line LLVM code.
import PerigeeFrontend

/// A set of registers (0...255).
struct RegisterSet: Equatable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static let all = RegisterSet(words: (~0, ~0, ~0, ~0))

    func contains(_ r: Int) -> Bool {
        guard r >= 0 && r < 256 else { return false }
        return word(r >> 6) & (1 << UInt64(r & 63)) != 0
    }
    private func word(_ i: Int) -> UInt64 {
        switch i { case 0: return words.0; case 1: return words.1; case 2: return words.2; default: return words.3 }
    }
    private mutating func update(_ i: Int, _ f: (inout UInt64) -> Void) {
        switch i { case 0: f(&words.0); case 1: f(&words.1); case 2: f(&words.2); default: f(&words.3) }
    }
    mutating func insert(_ r: Int) {
        guard r >= 0 && r < 256 else { return }
        update(r >> 6) { $0 |= 1 << UInt64(r & 63) }
    }
    mutating func remove(_ r: Int) {
        guard r >= 0 && r < 256 else { return }
        update(r >> 6) { $0 &= ~(1 << UInt64(r & 63)) }
    }
    /// Removes every register from `r` up.
    mutating func removeFrom(_ r: Int) {
        for i in max(r, 0)..<256 { remove(i) }
    }
    static func & (a: RegisterSet, b: RegisterSet) -> RegisterSet {
        RegisterSet(words: (a.words.0 & b.words.0, a.words.1 & b.words.1, a.words.2 & b.words.2, a.words.3 & b.words.3))
    }
    static func == (a: RegisterSet, b: RegisterSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }
}

struct NumberInference {
    /// `numbers[pc]`: registers holding numbers whenever instruction `pc` starts.
    private(set) var numbers: [RegisterSet]

    /// `speculative`: arithmetic is compiled for numbers only (anything else leaves the
    /// compiled code), so its operands and result are numbers after it. Otherwise
    /// arithmetic handles any operands, and its result is a number only when they were.
    /// `numericCalls`: the calls (by pc) whose one result compiled code checks to be a number,
    /// handing the activation to the interpreter otherwise (calls of numeric builtins).
    init(_ proto: Prototype, speculative: Bool = true, numericCalls: Set<Int> = []) {
        let code = proto.bytecode
        numbers = Array(repeating: .all, count: code.count + 1)
        var reached = Array(repeating: false, count: code.count + 1)
        numbers[0] = RegisterSet()
        reached[0] = true
        var work: [Int] = [0]
        func flow(_ state: RegisterSet, to pc: Int) {
            guard pc >= 0 && pc < numbers.count else { return }
            let joined = reached[pc] ? numbers[pc] & state : state
            if !reached[pc] || joined != numbers[pc] {
                reached[pc] = true
                numbers[pc] = joined
                work.append(pc)
            }
        }
        while let pc = work.popLast() {
            guard pc < code.count else { continue }
            let ins = code[pc]
            let a = ins.ra, d = ins.rd, b = ins.rb, c = ins.rc
            let target = ins.jumpTarget(from: pc)
            var s = numbers[pc]
            switch ins.opcode {
            case .KNUM, .KSHORT:
                s.insert(a)
                flow(s, to: pc + 1)
            case .MOV:
                if s.contains(d) { s.insert(a) } else { s.remove(a) }
                flow(s, to: pc + 1)
            case .UNM, .ADDVN, .SUBVN, .MULVN, .DIVVN, .MODVN, .ADDNV, .SUBNV, .MULNV, .DIVNV, .MODNV,
                 .ADDVV, .SUBVV, .MULVV, .DIVVV, .MODVV:
                let operands = NumberInference.operands(ins)
                if speculative {
                    // Past speculative arithmetic, operands and result are numbers (anything
                    // else left for the interpreter).
                    s.insert(a)
                    for r in operands { s.insert(r) }
                } else if operands.allSatisfy({ s.contains($0) }) {
                    s.insert(a)
                } else {
                    s.remove(a)
                }
                flow(s, to: pc + 1)
            case .POW:
                if s.contains(b) && s.contains(c) { s.insert(a) } else { s.remove(a) }
                flow(s, to: pc + 1)
            case .FORI, .JFORI:
                for r in a...(a + 2) { s.insert(r) }
                flow(s, to: target)
                s.insert(a + 3)
                flow(s, to: pc + 1)
            case .FORL, .IFORL, .JFORL:
                for r in a...(a + 2) { s.insert(r) }
                flow(s, to: pc + 1)
                s.insert(a + 3)
                flow(s, to: target)
            case .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP,
                 .IST, .ISF:
                flow(s, to: pc + 1)
                flow(s, to: pc + 2)
            case .ISTC, .ISFC:
                s.remove(a)
                flow(s, to: pc + 1)
                flow(s, to: pc + 2)
            case .JMP, .UCLO:
                flow(s, to: target)
            case .ISNEXT:
                s.remove(a - 1)
                flow(s, to: target)
            case .ITERL, .IITERL, .JITERL:
                s.remove(a - 1)
                flow(s, to: pc + 1)
                flow(s, to: target)
            case .CALL, .CALLM, .VARG:
                s.removeFrom(a)
                if numericCalls.contains(pc) { s.insert(a) }
                flow(s, to: pc + 1)
            case .ITERC, .ITERN:
                s.removeFrom(a - 1)
                flow(s, to: pc + 1)
                if ins.opcode == .ITERN { flow(s, to: pc + 2) }
            case .KNIL:
                for r in a...max(a, d) { s.remove(r) }
                flow(s, to: pc + 1)
            case .RET, .RET0, .RET1, .RETM, .CALLT, .CALLMT:
                break
            case .TSETV, .TSETS, .TSETB, .TSETR, .TSETM, .GSET, .USETV, .USETS, .USETN, .USETP,
                 .LOOP, .ILOOP, .JLOOP, .FUNCF, .IFUNCF, .JFUNCF, .FUNCV, .IFUNCV, .JFUNCV:
                flow(s, to: pc + 1)
            default:
                s.remove(a)
                flow(s, to: pc + 1)
            }
        }
        for pc in numbers.indices where !reached[pc] { numbers[pc] = RegisterSet() }
        // A local that a closure may assign (a mutable upvalue) can change whenever Lua code
        // runs: in a call, and in any metamethod. It is never known to be a number.
        for child in proto.children {
            for uv in child.upvalues where uv & upvalueIsLocal != 0 && uv & upvalueIsImmutable == 0 {
                let r = Int(uv & 0xff)
                for pc in numbers.indices { numbers[pc].remove(r) }
            }
        }
    }

    func isNumber(_ r: Int, at pc: Int) -> Bool { numbers[pc].contains(r) }

    /// The registers an arithmetic instruction (UNM, ADDVN...MODVV) reads.
    static func operands(_ ins: Instruction) -> [Int] { ins.arithmeticOperands }

    /// Arithmetic that speculation covers (POW always goes through numbers or the runtime).
    static func isArithmetic(_ op: Opcode) -> Bool { op.arithmetic != nil && op != .POW }

    /// Whether some arithmetic in `proto` evidently works on tables: its result is indexed
    /// (a field read or written, a method called on it) before the register changes, in
    /// straight-line code. Vector math through metamethods looks like this; number code
    /// does not.
    static func indexesArithmeticResults(_ proto: Prototype) -> Bool {
        let code = proto.bytecode
        for (pc, ins) in code.enumerated() where isArithmetic(ins.opcode) {
            let a = Int(ins.a)
            scan: for next in code[(pc + 1)..<min(code.count, pc + 24)] {
                switch next.opcode {
                case .TGETV, .TGETS, .TGETB, .TSETV, .TSETS, .TSETB:
                    if next.rb == a { return true }
                    let isRead = next.opcode.rawValue <= Opcode.TGETB.rawValue
                    if isRead && Int(next.a) == a { break scan }
                case .JMP, .RET, .RET0, .RET1, .RETM, .CALLT, .CALLMT, .FORI, .FORL, .ITERC, .ITERN, .ITERL, .LOOP,
                     .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP,
                     .IST, .ISF, .ISTC, .ISFC, .UCLO:
                    break scan
                default:
                    let format = next.opcode.format.a
                    if (format == .dst && Int(next.a) == a) || (format == .base && Int(next.a) <= a) { break scan }
                }
            }
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
    func everNumber(_ r: Int) -> Bool { numbers.contains { $0.contains(r) } }
}
