/// Lowers one Lua function's bytecode to an LLVM function over the interpreter's frame
/// layout: one block per instruction, registers are the frame's stack slots, number
/// arithmetic, comparisons, numeric `for` loops, moves, constants and branches inline, the
/// rest through the runtime's helpers (RuntimeInterface). Every value lives in its slot at
/// every helper call, so the interpreter can take over a frame at any call (after a yield).
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

final class FunctionLowering: RuntimeCodeEmitter {
    let proto: Prototype
    let rt: RuntimeInterface
    let cx: LLVMContext
    let b: IRBuilder
    let function: LLVMValueRef
    /// Registers known to hold numbers before each instruction.
    let numbers: NumberInference
    /// Very long functions (typically main chunks that define a program's functions and run
    /// once) call the runtime for table access and calls instead of inlining their fast
    /// paths: their code stays small, which keeps the build time of large programs linear.
    let compact: Bool
    static let compactThreshold = 1000
    static func isCompact(_ proto: Prototype) -> Bool { proto.bytecode.count > compactThreshold }
    /// The version without number speculation (see NumberInference).
    let generic: Bool
    /// Table reads and stores that meet a cdata load or store C scalars inline (CDataPaths).
    let cdataPaths: Bool

    /// Whether `proto` also gets a version without number speculation, which replaces the
    /// speculative one once that met arithmetic on other values: functions whose arithmetic
    /// evidently works on tables with metamethods (vector math). Others hand the rest of an
    /// activation to the interpreter when speculation fails; a generic version for every
    /// function that speculates would double the build time of typical programs.
    /// With a profile: also functions whose arithmetic met other values in the recorded run.
    static func hasGenericVersion(_ proto: Prototype, _ guidance: FunctionGuidance? = nil) -> Bool {
        guard !isCompact(proto) else { return false }
        if let guidance, !guidance.otherArithmetic.isEmpty { return true }
        return NumberInference.indexesArithmeticResults(proto)
            && NumberInference.speculates(proto, NumberInference(proto, numericCalls: numericCalls(proto, guidance)))
    }

    /// Whether this function has a generic version (asked once, by its recursive calls).
    lazy var hasGenericVersion = FunctionLowering.hasGenericVersion(proto, guidance)

    /// Whether `proto` has 64-bit integer constants (`1LL`, `0xffULL`): its lowering tracks
    /// unboxed 64-bit integers (Integer64Paths), and its arithmetic on operands of unknown
    /// kinds computes whatever it meets instead of speculating on numbers. Other functions of
    /// FFI programs keep number speculation (a member read is usually a double or a small
    /// integer: `p.x * p.x`).
    static func computesWithInteger64(_ proto: Prototype) -> Bool {
        proto.bytecode.contains { ins in
            guard ins.opcode == .KCDATA, ins.rd < proto.gcConstants.count else { return false }
            switch proto.gcConstants[ins.rd] {
            case .int64, .uint64: return true
            default: return false
            }
        }
    }

    /// Relative cost of compiling `proto` (its instructions, inline fast paths weighing
    /// about three times as much as runtime calls in LLVM's time).
    static func compileCost(_ proto: Prototype) -> Int { proto.bytecode.count * (isCompact(proto) ? 1 : 3) }

    /// Lowers `job`'s function and, when it has one, its generic version.
    static func lower(_ job: FunctionJob, _ rt: RuntimeInterface, shared: Bool = false,
                      debug: DebugInfoBuilder? = nil) -> (LLVMValueRef, LLVMValueRef?) {
        let main = FunctionLowering(job.proto, rt, name: job.name, generic: job.genericOnly, shared: shared,
                                    cdataPaths: job.cdataPaths, guidance: job.guidance, knownTargets: job.knownTargets,
                                    numericLeaves: job.numericLeaves, debug: debug)
        main.lower()
        if job.inlined { rt.module.addAttribute("alwaysinline", to: main.function) }
        guard job.generic else { return (main.function, nil) }
        let generic = FunctionLowering(job.proto, rt, name: job.genericName, generic: true, shared: shared,
                                       cdataPaths: job.cdataPaths, guidance: job.guidance, knownTargets: job.knownTargets,
                                       numericLeaves: job.numericLeaves, debug: debug)
        generic.lower()
        return (main.function, generic.function)
    }

