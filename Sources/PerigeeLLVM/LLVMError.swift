/// The Swift error for every LLVM failure, and conversion of LLVM's messages and errors.
import CLLVM

/// An LLVM failure with LLVM's own text.
public struct LLVMError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Equatable, Sendable {
        case library, verification, target, passes, jit, symbolNotFound, emission
    }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "LLVM \(kind): \(message)" }
}

/// Takes ownership of an LLVM-allocated message: returns its text and disposes it.
func takeMessage(_ message: UnsafeMutablePointer<CChar>?) -> String {
    guard let message else { return "" }
    let text = String(cString: message)
    L.LLVMDisposeMessage(message)
    return text
}

/// Consumes an `LLVMErrorRef`: throws its message as `LLVMError(kind)`, or returns if it is nil.
func check(_ error: LLVMErrorRef?, _ kind: LLVMError.Kind) throws {
    guard let error else { return }
    guard let message = L.LLVMGetErrorMessage(error) else { throw LLVMError(kind, "unknown error") }
    let text = String(cString: message)
    L.LLVMDisposeErrorMessage(message)
    throw LLVMError(kind, text)
}

/// Copies a string LLVM keeps ownership of ("" for NULL).
func borrowedString(_ text: UnsafePointer<CChar>?) -> String {
    text.map { String(cString: $0) } ?? ""
}
