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
    var dump = false
    var parameters = JITParameters()

    /// Applies `-j<command>`; the message for a command luajit would refuse.
    mutating func apply(_ command: String) -> String? {
        switch command {
        case "on": on = true
        case "off": on = false
        case "flush": break
        case "v": on = true; verbose = true
        case "dump": on = true; dump = true
        default:
            if command.hasPrefix("dump=") || command.hasPrefix("v=") {
                return "-j\(command): writing JIT reports to a file is not supported; they go to standard error"
            }
            return "unknown luaJIT command or jit.* modules not installed: -j\(command)"
        }
        return nil
    }

    /// Installs the JIT on `vm`, compiling when asked (`jit.on()` may start it later); the
    /// caller keeps it alive while the VM runs. Nothing of LLVM loads before a trace compiles.
    func start(_ vm: LuaVM) -> TraceJIT {
        let jit = TraceJIT(vm: vm, parameters: parameters) { text in
            _ = text.utf8CString.withUnsafeBufferPointer { fputs($0.baseAddress!, stderr) }
        }
        jit.verbose = verbose
        jit.dumpIR = dump
        jit.install(compiling: on)
        return jit
    }
}