    var blocks: [LLVMBasicBlockRef?]
    var thread: LLVMValueRef!
    var base: LLVMValueRef!
    var constants: LLVMValueRef!
    /// Holds the address of register 0 (reloaded after each runtime call: the stack may move).
    var frameSlot: LLVMValueRef!
    var multres: LLVMValueRef!
    /// Where `perigee_lookup` leaves the value it found.
    var lookupResult: LLVMValueRef!
    /// Where `perigee_next_entry` leaves a key and its value.
    var nextPair: LLVMValueRef!
    /// The running closure (an i8*) and its bytecode's address (for frame links).
    var closurePointer: LLVMValueRef!
    var bytecodeAddress: LLVMValueRef!
    /// For each ITERN, the flag its ISNEXT sets when the loop runs `next` directly.
    var nextFlags: [Int: LLVMValueRef] = [:]
    /// Number copies of registers (doubles LLVM keeps in machine registers), for the
    /// registers NumberInference ever finds holding numbers. While inference says register r
    /// holds a number, its copy is current; writes go to the stack slot as well, so the
    /// frame is always complete for the runtime.
    var shadows: [Int: LLVMValueRef] = [:]
    /// Numeric `for` loops that count in integers (IntegerLoops), and for them: the integer
    /// copies of their index and variable registers, and each loop's integer limit and
    /// whether that limit was clamped.
    let integerLoops: IntegerLoops
    var integerShadows: [Int: LLVMValueRef] = [:]
    /// The unboxed 64-bit integer copies of registers NumberInference ever finds holding one
    /// (Integer64Paths), the instruction being lowered, and the stale registers it boxed at
    /// its start (which its calls into the runtime need not box again).
    var integer64Copies: [Int: LLVMValueRef] = [:]
    /// For the same registers: whether the slot holds the boxed value already (an i1, false
    /// after an unboxed write), so that one value is boxed once, and stays one object.
    var integer64Boxed: [Int: LLVMValueRef] = [:]
    var currentPC = 0
    var boxedNow = RegisterSet()
    var loopLimits: [Int: (limit: LLVMValueRef, clamped: LLVMValueRef)] = [:]

    /// The exact integers behind registers holding the result of an inline `bit` operation
    /// or integer arithmetic on such results (ExactIntegers), for as long as straight-line
    /// code since it was computed goes on (FastCalls: a `bit` operation on such a register
    /// takes the integer instead of converting the double).
    var exactIntegers: [Int: ExactInteger] = [:]
    /// Instructions that control reaches other than from the one before (jump and loop targets).
    let jumpTargets: Set<Int>
    /// Reads of methods (`methodReads`): their misses look in `__index` tables inline.
    let methodReads: Set<Int>
    /// Innermost loops lowered twice (FastLoops), the fast copies' blocks, and whether the
    /// instruction being lowered is in a fast copy.
    let fastLoops: FastLoops
    var fastBlocks: [Int: LLVMBasicBlockRef] = [:]
    var fastEntries: [Int: LLVMBasicBlockRef] = [:]
    var inFastCopy = false
    /// The invariant tables of the fast copy being lowered, by register.
    var invariantTables: [Int: FastLoops.InvariantTable] = [:]
    /// Per register a fast copy writes, the value it holds there (an alloca LLVM promotes),
    /// and those of the fast copy being lowered, whose slots are written where it leaves.
    var registerValues: [Int: LLVMValueRef] = [:]
    var deferredSlots: [Int: LLVMValueRef] = [:]
    /// In the fast copy of an integer loop: its base register (the index; the variable is
    /// three above), whose integers stand for their numbers where the copy leaves.
    var fastIntegerLoop: Int?
    /// The budget the fast copy being lowered has used and not charged yet (FastLoops).
    var pendingCharge: LLVMValueRef?
    /// The upvalues of the fast copy being lowered, read on its entry, by index.
    var invariantUpvalues: [Int: LLVMValueRef] = [:]
    /// In the fast copy being lowered, the numeric leaf calls (by pc) whose callee its entry
    /// checked, and those whose budget charge its loop edge makes (NumericLeaves).
    var checkedLeafCalls: Set<Int> = []
    var foldedLeafCalls: Set<Int> = []
    /// The registers that may be read from each instruction on (for fast copies' exits).
    lazy var liveRegisters = RegisterLiveness(proto).live

    /// With `-g`: where line information goes, and this function's scope in it.
    let debug: DebugInfoBuilder?
    /// What a profile says about this function (ProfileGuidance), if the build has one.
    let guidance: FunctionGuidance?
    /// The symbols of the functions its calls are known to call, by pc (KnownCallees).
    let knownTargets: [Int: String]
    /// The known callees that are numeric leaves, by pc (NumericLeaves): computed inline.
    let numericLeaves: [Int: NumericLeaf]
    var debugScope: LLVMMetadataRef?

