/// A compiled trace in a form another process can rebuild it from: what `perigee profile`
/// keeps of each trace and `perigee build --profile` compiles into the executable.
///
/// The IR is kept as the recorder left it (FOLD, CSE and FWD have run; LOOP runs when it is
/// lowered). What only the recording process has is named instead: functions by their
/// index in the trace's function list (the profile names those by chunk and preorder
/// index), code positions by function and instruction index, strings by their bytes,
/// library values by library and key, constructor templates by function and constant
/// index, and a closure the trace guards on by its function (the executable's code then
/// guards on the prototype: closures are made afresh each run). A trace naming anything
/// else (a metatable, a C function, C data) is not portable, and says why.
///
/// The text, one line per record, fields separated by spaces (docs/profile-format.md,
/// "Trace code"):
///
///     head LOOP FINAL ENTRY STACK BUDGETCOST BUDGETEXIT GCEXIT NARROWED RECURSIVE OPTIMIZATIONS LOOPSTART
///     k OP TYPE OP1 OP2 [RELOCATION...]          a constant, in order from the bias down
///     i OP TYPE GUARD OP1 OP2 PREV               an instruction, in order
///     s F PC DEPTH BASE MULTRES REF SLOT:REF...  a snapshot
///     c REF HELPER INSTRUCTION PC FRAME WRITEBACK FAILURE YIELD MULTRES
///     x SNAPSHOT FAILEDCALLEE YIELDS             an exit that unwinds or yields
///
/// `-` stands for none.
import PerigeeFrontend
import PerigeeLLVM
import PerigeeRuntime

/// What a constant's payload is in the process that runs the trace.
public enum TraceRelocation: Equatable {
    /// The same bits (numbers, frame links, null).
    case bits(UInt64)
    /// The interned string with these bytes.
    case string([UInt8])
    /// `package.loaded[library]`, or its field `key`.
    case library(String, key: String?)
    /// Garbage-collected constant `index` (a constructor's template) of function `function`.
    case functionConstant(function: Int, index: Int)
    /// The prototype of function `function`: a prototype guard's operand, or (as a KGC
    /// function) the closure a guard compares with, which becomes a guard on its prototype.
    case prototype(function: Int)
    case closure(function: Int)
    /// The address of instruction `pc` of function `function`, exclusive-or `flags` (a
    /// return PC; a continuation's flag bits).
    case codePosition(function: Int, pc: Int, flags: UInt64)
}

/// A trace as the profile keeps it, decoded.
public struct PortableTrace {
    public let ir: TraceIR
    public let loopSnapshot: Int?
    public let finalSnapshot: Int?
    public let entryExit: Int
    public let stackNeeded: Int
    public let budgetCost: Int
    public let budgetExit: Int?
    public let gcExit: Int?
    public let narrowedIndex: Int?
    public let recursive: Bool
    /// A root trace's loop body (or function body) instruction index.
    public let loopStart: Int
    /// Each snapshot's code position: function index and instruction index.
    public let positions: [(function: Int, pc: Int)]
    /// The exits a builtin's error unwinds through (the callee's frame), and those Lua code
    /// yields through.
    public let failures: [Int: Int]
    public let yields: Set<Int>
    /// The KGC and KPTR constants' payloads, by payload index.
    public let relocations: [Int: TraceRelocation]
}

/// A line that does not decode: the profile is not valid.
public struct TraceCodeError: Error {
    public let message: String
}

// MARK: Encoding

struct PortableTraceEncoder {
    let vm: LuaVM
    let ir: TraceIR
    /// The prototypes the trace ran in (its path), which its code positions and prototype
    /// constants must belong to.
    let protos: [ProtoRef]
    private(set) var functions: [ObjectIdentifier] = []

    init(vm: LuaVM, ir: TraceIR, protos: [ProtoRef]) {
        self.vm = vm
        self.ir = ir
        var seen = Set<ProtoRef>()
        self.protos = protos.filter { seen.insert($0).inserted }
    }

    private mutating func function(_ p: ProtoRef) -> Int {
        let id = ObjectIdentifier(p.source)
        if let i = functions.firstIndex(of: id) { return i }
        functions.append(id)
        return functions.count - 1
    }

