/// Compiling a large program's functions on several threads. LLVM contexts are
/// independent, so each group of functions is lowered, optimized and emitted as its own
/// object file in its own context, in parallel; the main object (ProgramCompiler with
/// `functionsElsewhere`) holds the function tables that name them, and the runtime-written
/// variables they share. Compiled functions only reach each other through those tables,
/// so nothing else crosses objects.
import CLLVM
import Glibc
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM

final class FunctionGroup {
    let jobs: [FunctionJob]
    let optimization: Int
    let codeGenLevel: LLVMCodeGenOptLevel
    let objectPath: String
    /// What went wrong, after `compile`.
    private(set) var failure: String?
    /// Seconds `compile` took.
    private(set) var seconds = 0.0

    init(jobs: [FunctionJob], optimization: Int, codeGenLevel: LLVMCodeGenOptLevel, objectPath: String) {
        self.jobs = jobs
        self.optimization = optimization
        self.codeGenLevel = codeGenLevel
        self.objectPath = objectPath
    }

    /// Lowers, optimizes and emits this group's functions to `objectPath`.
    func compile() {
        let start = monotonicSeconds()
        defer { seconds = monotonicSeconds() - start }
        do {
            let context = try LLVMContext()
            context.discardValueNames()
            let machine = try TargetMachine(optimization: codeGenLevel)
            let module = LLVMModule(name: objectPath, in: context)
            let rt = RuntimeInterface(module, variables: .declared)
            for job in jobs { _ = FunctionLowering.lower(job, rt, shared: true) }
            machine.configure(module)
            do { try module.verify() } catch { throw BuildError("internal error: invalid LLVM IR: \(error)") }
            if let pipeline = PassPipeline.forBuild(optimization) { try pipeline.run(on: module, for: machine) }
            try machine.emitObject(module, to: objectPath)
        } catch let error as BuildError {
            failure = error.message
        } catch {
            failure = "\(error)"
        }
    }

    /// `jobs` split into at most `count` groups of about equal compile cost (costliest
    /// function first, each to the lightest group).
    static func partition(_ jobs: [FunctionJob], into count: Int) -> [[FunctionJob]] {
        var groups = Array(repeating: [FunctionJob](), count: max(count, 1))
        var costs = Array(repeating: 0, count: groups.count)
        let weighed = jobs.map { ($0, $0.cost) }
        for (job, cost) in weighed.sorted(by: { $0.1 > $1.1 }) {
            let lightest = costs.indices.min { costs[$0] < costs[$1] }!
            groups[lightest].append(job)
            costs[lightest] += cost
        }
        return groups.filter { !$0.isEmpty }
    }

    /// Compiles every group, the first on this thread and each other one on a thread of
    /// its own; returns the first failure.
    static func compileAll(_ groups: [FunctionGroup]) -> String? {
        var threads: [pthread_t] = []
        for group in groups.dropFirst() {
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { raw in
                Unmanaged<FunctionGroup>.fromOpaque(raw!).takeRetainedValue().compile()
                return nil
            }, Unmanaged.passRetained(group).toOpaque())
            if started == 0 { threads.append(thread) } else { group.compile() }
        }
        groups.first?.compile()
        for thread in threads { pthread_join(thread, nil) }
        return groups.lazy.compactMap(\.failure).first
    }

    func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Processors available to this process.
    static var processors: Int { max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1) }
}

extension PassPipeline {
    /// The pipeline of `perigee build -O<level>`: none at -O0, the quick and the full AOT
    /// lists at -O1 and -O2, LLVM's own `default<O3>` at -O3.
    static func forBuild(_ level: Int) -> PassPipeline? {
        switch level {
        case ...0: return nil
        case 1: return .aotQuick
        case 2: return .aot
        default: return .o3
        }
    }
}
