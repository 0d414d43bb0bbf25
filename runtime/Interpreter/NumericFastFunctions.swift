/// The numeric fast functions: the `math` functions and every `bit` operation but `tohex`.
/// Their one definition is C (`perigee_numeric_result`, Sources/CSupport/include/
/// NumericFastFunctions.h), which the interpreter's call stubs use before any handler runs;
/// the general fast-function path (InterpreterFastFunctions.swift) answers them through here.
import CSupport

enum NumericFastFunction {
    /// Whether fast-function id `id` names one of them: `sqrt` to `fmod`, and the builtins
    /// `mathUnary` to `ror` (two ranges of consecutive ids).
    @inline(__always) static func covers(_ id: UInt8) -> Bool {
        id &- FastFunction.sqrt.rawValue <= FastFunction.fmod.rawValue &- FastFunction.sqrt.rawValue
            || id &- FastBuiltin.mathUnary.rawValue <= FastBuiltin.ror.rawValue &- FastBuiltin.mathUnary.rawValue
    }

    /// The result of fast function `f` (id `id`) on the `n` arguments at `args`, or nil when
    /// the builtin itself must answer (too few arguments, one that is not a number: numeric
    /// strings and the errors are the builtin's).
    @inline(__always) static func result(_ id: UInt8, _ f: FunctionRef, _ args: UnsafeMutablePointer<Value>, _ n: Int) -> Double? {
        var out = 0.0
        let words = UnsafeRawPointer(args).assumingMemoryBound(to: UInt64.self)
        return perigee_numeric_result(id, UnsafeRawPointer(f), words, Int64(n), &out) != 0 ? out : nil
    }
}
