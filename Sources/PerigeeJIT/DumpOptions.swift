/// What `-jdump[=flags[,file]]` shows of each trace, by luajit's flag letters: `t` the trace
/// starting, stopping and aborting; `b` the bytecode it recorded; `i` its IR; `s` the
/// snapshots in the IR listing; `m` its machine code; plus `l`, the LLVM IR it was compiled
/// from. `a` is all of them. Without flags: `tbisl`.
public struct DumpOptions: Equatable {
    public var trace = false, bytecode = false, ir = false, snapshots = false, llvm = false, machineCode = false

    public static let standardFlags = "tbisl"

    /// The options of `flags`; nil when a letter is not one of them (the message luajit's
    /// dump module would give is the caller's).
    public init?(flags: String) {
        for letter in flags {
            switch letter {
            case "t": trace = true
            case "b": bytecode = true
            case "i": ir = true
            case "s": snapshots = true
            case "l": llvm = true
            case "m": machineCode = true
            case "a": trace = true; bytecode = true; ir = true; snapshots = true; llvm = true; machineCode = true
            // luajit's letters for what traces compiled through LLVM do not have: registers
            // (LLVM allocates them), exit stubs (exits are code in the trace), colours. They
            // are accepted and show nothing more.
            case "r", "x", "T", "A", "H": break
            default: return nil
            }
        }
    }
}
