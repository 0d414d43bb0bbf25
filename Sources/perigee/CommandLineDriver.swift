/// Parses the command line and dispatches to the bytecode tools, the runner and the compiler.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeFrontend
import PerigeeRuntime

struct CommandLineDriver {
    let arguments: [String]
    let programName = "perigee"

    func run() -> Int32 {
        guard let first = arguments.first else { return usage() }
        if first == "-v" {
            writeStandardOutput(perigeeVersion + "\n")
            return 0
        }
        if first.hasPrefix("-b") { return runBytecodeTool(Array(arguments.dropFirst()), flags: String(first.dropFirst(2))) }
        if first == "-h" || first == "--help" { return usage() }
        return runScript(first, arguments: Array(arguments.dropFirst()))
    }

    /// Runs a script file ("-" is standard input) with `arg` set as `lua` sets it.
    func runScript(_ path: String, arguments: [String]) -> Int32 {
        guard let vm = LuaVM() else {
            writeStandardError("\(programName): not enough memory\n")
            return 1
        }
        let source: [UInt8]
        switch readSource(path) {
        case .success(let bytes): source = bytes
        case .failure(let error):
            writeStandardError("\(programName): \(error.message)\n")
            return 1
        }
        vm.setArguments(script: path, arguments, interpreter: CommandLine.arguments[0])
        vm.captureTracebacks = true
        let (loadStatus, function) = vm.load(source, chunkName: path == "-" ? "=stdin" : "@" + path)
        guard loadStatus == .ok, let function else {
            writeStandardError("\(programName): \(vm.describeError())\n")
            return 1
        }
        let scriptArguments = arguments.map { vm.string($0) }
        let (status, _) = vm.call(Value(function: function), scriptArguments)
        vm.standardOutput.flush()
        if status != .ok {
            writeStandardError("\(programName): \(vm.describeError())\n\(vm.lastTraceback)")
            return 1
        }
        return 0
    }

    func usage() -> Int32 {
        writeStandardError("""
        usage: \(programName) [options]... [script [args]...].
        Available options are:
          -b ...    Save or list bytecode.
          -v        Show version information.

        """)
        return 1
    }

    /// `-b[l] [-l] input [output]`: compile, then list (`-bl`) or save the bytecode.
    func runBytecodeTool(_ rest: [String], flags: String) -> Int32 {
        var list = flags.contains("l")
        var files: [String] = []
        for a in rest {
            if a == "-l" { list = true } else { files.append(a) }
        }
        guard let input = files.first else {
            writeStandardError("usage: \(programName) -b[l] input [output]\n")
            return 1
        }
        let source: [UInt8]
        switch readSource(input) {
        case .success(let bytes): source = bytes
        case .failure(let error):
            writeStandardError("\(programName): \(error.message)\n")
            return 1
        }
        let chunkName = input == "-" ? "=stdin" : "@" + input
        let proto: Prototype
        do {
            proto = try compileChunk(source, chunkName: chunkName)
        } catch {
            writeStandardError("\(programName): \(error.message)\n")
            return 1
        }
        if list || files.count < 2 {
            let text = listBytecode(proto)
            if files.count >= 2 && files[1] != "-" {
                if !writeFile(files[1], text) { return cannotWrite(files[1]) }
            } else {
                _ = text.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, stdout) }
            }
            return 0
        }
        let dump = dumpBytecode(proto)
        if files[1] == "-" {
            _ = dump.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, stdout) }
        } else if !writeFile(files[1], dump) {
            return cannotWrite(files[1])
        }
        return 0
    }

    func cannotWrite(_ path: String) -> Int32 {
        writeStandardError("\(programName): cannot open \(path)\n")
        return 1
    }
}
