/// What `perigee build --profile` takes from a recorded run, per function, in the terms the
/// lowering uses, and the report of it (`--profile-report`). Every use is behind a run-time
/// guard, so a profile of other input (or a wrong one) changes speed only, never results:
/// - a call site that (nearly) always reached one builtin with an inline form gets that
///   form behind the builtin's fast-function id check, as a call under the builtin's name does;
/// - a call site that (nearly) always reached one compiled Lua function calls its code
///   directly when the callee's native entry is that code (else the indirect call);
/// - a function whose arithmetic met other values than numbers gets its generic version
///   (arithmetic through the runtime) besides the speculative one, so meeting them again
///   switches to it instead of leaving each activation to the interpreter;
/// - a field read that mostly went through `__index` tables reads them inline (two levels);
/// - a field read that only met strings reads the string metatable's `__index` inline;
/// - conditional jumps get the recorded outcomes as LLVM branch weights.
import CLLVM
import PerigeeCodegen
import PerigeeFrontend
import PerigeeLLVM
import PerigeeProfile
import PerigeeRuntime

struct FunctionGuidance {
    /// Call sites whose one callee was a builtin: its fast-function id.
    var builtins: [Int: UInt8] = [:]
    /// Call sites whose one callee was a compiled Lua function: its symbol.
    var luaTargets: [Int: String] = [:]
    /// Arithmetic sites that met other values than numbers.
    var otherArithmetic: [Int] = []
    /// Conditional instructions: times their following jump was taken, and not.
    var branches: [Int: (taken: Int, notTaken: Int)] = [:]
    /// `TGETS` sites whose reads mostly went through `__index` tables: read inline there.
    var inheritedReads: Set<Int> = []
    /// `TGETS` sites that only met strings (`s:byte()`): the string metatable read inline.
    var stringMethodReads: Set<Int> = []
}

/// A profile matched with the program, and what the build did with it.
public final class ProgramGuidance {
    let program: ProgramProfile
    /// The share of a site's calls its main callee must have had to be specialized on.
    static let dominance = 0.9
    /// Lines for `--profile-report`.
    public private(set) var report: [String] = []
    private var specialized = 0, declined = 0, weighted = 0

    public init(_ program: ProgramProfile) { self.program = program }

    /// The guidance for `proto` (`symbols`: every function's symbol), reported as it is made.
    func guidance(_ proto: Prototype, symbols: [ObjectIdentifier: String]) -> FunctionGuidance? {
        guard let profile = program.function(proto) else { return nil }
        let name = ProgramGuidance.describe(proto)
        func line(_ pc: Int) -> String { pc < proto.lines.count ? "line \(proto.lines[pc])" : "pc \(pc)" }
        func note(_ pc: Int, _ text: String, _ done: Bool) {
            report.append("\(name) \(line(pc)) (pc \(pc)): \(text)")
            if done { specialized += 1 } else { declined += 1 }
        }
        if FunctionLowering.isCompact(proto) {
            report.append("\(name): not specialized: more than \(FunctionLowering.compactThreshold) instructions, compiled compactly (runtime calls)")
            declined += 1
            return nil
        }
        var g = FunctionGuidance()
        let integerPaths = proto.flags.contains(.usesFFI) && FunctionLowering.computesWithInteger64(proto)
        for pc in profile.sites.keys.sorted() {
            let site = profile.sites[pc]!
            let ins = proto.bytecode[pc]
            let op = ins.opcode
            if op.arithmetic != nil && op != .POW {
                let seen = site.first.union(site.second)
                if seen.subtracting(.number).isEmpty {
                    // numbers only: the speculative code's case
                } else if integerPaths && seen.isSubset(of: [.number, .cdata]) {
                    // FFI code with 64-bit integer constants computes whatever it meets on its
                    // integer paths, cdata included: a generic version would only be slower.
                    note(pc, "arithmetic met \(ProfileFormat.typesText(seen)): computed by the 64-bit integer paths, no generic version", false)
                } else {
                    g.otherArithmetic.append(pc)
                    note(pc, "arithmetic met \(ProfileFormat.typesText(seen)): generic version besides the speculative one", true)
                }
            }
            if op == .TGETS && site.first == .string {
                g.stringMethodReads.insert(pc)
                note(pc, "field read of strings only: the string metatable's __index read inline", true)
            }
            if op == .TGETS && site.inherited > 0 {
                if 2 * site.inherited >= site.hits {
                    g.inheritedReads.insert(pc)
                    note(pc, "field read through __index tables in \(site.inherited) of \(site.hits) reads: the chain read inline (two levels)", true)
                } else {
                    note(pc, "field read through __index in \(site.inherited) of \(site.hits) reads only: not specialized", false)
                }
            }
            if site.taken + site.notTaken > 0 {
                g.branches[pc] = (site.taken, site.notTaken)
            }
            guard [.CALL, .CALLM, .CALLT, .CALLMT].contains(op), !site.callees.isEmpty else { continue }
            let total = site.callees.values.reduce(0, +)
            let (callee, count) = site.callees.max { $0.value < $1.value || ($0.value == $1.value && "\($0.key)" > "\($1.key)") }!
            guard Double(count) >= ProgramGuidance.dominance * Double(total) else {
                note(pc, "call not specialized: \(site.callees.count) callees seen, none in \(Int(ProgramGuidance.dominance * 100))% of the calls", false)
                continue
            }
            switch callee {
            case .builtin(let id):
                if FunctionLowering.expectedBuiltin(proto, pc, ins.ra, nargs: ProgramGuidance.fixedArguments(ins), multi: op == .CALLM || op == .CALLMT) != nil {
                    continue  // its name already gives the inline form
                }
                let nargs = ProgramGuidance.fixedArguments(ins) + (op == .CALLM ? 1 : 0)
                let builtin = ProgramGuidance.builtinName(id)
                if id < 2 {
                    note(pc, "call of a builtin without a fast-function id not specialized: it has no inline form", false)
                } else if op == .CALLMT {
                    note(pc, "call of builtin \(builtin) not specialized: a tail call with a call's results", false)
                } else if InlineBuiltin(id: UInt8(clamping: id), nargs: nargs) != nil {
                    g.builtins[pc] = UInt8(id)
                    note(pc, "call of builtin \(builtin) with \(nargs) arguments: inline behind its fast-function id", true)
                } else {
                    note(pc, "call of builtin \(builtin) not specialized: no inline form for it with \(nargs) arguments (it runs through the fast call, without a frame)", false)
                }
            case .lua(let key):
                guard let target = program.prototype(key), let symbol = symbols[ObjectIdentifier(target)] else {
                    note(pc, "call of a Lua function not specialized: the callee is not part of this build", false)
                    continue
                }
                if op == .CALLT || op == .CALLMT {
                    note(pc, "tail call of \(ProgramGuidance.describe(target)) not specialized: tail calls return to the caller's loop", false)
                } else {
                    g.luaTargets[pc] = symbol
                    note(pc, "call of \(ProgramGuidance.describe(target)): direct call when its code is the callee's", true)
                }
            case .other:
                note(pc, "call not specialized: the callee was not a function (__call)", false)
            }
        }
        weighted += g.branches.count
        return g
    }

