/// `perigee -b[options] input output`: luajit's bytecode saver (jit/bcsave.lua) with its
/// options and messages, writing Perigee's own dumps: raw, as C source (`.c`, `.h`) or as an
/// object file (`.o`, `.obj`) exporting `luaJIT_BC_<name>`; `-l` lists instead.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeAOT
import PerigeeFrontend
import PerigeeRuntime

struct BytecodeTool {
    let programName: String

    static let fileTypes = ["raw": "raw", "c": "c", "h": "h", "o": "obj", "obj": "obj"]
    static let architectures: Set = ["x86", "x64", "arm", "arm64", "arm64be", "ppc", "mips", "mipsel",
                                     "mips64", "mips64el", "mips64r6", "mips64r6el"]
    static let systems: Set = ["linux", "windows", "osx", "freebsd", "netbsd", "openbsd", "dragonfly", "solaris"]

    /// What the options asked for.
    struct Request {
        var list = false
        var strip = true
        var type: String? = nil
        var moduleName: String? = nil
        var arch: String? = nil
        var os: String? = nil
        var chunk: String? = nil
        var fileName: String? = nil
        var files: [String] = []
    }

    /// Runs with the arguments after `-b` (`flags` are the letters glued to it, as in `-bl`).
    func run(_ rest: [String], flags: String) -> Int32 {
        switch parse((flags.isEmpty ? [] : ["-" + flags]) + rest) {
        case .failure(let problem):
            return problem.message.isEmpty ? usage() : fail(problem.message)
        case .success(let request):
            if request.list {
                guard (1...2).contains(request.files.count) else { return usage() }
            } else if request.files.count != 2 {
                return usage()
            }
            return execute(request)
        }
    }

