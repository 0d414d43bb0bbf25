/// Loads libLLVM on first use and hands out the table of LLVM-C functions bound from it.
import CLLVM

/// The process-wide binding to libLLVM. Nothing here links libLLVM: `load()` dlopens it.
public enum LLVMLibrary {
    /// Opens libLLVM if needed and returns the function table. Idempotent and thread-safe;
    /// after a failure a later call tries again. Throws `LLVMError` (kind `.library`).
    @discardableResult
    public static func load() throws -> UnsafePointer<PerigeeLLVMAPI> {
        if let table = perigee_llvm_loaded() { return table }
        var message: UnsafePointer<CChar>? = nil
        guard let table = perigee_llvm_api(&message) else {
            throw LLVMError(.library, message.map { String(cString: $0) } ?? "cannot load libLLVM")
        }
        return table
    }

    /// True once `load()` has succeeded in this process.
    public static var isLoaded: Bool { perigee_llvm_loaded() != nil }

    /// The table; only valid after `load()` succeeded (every wrapper type loads first).
    public static var api: UnsafePointer<PerigeeLLVMAPI> {
        guard let table = perigee_llvm_loaded() else {
            preconditionFailure("LLVMLibrary.load() must succeed before LLVM is used")
        }
        return table
    }

    /// The libLLVM path chosen at build time (overridden at run time by $PERIGEE_LLVM_LIBRARY).
    public static var defaultPath: String { String(cString: perigee_llvm_default_library()) }

    /// Checks that the library at `path` opens and provides every function Perigee calls,
    /// without touching the process-wide binding. Throws `LLVMError` (kind `.library`).
    public static func probe(path: String) throws {
        var buffer = [CChar](repeating: 0, count: 1024)
        if perigee_llvm_probe(path, &buffer, buffer.count) != 0 {
            throw LLVMError(.library, String(cString: buffer))
        }
    }
}

/// Shorthand for the loaded table inside this module.
@inline(__always) var L: PerigeeLLVMAPI { LLVMLibrary.api.pointee }
