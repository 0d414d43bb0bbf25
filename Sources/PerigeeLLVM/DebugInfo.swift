/// DWARF line information through LLVM's DIBuilder: one subprogram per function, a line
/// for each instruction, so debuggers and profilers show source lines.
import CLLVM

public final class DebugInfoBuilder {
    let ref: LLVMDIBuilderRef
    let module: LLVMModule
    let unit: LLVMMetadataRef
    private var files: [String: LLVMMetadataRef] = [:]
    private let subroutineType: LLVMMetadataRef

    /// Debug information for `module`, whose main source is `path`.
    public init(_ module: LLVMModule, mainSource path: String, producer: String) {
        self.module = module
        ref = L.LLVMCreateDIBuilder(module.live)!
        let version = L.LLVMValueAsMetadata(L.LLVMConstInt(L.LLVMInt32TypeInContext(module.context.ref), UInt64(L.LLVMDebugMetadataVersion()), 0))
        let key = "Debug Info Version"
        L.LLVMAddModuleFlag(module.live, LLVMModuleFlagBehaviorWarning, key, key.utf8.count, version)
        let (name, directory) = DebugInfoBuilder.split(path)
        let mainFile = L.LLVMDIBuilderCreateFile(ref, name, name.utf8.count, directory, directory.utf8.count)!
        unit = L.LLVMDIBuilderCreateCompileUnit(ref, LLVMDWARFSourceLanguageC, mainFile, producer, producer.utf8.count,
                                                1, "", 0, 0, "", 0, LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0)!
        files[path] = mainFile
        var none: [LLVMMetadataRef?] = []
        subroutineType = L.LLVMDIBuilderCreateSubroutineType(ref, mainFile, &none, 0, LLVMDIFlagZero)!
    }

    deinit { L.LLVMDisposeDIBuilder(ref) }

    static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (path, ".") }
        return (String(path[path.index(after: slash)...]), String(path[..<slash]))
    }

    private func file(_ path: String) -> LLVMMetadataRef {
        if let f = files[path] { return f }
        let (name, directory) = DebugInfoBuilder.split(path)
        let f = L.LLVMDIBuilderCreateFile(ref, name, name.utf8.count, directory, directory.utf8.count)!
        files[path] = f
        return f
    }

    /// Describes `function` (named `name`, defined at `line` of `path`); returns its scope.
    public func describe(_ function: LLVMValueRef, name: String, path: String, line: Int) -> LLVMMetadataRef {
        let f = file(path)
        let scope = L.LLVMDIBuilderCreateFunction(ref, f, name, name.utf8.count, name, name.utf8.count, f, UInt32(line),
                                                  subroutineType, 1, 1, UInt32(line), LLVMDIFlagZero, 1)!
        L.LLVMSetSubprogram(function, scope)
        return scope
    }

    /// Makes the instructions `builder` emits from now on belong to `line` of `scope`.
    public func setLine(_ builder: IRBuilder, _ line: Int, in scope: LLVMMetadataRef) {
        let location = L.LLVMDIBuilderCreateDebugLocation(module.context.ref, UInt32(max(line, 0)), 0, scope, nil)
        L.LLVMSetCurrentDebugLocation2(builder.ref, location)
    }

    /// Completes the descriptions; call once, before the module is verified or emitted.
    public func finalize() { L.LLVMDIBuilderFinalize(ref) }
}