    /// The options as bcsave.lua reads them; an empty message stands for the usage text.
    func parse(_ arguments: [String]) -> Result<Request, BuildError> {
        var request = Request()
        var args = arguments
        var n = 0
        while n < args.count {
            let a = args[n]
            guard a.hasPrefix("-") && a != "-" else { n += 1; continue }
            args.remove(at: n)
            if a == "--" { break }
            let letters = Array(a.dropFirst())
            for (m, letter) in letters.enumerated() {
                switch letter {
                case "l": request.list = true
                case "s": request.strip = true
                case "g": request.strip = false
                default:
                    // An option with a value ends its group and takes the next argument.
                    guard n < args.count, m == letters.count - 1 else { return .failure(BuildError("")) }
                    switch letter {
                    case "e":
                        guard n == 0 else { return .failure(BuildError("")) }
                        request.chunk = args[n]
                        args[n] = "="
                        n += 1
                    case "n":
                        let name = args.remove(at: n)
                        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }) else {
                            return .failure(BuildError("bad module name"))
                        }
                        request.moduleName = BytecodeTool.symbolPart(name)
                    case "t":
                        let value = args.remove(at: n).lowercased()
                        guard let type = BytecodeTool.fileTypes[value] else { return .failure(BuildError("unknown file type")) }
                        request.type = type
                    case "a":
                        let value = args.remove(at: n).lowercased()
                        guard BytecodeTool.architectures.contains(value) else { return .failure(BuildError("unknown architecture")) }
                        request.arch = value
                    case "o":
                        let value = args.remove(at: n).lowercased()
                        guard BytecodeTool.systems.contains(value) else { return .failure(BuildError("unknown OS name")) }
                        request.os = value
                    case "F":
                        request.fileName = args.remove(at: n)
                    default:
                        return .failure(BuildError(""))
                    }
                }
            }
        }
        request.files = args
        return .success(request)
    }

    func execute(_ request: Request) -> Int32 {
        let input = request.files[0]
        let proto: Prototype
        do {
            if let chunk = request.chunk {
                proto = try compileChunk(Array(chunk.utf8), chunkName: request.fileName.map { "@" + $0 } ?? chunk)
            } else {
                let bytes: [UInt8]
                switch readSource(input) {
                case .success(let read): bytes = read
                case .failure(let error): return fail(error.message)
                }
                let chunkName = request.fileName.map { "@" + $0 } ?? (input == "-" ? "=stdin" : "@" + input)
                proto = try bytes.withUnsafeBufferPointer { buffer in
                    // A dump of Perigee's own lists and saves again.
                    isBytecodeDump(buffer) ? try loadBytecodeDump(buffer, chunkName: chunkName)
                                           : try compileChunk(bytes, chunkName: chunkName)
                }
            }
        } catch let error as LuaSyntaxError {
            return fail(error.message)
        } catch {
            return fail("\(error)")
        }
        let output = request.files.count > 1 ? request.files[1] : "-"
        if request.list { return write(listBytecode(proto), to: output) }
        let dump = dumpBytecode(proto, stripDebugInfo: request.strip)
        let type = request.type ?? BytecodeTool.detectType(output)
        if type == "raw" { return write(dump, to: output) }
        guard let name = request.moduleName ?? (request.chunk == nil ? BytecodeTool.detectModuleName(input) : nil) else {
            return fail("cannot derive module name, use -n name")
        }
        let symbol = "luaJIT_BC_" + name
        if type == "obj" {
            do {
                let triple = try BytecodeObjectTarget.triple(arch: request.arch, os: request.os).get()
                return write(try bytecodeObject(dump, symbol: symbol, triple: triple), to: output)
            } catch {
                return fail("\(error)")
            }
        }
        return write(BytecodeTool.cSource(dump, symbol: symbol, header: type == "h"), to: output)
    }

    /// The dump as C: an exported array (`.c`), or a static one with its size (`.h`), in
    /// luajit's layout (decimal bytes, lines up to 78 columns).
    static func cSource(_ dump: [UInt8], symbol: String, header: Bool) -> [UInt8] {
        var text = header
            ? "#define \(symbol)_SIZE \(dump.count)\nstatic const unsigned char \(symbol)[] = {\n"
            : "#ifdef __cplusplus\nextern \"C\"\n#endif\n#ifdef _WIN32\n__declspec(dllexport)\n#endif\nconst unsigned char \(symbol)[] = {\n"
        var line: [String] = [], width = 0
        for byte in dump {
            let b = String(byte)
            width += b.count + 1
            if width > 78 {
                text += line.joined(separator: ",") + ",\n"
                line = []
                width = b.count + 1
            }
            line.append(b)
        }
        text += line.joined(separator: ",") + "\n};\n"
        return Array(text.utf8)
    }

    /// The file type from the output's extension (raw for anything else).
    static func detectType(_ output: String) -> String {
        guard let dot = output.lastIndex(of: "."), output[output.index(after: dot)...].allSatisfy(\.isLetter) else { return "raw" }
        return fileTypes[output[output.index(after: dot)...].lowercased()] ?? "raw"
    }

    /// The module name from the input's file name: no directory, no extension, `.` and `-` as `_`.
    static func detectModuleName(_ input: String) -> String? {
        var name = Substring(input)
        if let slash = name.lastIndex(where: { $0 == "/" || $0 == "\\" }) { name = name[name.index(after: slash)...] }
        if let dot = name.lastIndex(of: ".") { name = name[..<dot] }
        let word = name.prefix { $0.isLetter || $0.isNumber || "_.-".contains($0) }
        return word.isEmpty ? nil : symbolPart(String(word))
    }

    static func symbolPart(_ name: String) -> String {
        String(name.map { $0 == "." || $0 == "-" ? "_" : $0 })
    }

    func write(_ bytes: [UInt8], to output: String) -> Int32 {
        if output == "-" {
            _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, stdout) }
            return 0
        }
        // luajit's message (io.open's) without the errno it appends.
        return writeWholeFile(output, bytes) ? 0 : fail("\(output): \(String(cString: strerror(errno)))")
    }

    func fail(_ message: String) -> Int32 {
        writeStandardError("\(programName): \(message)\n")
        return 1
    }

    func usage() -> Int32 {
        writeStandardError("""
            Save LuaJIT bytecode: \(programName) -b[options] input output
              -l        Only list bytecode.
              -s        Strip debug info (default).
              -g        Keep debug info.
              -n name   Set module name (default: auto-detect from input name).
              -t type   Set output file type (default: auto-detect from output name).
              -a arch   Override architecture for object files (default: native).
              -o os     Override OS for object files (default: native).
              -F name   Override filename (default: input filename).
              -e chunk  Use chunk string as input.
              --        Stop handling options.
              -         Use stdin as input and/or stdout as output.

            File types: c h obj o raw (default)

            """)
        return 1
    }
}
