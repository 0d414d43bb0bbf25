/// Which slots of a frame are dead at a bytecode position, so snapshots leave them out (luajit's
/// snapshot purging): an exit does not store a value the interpreter never reads, and traces
/// keep fewer values alive. Since the bytecode is luajit's, luajit's scan applies as it is:
/// from the position, a read marks a slot live and a write before any read marks it dead;
/// the scan stops at the first jump (a jump's A says which slots are live at its target:
/// none from A up), at a return, or at a tail call. Slots any closure of the function may
/// capture are always live (an open upvalue reads its slot from outside the bytecode).
import PerigeeFrontend
import PerigeeRuntime

enum SlotLiveness {
    /// Slots `first..<frameSize` of a frame of `proto` whose `dead` flag is set are dead at
    /// `pc`; slots below `first` may be live.
    struct Dead {
        var first: Int
        var dead: [Bool]

        func isDead(_ slot: Int) -> Bool { slot >= first && slot < dead.count && dead[slot] }
    }

    private static let unknown: UInt8 = 1

    /// `captured`: the function's `capturedSlots`, which stay live.
    static func dead(in proto: ProtoRef, at start: UnsafePointer<UInt32>, captured: [Int]) -> Dead {
        let frameSize = Int(proto.pointee.frameSize)
        let code = UnsafePointer(proto.pointee.bytecode), end = code + Int(proto.pointee.bytecodeCount)
        // unknown: 1; read first: 0 (live); written first: a multiple of 3 (dead).
        var state = [UInt8](repeating: unknown, count: frameSize)
        func use(_ s: Int) { if s < frameSize { state[s] &= ~1 } }
        func define(_ s: Int) { if s < frameSize { state[s] = state[s] &* 3 } }
        func result(_ first: Int) -> Dead {
            var dead = state.map { $0 != 0 }
            for s in captured where s < frameSize { dead[s] = false }
            return Dead(first: min(first, frameSize), dead: dead)
        }
        var pc = start
        while pc >= code && pc < end {
            let i = Instruction(pc.pointee)
            let op = i.verifiedOpcode
            pc += 1
            let format = op.format
            if format.b == .variable { use(i.rb) }
            switch format.cd {
            case .variable:
                use(i.rc)
            case .rbase:
                // CAT: reads B...C, leaves the slots above scratch.
                for s in i.rb...max(i.rb, i.rc) { use(s) }
                if i.rc + 1 < frameSize { for s in (i.rc + 1)..<frameSize { define(s) } }
            case .jump where op == .UCLO:
                // Closes upvalues, then jumps: the scan follows forward jumps only.
                if i.jumpOffset < 0 { return Dead(first: frameSize, dead: []) }
                pc += i.jumpOffset
                continue
            case .jump:
                return jumped(pc, result)
            case .literal where op == .JFORL || op == .JITERL || op == .JLOOP:
                return jumped(pc, result)
            case .literal where op == .RET || op == .RET0 || op == .RET1 || op == .RETM:
                let top = op == .RETM ? frameSize : i.ra + i.rd - 1
                for s in 0..<min(i.ra, frameSize) { define(s) }
                if i.ra < top { for s in i.ra..<min(top, frameSize) { use(s) } }
                if top < frameSize { for s in max(top, 0)..<frameSize { define(s) } }
                return result(0)
            case .none where op == .FUNCF || op == .FUNCV || op == .IFUNCF || op == .IFUNCV || op == .JFUNCF
                || op == .JFUNCV || op == .FUNCC || op == .FUNCCW:
                return Dead(first: frameSize, dead: [])
            default:
                break
            }
            switch format.a {
            case .variable:
                use(i.ra)
            case .dst:
                if op != .ISTC && op != .ISFC { define(i.ra) }
            case .base:
                switch op {
                case .CALLM, .CALL, .CALLMT, .CALLT, .ITERC, .ITERN:
                    // The callee at A, the frame link at A + 1, the arguments from A + 2 (C is
                    // their count + 1); an iterator call reads the three slots below A too.
                    let top = op == .CALLM || op == .CALLMT || i.rc == 0 ? frameSize : i.ra + i.rc + 1
                    define(i.ra + 1)
                    let first = i.ra - (op == .ITERC || op == .ITERN ? 3 : 0)
                    if first < top { for s in max(first, 0)..<min(top, frameSize) { use(s) } }
                    if top < frameSize { for s in top..<frameSize { define(s) } }
                    if op == .CALLT || op == .CALLMT {
                        for s in 0..<min(i.ra, frameSize) { define(s) }
                        return result(0)
                    }
                case .VARG:
                    return Dead(first: frameSize, dead: [])
                case .KNIL:
                    if i.ra <= i.rd { for s in i.ra...i.rd { define(s) } }
                case .TSETM:
                    if i.ra >= 1 { for s in (i.ra - 1)..<frameSize { use(s) } }
                default:
                    break
                }
            default:
                break
            }
        }
        return Dead(first: frameSize, dead: [])
    }

    /// A jump (or a loop entering a trace): slots from its first free slot are dead at the
    /// target.
    private static func jumped(_ pc: UnsafePointer<UInt32>, _ result: (Int) -> Dead) -> Dead {
        result(firstFreeSlot(at: pc - 1))
    }

    /// The first slot out of scope where jump or loop instruction `jump` goes: its A, past a
    /// `for` loop's control slots or an iterator loop's variables. At the start of a loop's
    /// body (FORL, ITERL, LOOP) the body's locals are from there on (luajit's maxslot at a
    /// back edge), and the last iteration closed their upvalues at its end.
    static func firstFreeSlot(at jump: UnsafePointer<UInt32>) -> Int {
        let i = Instruction(jump.pointee)
        switch i.verifiedOpcode {
        case .FORI, .JFORI, .FORL, .IFORL, .JFORL: return i.ra + 4
        case .ITERL, .IITERL, .JITERL: return i.ra + Instruction((jump - 1).pointee).rb - 1
        default: return i.ra
        }
    }

    /// The slots of a frame of `proto` that a closure made in it may capture.
    static func capturedSlots(_ proto: ProtoRef) -> [Int] {
        guard proto.pointee.flags & ProtoFlag.hasChildren != 0 else { return [] }
        var slots: [Int] = []
        let code = proto.pointee.bytecode, k = proto.pointee.numbers
        for index in 0..<Int(proto.pointee.bytecodeCount) {
            let i = Instruction(code[index])
            guard i.verifiedOpcode == .FNEW else { continue }
            let child = k[-1 - i.rd]
            guard child.isProto else { continue }
            let p = child.proto
            for u in 0..<Int(p.pointee.upvalueCount) where p.pointee.upvalueDescriptors[u] & 0x8000 != 0 {
                slots.append(Int(p.pointee.upvalueDescriptors[u] & 0xff))
            }
        }
        return slots
    }
}
