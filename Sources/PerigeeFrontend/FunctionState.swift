/// Per-function emitter state: the instruction buffer, registers, constants and jump lists.

/// A pending jump list is threaded through the D fields of its JMPs; this marks its end.
let noJump: Int32 = -1

/// Limits, as LuaJIT has them.
let maxSlots: UInt32 = 250
let maxLocals: UInt32 = 200
let maxUpvalues = 60

/// One lexical block of a function.
struct Scope {
    var variableStart: Int
    var activeVariables: UInt32
    var flags: ScopeFlags
}

struct ScopeFlags: OptionSet {
    let rawValue: UInt8
    static let loop = ScopeFlags(rawValue: 0x01)
    static let hasBreak = ScopeFlags(rawValue: 0x02)
    static let hasGotoOrLabel = ScopeFlags(rawValue: 0x04)
    static let hasUpvalue = ScopeFlags(rawValue: 0x08)
    static let noClose = ScopeFlags(rawValue: 0x10)
}

final class FunctionState {
    /// Set right after creation; the parser outlives its function states.
    unowned(unsafe) var parser: Parser! = nil
    var code = GrowableBuffer<Instruction>(capacity: 64)
    var lines = GrowableBuffer<Int32>(capacity: 64)
    /// Last position that is a jump target (instructions there must not be merged away).
    var lastTarget: Int32 = 0
    /// Line of the last token read, given to each instruction emitted.
    var line: Int32 = 0
    /// Jumps waiting to be patched to the next instruction emitted.
    var pendingJumps: Int32 = noJump
    var freeRegister: UInt32 = 0
    var activeVariables: UInt32 = 0
    var frameSize: UInt32 = 1
    var flags: PrototypeFlags = []
    var parameterCount: UInt32 = 0
    let firstLine: Int32
    /// Index into the parser's variable stack where this function's variables start.
    let variableBase: Int
    /// Register → variable stack index, for active locals (a fixed block: no copy-on-write
    /// checks on this hot path).
    let variableMap = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
    /// Upvalue → variable stack index in the defining function.
    var upvalueMap: [UInt16] = []
    /// Upvalue → variable index (local of the parent) or `variableStackLimit + parent upvalue`.
    var upvalueSource: [UInt32] = []
    var scopes: [Scope] = []

    var gcConstants: [GCConstant] = []
    var numberConstants: [Double] = []
    private var stringSlots = ConstantIndex()
    private var numberSlots = ConstantIndex()

    deinit {
        variableMap.deallocate()
        code.deallocate()
        lines.deallocate()
    }

    init(firstLine: Int32, variableBase: Int) {
        self.firstLine = firstLine
        self.variableBase = variableBase
    }

    @inline(__always) var pc: Int32 { Int32(code.count) }

    // MARK: Constants

    func stringConstant(_ s: StringID) -> UInt32 {
        let key = UInt64(UInt32(bitPattern: s))
        if let k = stringSlots.find(key) { return k }
        let k = UInt32(gcConstants.count)
        gcConstants.append(.string(s))
        stringSlots.insert(key, k)
        return k
    }

    func numberConstant(_ n: Double) -> UInt32 {
        let key = n == 0 ? 0 : n.bitPattern  // -0 and 0 share a slot
        if let k = numberSlots.find(key) { return k }
        let k = UInt32(numberConstants.count)
        numberConstants.append(n)
        numberSlots.insert(key, k)
        return k
    }

    /// A new, never shared GC constant (prototypes, templates, FFI numbers).
    /// Constant indexes past the D field are caught when the function is finished.
    func uniqueConstant(_ c: GCConstant) -> UInt32 {
        gcConstants.append(c)
        return UInt32(gcConstants.count - 1)
    }

    // MARK: Jump lists

    func jumpNext(_ pc: Int32) -> Int32 {
        let delta = code[Int(pc)].jump
        return delta == noJump ? noJump : pc + 1 + delta
    }