    /// `shared`: the function is called from the program's other objects (it stays
    /// internal to its module otherwise).
    init(_ proto: Prototype, _ rt: RuntimeInterface, name: String, generic: Bool = false, shared: Bool = false,
         cdataPaths: Bool = false, guidance: FunctionGuidance? = nil, knownTargets: [Int: String] = [:],
         numericLeaves: [Int: NumericLeaf] = [:], debug: DebugInfoBuilder? = nil) {
        self.generic = generic
        self.guidance = guidance
        self.knownTargets = knownTargets
        // Not where the FFI's 64-bit integer paths run (their calls box and unbox).
        let leaves = cdataPaths ? [:] : numericLeaves.filter { knownTargets[$0.key] != nil }
        self.numericLeaves = leaves
        self.cdataPaths = cdataPaths
        self.debug = debug
        self.proto = proto
        self.rt = rt
        cx = rt.cx
        b = IRBuilder(cx)
        // Stack slots, runtime object fields, table values and the budget counter are told
        // apart (MemoryTags), so that a store into one keeps loads of the others.
        b.memoryTags = MemoryTags(cx)
        // Declared already when a profile-guided call of it came first.
        function = rt.module.declare(name, rt.functionType)
        if !shared { rt.module.makeInternal(function) }
        blocks = Array(repeating: nil, count: proto.bytecode.count + 1)
        compact = FunctionLowering.isCompact(proto)
        let integers = cdataPaths && !compact && FunctionLowering.computesWithInteger64(proto)
        // A numeric leaf's one result is a number (another callee's other answer hands the
        // activation to the interpreter, as for numeric builtins).
        let leafCalls = leaves.keys.filter { proto.bytecode[$0].opcode == .CALL && proto.bytecode[$0].rb == 2 }
        numbers = NumberInference(proto, speculative: !generic,
                                  numericCalls: FunctionLowering.numericCalls(proto, guidance, integers: integers)
                                      .union(compact ? [] : leafCalls),
                                  integers: integers)
        integerLoops = compact ? IntegerLoops() : IntegerLoops(proto)
        methodReads = compact ? [] : FunctionLowering.methodReads(proto)
        // Programs using the FFI keep their loops single: cdata paths and unboxed integers
        // call the runtime in ways the fast copy does not leave by.
        // A CALLM counts when it is a `bit` operation whose last argument is another inline
        // call's result (`bor(x, band(y, z))`): its other callees and argument counts hand the
        // activation to the interpreter (lowerBitCall).
        fastLoops = compact || cdataPaths ? FastLoops() : FastLoops(proto, inlineCalls: Set(proto.bytecode.indices.filter { pc in
            let ins = proto.bytecode[pc]
            switch ins.opcode {
            case .CALL:
                if let leaf = leaves[pc], leaf.takes(nargs: ins.rc - 1) { return true }
                return FunctionLowering.expectedBuiltin(proto, pc, ins.ra, nargs: ins.rc - 1, multi: false, guidance: guidance) != nil
            case .CALLM:
                guard case .bit? = FunctionLowering.expectedBuiltin(proto, pc, ins.ra, nargs: ins.rc, multi: true,
                                                                   guidance: guidance)?.0 else { return false }
                return true
            default:
                return false
            }
        }))
        jumpTargets = Set(proto.bytecode.indices.compactMap { pc in
            let control = proto.bytecode[pc].opcode.control
            return control == .jump || control == .loop ? proto.bytecode[pc].jumpTarget(from: pc) : nil
        })
    }

    // MARK: Building blocks

    /// The block a branch of the instruction being lowered to `pc` goes to (FastLoops).
    func block(_ pc: Int) -> LLVMBasicBlockRef { branchTarget(pc) }


    /// Reloads the address of register 0 from the thread's stack pointer.
    func refreshFrame() {
        b.store(b.gep(cx.i64, stackBase(thread), [base], "frame"), frameSlot)
    }

    func slotAddress(_ r: Int) -> LLVMValueRef {
        b.gep(cx.i64, b.load(rt.i64p, frameSlot), [i64(r)])
    }
    func load(_ r: Int) -> LLVMValueRef {
        if let table = invariantTable(r) { return table.value }
        if let deferred = deferredSlots[r] { return b.load(cx.i64, deferred) }
        return b.load(cx.i64, slotAddress(r), memory: .stack)
    }
    func store(_ r: Int, _ v: LLVMValueRef) {
        if let deferred = deferredSlots[r] {
            b.store(v, deferred)
        } else {
            b.store(v, slotAddress(r), memory: .stack)
        }
        exactIntegers[r] = nil
    }
    func loadNumber(_ r: Int) -> LLVMValueRef { b.bitcast(load(r), cx.double) }
    /// Register r as a double: its number copy when inference knows it holds a number at
    /// `pc`, else its slot (which the caller has checked or will check).
    func numberValue(_ r: Int, at pc: Int) -> LLVMValueRef {
        if numbers.isNumber(r, at: pc), let shadow = shadows[r] { return b.load(cx.double, shadow) }
        return loadNumber(r)
    }
    /// Register r's bits, from its number copy when inference knows it holds a number.
    func valueBits(_ r: Int, at pc: Int) -> LLVMValueRef {
        numbers.isNumber(r, at: pc) && shadows[r] != nil ? b.bitcast(numberValue(r, at: pc), cx.i64) : load(r)
    }
    /// Register r as an i64, when it is an integer loop's variable at `pc`.
    func integerValue(_ r: Int, at pc: Int) -> LLVMValueRef? {
        guard integerLoops.isInteger(r, at: pc), numbers.isNumber(r, at: pc), let shadow = integerShadows[r] else { return nil }
        return b.load(cx.i64, shadow)
    }
    func storeNumber(_ r: Int, _ v: LLVMValueRef) {
        store(r, b.bitcast(v, cx.i64))
        setShadow(r, v)
    }
    /// Records that register r now holds number `v` (already in its slot).
    func setShadow(_ r: Int, _ v: LLVMValueRef) {
        if let shadow = shadows[r] { b.store(v, shadow) }
    }
    /// Refreshes the number copies of `registers` from their slots (after the runtime wrote them).
    func reloadShadows(_ registers: [Int]) {
        for r in registers where shadows[r] != nil { setShadow(r, loadNumber(r)) }
    }
    func gcConstant(_ d: Int) -> LLVMValueRef { b.load(cx.i64, b.gep(cx.i64, constants, [i64(-1 - d)])) }