    /// The report's last lines: the totals and the traces.
    public func summary() -> [String] {
        var lines = ["\(specialized) sites specialized, \(declined) not; \(weighted) conditional branches weighted by their recorded outcomes"]
        lines += program.warnings
        return lines
    }

    /// A builtin's name by its fast-function id, for the report.
    static func builtinName(_ id: Int) -> String {
        guard let byte = UInt8(exactly: id) else { return "#\(id)" }
        if let f = FastFunction(id: byte) { return f.name }
        return FastBuiltin(rawValue: byte).map { "\($0)" } ?? "#\(id)"
    }

    static func fixedArguments(_ ins: Instruction) -> Int {
        switch ins.opcode {
        case .CALL: return ins.rc - 1
        case .CALLM: return ins.rc
        case .CALLT: return ins.rd - 1
        default: return ins.rd
        }
    }

    static func describe(_ p: Prototype) -> String {
        let file = String(p.chunkName.drop(while: { $0 == "@" || $0 == "=" }))
        return p.firstLine == 0 ? "main chunk of \(file)" : "function <\(file):\(p.firstLine)>"
    }
}

extension InlineBuiltin {
    /// The inline form of the builtin with fast-function id `id` called with `nargs`
    /// arguments (`select('#')`, whose form depends on its argument, excluded).
    init?(id: UInt8, nargs: Int) {
        let names = FastFunction.allCases.map(\.name) + InlineBuiltin.mathCFunctions.keys.sorted()
            + InlineBuiltin.bitOperations.keys.sorted() + ["len", "byte", "tonumber", "rawget"]
        for name in names {
            if let form = InlineBuiltin(named: name, nargs: nargs), form.id == id {
                self = form
                return
            }
        }
        return nil
    }
}

extension FunctionLowering {
    /// At a TGETS whose table `t` lacks `key` and has a metatable: the key read through up
    /// to two `__index` tables inline (a class's method, an inherited field), as the
    /// runtime's lookup would read it. Anything else (an `__index` that is not a table, a
    /// deeper chain, no `"__index"` name yet) goes on in the block this leaves the builder in.
    func readInherited(_ t: LLVMValueRef, _ key: LLVMValueRef, into a: Int, done: LLVMBasicBlockRef) {
        readThroughIndexTables(loadPointerField(t, RuntimeLayout.tableMetatable), key, into: a, done: done)
    }

