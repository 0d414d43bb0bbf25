/// What `perigee profile` collects while a program runs in the interpreter: per function and
/// bytecode position, the operand types seen at arithmetic, comparison and table
/// instructions, which way conditional jumps went, and which functions calls reached.
///
/// The interpreter reports to it only through a dispatch table of its own
/// (`perigee_set_profiling`): the observed opcodes' stubs call `perigee_op_profile` before
/// the instruction runs. Without a profile that table is never chosen, so a plain run pays
/// nothing. Functions are kept by their frontend prototype (retained here, so that its
/// identity stays unique while the run goes on); the command line turns the counts into the
/// relocatable profile file (Sources/PerigeeProfile).
import CSupport
import PerigeeFrontend

/// The kinds of value an operand was seen holding (a bit set).
public struct ObservedTypes: OptionSet, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let `nil` = ObservedTypes(rawValue: 1)
    public static let boolean = ObservedTypes(rawValue: 2)
    public static let number = ObservedTypes(rawValue: 4)
    public static let string = ObservedTypes(rawValue: 8)
    public static let table = ObservedTypes(rawValue: 16)
    public static let function = ObservedTypes(rawValue: 32)
    public static let cdata = ObservedTypes(rawValue: 64)
    /// Userdata, threads, light userdata.
    public static let other = ObservedTypes(rawValue: 128)

    @inline(__always) init(of v: Value) {
        if v.isNumber { self = .number; return }
        switch v.tag {
        case .nil: self = .nil
        case .false, .true: self = .boolean
        case .string: self = .string
        case .table: self = .table
        case .function: self = .function
        case .cdata: self = .cdata
        default: self = .other
        }
    }
}

/// What a call instruction reached.
public enum ObservedCallee: Hashable {
    /// A Lua function, by its prototype.
    case lua(ObjectIdentifier)
    /// A builtin: its fast-function id (1 for a builtin without one).
    case builtin(UInt8)
    /// Not a function (a value with `__call`).
    case other
}

/// The counts of one function, by instruction index.
public final class FunctionCounts {
    public let prototype: Prototype
    /// Types seen in the first and second operand (which operands: see `ProfileCollector.observe`).
    public internal(set) var first: [ObservedTypes]
    public internal(set) var second: [ObservedTypes]
    /// Times each observed instruction ran (the header's count: the function's entries).
    public internal(set) var hits: [Int]
    /// For conditional instructions whose outcome the profiler could tell without running
    /// Lua code: times the following jump was taken, and not.
    public internal(set) var taken: [Int]
    public internal(set) var notTaken: [Int]
    /// Call sites: what they reached, how often.
    public internal(set) var callees: [Int: [ObservedCallee: Int]] = [:]
    /// Reads of a constant key (TGETS) that the table lacked and its metatable had to answer.
    public internal(set) var inherited: [Int: Int] = [:]

    init(_ prototype: Prototype, count: Int) {
        self.prototype = prototype
        first = Array(repeating: [], count: count)
        second = Array(repeating: [], count: count)
        hits = Array(repeating: 0, count: count)
        taken = Array(repeating: 0, count: count)
        notTaken = Array(repeating: 0, count: count)
    }

    @inline(__always) func see(_ pc: Int, _ a: Value, _ b: Value?) {
        hits[pc] &+= 1
        first[pc].formUnion(ObservedTypes(of: a))
        if let b { second[pc].formUnion(ObservedTypes(of: b)) }
    }

    @inline(__always) func branch(_ pc: Int, _ jumps: Bool?) {
        guard let jumps else { return }
        if jumps { taken[pc] &+= 1 } else { notTaken[pc] &+= 1 }
    }

    func call(_ pc: Int, _ callee: ObservedCallee) {
        hits[pc] &+= 1
        callees[pc, default: [:]][callee, default: 0] += 1
    }
}