    /// Calls a runtime helper with (L, base, extra...) and reloads the frame address.
    @discardableResult
    func call(_ helper: RuntimeInterface.Helper, _ extra: [LLVMValueRef]) -> LLVMValueRef {
        boxStaleRegisters()
        // A fast copy calls the runtime only where it leaves (FastLoops).
        if inFastCopy { writeDeferredSlots(liveAt: currentPC) }
        let r = callRuntime(helper, [thread, base] + extra)
        refreshFrame()
        return r
    }

    /// Calls a helper for instruction `pc` (its word and index as arguments).
    @discardableResult
    func call(_ helper: RuntimeInterface.Helper, pc: Int, _ more: [LLVMValueRef] = []) -> LLVMValueRef {
        call(helper, [cx.constant(Int64(proto.bytecode[pc].raw), cx.i32), i64(pc)] + more)
    }

    /// Charges `cost` to the instruction budget at the loop edge or function header `pc`;
    /// when that spends it, the runtime raises the limit's error (or refills the budget when
    /// no limit is set, and the code goes on).
    func chargeBudget(_ cost: Int, _ pc: Int) {
        if inFastCopy { return chargeBudgetInFastCopy(cost, pc) }
        let counter = rt.instructionBudget()
        // Volatile: the SIGINT handler makes the counter negative while the loop runs.
        let left = b.sub(b.load(cx.i64, counter, volatile: true, memory: .budgetCounter), i64(cost))
        b.store(left, counter, volatile: true, memory: .budgetCounter)
        let spent = newBlock("spent"), go = newBlock("charged")
        b.condBr(b.icmp(LLVMIntSLT, left, i64(0)), spent, go)
        b.position(atEndOf: spent)
        bailIfNegative(call(.instructionLimit, pc: pc))
        b.br(go)
        b.position(atEndOf: go)
    }

    /// Returns `status` from the function when it is negative; goes on in a new block.
    func bailIfNegative(_ status: LLVMValueRef) {
        let bail = newBlock("bail"), go = newBlock("ok")
        b.condBr(b.icmp(LLVMIntSLT, status, i64(0)), bail, go)
        b.position(atEndOf: bail)
        b.ret(status)
        b.position(atEndOf: go)
    }

    // MARK: The function

    func lower() {
        let entry = newBlock("entry")
        b.position(atEndOf: entry)
        if let debug {
            let path = String(proto.chunkName.drop(while: { $0 == "@" || $0 == "=" }))
            let name = proto.firstLine == 0 ? "main chunk of \(path)" : "function <\(path):\(proto.firstLine)>"
            let scope = debug.describe(function, name: name, path: path, line: Int(proto.firstLine))
            debugScope = scope
            debug.setLine(b, Int(proto.firstLine), in: scope)
        }
        thread = b.parameter(function, 0)
        frameSlot = b.alloca(rt.i64p, "frameSlot")
        multres = b.alloca(cx.i64, "multres")
        lookupResult = b.alloca(cx.i64, "looked")
        nextPair = b.alloca(cx.arrayType(cx.i64, 2), "entry")
        b.store(i64(0), multres)
        if !compact {
            for r in 0..<Int(proto.frameSize) where numbers.everNumber(r) {
                shadows[r] = b.alloca(cx.double, "r\(r)")
            }
            for r in 0..<Int(proto.frameSize) where numbers.integers && numbers.everInteger(r) {
                integer64Copies[r] = b.alloca(cx.i64, "q\(r)")
                integer64Boxed[r] = b.alloca(cx.i1, "boxed\(r)")
                b.store(cx.constant(1, cx.i1), integer64Boxed[r]!)
            }
            for r in Set(fastLoops.loops.flatMap(\.written)).sorted() { registerValues[r] = b.alloca(cx.i64, "v\(r)") }
            if !fastLoops.loops.isEmpty { pendingCharge = b.alloca(cx.i64, "pending") }
            // In pc order, so that the same program always gives the same code.
            for (pc, loop) in integerLoops.loops.sorted(by: { $0.key < $1.key }) {
                for r in [loop.base, loop.base + 3] where integerShadows[r] == nil {
                    integerShadows[r] = b.alloca(cx.i64, "i\(r)")
                }
                loopLimits[pc] = (b.alloca(cx.i64, "limit"), b.alloca(cx.i1, "clamped"))
            }
        }
        for (pc, ins) in proto.bytecode.enumerated() where ins.opcode == .ISNEXT {
            let flag = b.alloca(cx.i64, "isnext")
            b.store(i64(0), flag)
            nextFlags[jumpTarget(pc)] = flag
        }
        base = lowerHeader(b.parameter(function, 2), b.parameter(function, 1))
        refreshFrame()
        loadFunctionState()
        b.br(ordinaryBlock(0))
        for pc in proto.bytecode.indices {
            b.position(atEndOf: ordinaryBlock(pc))
            // Instructions of a fast loop's slow copy are also entered from its fast copy.
            if pc == 0 || jumpTargets.contains(pc) || !keepsExactIntegers(pc - 1) || fastLoops.loop(containing: pc) != nil {
                exactIntegers.removeAll()
            }
            if let debug, let debugScope, pc < proto.lines.count { debug.setLine(b, Int(proto.lines[pc]), in: debugScope) }
            currentPC = pc
            boxEscapingRegisters(pc)
            if let cost = proto.bytecode[pc].budgetCost { chargeBudget(cost, pc) }
            if lowerInstruction(pc) { b.br(block(pc + 1)) }
        }
        lowerFastCopies()
        // Falling off the end cannot happen (every function ends in a return).
        b.position(atEndOf: ordinaryBlock(proto.bytecode.count))
        b.unreachable()
    }

