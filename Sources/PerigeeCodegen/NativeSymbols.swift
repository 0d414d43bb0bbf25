/// The C library functions compiled code may call (directly, or through the LLVM math
/// intrinsics, which lower to them where the CPU has no instruction): with the runtime's
/// helpers (`compiledCodeHelpers`) they are every symbol an in-process linker must resolve.
#if canImport(Glibc)
import Glibc
#endif

private typealias Unary = @convention(c) (Double) -> Double
private typealias Binary = @convention(c) (Double, Double) -> Double

private func symbol<F>(_ name: String, _ function: F) -> (name: String, address: UnsafeRawPointer) {
    (name, unsafeBitCast(function, to: UnsafeRawPointer.self))
}

public let mathLibrarySymbols: [(name: String, address: UnsafeRawPointer)] = [
    symbol("pow", pow as Binary), symbol("fmod", fmod as Binary),
    symbol("floor", floor as Unary), symbol("ceil", ceil as Unary), symbol("trunc", trunc as Unary),
    symbol("sqrt", sqrt as Unary), symbol("fabs", fabs as Unary),
    symbol("sin", sin as Unary), symbol("cos", cos as Unary), symbol("tan", tan as Unary),
    symbol("exp", exp as Unary), symbol("log", log as Unary),
]