    /// Whether some jump in the list produces no value (so a boolean must be materialized).
    func jumpListNeedsValue(_ list: Int32) -> Bool {
        var l = list
        while l != noJump {
            let p = code[Int(l >= 1 ? l - 1 : l)]
            let op = p.opcode
            if !(op == .ISTC || op == .ISFC || p.a == noRegister) { return true }
            l = jumpNext(l)
        }
        return false
    }

    /// Points the test-and-copy before a jump at `reg`, or drops its copy; false if the
    /// instruction before the jump is not a test.
    func patchTestRegister(_ pc: Int32, _ reg: UInt32) -> Bool {
        let i = Int(pc >= 1 ? pc - 1 : pc)
        var ins = code[i]
        let op = ins.opcode
        if op == .ISTC || op == .ISFC {
            if reg != noRegister && reg != ins.d {
                ins.a = reg
            } else {
                ins.setOpcode(op == .ISTC ? .IST : .ISF)
                ins.a = 0
            }
            code[i] = ins
        } else if ins.a == noRegister {
            if reg == noRegister {
                code[i] = Instruction(.JMP, a: code[Int(pc)].a, jump: 0)
            } else {
                code[i].a = reg
                if reg >= code[i + 1].a { code[i + 1].a = reg + 1 }
            }
        } else {
            return false
        }
        return true
    }

    func dropJumpValues(_ list: Int32) {
        var l = list
        while l != noJump {
            _ = patchTestRegister(l, noRegister)
            l = jumpNext(l)
        }
    }

    func patchJump(_ pc: Int32, to dest: Int32) throws(LuaSyntaxError) {
        let offset = dest - (pc + 1) + jumpBias
        if offset > Int32(maxD) || offset < 0 { throw parser.syntaxError("control structure too long") }
        code[Int(pc)].d = UInt32(offset)
    }

    func appendJump(_ l1: inout Int32, _ l2: Int32) throws(LuaSyntaxError) {
        if l2 == noJump { return }
        if l1 == noJump { l1 = l2; return }
        var list = l1
        while true {
            let next = jumpNext(list)
            if next == noJump { break }
            list = next
        }
        try patchJump(list, to: l2)
    }

    func patchJumpValues(_ list: Int32, valueTarget: Int32, register: UInt32, defaultTarget: Int32) throws(LuaSyntaxError) {
        var l = list
        while l != noJump {
            let next = jumpNext(l)
            if patchTestRegister(l, register) {
                try patchJump(l, to: valueTarget)
            } else {
                try patchJump(l, to: defaultTarget)
            }
            l = next
        }
    }

    func jumpToHere(_ list: Int32) throws(LuaSyntaxError) {
        lastTarget = pc
        try appendJump(&pendingJumps, list)
    }

    func patchJumpList(_ list: Int32, to target: Int32) throws(LuaSyntaxError) {
        if target == pc {
            try jumpToHere(list)
        } else {
            try patchJumpValues(list, valueTarget: target, register: noRegister, defaultTarget: target)
        }
    }

    // MARK: Emission

    /// Appends an instruction at the line of the last token read, first resolving jumps
    /// pending to this position.
    @discardableResult
    func emit(_ ins: Instruction) throws(LuaSyntaxError) -> Int32 {
        let here = pc
        if pendingJumps != noJump {
            try patchJumpValues(pendingJumps, valueTarget: here, register: noRegister, defaultTarget: here)
            pendingJumps = noJump
        }
        code.append(ins)
        lines.append(line)
        return here
    }

    // MARK: Registers

    func bumpRegisters(_ n: UInt32) throws(LuaSyntaxError) {
        let size = freeRegister + n
        if size > frameSize {
            if size >= maxSlots { throw parser.syntaxError("function or expression too complex") }
            frameSize = size
        }
    }

    func reserveRegisters(_ n: UInt32) throws(LuaSyntaxError) {
        try bumpRegisters(n)
        freeRegister += n
    }

    func freeRegister(_ reg: UInt32) {
        if reg >= activeVariables { freeRegister -= 1 }
    }
}