    func jumpTarget(_ pc: Int) -> Int { proto.bytecode[pc].jumpTarget(from: pc) }

    /// Branches on `condition` to the target of the jump at `pc + 1`, or past it.
    func branchOnFollowingJump(_ condition: LLVMValueRef, _ pc: Int) {
        weighBranch(b.condBr(condition, block(jumpTarget(pc + 1)), block(pc + 2)), pc)
    }

    /// Lowers the instruction at `pc`; true when control falls through to the next one.
    func lowerInstruction(_ pc: Int) -> Bool {
        let ins = proto.bytecode[pc]
        let a = ins.ra, d = ins.rd, bReg = ins.rb, cReg = ins.rc
        if numbers.integers, let fallsThrough = lowerInteger64Instruction(pc) { return fallsThrough }
        switch ins.opcode {
        case .FUNCF, .IFUNCF, .JFUNCF, .FUNCV, .IFUNCV, .JFUNCV, .LOOP, .ILOOP, .JLOOP:
            return true
        case .MOV:
            if numbers.integer(d, at: pc) != nil {
                moveInteger(a, d, at: pc)
            } else if numbers.isNumber(d, at: pc) { storeNumber(a, numberValue(d, at: pc)) } else { store(a, load(d)) }
            exactIntegers[a] = exactIntegers[d]
        case .KSTR, .KCDATA:
            // FFI constants are boxed cdata the loader made, kept in the object constants.
            store(a, gcConstant(d))
            if numbers.results[pc].integer(a) != nil {
                b.store(cx.constant(1, cx.i1), integer64Boxed[a]!)
                switch proto.gcConstants[d] {
                case .int64(let v): b.store(i64(Int(v)), integerCopy(a))
                case .uint64(let v): b.store(bits(v), integerCopy(a))
                default: break
                }
            }
        case .KNUM:
            storeNumber(a, cx.constant(proto.numberConstants[d]))
        case .KSHORT:
            storeNumber(a, cx.constant(Double(Int16(truncatingIfNeeded: d))))
        case .KPRI:
            store(a, bits(primitive(d)))
        case .KNIL:
            for r in a...d { store(r, bits(ValueBits.nil)) }
        case .NOT:
            store(a, b.select(isTruthy(load(d)), bits(ValueBits.false), bits(ValueBits.true)))
        case .UNM:
            let known = numbers.isNumber(d, at: pc)
            let v = valueBits(d, at: pc)
            return fastOrHelper(pc, known ? nil : isNumber(v)) {
                let x = self.b.bitcast(v, self.cx.double)
                if !known { self.setShadow(d, x) }
                self.storeNumber(a, self.b.fneg(x))
            }
        case .ADDVN, .SUBVN, .MULVN, .DIVVN, .MODVN, .ADDNV, .SUBNV, .MULNV, .DIVNV, .MODNV,
             .ADDVV, .SUBVV, .MULVV, .DIVVV, .MODVV:
            return lowerArithmetic(pc, ins.opcode, a, bReg, cReg)
        case .LEN:
            lowerLength(pc, a, d)
        case .POW:
            bailIfNegative(call(.arith, pc: pc))
            if numbers.isNumber(a, at: pc + 1) { reloadShadows([a]) }
        case .CAT:
            bailIfNegative(call(.concat, pc: pc))
        case .ISLT, .ISGE, .ISLE, .ISGT:
            let x = valueBits(a, at: pc), y = valueBits(d, at: pc)
            let known = numbers.isNumber(a, at: pc) && numbers.isNumber(d, at: pc)
            let fast = newBlock("numbers"), slow = newBlock("compare")
            b.condBr(known ? cx.constant(1, cx.i1) : b.and(isNumber(x), isNumber(y)), fast, slow)
            b.position(atEndOf: fast)
            let p: LLVMRealPredicate
            switch ins.opcode {
            case .ISLT: p = LLVMRealOLT
            case .ISGE: p = LLVMRealUGE
            case .ISLE: p = LLVMRealOLE
            default: p = LLVMRealUGT
            }
            branchOnFollowingJump(b.fcmp(p, b.bitcast(x, cx.double), b.bitcast(y, cx.double)), pc)
            b.position(atEndOf: slow)
            if numbers.integers { lowerDynamicInteger64Comparison(pc, x, y) } else { compareThroughRuntime(pc) }
            return false
        case .ISEQV, .ISNEV:
            let x = valueBits(a, at: pc), y = valueBits(d, at: pc)
            let known = numbers.isNumber(a, at: pc) && numbers.isNumber(d, at: pc)
            let fast = newBlock("numbers"), slow = newBlock("compare")
            b.condBr(known ? cx.constant(1, cx.i1) : b.and(isNumber(x), isNumber(y)), fast, slow)
            b.position(atEndOf: fast)
            let p = ins.opcode == .ISEQV ? LLVMRealOEQ : LLVMRealUNE
            branchOnFollowingJump(b.fcmp(p, b.bitcast(x, cx.double), b.bitcast(y, cx.double)), pc)
            b.position(atEndOf: slow)
            if numbers.integers { lowerDynamicInteger64Comparison(pc, x, y) } else { compareThroughRuntime(pc) }
            return false
        case .ISEQS, .ISNES:
            let v = load(a)
            compareCDataThroughRuntime(v, pc)
            let equal = b.icmp(LLVMIntEQ, v, gcConstant(d))
            branchOnFollowingJump(ins.opcode == .ISEQS ? equal : b.icmp(LLVMIntEQ, equal, cx.constant(0, cx.i1)), pc)
            return false
        case .ISEQN, .ISNEN:
            // A non-number is a NaN pattern, so it compares unequal to any number; a cdata
            // (`1LL == 1`) is compared by the runtime.
            let n = cx.constant(proto.numberConstants[d])
            let p = ins.opcode == .ISEQN ? LLVMRealOEQ : LLVMRealUNE
            if !numbers.isNumber(a, at: pc) {
                compareCDataThroughRuntime(valueBits(a, at: pc), pc, constant: numbers.integers ? n : nil)
            }
            branchOnFollowingJump(b.fcmp(p, numberValue(a, at: pc), n), pc)
            return false
        case .ISEQP, .ISNEP:
            let p = ins.opcode == .ISEQP ? LLVMIntEQ : LLVMIntNE
            let v = load(a)
            compareCDataThroughRuntime(v, pc)
            branchOnFollowingJump(b.icmp(p, v, bits(primitive(d))), pc)
            return false
        case .ISTC, .ISFC:
            let v = load(d)
            let truth = isTruthy(v)
            let take = newBlock("copy")
            weighBranch(b.condBr(ins.opcode == .ISTC ? truth : b.icmp(LLVMIntEQ, truth, cx.constant(0, cx.i1)), take, block(pc + 2)), pc)
            b.position(atEndOf: take)
            store(a, v)
            b.br(block(jumpTarget(pc + 1)))
            return false
        case .IST, .ISF:
            let truth = isTruthy(load(d))
            branchOnFollowingJump(ins.opcode == .IST ? truth : b.icmp(LLVMIntEQ, truth, cx.constant(0, cx.i1)), pc)
            return false
        case .UGET:
            lowerUpvalueGet(a, d)
        case .USETV:
            lowerUpvalueSet(a, d)
        case .USETS, .USETN, .USETP:
            call(.upvalue, pc: pc)
        case .UCLO:
            call(.close, [i64(a)])
            b.br(block(jumpTarget(pc)))
            return false
        case .FNEW:
            bailIfNegative(call(.closure, pc: pc))
        case .TNEW, .TDUP:
            bailIfNegative(call(.table, pc: pc))
        case .GGET, .TGETV, .TGETS, .TGETB:
            if compact {
                bailIfNegative(call(.index, pc: pc))
            } else {
                lowerIndex(pc, ins.opcode, a, bReg, cReg, d)
            }
        case .TGETR:
            bailIfNegative(call(.index, pc: pc))
        case .GSET, .TSETV, .TSETS, .TSETB:
            if compact {
                bailIfNegative(call(.newindex, pc: pc))
            } else {
                lowerNewIndex(pc, ins.opcode, a, bReg, cReg, d)
            }
        case .TSETR:
            bailIfNegative(call(.newindex, pc: pc))
        case .TSETM:
            bailIfNegative(call(.setmulti, pc: pc, [b.load(cx.i64, multres)]))
        case .CALL, .CALLM:
            if compact {
                callThroughRuntime(pc, multiResults: bReg == 0)
                handOverIfHooked(pc)
            } else {
                lowerCall(pc, a, bReg, cReg, multi: ins.opcode == .CALLM)
            }
        case .CALLT where !proto.flags.contains(.vararg) && !compact:
            if let (inline, nargs) = expectedBuiltin(pc, a, nargs: d - 1) { lowerFastTailCall(pc, a, inline, nargs: nargs) }
            lowerTailCall(pc, a, d)
            return false
        case .CALLMT where !proto.flags.contains(.vararg) && !compact:
            lowerTailCall(pc, a, d, multi: true)
            return false
        case .CALLT, .CALLMT:
            if ins.opcode == .CALLT, let (inline, nargs) = expectedBuiltin(pc, a, nargs: d - 1) {
                lowerFastTailCall(pc, a, inline, nargs: nargs)
            }
            b.ret(call(.tailcall, pc: pc, [b.load(cx.i64, multres)]))
            return false
        case .ITERC, .ITERN:
            lowerIterate(pc, a, ins.opcode)
            return false
        case .ITERL, .IITERL, .JITERL:
            let v = load(a)
            let loop = newBlock("again")
            b.condBr(b.icmp(LLVMIntEQ, v, bits(ValueBits.nil)), block(pc + 1), loop)
            b.position(atEndOf: loop)
            store(a - 1, v)
            b.br(block(jumpTarget(pc)))
            return false
        case .ISNEXT:
            let r = call(.isnext, pc: pc)
            if let flag = nextFlags[jumpTarget(pc)] { b.store(r, flag) }
            b.br(block(jumpTarget(pc)))
            return false
        case .VARG:
            let r = call(.varg, pc: pc)
            bailIfNegative(r)
            if bReg == 0 { b.store(r, multres) }
        case .RETM:
            lowerReturn(a, b.add(i64(d), b.load(cx.i64, multres)))
            return false
        case .RET, .RET0, .RET1:
            lowerReturn(a, i64(d - 1))
            return false
        case .FORI, .JFORI:
            if let loop = integerLoops.loops[pc] {
                lowerIntegerForPrep(pc, loop)
                return false
            }
            // Number operands start the loop inline; others (numeric strings, errors) through the runtime.
            let start = valueBits(a, at: pc), stop = valueBits(a + 1, at: pc), step = valueBits(a + 2, at: pc)
            let inline = newBlock("forprep"), coerce = newBlock("forcoerce"), enter = newBlock("enter")
            let known = (a...(a + 2)).allSatisfy { numbers.isNumber($0, at: pc) }
            b.condBr(known ? cx.constant(1, cx.i1) : b.and(b.and(isNumber(start), isNumber(stop)), isNumber(step)),
                     inline, coerce)
            b.position(atEndOf: inline)
            let i = b.bitcast(start, cx.double), limit = b.bitcast(stop, cx.double), by = b.bitcast(step, cx.double)
            setShadow(a, i); setShadow(a + 1, limit); setShadow(a + 2, by)
            let up = b.fcmp(LLVMRealOGE, by, cx.constant(0.0))
            b.condBr(b.select(up, b.fcmp(LLVMRealOLE, i, limit), b.fcmp(LLVMRealOGE, i, limit)), enter, block(jumpTarget(pc)))
            b.position(atEndOf: enter)
            storeNumber(a + 3, i)
            b.br(block(pc + 1))
            b.position(atEndOf: coerce)
            let r = call(.forprep, pc: pc)
            bailIfNegative(r)
            reloadShadows(Array(a...(a + 3)))
            b.condBr(b.icmp(LLVMIntEQ, r, i64(1)), block(pc + 1), block(jumpTarget(pc)))
            return false
        case .FORL, .IFORL, .JFORL:
            if let loop = integerLoops.loops[jumpTarget(pc) - 1] {
                lowerIntegerForLoop(pc, loop)
                return false
            }
            let step = numberValue(a + 2, at: pc), stop = numberValue(a + 1, at: pc)
            let i = b.fadd(numberValue(a, at: pc), step)
            setShadow(a + 1, stop); setShadow(a + 2, step)
            let up = b.fcmp(LLVMRealOGE, step, cx.constant(0.0))
            let go = b.select(up, b.fcmp(LLVMRealOLE, i, stop), b.fcmp(LLVMRealOGE, i, stop))
            let loop = newBlock("again")
            b.condBr(go, loop, block(pc + 1))
            b.position(atEndOf: loop)
            storeNumber(a, i)
            storeNumber(a + 3, i)
            b.br(block(jumpTarget(pc)))
            return false
        case .JMP:
            b.br(block(jumpTarget(pc)))
            return false
        case .ISTYPE, .ISNUM, .FUNCC, .FUNCCW:
            b.ret(call(.unsupported, pc: pc))
            return false
        }
        return true
    }