    private mutating func relocation(_ ref: IRRef) throws(TraceNotPortable) -> TraceRelocation {
        let k = ir[ref]
        let bits = ir.payload(ref)
        if k.op == .KPTR {
            if bits == 0 { return .bits(0) }
            for p in protos {
                if UInt(bits) == UInt(bitPattern: p) { return .prototype(function: function(p)) }
                let start = UInt64(UInt(bitPattern: p.pointee.bytecode))
                let address = bits & 0x0000_ffff_ffff_fffc
                if address >= start && address < start + 4 * UInt64(p.pointee.bytecodeCount) {
                    return .codePosition(function: function(p), pc: Int((address - start) / 4), flags: bits ^ address)
                }
            }
            // A frame link that is a distance, not an address.
            if bits < 1 << 32 { return .bits(bits) }
            throw TraceNotPortable("an address of this run (a metatable or a C function)")
        }
        let value = Value(bits: bits | (0x1FFFF ^ UInt64(k.type.rawValue)) << Value.tagShift)
        switch k.type {
        case .string:
            return .string(Array(value.string.buffer))
        case .function where value.function.isLua:
            guard usedOnlyAsGuardOperand(ref) else { throw TraceNotPortable("a closure of this run used as a value") }
            return .closure(function: function(value.function.proto))
        case .function, .table:
            if let (library, key) = vm.libraryName(of: value) { return .library(library, key: key) }
            for p in protos {
                let count = p.pointee.numbers - p.pointee.constants
                for d in 0..<count where p.pointee.numbers[-1 - d].bits == value.bits {
                    return .functionConstant(function: function(p), index: d)
                }
            }
            throw TraceNotPortable(k.type == .table ? "a table of this run (a metatable or an object)"
                                                    : "a builtin outside the standard libraries")
        default:
            throw TraceNotPortable("a constant of type \(k.type) (C data and userdata are not portable)")
        }
    }

    /// Whether closure constant `ref` appears only as what an EQ guard compares with (no
    /// snapshot or other instruction holds it).
    private func usedOnlyAsGuardOperand(_ ref: IRRef) -> Bool {
        for n in 0..<ir.count {
            let ins = ir[IRRef(raw: IRRef.bias + 1 + UInt16(n))]
            let info = ins.op.info
            if info.op1 == .ref && ins.op1 == ref.raw { return false }
            if info.op2 == .ref && ins.op2 == ref.raw && !(ins.op == .EQ && ins.isGuard) { return false }
        }
        return !ir.snapshots.contains { $0.entries.contains { $0.ref == ref } }
    }

    private mutating func position(_ pc: UnsafePointer<UInt32>) throws(TraceNotPortable) -> String {
        for p in protos {
            let start = UnsafePointer<UInt32>(p.pointee.bytecode)
            if pc >= start && pc < start + Int(p.pointee.bytecodeCount) { return "\(function(p)) \(pc - start)" }
        }
        throw TraceNotPortable("a snapshot outside the functions the trace ran in")
    }

