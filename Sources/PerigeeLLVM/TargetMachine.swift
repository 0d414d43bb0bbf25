/// Target machines for the host (or a given triple): triple, CPU and features, module setup, object emission.
import CLLVM

/// An `LLVMTargetMachineRef` for the machine Perigee runs on.
public final class TargetMachine {
    public let ref: LLVMTargetMachineRef
    public let triple: String
    public let cpu: String
    public let features: String

    /// Registers the native target with LLVM once per process (the real per-target functions,
    /// since LLVM's `LLVMInitializeNativeTarget` is an inline function calling them directly).
    public static func initializeNative() throws {
        try LLVMLibrary.load()
        _ = nativeInitialized
    }

    private static let nativeInitialized: Void = {
        #if arch(x86_64)
        L.LLVMInitializeX86TargetInfo()
        L.LLVMInitializeX86Target()
        L.LLVMInitializeX86TargetMC()
        L.LLVMInitializeX86AsmPrinter()
        L.LLVMInitializeX86Disassembler()
        #elseif arch(arm64)
        L.LLVMInitializeAArch64TargetInfo()
        L.LLVMInitializeAArch64Target()
        L.LLVMInitializeAArch64TargetMC()
        L.LLVMInitializeAArch64AsmPrinter()
        L.LLVMInitializeAArch64Disassembler()
        #endif
    }()

    /// A target machine for the host CPU, or for a generic CPU of `triple` when one is given
    /// (objects for another system: `perigee -b -a arch -o os`). AOT objects are position
    /// independent by default, since `swiftc` links position-independent executables.
    public init(triple: String? = nil, optimization: LLVMCodeGenOptLevel = LLVMCodeGenLevelDefault,
                relocation: LLVMRelocMode = LLVMRelocPIC,
                codeModel: LLVMCodeModel = LLVMCodeModelDefault) throws {
        try TargetMachine.initializeNative()
        self.triple = triple ?? takeMessage(L.LLVMGetDefaultTargetTriple())
        cpu = triple == nil ? takeMessage(L.LLVMGetHostCPUName()) : "generic"
        features = triple == nil ? takeMessage(L.LLVMGetHostCPUFeatures()) : ""
        var target: LLVMTargetRef? = nil
        var message: UnsafeMutablePointer<CChar>? = nil
        if L.LLVMGetTargetFromTriple(self.triple, &target, &message) != 0 || target == nil {
            throw LLVMError(.target, "no target for '\(self.triple)': \(takeMessage(message))")
        }
        _ = takeMessage(message)
        guard let machine = L.LLVMCreateTargetMachine(target, self.triple, cpu, features,
                                                      optimization, relocation, codeModel) else {
            throw LLVMError(.target, "cannot create a target machine for '\(self.triple)' (\(cpu))")
        }
        ref = machine
    }

    deinit { L.LLVMDisposeTargetMachine(ref) }

    /// A target machine for the host whose objects this process links into itself through
    /// `JITEngine.addCompiled`: the code model LLVM's own JIT defaults to (large, static),
    /// where every address code takes, a constant pool's included, is absolute. ORC's
    /// memory manager may map an object's code and its read-only data further apart than a
    /// 32-bit displacement reaches (it did under AddressSanitizer).
    public static func forJIT(optimization: LLVMCodeGenOptLevel = LLVMCodeGenLevelDefault) throws -> TargetMachine {
        try TargetMachine(optimization: optimization, relocation: LLVMRelocStatic, codeModel: LLVMCodeModelLarge)
    }

    /// The data layout string of this machine.
    public var dataLayout: String {
        let data = L.LLVMCreateTargetDataLayout(ref)
        defer { L.LLVMDisposeTargetData(data) }
        return takeMessage(L.LLVMCopyStringRepOfTargetData(data))
    }

    /// Sets the module's triple and data layout to this machine's (do it before optimising).
    public func configure(_ module: LLVMModule) {
        module.triple = triple
        module.dataLayout = dataLayout
    }

    /// Writes `module` as an object file at `path`.
    public func emitObject(_ module: LLVMModule, to path: String) throws {
        var message: UnsafeMutablePointer<CChar>? = nil
        var file = Array(path.utf8CString)
        let failed = L.LLVMTargetMachineEmitToFile(ref, module.live, &file, LLVMObjectFile, &message) != 0
        let text = takeMessage(message)
        if failed { throw LLVMError(.emission, "cannot write '\(path)': \(text)") }
    }

    /// Returns `module` compiled to an object file (or assembly text) in memory.
    public func emit(_ module: LLVMModule, as kind: LLVMCodeGenFileType = LLVMObjectFile) throws -> [UInt8] {
        var message: UnsafeMutablePointer<CChar>? = nil
        var buffer: LLVMMemoryBufferRef? = nil
        let failed = L.LLVMTargetMachineEmitToMemoryBuffer(ref, module.live, kind, &message, &buffer) != 0
        let text = takeMessage(message)
        guard !failed, let buffer else { throw LLVMError(.emission, text) }
        defer { L.LLVMDisposeMemoryBuffer(buffer) }
        let count = Int(L.LLVMGetBufferSize(buffer))
        guard count > 0, let start = L.LLVMGetBufferStart(buffer) else { return [] }
        return start.withMemoryRebound(to: UInt8.self, capacity: count) {
            Array(UnsafeBufferPointer(start: $0, count: count))
        }
    }
}
