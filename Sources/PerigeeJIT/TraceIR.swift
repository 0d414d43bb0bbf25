/// One trace's SSA IR: typed instructions growing up from a bias, interned constants growing
/// down from it, per-opcode chains for CSE, and the snapshots that let a guard leave the trace.
import PerigeeRuntime

/// The type of an IR value: the Lua types in the runtime's tag order, then the machine
/// types that exist only inside a trace.
public enum IRType: UInt8, CaseIterable {
    case `nil`, `false`, `true`, lightuserdata, string, upvalue, thread, proto, function, trace, cdata, table, userdata
    case float, number, int8, uint8, int16, uint16, int, uint32, int64, uint64
    /// A pointer (addresses of slots and fields).
    case pointer

    /// The three-letter name `-jdump` prints.
    public var dumpName: String {
        switch self {
        case .nil: return "nil"
        case .false: return "fal"
        case .true: return "tru"
        case .lightuserdata: return "lud"
        case .string: return "str"
        case .upvalue: return "upv"
        case .thread: return "thr"
        case .proto: return "pro"
        case .function: return "fun"
        case .trace: return "trc"
        case .cdata: return "cdt"
        case .table: return "tab"
        case .userdata: return "udt"
        case .float: return "flt"
        case .number: return "num"
        case .int8: return "i8 "
        case .uint8: return "u8 "
        case .int16: return "i16"
        case .uint16: return "u16"
        case .int: return "int"
        case .uint32: return "u32"
        case .int64: return "i64"
        case .uint64: return "u64"
        case .pointer: return "p64"
        }
    }

    /// Nil, false and true: the value is the type.
    public var isPrimitive: Bool { rawValue <= IRType.true.rawValue }
}

/// A reference to an IR instruction or constant: instructions from `bias + 1` up, constants
/// below `bias`, so "is it a constant" is one compare.
public struct IRRef: Hashable, Comparable {
    public let raw: UInt16
    public static let bias: UInt16 = 0x8000
    /// The fixed primitive constants, the first three below the bias.
    public static let `nil` = IRRef(raw: bias - 1)
    public static let `false` = IRRef(raw: bias - 2)
    public static let `true` = IRRef(raw: bias - 3)
    /// No operand.
    public static let none = IRRef(raw: 0)

    public init(raw: UInt16) { self.raw = raw }
    public var isConstant: Bool { raw < IRRef.bias }
    public static func < (a: IRRef, b: IRRef) -> Bool { a.raw < b.raw }
}

/// One IR instruction: opcode, type, guard flag, two operands and the previous instruction
/// of the same opcode (the CSE chain).
public struct IRIns: Equatable {
    public var op: IROp
    public var type: IRType
    /// A guard: the trace leaves through the snapshot before it when it fails.
    public var isGuard: Bool
    public var op1: UInt16
    public var op2: UInt16
    /// The previous instruction with this opcode (0 at the end of the chain).
    public var prev: UInt16

    public var ref1: IRRef { IRRef(raw: op1) }
    public var ref2: IRRef { IRRef(raw: op2) }
}

/// A snapshot entry: stack slot `slot` (relative to the trace's base frame) holds `ref`.
public struct SnapshotEntry: Hashable {
    public let slot: Int
    public let ref: IRRef
    public init(slot: Int, ref: IRRef) { self.slot = slot; self.ref = ref }
}

/// The interpreter state at a point of the trace: where to continue and what the modified
/// stack slots hold. Exits restore it; its index is the trace's exit number.
public struct Snapshot: Equatable {
    /// The instruction the interpreter continues at.
    public let pc: UnsafePointer<UInt32>
    /// How many Lua frames deep the trace is here (0: its start frame), and the base of
    /// that frame relative to the start frame's.
    public let depth: Int
    public let baseOffset: Int
    /// The result count of the last call wanting all results, when the instruction at `pc`
    /// consumes it (CALLM): the interpreter must know it there.
    public let multres: Int?
    /// The first IR instruction after the snapshot.
    public let ref: IRRef
    public let entries: [SnapshotEntry]
}

/// A call through the runtime (CALLS of `IRCall.call`): the interpreter's CALL it stands
/// for, where its frame is, the snapshot written to the stack before it and the one it
/// leaves through when the callee raises an error.
public struct RuntimeCall: Equatable {
    /// Which runtime helper runs the instruction (an `IRCall` raw value).
    public let helper: UInt16
    public let instruction: UInt32
    /// The CALL's index in its prototype, and its frame's base relative to the trace's.
    public let pc: Int
    public let frameOffset: Int
    public let writeBack: Int
    public let failure: Int
    /// The exit taken when Lua code the helper ran yields (the coroutine goes on in the
    /// interpreter when it is resumed).
    public let yield: Int
    /// For CALLM: the count of the results before it that it passes on.
    public let multres: Int
}

