/// Calls whose callee the program's text names: a local function of an enclosing function,
/// read through an upvalue whose local is never assigned again (`local function A ... end`,
/// called as `A(i, j)` in a function defined after it). Such a call tests whether the
/// callee's native entry is that function's code and then calls it directly (the guarded
/// direct call of ProfileGuidance), and a small callee is inlined there: no indirect jump,
/// and LLVM folds the frame traffic of the call (arguments stored and loaded back, the
/// result read from the top of the stack) into the caller's code.
/// The guess only picks the call's fast path: `debug.setupvalue`, or a slot shared by two
/// locals, gives another callee, which the guard sends down the ordinary call.
import PerigeeFrontend

struct KnownCallees {
    /// Each nested function's enclosing function.
    private var parents: [ObjectIdentifier: Prototype] = [:]

    init(chunks: [Prototype]) {
        for chunk in chunks {
            for p in chunk.preorder {
                for child in p.children { parents[ObjectIdentifier(child)] = p }
            }
        }
    }

    /// The function each call of `proto` (CALL, CALLM, CALLT, CALLMT; by pc) is known to call.
    func targets(of proto: Prototype) -> [Int: Prototype] {
        var targets: [Int: Prototype] = [:]
        for (pc, ins) in proto.bytecode.enumerated() where [.CALL, .CALLM, .CALLT, .CALLMT].contains(ins.opcode) {
            if let index = KnownCallees.calleeUpvalue(proto.bytecode, pc), let callee = function(inUpvalue: index, of: proto) {
                targets[pc] = callee
            }
        }
        return targets
    }

    /// The upvalue the callee register of the call at `pc` was read from (UGET), when that
    /// read is its last write, in the instructions just before the call that set up its
    /// arguments (no jumps between).
    static func calleeUpvalue(_ code: [Instruction], _ pc: Int) -> Int? {
        let a = Int(code[pc].a)
        var q = pc - 1
        while q >= max(0, pc - 16) {
            let previous = code[q]
            // A call whose base is above the register (the arguments' own calls, as in
            // `f(x, g(y))`) writes only above it.
            let isCall = previous.opcode == .CALL || previous.opcode == .CALLM
            if previous.opcode.control != .sequential && !isCall { return nil }
            if previous.opcode.format.a == .dst && Int(previous.a) == a {
                return previous.opcode == .UGET ? Int(previous.rd) : nil
            }
            if previous.opcode.format.a == .base && Int(previous.a) <= a { return nil }
            q -= 1
        }
        return nil
    }

    /// The function upvalue `index` of `proto` holds, when that is one local function of an
    /// enclosing function that is never assigned again.
    private func function(inUpvalue index: Int, of proto: Prototype) -> Prototype? {
        guard index < proto.upvalues.count, let parent = parents[ObjectIdentifier(proto)] else { return nil }
        let descriptor = proto.upvalues[index]
        guard descriptor & upvalueIsLocal != 0 else { return function(inUpvalue: Int(descriptor), of: parent) }
        guard descriptor & upvalueIsImmutable != 0 else { return nil }
        let slot = Int(descriptor & 0xff)
        // The closure made into that slot; none or several (slots are reused): no guess.
        let made = parent.bytecode.filter { $0.opcode == .FNEW && Int($0.a) == slot }
        guard made.count == 1, case .function(let callee) = parent.gcConstants[Int(made[0].rd)] else { return nil }
        return callee
    }

    /// Whether `proto` is small enough to inline at its known calls: a short function
    /// without loops or closures, whose code grows a caller by little.
    static func isInlinable(_ proto: Prototype) -> Bool {
        proto.bytecode.count <= 24 && !proto.flags.contains(.vararg) && !proto.flags.contains(.hasChild)
            && !proto.bytecode.contains { $0.opcode.control == .loop }
    }
}