/// A trace the JIT compiled during the profiled run: its anchor and the instructions it
/// recorded, as (function, instruction index) pairs.
public struct ObservedTrace {
    public let number: Int
    /// The parent trace and exit for a side trace, nil for a root trace.
    public let parent: Int?
    public let anchor: (function: ObjectIdentifier, pc: Int)?
    public let path: [(function: ObjectIdentifier, pc: Int)]
    public let ending: String
    /// The trace's code in portable form (PerigeeJIT's `PortableTrace`), or why it has none.
    public var code: Result<ObservedTraceCode, TraceNotPortable>
    /// How often the trace was entered and its loop went round, read when the profile is
    /// written (a root trace's; zeros for side traces).
    public var statistics: () -> (entries: Int, rounds: Int) = { (0, 0) }
    public init(number: Int, parent: Int?, anchor: (function: ObjectIdentifier, pc: Int)?,
                path: [(function: ObjectIdentifier, pc: Int)], ending: String,
                code: Result<ObservedTraceCode, TraceNotPortable>) {
        self.number = number
        self.parent = parent
        self.anchor = anchor
        self.path = path
        self.ending = ending
        self.code = code
    }
}

/// A compiled trace's IR as text another process can rebuild it from: the lines name
/// functions by their index in `functions` (the profile names those).
public struct ObservedTraceCode {
    public let functions: [ObjectIdentifier]
    public let lines: [String]
    /// A side trace's exit of its parent (the parent's snapshot index).
    public let parentExit: Int
    /// The trace its last snapshot leads into, if any.
    public let link: Int?
    public init(functions: [ObjectIdentifier], lines: [String], parentExit: Int, link: Int?) {
        self.functions = functions
        self.lines = lines
        self.parentExit = parentExit
        self.link = link
    }
}

/// Why a trace's code cannot be kept in a profile (it names an object only this process has).
public struct TraceNotPortable: Error {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}

public final class ProfileCollector {
    /// Every function seen, by its frontend prototype's identity.
    public private(set) var functions: [ObjectIdentifier: FunctionCounts] = [:]
    /// Every chunk loaded: its name, the bytes it was loaded from and its prototype tree.
    public private(set) var chunks: [(name: String, source: [UInt8], root: Prototype)] = []
    /// Where each prototype sits: its chunk's index in `chunks` and its preorder index.
    public private(set) var positions: [ObjectIdentifier: (chunk: Int, index: Int)] = [:]
    public var traces: [ObservedTrace] = []

    /// The last function's counts, by its frontend prototype's address (unique: retained).
    private var lastSource: UnsafeMutableRawPointer?
    private var lastCounts: FunctionCounts?

    public init() {}

    /// Starts sending the observed instructions here (one collector per process).
    public func start() {
        activeProfile = self
        perigee_set_profiling(ProfileCollector.observedOpcodes)
    }

    public func stop() {
        perigee_set_profiling(nil)
        if activeProfile === self { activeProfile = nil }
    }

    /// Called by `LuaVM.load` for every chunk loaded while profiling.
    func noteChunk(_ root: Prototype, source: UnsafeBufferPointer<UInt8>, chunkName: String) {
        let chunk = chunks.count
        chunks.append((chunkName, Array(source), root))
        for (i, p) in root.preorder.enumerated() { positions[ObjectIdentifier(p)] = (chunk, i) }
    }

    public func counts(_ p: Prototype) -> FunctionCounts? { functions[ObjectIdentifier(p)] }

    @inline(__always) func counts(of proto: ProtoRef) -> FunctionCounts {
        let opaque = proto.info.pointee.source.toOpaque()
        if opaque == lastSource, let lastCounts { return lastCounts }
        let source = proto.source
        let key = ObjectIdentifier(source)
        let made: FunctionCounts
        if let known = functions[key] {
            made = known
        } else {
            made = FunctionCounts(source, count: Int(proto.pointee.bytecodeCount))
            functions[key] = made
        }
        lastSource = opaque
        lastCounts = made
        return made
    }