/// The IR of one trace under construction.
public final class TraceIR {
    public private(set) var instructions: [IRIns] = []
    /// Constants, the nearest to the bias first.
    public private(set) var constants: [IRIns] = []
    /// The 64-bit payloads of KNUM, KINT64, KGC and KPTR constants (their op1 indexes here).
    public private(set) var payloads: [UInt64] = []
    public private(set) var snapshots: [Snapshot] = []
    /// The calls through the runtime, by instruction reference. A trace with any keeps the
    /// Lua stack as the truth (see TraceLowering).
    public private(set) var runtimeCalls: [UInt16: RuntimeCall] = [:]
    /// The C functions CCALL instructions call (their literal indexes this).
    var cFunctions: [CFunctionCall] = []
    /// The latest instruction of each opcode (a CSE chain head), 0 when none.
    private var chains = [UInt16](repeating: 0, count: IROp.allCases.count)
    private var interned: [ConstantKey: IRRef] = [:]
    /// The instructions the trace does not run: sunk tables and their stores (SINK).
    public var sunk: Set<UInt16> = []
    /// The optimizations applied as instructions are emitted (luajit's -O flags).
    public var optimizations: Optimizations = .all

    private struct ConstantKey: Hashable {
        let op: IROp
        let type: IRType
        let value: UInt64
    }

    public init() {
        for type in [IRType.nil, .false, .true] {
            constants.append(IRIns(op: .KPRI, type: type, isGuard: false, op1: 0, op2: 0, prev: 0))
        }
    }

    /// A trace's IR as another process recorded it (`PortableTrace`): the decoded arrays,
    /// with the CSE chains and the constants' interning rebuilt.
    init(decodedConstants: [IRIns], payloads: [UInt64], instructions: [IRIns], snapshots: [Snapshot],
         runtimeCalls: [UInt16: RuntimeCall], optimizations: Optimizations) {
        constants = decodedConstants
        self.payloads = payloads
        self.instructions = instructions
        self.snapshots = snapshots
        self.runtimeCalls = runtimeCalls
        self.optimizations = optimizations
        for (n, ins) in instructions.enumerated() { chains[Int(ins.op.rawValue)] = IRRef.bias + 1 + UInt16(n) }
        for (i, k) in decodedConstants.enumerated() where k.op != .KPRI {
            let payload: Bool = [.KGC, .KPTR, .KNUM, .KINT64, .KSLOT].contains(k.op)
            let value = payload ? payloads[Int(k.op1)] : UInt64(k.op1) | UInt64(k.op2) << 16
            interned[ConstantKey(op: k.op, type: k.type, value: value)] = IRRef(raw: IRRef.bias - 1 - UInt16(i))
        }
    }

    public var count: Int { instructions.count }
    /// How many 64-bit payloads the constants hold.
    public var payloadCount: Int { payloads.count }
    /// Every constant's reference.
    public var constantReferences: [IRRef] { (0..<constants.count).map { IRRef(raw: IRRef.bias - 1 - UInt16($0)) } }
    /// The reference the next instruction gets.
    public var nextRef: IRRef { IRRef(raw: IRRef.bias + 1 + UInt16(instructions.count)) }

    public subscript(ref: IRRef) -> IRIns {
        ref.isConstant ? constants[Int(IRRef.bias - 1 - ref.raw)] : instructions[Int(ref.raw - IRRef.bias - 1)]
    }

    // MARK: Constants

    private func constant(_ op: IROp, _ type: IRType, _ value: UInt64, payload: Bool) -> IRRef {
        let key = ConstantKey(op: op, type: type, value: value)
        if let ref = interned[key] { return ref }
        var op1 = UInt16(truncatingIfNeeded: value)
        if payload {
            op1 = UInt16(payloads.count)
            payloads.append(value)
        }
        constants.append(IRIns(op: op, type: type, isGuard: false, op1: op1, op2: UInt16(truncatingIfNeeded: value >> 16), prev: 0))
        let ref = IRRef(raw: IRRef.bias - UInt16(constants.count))
        interned[key] = ref
        return ref
    }

