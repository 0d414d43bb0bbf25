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
            // An expression prints its values; otherwise the text is a statement.
            var (status, f) = vm.load(Array(("return " + code).utf8), chunkName: "=stdin")
            if status != .ok { (status, f) = vm.load(Array(code.utf8), chunkName: "=stdin") }
            if status != .ok {
                let message = vm.describeError()
                if message.hasSuffix("'<eof>'") {
                    pending = code  // incomplete: read on
                    continue
                }
                pending = ""
                writeStandardError("\(programName): \(message)\n")
                continue
            }
            pending = ""
            let (callStatus, results) = vm.call(Value(function: f!), [])
            vm.standardOutput.flush()
            if callStatus != .ok {
                writeStandardError("\(programName): \(vm.describeError())\n")
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