    /// At a TGETS of a string (`s:byte(i)`, `s:sub(...)`): the method read from the string
    /// metatable's `__index` table inline, as the runtime would read it; when that is not
    /// how the read goes (not a string, no such metatable or table), to `slow`.
    func readStringMethod(_ v: LLVMValueRef, _ key: LLVMValueRef, into a: Int, slow: LLVMBasicBlockRef, done: LLVMBasicBlockRef) {
        guardOr(hasTag(v, ValueBits.stringTag), slow: slow)
        let slot = b.load(cx.i64, rt.stringMetatableSlot())
        guardOr(b.icmp(LLVMIntNE, slot, i64(0)), slow: slow)
        let metatable = b.load(rt.i8p, b.intToPtr(slot, cx.pointer(to: rt.i8p)))
        guardOr(b.icmp(LLVMIntNE, b.ptrToInt(metatable, cx.i64), i64(0)), slow: slow)
        readThroughIndexTables(metatable, key, into: a, done: done)
        b.br(slow)
    }

    /// The read of `key` through the `__index` tables starting at (non-null) `firstMetatable`,
    /// up to two levels; what it cannot finish goes on in the block it leaves the builder in.
    func readThroughIndexTables(_ firstMetatable: LLVMValueRef, _ key: LLVMValueRef, into a: Int, done: LLVMBasicBlockRef) {
        let generic = newBlock("inheritedgeneric")
        let name = b.load(cx.i64, rt.indexName())
        guardOr(b.icmp(LLVMIntNE, name, i64(0)), slow: generic)
        var table: LLVMValueRef? = nil
        for level in 0..<2 {
            let metatable = table.map { loadPointerField($0, RuntimeLayout.tableMetatable) } ?? firstMetatable
            if level > 0 { guardOr(b.icmp(LLVMIntNE, b.ptrToInt(metatable, cx.i64), i64(0)), slow: generic) }
            // The metatable's own `__index` (a raw read, as metamethods are looked up).
            let handlerSlot = findStringSlot(metatable, name)
            guardOr(b.icmp(LLVMIntNE, b.ptrToInt(handlerSlot, cx.i64), i64(0)), slow: generic)
            let handler = b.load(cx.i64, handlerSlot)
            guardOr(hasTag(handler, ValueBits.tableTag), slow: generic)
            let next = objectPointer(handler)
            let slot = findStringSlot(next, key)
            let present = newBlock("inheritedslot"), absent = newBlock("inheritedabsent"), use = newBlock("inherited")
            b.condBr(b.icmp(LLVMIntEQ, b.ptrToInt(slot, cx.i64), i64(0)), absent, present)
            b.position(atEndOf: present)
            let v = b.load(cx.i64, slot)
            b.condBr(b.icmp(LLVMIntNE, v, bits(ValueBits.nil)), use, absent)
            b.position(atEndOf: use)
            store(a, v)
            b.br(done)
            // Not there either: nil when that table has no metatable, else one level more.
            b.position(atEndOf: absent)
            let isNil = newBlock("inheritednil"), deeper = newBlock("deeper")
            b.condBr(hasNoMetatable(next), isNil, deeper)
            b.position(atEndOf: isNil)
            store(a, bits(ValueBits.nil))
            b.br(done)
            b.position(atEndOf: deeper)
            table = next
        }
        b.br(generic)
        b.position(atEndOf: generic)
    }

    /// The branch of conditional instruction `pc` to its following jump's target (first
    /// successor) or past it, weighted by how often the profile saw each.
    func weighBranch(_ branch: LLVMValueRef, _ pc: Int) {
        guard let seen = guidance?.branches[pc] else { return }
        // Counts of one run; +1 so that a way never seen stays possible.
        b.setBranchWeights(branch, [UInt32(clamping: seen.taken + 1), UInt32(clamping: seen.notTaken + 1)])
    }

    /// The call at `pc` when a profile saw it reach one compiled function, or the program's
    /// text names its callee (KnownCallees): a direct call of that function's code when
    /// `native` (the callee's entry) is it, the indirect call otherwise. Nil for other calls.
    func callProfiledTarget(_ pc: Int, _ native: LLVMValueRef, base calleeBase: LLVMValueRef,
                            nargs: LLVMValueRef) -> LLVMValueRef? {
        guard let symbol = guidance?.luaTargets[pc] ?? knownTargets[pc] else { return nil }
        let target = rt.module.declare(symbol, rt.functionType)
        let direct = newBlock("direct"), indirect = newBlock("indirect"), joined = newBlock("joined")
        b.condBr(b.icmp(LLVMIntEQ, b.ptrToInt(native, cx.i64), b.ptrToInt(target, cx.i64)), direct, indirect)
        b.position(atEndOf: direct)
        let known = b.call(rt.functionType, target, [thread, calleeBase, nargs])
        b.br(joined)
        b.position(atEndOf: indirect)
        let other = callCompiled(native, thread: thread, base: calleeBase, nargs: nargs)
        b.br(joined)
        b.position(atEndOf: joined)
        return b.phi(cx.i64, [(known, direct), (other, indirect)], "status")
    }
}