    /// The trace's lines.
    mutating func encode(loopSnapshot: Int?, finalSnapshot: Int?, entryExit: Int, stackNeeded: Int, budgetCost: Int,
                         budgetExit: Int?, gcExit: Int?, narrowedIndex: Int?, recursive: Bool, loopStart: Int,
                         failures: [Int: Int], yields: Set<Int>) throws(TraceNotPortable) -> [String] {
        guard ir.cFunctions.isEmpty else { throw TraceNotPortable("it calls C functions") }
        let machineTypes: Set<IRType> = [.int64, .uint64, .cdata]
        for n in 0..<ir.count {
            let ins = ir[IRRef(raw: IRRef.bias + 1 + UInt16(n))]
            if machineTypes.contains(ins.type) || IROp.cData.contains(ins.op) {
                throw TraceNotPortable("it computes C data")
            }
        }
        func opt(_ v: Int?) -> String { v.map(String.init) ?? "-" }
        var lines = ["head \(opt(loopSnapshot)) \(opt(finalSnapshot)) \(entryExit) \(stackNeeded) \(budgetCost) "
                     + "\(opt(budgetExit)) \(opt(gcExit)) \(opt(narrowedIndex)) \(recursive ? 1 : 0) \(ir.optimizations.rawValue) \(loopStart)"]
        for ref in ir.constantReferences {
            let k = ir[ref]
            // (A payload constant's operands hold nothing but its payload's index; a KSLOT's
            // node index is this run's hash layout, which a rebuilt trace looks up anew: both
            // are left out, so that runs that compiled alike write alike.)
            var line: String
            switch k.op {
            case .KGC, .KPTR: line = "k \(k.op) \(k.type) \(k.op1) 0 " + PortableTrace.text(try relocation(ref))
            case .KNUM, .KINT64: line = "k \(k.op) \(k.type) \(k.op1) 0 " + PortableTrace.text(.bits(ir.payload(ref)))
            case .KSLOT: line = "k \(k.op) \(k.type) \(k.op1) 0 " + PortableTrace.text(.bits(ir.payload(ref) & 0xFFFF))
            default: line = "k \(k.op) \(k.type) \(k.op1) \(k.op2)"
            }
            lines.append(line)
        }
        for n in 0..<ir.count {
            let ins = ir[IRRef(raw: IRRef.bias + 1 + UInt16(n))]
            lines.append("i \(ins.op) \(ins.type) \(ins.isGuard ? 1 : 0) \(ins.op1) \(ins.op2) \(ins.prev)")
        }
        for snap in ir.snapshots {
            let entries = snap.entries.map { "\($0.slot):\($0.ref.raw)" }.joined(separator: " ")
            lines.append("s \(try position(snap.pc)) \(snap.depth) \(snap.baseOffset) \(opt(snap.multres)) \(snap.ref.raw)"
                         + (entries.isEmpty ? "" : " " + entries))
        }
        for (ref, c) in ir.runtimeCalls.sorted(by: { $0.key < $1.key }) {
            lines.append("c \(ref) \(c.helper) \(c.instruction) \(c.pc) \(c.frameOffset) \(c.writeBack) \(c.failure) \(c.yield) \(c.multres)")
        }
        for (snap, callee) in failures.sorted(by: { $0.key < $1.key }) { lines.append("x \(snap) \(callee) 0") }
        for snap in yields.sorted() { lines.append("x \(snap) - 1") }
        return lines
    }
}

extension IROp {
    /// The C data instructions (their C types are numbered by the process).
    static let cData: Set<IROp> = [.CINDEX, .CADDR, .CLOAD, .CSTORE, .CREF, .CCALL, .CNEW, .CNEWI, .XLOAD, .XSTORE]
}

// MARK: Text

extension PortableTrace {
    /// A relocation's fields.
    public static func text(_ r: TraceRelocation) -> String {
        switch r {
        case .bits(let b): return "bits " + String(b, radix: 16)
        case .string(let bytes): return "str " + escapeField(bytes)
        case .library(let library, let key): return "lib \(escapeField(library.utf8)) \(key.map { escapeField($0.utf8) } ?? "-")"
        case .functionConstant(let f, let index): return "const \(f) \(index)"
        case .prototype(let f): return "proto \(f)"
        case .closure(let f): return "closure \(f)"
        case .codePosition(let f, let pc, let flags): return "pc \(f) \(pc) \(String(flags, radix: 16))"
        }
    }
}

// MARK: Decoding

extension PortableTrace {
    private static let ops = Dictionary(uniqueKeysWithValues: IROp.allCases.map { ("\($0)", $0) })
    private static let types = Dictionary(uniqueKeysWithValues: IRType.allCases.map { ("\($0)", $0) })

