/// What `-j` and `-O` asked of the tracing JIT, and starting it on a VM.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeJIT
import PerigeeRuntime

struct JITChoice {
    /// The JIT records and compiles hot loops, as luajit's does unless `-joff`.
    var on = true
    var verbose = false
    var dump: DumpOptions?
    /// Where `-jv=file` or `-jdump=flags,file` write (standard error without one).
    var reportFile: String?
    var parameters = JITParameters()

    /// Applies `-j<command>`; the message for a command luajit would refuse.
    mutating func apply(_ command: String) -> String? {
        switch command {
        case "on": on = true
        case "off": on = false
        case "flush": break
        case "v": on = true; verbose = true
        case "dump": on = true; dump = DumpOptions(flags: DumpOptions.standardFlags)
        default:
            if command.hasPrefix("v=") {
                on = true
                verbose = true
                reportFile = String(command.dropFirst(2))
                return nil
            }
            if command.hasPrefix("dump=") {
                // -jdump=flags[,file], as luajit's dump module takes them.
                let argument = command.dropFirst(5)
                let parts = argument.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
                guard let options = DumpOptions(flags: String(parts[0])) else {
                    return "-j\(command): unknown dump flag in '\(parts[0])' (flags: tbisl, a for all)"
                }
                on = true
                dump = options
                if parts.count > 1 { reportFile = String(parts[1]) }
                return nil
            }
            return "unknown luaJIT command or jit.* modules not installed: -j\(command)"
        }
        return nil
    }

    /// Installs the JIT on `vm`, compiling when asked (`jit.on()` may start it later); the
    /// caller keeps it alive while the VM runs. Nothing of LLVM loads before a trace compiles.
    func start(_ vm: LuaVM) -> TraceJIT {
        // A report file that cannot be opened: the reports go to standard error.
        let stream = reportFile.flatMap { fopen($0, "w") } ?? stderr
        let jit = TraceJIT(vm: vm, parameters: parameters) { text in
            _ = text.utf8CString.withUnsafeBufferPointer { fputs($0.baseAddress!, stream) }
        }
        jit.verbose = verbose
        jit.dump = dump
        jit.install(compiling: on)
        return jit
    }
}