    /// A 32-bit integer constant.
    public func int(_ v: Int32) -> IRRef { constant(.KINT, .int, UInt64(UInt32(bitPattern: v)), payload: false) }
    /// A 64-bit integer constant (`int64_t`, or `uint64_t` when `unsigned`), by its bits.
    public func int64(_ bits: UInt64, unsigned: Bool) -> IRRef {
        constant(.KINT64, unsigned ? .uint64 : .int64, bits, payload: true)
    }
    /// A number constant (by its bits: -0 and +0 differ, each NaN is itself).
    public func number(_ d: Double) -> IRRef { constant(.KNUM, .number, d.bitPattern, payload: true) }
    /// A collectable object the trace specialized on (a GC root while the trace lives).
    public func object(_ value: Value, _ type: IRType) -> IRRef {
        constant(.KGC, type, value.bits & Value.payloadMask, payload: true)
    }
    /// HREFK's key operand: constant key `key` expected in hash node `index` of the table.
    public func slot(_ key: IRRef, _ index: Int) -> IRRef {
        constant(.KSLOT, .pointer, UInt64(key.raw) | UInt64(index) << 16, payload: true)
    }
    /// The key and node index of a KSLOT constant.
    public func slotKey(_ ref: IRRef) -> (key: IRRef, index: Int) {
        let bits = payload(ref)
        return (IRRef(raw: UInt16(truncatingIfNeeded: bits)), Int(bits >> 16))
    }
    /// A raw 64-bit word stored as it is (a frame link: a return PC).
    public func pointer(_ bits: UInt64) -> IRRef { constant(.KPTR, .pointer, bits, payload: true) }
    public func primitive(_ type: IRType) -> IRRef {
        switch type {
        case .nil: return .nil
        case .false: return .false
        default: return .true
        }
    }

    /// The integer of a KINT constant.
    public func intValue(_ ref: IRRef) -> Int32 {
        let k = self[ref]
        return Int32(bitPattern: UInt32(k.op1) | UInt32(k.op2) << 16)
    }
    /// The payload of a KNUM, KINT64, KGC or KPTR constant.
    public func payload(_ ref: IRRef) -> UInt64 { payloads[Int(self[ref].op1)] }

    // MARK: Instructions

    /// Emits an instruction, or answers a value the trace already has: the optimizations
    /// that run as the trace is recorded, in luajit's order (see `Optimizations`), come first.
    @discardableResult
    public func emit(_ op: IROp, _ type: IRType, _ a: UInt16 = 0, _ b: UInt16 = 0, guard isGuard: Bool = false) -> IRRef {
        var op1 = a, op2 = b
        if op.info.commutative && op1 < op2 { swap(&op1, &op2) }
        if optimizations.contains(.fold), let folded = Fold.simplify(self, op, type, op1, op2) { return folded }
        if optimizations.contains(.fwd), let forwarded = LoadForwarding.forward(self, op, type, op1, op2, guard: isGuard) {
            return forwarded
        }
        if op.isCSEable && optimizations.contains(.cse) {
            // Only instructions after both operands can be equal to the new one.
            let limit = max(op1, op2)
            var candidate = chains[Int(op.rawValue)]
            while candidate > limit {
                let ins = instructions[Int(candidate - IRRef.bias - 1)]
                // A guard is only merged into an earlier guard (which checked what it checks).
                if ins.op1 == op1 && ins.op2 == op2 && ins.type == type && (ins.isGuard || !isGuard) {
                    return IRRef(raw: candidate)
                }
                candidate = ins.prev
            }
        }
        let ref = nextRef
        instructions.append(IRIns(op: op, type: type, isGuard: isGuard, op1: op1, op2: op2, prev: chains[Int(op.rawValue)]))
        chains[Int(op.rawValue)] = ref.raw
        // A call through the runtime (a new key's store among them) may grow any table and
        // move its parts, close upvalues, or move the stack: no address computed before it
        // is reused after it.
        if op == .CALLS { forgetAddresses() }
        return ref
    }

    private func forgetAddresses() {
        for op in IROp.allCases where op.info.effect == .reference { chains[Int(op.rawValue)] = 0 }
    }

    /// Emits an instruction over two references.
    @discardableResult
    public func emit(_ op: IROp, _ type: IRType, _ a: IRRef, _ b: IRRef = .none, guard isGuard: Bool = false) -> IRRef {
        emit(op, type, a.raw, b.raw, guard: isGuard)
    }

    /// Emits a call through the runtime.
    @discardableResult
    public func emitRuntimeCall(_ call: RuntimeCall) -> IRRef {
        let ref = emit(.CALLS, .nil, 0, call.helper)
        runtimeCalls[ref.raw] = call
        return ref
    }

    /// Records the interpreter state before the next instruction; its index is the exit number.
    @discardableResult
    public func snapshot(pc: UnsafePointer<UInt32>, depth: Int, baseOffset: Int = 0, multres: Int? = nil,
                         _ entries: [SnapshotEntry]) -> Int {
        snapshots.append(Snapshot(pc: pc, depth: depth, baseOffset: baseOffset, multres: multres, ref: nextRef,
                                  entries: entries.sorted { $0.slot < $1.slot }))
        return snapshots.count - 1
    }
}