    /// Decodes `lines`, checking every field: a trace of `functionCount` functions.
    public init(lines: [String], functionCount: Int) throws(TraceCodeError) {
        func fail(_ why: String) -> TraceCodeError { TraceCodeError(message: "trace code: \(why)") }
        func int(_ f: Substring) throws(TraceCodeError) -> Int {
            guard let v = Int(f) else { throw fail("bad number '\(f)'") }
            return v
        }
        func optional(_ f: Substring) throws(TraceCodeError) -> Int? { f == "-" ? nil : try int(f) }
        func u16(_ f: Substring) throws(TraceCodeError) -> UInt16 {
            guard let v = UInt16(f) else { throw fail("bad operand '\(f)'") }
            return v
        }
        func function(_ f: Substring) throws(TraceCodeError) -> Int {
            let i = try int(f)
            guard i >= 0 && i < functionCount else { throw fail("no function \(i)") }
            return i
        }
        var head: [Substring]?
        var constants: [IRIns] = [], payloads: [UInt64] = [], instructions: [IRIns] = []
        var relocations: [Int: TraceRelocation] = [:]
        var snapshots: [(function: Int, pc: Int, depth: Int, base: Int, multres: Int?, ref: UInt16, entries: [SnapshotEntry])] = []
        var calls: [UInt16: RuntimeCall] = [:]
        var failures: [Int: Int] = [:], yields: Set<Int> = []
        for line in lines {
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            switch f.first {
            case "head":
                guard f.count == 12 else { throw fail("'head' needs 11 fields") }
                head = f
            case "k":
                guard f.count >= 5, let op = PortableTrace.ops[String(f[1])], let type = PortableTrace.types[String(f[2])] else { throw fail("bad constant") }
                var k = IRIns(op: op, type: type, isGuard: false, op1: try u16(f[3]), op2: try u16(f[4]), prev: 0)
                if [IROp.KGC, .KPTR, .KNUM, .KINT64, .KSLOT].contains(op) {
                    guard f.count >= 7 else { throw fail("a constant without its payload") }
                    let r = try PortableTrace.relocation(f[5...], function)
                    k.op1 = UInt16(payloads.count)
                    if case .bits(let b) = r { payloads.append(b) } else {
                        guard op == .KGC || op == .KPTR else { throw fail("a number constant named as an object") }
                        // A placeholder unique to the constant (the code loads the real one).
                        payloads.append(UInt64(payloads.count) << 3 | 0x7000_0000_0000)
                    }
                    if op == .KGC || op == .KPTR { relocations[Int(k.op1)] = r }
                } else if f.count != 5 { throw fail("bad constant") }
                constants.append(k)
            case "i":
                guard f.count == 7, let op = PortableTrace.ops[String(f[1])], let type = PortableTrace.types[String(f[2])] else { throw fail("bad instruction") }
                instructions.append(IRIns(op: op, type: type, isGuard: f[3] == "1", op1: try u16(f[4]), op2: try u16(f[5]),
                                          prev: try u16(f[6])))
            case "s":
                guard f.count >= 7 else { throw fail("bad snapshot") }
                var entries: [SnapshotEntry] = []
                for e in f[7...] {
                    let parts = e.split(separator: ":")
                    guard parts.count == 2 else { throw fail("bad snapshot entry '\(e)'") }
                    entries.append(SnapshotEntry(slot: try int(parts[0]), ref: IRRef(raw: try u16(parts[1]))))
                }
                snapshots.append((try function(f[1]), try int(f[2]), try int(f[3]), try int(f[4]), try optional(f[5]),
                                  try u16(f[6]), entries))
            case "c":
                guard f.count == 10 else { throw fail("bad runtime call") }
                guard let instruction = UInt32(f[3]) else { throw fail("bad instruction word") }
                calls[try u16(f[1])] = RuntimeCall(helper: try u16(f[2]), instruction: instruction, pc: try int(f[4]),
                                                   frameOffset: try int(f[5]), writeBack: try int(f[6]),
                                                   failure: try int(f[7]), yield: try int(f[8]), multres: try int(f[9]))
            case "x":
                guard f.count == 4 else { throw fail("bad exit") }
                if let callee = try optional(f[2]) { failures[try int(f[1])] = callee }
                if f[3] == "1" { yields.insert(try int(f[1])) }
            default:
                throw fail("unknown record '\(f.first ?? "")'")
            }
        }
        guard let h = head else { throw fail("no 'head'") }
        // References must point at what exists: constants below the bias, instructions above.
        func valid(_ raw: UInt16) -> Bool {
            raw == 0 || (raw < IRRef.bias && Int(IRRef.bias - raw) <= constants.count)
                || (raw > IRRef.bias && Int(raw - IRRef.bias) <= instructions.count)
        }
        for ins in instructions {
            if ins.op.info.op1 == .ref && !valid(ins.op1) || ins.op.info.op2 == .ref && !valid(ins.op2) {
                throw fail("an operand out of range")
            }
        }
        for s in snapshots where !s.entries.allSatisfy({ valid($0.ref.raw) })
            || s.ref <= IRRef.bias || Int(s.ref) > Int(IRRef.bias) + instructions.count + 1 {
            throw fail("a snapshot entry out of range")
        }
        let snapshotCount = snapshots.count
        func snapshot(_ v: Int?) throws(TraceCodeError) -> Int? {
            guard let v else { return nil }
            guard v >= 0 && v < snapshotCount else { throw fail("no snapshot \(v)") }
            return v
        }
        for c in calls.values {
            for s in [c.writeBack, c.failure, c.yield] { _ = try snapshot(s) }
        }
        let ir = TraceIR(decodedConstants: constants, payloads: payloads, instructions: instructions,
                         snapshots: snapshots.map { Snapshot(pc: PortableTrace.nowhere, depth: $0.depth, baseOffset: $0.base,
                                                             multres: $0.multres, ref: IRRef(raw: $0.ref), entries: $0.entries) },
                         runtimeCalls: calls, optimizations: Optimizations(rawValue: UInt16(h[10]) ?? 0))
        self.ir = ir
        loopSnapshot = try snapshot(try optional(h[1]))
        finalSnapshot = try snapshot(try optional(h[2]))
        entryExit = try snapshot(try int(h[3]))!
        stackNeeded = try int(h[4])
        budgetCost = try int(h[5])
        budgetExit = try snapshot(try optional(h[6]))
        gcExit = try snapshot(try optional(h[7]))
        narrowedIndex = try optional(h[8])
        recursive = h[9] == "1"
        loopStart = try int(h[11])
        guard (loopSnapshot == nil) != (finalSnapshot == nil) else { throw fail("a trace loops or ends, not both") }
        positions = snapshots.map { ($0.function, $0.pc) }
        self.failures = failures
        self.yields = yields
        self.relocations = relocations
    }

