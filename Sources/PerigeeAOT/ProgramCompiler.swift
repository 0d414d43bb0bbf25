/// Compiles a Lua program (its main chunk and the modules it requires) into one LLVM module
/// that defines `main`: each chunk's bytecode dump (for prototypes, constants and debug
/// information), its compiled functions in prototype preorder, and the module table.
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

/// One compiled chunk: the program, or a module under the name `require` uses.
public struct CompiledChunk {
    public let moduleName: String?
    public let prototype: Prototype

    public init(moduleName: String?, prototype: Prototype) {
        self.moduleName = moduleName
        self.prototype = prototype
    }
}

/// A Lua function to compile, its symbol, and whether it has a generic version.
struct FunctionJob {
    let proto: Prototype
    let name: String
    let generic: Bool
    /// A main chunk that would get a generic version is compiled as that version alone: it
    /// runs once, so a failed speculation would hand the rest of the program (its main loop
    /// included) to the interpreter, with no later activation to run the generic code.
    let genericOnly: Bool
    /// Its chunk uses the FFI: cdata reads and stores get inline paths.
    let cdataPaths: Bool
    /// What a profile says about it (`perigee build --profile`).
    let guidance: FunctionGuidance?
    /// The symbols of the functions its calls are known to call, by pc (KnownCallees).
    let knownTargets: [Int: String]
    /// Those known callees that are numeric leaves (NumericLeaves), by pc.
    let numericLeaves: [Int: NumericLeaf]
    /// It is small and the known callee of some call: inlined there.
    let inlined: Bool
    var genericName: String { name + "_generic" }

    init(proto: Prototype, name: String, cdataPaths: Bool = false, guidance: FunctionGuidance? = nil,
         knownTargets: [Int: String] = [:], numericLeaves: [Int: NumericLeaf] = [:], inlined: Bool = false) {
        self.proto = proto
        self.name = name
        self.guidance = guidance
        self.knownTargets = knownTargets
        self.numericLeaves = numericLeaves
        self.inlined = inlined
        let hasGeneric = FunctionLowering.hasGenericVersion(proto, guidance)
        genericOnly = hasGeneric && proto.firstLine == 0
        generic = hasGeneric && !genericOnly
        self.cdataPaths = cdataPaths
    }

    /// Relative cost of compiling it.
    var cost: Int { FunctionLowering.compileCost(proto) * (generic ? 2 : 1) }
}

public final class ProgramCompiler {
    public let context: LLVMContext
    public let module: LLVMModule
    let rt: RuntimeInterface

    /// Line information for `-g`, or nil.
    let debug: DebugInfoBuilder?
    /// Set when the functions are compiled in other modules (FunctionGroup): this one then
    /// only declares them.
    let functionsElsewhere: Bool
    /// Every Lua function of the program, in function-table order.
    private(set) var jobs: [FunctionJob] = []
    /// The profile the build uses, if any.
    let guidance: ProgramGuidance?
    /// Every function's symbol (profile-guided calls name their callee's).
    private var symbols: [ObjectIdentifier: String] = [:]
    /// The calls whose callee the program's text names, and the small functions they call.
    private var knownCallees = KnownCallees(chunks: [])
    private var inlinedFunctions: Set<ObjectIdentifier> = []

    /// `debugSource`: the main source file, when the build asks for DWARF line information.
    public init(context: LLVMContext, name: String, debugSource: String? = nil, functionsElsewhere: Bool = false,
                guidance: ProgramGuidance? = nil) {
        self.context = context
        self.guidance = guidance
        let module = LLVMModule(name: name, in: context)
        self.module = module
        self.functionsElsewhere = functionsElsewhere
        rt = RuntimeInterface(module, variables: functionsElsewhere ? .defined : .own)
        debug = debugSource.map { DebugInfoBuilder(module, mainSource: $0, producer: "perigee") }
    }