    /// `fast()` when `condition` holds, else the interpreter takes over; then the next
    /// instruction. No condition: the operands are known numbers.
    func fastOrHelper(_ pc: Int, _ condition: LLVMValueRef?, _ fast: () -> Void) -> Bool {
        guard let condition else {
            fast()
            return true
        }
        let fastBlock = newBlock("fast"), slow = newBlock("other")
        b.condBr(condition, fastBlock, slow)
        b.position(atEndOf: slow)
        if generic, leaveFastCopy(at: pc) {
            b.position(atEndOf: fastBlock)
            fast()
            return true
        }
        if generic || numbers.integers {
            // The runtime does the arithmetic (coercion, metamethods), and the code goes on;
            // in programs that use the FFI, 64-bit integers are computed inline first.
            let merge = newBlock("done")
            if numbers.integers {
                lowerDynamicInteger64Arithmetic(pc, done: merge)
            } else {
                bailIfNegative(call(.arith, pc: pc))
                b.br(merge)
            }
            b.position(atEndOf: fastBlock)
            fast()
            b.br(merge)
            b.position(atEndOf: merge)
            return true
        }
        // Arithmetic on anything but numbers leaves the speculative code: the interpreter
        // finishes this activation (the function's generic version runs from now on), and
        // the code here stays numeric.
        b.ret(call(.despecialize, [i64(pc), i64(0)]))
        b.position(atEndOf: fastBlock)
        fast()
        return true
    }