    private static func relocation(_ f: ArraySlice<Substring>, _ function: (Substring) throws(TraceCodeError) -> Int)
        throws(TraceCodeError) -> TraceRelocation {
        let fail = TraceCodeError(message: "trace code: bad relocation '\(f.joined(separator: " "))'")
        let a = Array(f)
        switch (a[0], a.count) {
        case ("bits", 2): guard let b = UInt64(a[1], radix: 16) else { throw fail }; return .bits(b)
        case ("str", 2): guard let s = unescapeField(a[1]) else { throw fail }; return .string(s)
        case ("lib", 3):
            guard let l = unescapeField(a[1]) else { throw fail }
            let key = a[2] == "-" ? nil : unescapeField(a[2]).map { String(decoding: $0, as: UTF8.self) }
            if a[2] != "-" && key == nil { throw fail }
            return .library(String(decoding: l, as: UTF8.self), key: key)
        case ("const", 3): guard let i = Int(a[2]), i >= 0 else { throw fail }; return .functionConstant(function: try function(a[1]), index: i)
        case ("proto", 2): return .prototype(function: try function(a[1]))
        case ("closure", 2): return .closure(function: try function(a[1]))
        case ("pc", 4):
            guard let pc = Int(a[2]), pc >= 0, let flags = UInt64(a[3], radix: 16) else { throw fail }
            return .codePosition(function: try function(a[1]), pc: pc, flags: flags)
        default: throw fail
        }
    }

    /// The code position decoded snapshots carry (their real ones are in `positions`).
    static let nowhere: UnsafePointer<UInt32> = {
        let cell = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        cell.initialize(to: 0)
        return UnsafePointer(cell)
    }()
}

// MARK: Compiling ahead of time

extension PortableTrace {
    /// Lowers the trace into `module` as function `name` (`TraceEntry`), its words in the
    /// table `name_words` (`TraceAddressing.table`); allocation sinking is not applied (the
    /// executable's tables hash their keys with another seed, so the recorded node
    /// positions that sinking replays would not hold), and constant-key slots are looked up.
    /// Returns the table's symbol and its size in words.
    public func lower(into module: LLVMModule, name: String, links: Bool) -> (words: String, count: Int) {
        let symbol = name + "_words"
        let lowering = TraceLowering(ir, loopSnapshot: loopSnapshot, finalSnapshot: finalSnapshot, entryExit: entryExit,
                                     stackNeeded: stackNeeded, budgetCost: budgetCost, budgetExit: budgetExit,
                                     budgetLimited: true, gcExit: gcExit, narrowedIndex: narrowedIndex, recursive: recursive,
                                     addressing: .table(symbol: symbol, links: links), module: module, name: name)
        for ref in ir.constantReferences where ir[ref].op == .KGC {
            if case .closure? = relocations[Int(ir[ref].op1)] { lowering.prototypeGuards.insert(ref.raw) }
        }
        lowering.lower()
        return (symbol, TraceAddressing.payloadWord(ir.payloadCount))
    }

    /// Whether the trace loops (LLVM's full pass list suits it).
    public var loops: Bool { loopSnapshot != nil || recursive }
}