    /// Lowers every function of `program` and `modules` and writes `main`.
    func compile(program: Prototype, modules: [CompiledChunk], traces: AheadOfTimeTraces? = nil) {
        for (index, chunk) in ([program] + modules.map(\.prototype)).enumerated() {
            for (i, p) in chunk.preorder.enumerated() { symbols[ObjectIdentifier(p)] = ProgramCompiler.symbol(chunk: index, function: i) }
        }
        let chunks = [program] + modules.map(\.prototype)
        knownCallees = KnownCallees(chunks: chunks)
        // Not with -g: an inlined call would need the line information of its call site.
        if debug == nil {
            for chunk in chunks {
                for p in chunk.preorder {
                    for callee in knownCallees.targets(of: p).values where KnownCallees.isInlinable(callee) {
                        inlinedFunctions.insert(ObjectIdentifier(callee))
                    }
                }
            }
        }
        let (dump, entries, count) = emitChunk(program, index: 0)
        var moduleRecords: [LLVMValueRef] = []
        let recordType = context.structure([rt.i8p, rt.i8p, context.i64, rt.i8p, context.i64])
        for (i, m) in modules.enumerated() {
            let (mDump, mEntries, mCount) = emitChunk(m.prototype, index: i + 1)
            let nameBytes = Array((m.moduleName ?? "").utf8) + [0]
            let name = module.addConstantBytes("perigee_module\(i + 1)_name", nameBytes)
            moduleRecords.append(context.constantStruct([
                constantPointer(name), constantPointer(mDump.global), context.constant(Int64(mDump.count), context.i64),
                constantPointer(mEntries), context.constant(Int64(mCount), context.i64),
            ]))
        }
        let table = module.addConstant("perigee_modules", context.arrayType(recordType, moduleRecords.count),
                                       context.array(recordType, moduleRecords))
        let compiledTraces = (traces ?? AheadOfTimeTraces()).emit(into: module, context, rt.i8p)
        emitMain(dump: dump, entries: entries, entryCount: count, modules: table, moduleCount: moduleRecords.count,
                 traces: compiledTraces)
        debug?.finalize()
    }

    /// The symbol of function `function` (prototype preorder) of chunk `chunk` (0: the program).
    static func symbol(chunk: Int, function: Int) -> String { "perigee_chunk\(chunk)_f\(function)" }

    private func constantPointer(_ global: LLVMValueRef) -> LLVMValueRef {
        context.constantCast(global, to: rt.i8p)
    }

    /// The dump and the function table of one chunk.
    private func emitChunk(_ proto: Prototype, index: Int) -> ((global: LLVMValueRef, count: Int), LLVMValueRef, Int) {
        let dumpBytes = dumpBytecode(proto)
        let dump = module.addConstantBytes("perigee_chunk\(index)_bytecode", dumpBytes)
        let pointerType = context.pointer(to: rt.functionType)
        let versionsType = context.structure([pointerType, pointerType])
        let ffi = FunctionLowering.usesFFI(proto)
        let functions = proto.preorder.enumerated().map { (i, p) -> LLVMValueRef in
            let targets = knownCallees.targets(of: p)
            let known = targets.compactMapValues { symbols[ObjectIdentifier($0)] }
            let job = FunctionJob(proto: p, name: ProgramCompiler.symbol(chunk: index, function: i), cdataPaths: ffi,
                                  guidance: guidance?.guidance(p, symbols: symbols), knownTargets: known,
                                  numericLeaves: targets.compactMapValues { NumericLeaf($0) },
                                  inlined: inlinedFunctions.contains(ObjectIdentifier(p)))
            jobs.append(job)
            let (main, generic): (LLVMValueRef, LLVMValueRef?)
            if functionsElsewhere {
                main = module.declare(job.name, rt.functionType)
                generic = job.generic ? module.declare(job.genericName, rt.functionType) : nil
            } else {
                (main, generic) = FunctionLowering.lower(job, rt, debug: debug)
            }
            return context.constantStruct([main, generic ?? context.null(pointerType)])
        }
        // CompiledVersions records: the speculative function and its generic version (or null).
        let entries = module.addConstant("perigee_chunk\(index)_functions", context.arrayType(versionsType, functions.count),
                                         context.array(versionsType, functions))
        return ((dump, dumpBytes.count), entries, functions.count)
    }

    private func emitMain(dump: (global: LLVMValueRef, count: Int), entries: LLVMValueRef, entryCount: Int,
                          modules: LLVMValueRef, moduleCount: Int, traces: (table: LLVMValueRef, count: Int)) {
        let i32 = context.i32, i64 = context.i64, i8p = rt.i8p
        let argvType = context.pointer(to: i8p)
        let runType = context.function(i32, [i32, argvType, i8p, i64, i8p, i64, i8p, i64, i8p, i64,
                                             context.pointer(to: i64), context.pointer(to: i64)])
        let run = module.declare("perigee_run_compiled", runType)
        let main = module.addFunction("main", context.function(i32, [i32, argvType]))
        let b = IRBuilder(context)
        b.position(atEndOf: b.appendBlock(to: main, "entry"))
        let status = b.call(runType, run, [
            b.parameter(main, 0), b.parameter(main, 1),
            b.pointerCast(dump.global, i8p), context.constant(Int64(dump.count), i64),
            b.pointerCast(entries, i8p), context.constant(Int64(entryCount), i64),
            b.pointerCast(modules, i8p), context.constant(Int64(moduleCount), i64),
            b.pointerCast(traces.table, i8p), context.constant(Int64(traces.count), i64),
            rt.stackLimit, rt.hookFlag,
        ])
        b.ret(status)
    }
}
