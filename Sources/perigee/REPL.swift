/// The interactive loop of `perigee -i`: `>` and `>>` prompts, incomplete statements read on,
/// `=expr` and `return ...` print their values; as in luajit, every line is a chunk, so a
/// bare expression is a syntax error.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeRuntime

struct REPL {
    let vm: LuaVM
    let programName: String

    func run() -> Int32 {
        writeStandardOutput(perigeeVersion + " -- a Lua 5.1 / LuaJIT 2.1 implementation\n")
        var pending = ""
        while true {
            writeStandardOutput(pending.isEmpty ? "> " : ">> ")
            fflush(stdout)
            guard let line = readLine(strippingNewline: true) else {
                writeStandardOutput("\n")
                return 0
            }
            var code = pending.isEmpty ? line : pending + "\n" + line
            // `=expr` is `return expr`, its values passed through a function call so that the
            // expression is not in tail position: `=error("x")` keeps its caller's position.
            if pending.isEmpty && code.hasPrefix("=") {
                code = "return (function(...) return ... end)(" + code.dropFirst() + "\n)"
            }
            let (status, f) = vm.load(Array(code.utf8), chunkName: "=stdin")
            if status != .ok {
                let message = vm.describeError()
                if message.hasSuffix("'<eof>'") {
                    pending = code  // incomplete: read on
                    continue
                }
                pending = ""
                writeStandardError(message + "\n")  // as luajit's REPL: no program name
                continue
            }
            pending = ""
            vm.clearTraceback()
            let (callStatus, results) = catchingInterrupts { vm.call(Value(function: f!), []) }
            // After an error, luajit's loop collects fully (finalizers run) before reporting.
            if callStatus != .ok { vm.collectAfterUncaughtError() }
            vm.standardOutput.flush()
            if callStatus != .ok {
                writeStandardError(vm.describeError() + "\n" + vm.lastTraceback)
                continue
            }
            if !results.isEmpty {
                let printFunction = vm.globals.get(string: vm.g.intern("print")!)
                _ = vm.call(printFunction, results)
                vm.standardOutput.flush()
            }
        }
    }
}
