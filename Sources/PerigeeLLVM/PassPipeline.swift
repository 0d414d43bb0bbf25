/// Optimisation with the new pass manager (`LLVMRunPasses`) from a textual pipeline.
import CLLVM

/// A new-pass-manager pipeline such as `"sroa,instcombine"` or `"default<O2>"`.
public struct PassPipeline: Sendable, Equatable {
    public let passes: String

    public init(_ passes: String) { self.passes = passes }

    /// The short list for traces: a fraction of the cost of `default<O1>`.
    public static let trace = PassPipeline("sroa,early-cse,instcombine,gvn,simplifycfg")
    public static let o1 = PassPipeline("default<O1>")
    public static let o2 = PassPipeline("default<O2>")
    public static let o3 = PassPipeline("default<O3>")

    /// Runs the pipeline over `module`; throws `LLVMError(.passes)` (e.g. an unknown pass name).
    public func run(on module: LLVMModule, for machine: TargetMachine? = nil,
                    verifyEach: Bool = false) throws {
        try LLVMLibrary.load()
        let options = L.LLVMCreatePassBuilderOptions()
        defer { L.LLVMDisposePassBuilderOptions(options) }
        L.LLVMPassBuilderOptionsSetVerifyEach(options, verifyEach ? 1 : 0)
        try check(L.LLVMRunPasses(module.live, passes, machine?.ref, options), .passes)
    }
}