    func lowerArithmetic(_ pc: Int, _ op: Opcode, _ a: Int, _ bReg: Int, _ cReg: Int) -> Bool {
        let form = op.arithmetic!
        let x: LLVMValueRef, y: LLVMValueRef, condition: LLVMValueRef?
        let known = { (r: Int) in self.numbers.isNumber(r, at: pc) }
        let registers = form.operands == .variableVariable ? [bReg, cReg] : [bReg]
        switch form.operands {
        case .variableNumber:
            let v = valueBits(bReg, at: pc)
            x = v; y = bits(proto.numberConstants[cReg].bitPattern); condition = known(bReg) ? nil : isNumber(v)
        case .numberVariable:
            let v = valueBits(bReg, at: pc)
            x = bits(proto.numberConstants[cReg].bitPattern); y = v; condition = known(bReg) ? nil : isNumber(v)
        case .variableVariable, .unary:
            x = valueBits(bReg, at: pc); y = valueBits(cReg, at: pc)
            // Only the operands inference does not know to be numbers are tested.
            switch (known(bReg), known(cReg)) {
            case (true, true): condition = nil
            case (true, false): condition = isNumber(y)
            case (false, true): condition = isNumber(x)
            case (false, false): condition = b.and(isNumber(x), isNumber(y))
            }
        }
        return fastOrHelper(pc, condition) {
            let p = self.b.bitcast(x, self.cx.double), q = self.b.bitcast(y, self.cx.double)
            // Past the check the operands are numbers: their copies become current.
            for r in registers where !known(r) {
                self.setShadow(r, r == bReg && form.operands == .numberVariable ? q : (r == bReg ? p : q))
            }
            // (The operands' exact integers, read before the result's store can replace one.)
            let exact: (ExactInteger?, ExactInteger?)
            switch form.operands {
            case .variableNumber: exact = (self.exactOperand(register: bReg), self.exactOperand(constant: cReg))
            case .numberVariable: exact = (self.exactOperand(constant: cReg), self.exactOperand(register: bReg))
            case .variableVariable: exact = (self.exactOperand(register: bReg), self.exactOperand(register: cReg))
            case .unary: exact = (nil, nil)
            }
            let r = self.arithmetic(form.op, p, q)
            self.storeNumber(a, r)
            self.recordExactArithmetic(form.op, a, exact.0, exact.1)
        }
    }

    /// A cdata `v` (`1LL == 1`) is compared by the runtime; any other value goes on in the
    /// block this leaves the builder in.
    /// With a number `constant` (ISEQN, ISNEN in programs that use the FFI), a 64-bit integer
    /// is compared inline.
    func compareCDataThroughRuntime(_ v: LLVMValueRef, _ pc: Int, constant: LLVMValueRef? = nil) {
        let plain = newBlock("plain"), slow = newBlock("cdata")
        b.condBr(hasTag(v, ValueBits.cdataTag), slow, plain)
        b.position(atEndOf: slow)
        if let constant {
            lowerDynamicInteger64Comparison(pc, v, b.bitcast(constant, cx.i64))
        } else {
            compareThroughRuntime(pc)
        }
        b.position(atEndOf: plain)
    }

    /// A comparison through `perigee_compare`: 1 takes the following jump.
    func compareThroughRuntime(_ pc: Int) {
        if leaveFastCopy(at: pc) { return }
        let r = call(.compare, pc: pc)
        bailIfNegative(r)
        branchOnFollowingJump(b.icmp(LLVMIntEQ, r, i64(1)), pc)
    }
}
