/// Optimisation with the new pass manager (`LLVMRunPasses`) from a textual pipeline.
import CLLVM

/// A new-pass-manager pipeline such as `"sroa,instcombine"` or `"default<O2>"`.
public struct PassPipeline: Sendable, Equatable {
    public let passes: String

    public init(_ passes: String) { self.passes = passes }

    /// The short list for traces that run once through (side traces, function traces):
    /// common subexpressions and peephole folding. Code generation at LLVM's lowest level
    /// costs about as much per instruction as these passes save, so nothing costlier (GVN's
    /// memory dependences, SROA with no allocas to split) pays. No `simplifycfg`: it merges
    /// every `ret` into one block, and a call of the next trace followed by a branch to
    /// that block is no longer a tail call at that level (which does not duplicate returns
    /// back as the optimizing code generator does), so chains of traces calling each other
    /// would grow the native stack.
    public static let trace = PassPipeline("early-cse,instcombine")
    public static let o1 = PassPipeline("default<O1>")
    public static let o2 = PassPipeline("default<O2>")
    public static let o3 = PassPipeline("default<O3>")

    /// Ahead-of-time builds. Compiled Lua is long straight-line code with rare loops and few
    /// direct calls between functions (so little to inline), and what pays is promoting
    /// values to registers, folding, merging blocks, redundant-load elimination and hoisting
    /// loop invariants. This list does that in about a third of the time of `default<O2>`
    /// (a 5,000-line program builds in 9 s instead of 15 s) with the same benchmark speed;
    /// `aotQuick` is its first half.
    /// Both first inline the small functions marked `alwaysinline` at their direct calls
    /// (the known callees of `perigee build`), which costs nothing where there are none.
    public static let aot = PassPipeline(
        "always-inline,function(sroa,early-cse<memssa>,instcombine,simplifycfg,loop-mssa(licm),gvn,instcombine,simplifycfg)")
    public static let aotQuick = PassPipeline("always-inline,function(sroa,early-cse,instcombine,simplifycfg)")

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
