/// The interactive loop of `perigee -i`: `>` and `>>` prompts, incomplete statements read on,
/// `=expr` and bare expressions print their values.
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
            if pending.isEmpty && code.hasPrefix("=") { code = "return " + code.dropFirst() }
            // An expression prints its values; otherwise the text is a statement. The values
            // pass through a function call so that the expression itself is not in tail
            // position: `error("x")` keeps its caller's position, as in luajit.
            var (status, f) = vm.load(Array(("return (function(...) return ... end)(" + code + "\n)").utf8),
                                      chunkName: "=stdin")
            if status != .ok { (status, f) = vm.load(Array(code.utf8), chunkName: "=stdin") }
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