    static let observedOpcodes: UnsafeMutablePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        for op in Opcode.allCases where ProfileCollector.observes(op) { table[Int(op.rawValue)] = 1 }
        return table
    }()

    public static func observes(_ op: Opcode) -> Bool {
        if op.arithmetic != nil { return true }
        switch op {
        case .UNM, .LEN, .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV, .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP,
             .IST, .ISF, .ISTC, .ISFC, .TGETV, .TGETS, .TGETB, .TGETR, .TSETV, .TSETS, .TSETB, .TSETR,
             .CALL, .CALLM, .CALLT, .CALLMT, .FUNCF, .FUNCV, .IFUNCF, .IFUNCV:
            return true
        default:
            return false
        }
    }

    /// The instruction `ins` at `pc` of the frame at `r`, before it runs.
    @inline(__always) func observe(_ r: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>, _ ins: UInt32) {
        let f = r[FrameLayout.functionSlot]
        guard f.isFunction, f.function.isLua else { return }
        let proto = f.function.proto
        let index = pc - UnsafePointer(proto.pointee.bytecode)
        guard index >= 0, index < Int(proto.pointee.bytecodeCount) else { return }
        let c = counts(of: proto)
        let i = Instruction(ins)
        let op = i.opcode
        if let form = op.arithmetic {
            switch form.operands {
            case .variableVariable: c.see(index, r[i.rb], r[i.rc])
            case .unary: c.see(index, r[i.rd], nil)
            case .variableNumber, .numberVariable: c.see(index, r[i.rb], nil)
            }
            return
        }
        switch op {
        case .UNM, .LEN:
            c.see(index, r[i.rd], nil)
        case .ISLT, .ISGE, .ISLE, .ISGT, .ISEQV, .ISNEV:
            let x = r[i.ra], y = r[i.rd]
            c.see(index, x, y)
            c.branch(index, ProfileCollector.jumps(op, x, y))
        case .ISEQS, .ISNES, .ISEQN, .ISNEN, .ISEQP, .ISNEP:
            let x = r[i.ra]
            c.see(index, x, nil)
            guard x.isNumber || x.tag != .cdata else { return }
            let equal: Bool
            switch op {
            case .ISEQS, .ISNES: equal = x.bits == proto.pointee.numbers[-1 - i.rd].bits
            case .ISEQN, .ISNEN: equal = x.isNumber && x.number == proto.pointee.numbers[i.rd].number
            default: equal = !x.isNumber && x.tag.rawValue == UInt32(i.rd)
            }
            c.branch(index, (op == .ISEQS || op == .ISEQN || op == .ISEQP) == equal)
        case .IST, .ISF, .ISTC, .ISFC:
            let x = r[i.rd]
            c.see(index, x, nil)
            c.branch(index, (op == .IST || op == .ISTC) == x.isTruthy)
        case .TGETV, .TGETR, .TSETV, .TSETR:
            c.see(index, r[i.rb], r[i.rc])
        case .TGETS:
            let t = r[i.rb]
            c.see(index, t, nil)
            if t.isTable, t.table.pointee.metatable != nil,
               t.table.get(string: proto.pointee.numbers[-1 - i.rc].string).isNil {
                c.inherited[index, default: 0] += 1
            }
        case .TGETB, .TSETS, .TSETB:
            c.see(index, r[i.rb], nil)
        case .CALL, .CALLM, .CALLT, .CALLMT:
            let callee = r[i.ra]
            if callee.isFunction {
                let g = callee.function
                if g.isLua {
                    let target = counts(of: g.proto)
                    c.call(index, .lua(ObjectIdentifier(target.prototype)))
                    // `counts(of:)` moved its cache to the callee: put it back.
                    _ = counts(of: proto)
                } else {
                    c.call(index, .builtin(g.pointee.ffid))
                }
            } else {
                c.call(index, .other)
            }
        default:
            c.hits[index] &+= 1
        }
    }

    /// Whether the jump after comparison `op` of `x` and `y` is taken, when that is known
    /// without running a metamethod (numbers, and equality of values that have none).
    @inline(__always) static func jumps(_ op: Opcode, _ x: Value, _ y: Value) -> Bool? {
        if x.isNumber && y.isNumber {
            let p = x.number, q = y.number
            switch op {
            case .ISLT: return p < q
            case .ISGE: return !(p < q)
            case .ISLE: return p <= q
            case .ISGT: return !(p <= q)
            case .ISEQV: return p == q
            default: return p != q
            }
        }
        guard op == .ISEQV || op == .ISNEV, x.isNumber || x.tag != .cdata, y.isNumber || y.tag != .cdata else { return nil }
        // Two tables or two userdata may have __eq; anything else compares by identity.
        if x.bits != y.bits && !x.isNumber && !y.isNumber && x.tag == y.tag && (x.tag == .table || x.tag == .userdata) { return nil }
        return (x.bits == y.bits) == (op == .ISEQV)
    }
}

/// The profile being collected, if any (`perigee profile`).
public var activeProfile: ProfileCollector?

@_cdecl("perigee_op_profile") func opProfile(_ base: Slots, _ pc: Code, _ ins: UInt32) {
    activeProfile?.observe(valueSlots(base), pc - 1, ins)
}
