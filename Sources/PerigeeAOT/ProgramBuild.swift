/// `perigee build`: from a Lua file to a standalone executable. Compiles the program and the
/// modules it requires by constant name (found on `package.path` as `require` would find
/// them at run time), lowers them to LLVM (one module, or for large programs one per thread:
/// FunctionGroup), optimizes, emits object files and links them against the runtime library.
#if canImport(Glibc)
import Glibc
#endif
import CLLVM
import PerigeeFrontend
import PerigeeCodegen
import PerigeeLLVM
import PerigeeProfile
import PerigeeRuntime

public struct BuildOptions {
    public var input: String
    public var output: String
    /// 0...3, LLVM's optimization level.
    public var optimization = 2
    public var emitLLVM: String? = nil
    public var emitObject: String? = nil
    public var verbose = false
    /// `--strict`: a required module that cannot be found or compiled fails the build instead
    /// of being left to `require` at run time with a warning.
    public var strict = false
    /// Link an executable (false when only `--emit-llvm`/`--emit-obj` output was asked for).
    public var link = true
    /// `-s`, `--strip`: no symbol table in the executable.
    public var strip = false
    /// `-g`: DWARF line information (Lua source lines) in the executable.
    public var debugInfo = false
    /// Threads compiling functions; nil: one per processor when the program is large.
    public var jobs: Int? = nil
    /// `--profile F`: a recorded run (`perigee profile`) to specialize the code on.
    public var profile: String? = nil
    /// Whether the profile's recorded traces are compiled in (`--no-traces`: not), and all of
    /// them, whatever the recorded run says of their worth (`--all-traces`).
    public var profileTraces = true
    public var everyTrace = false
    /// Programs with at least this many bytecode instructions compile on all processors.
    public static let parallelThreshold = 2000

    public init(input: String, output: String) {
        self.input = input
        self.output = output
    }
}

public struct BuildError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct ProgramBuild {
    public let options: BuildOptions
    /// Progress lines for `-v`.
    public private(set) var log: [String] = []
    /// What the user should know even without `-v`: required modules left to run time.
    public private(set) var warnings: [String] = []
    /// Problems with the profile (each said as `perigee: <profile>: <problem>`): the build
    /// goes on without it, or without the parts that do not match.
    public private(set) var profileProblems: [String] = []
    /// What the profile specialized and what it could not (`--profile-report`).
    public private(set) var profileReport: [String] = []
    let readFile: (String) -> [UInt8]?
    /// The source of each module compiled in, by chunk name (to match a profile).
    private var moduleSources: [String: [UInt8]] = [:]

    /// `readFile` reads a source file (nil when it cannot be read).
    public init(options: BuildOptions, readFile: @escaping (String) -> [UInt8]?) {
        self.options = options
        self.readFile = readFile
    }

    /// Builds the executable (and the requested by-products); throws `BuildError` with a
    /// message for the user.
    public mutating func run() throws {
        guard let source = readFile(options.input) else { throw BuildError("cannot open \(options.input)") }
        let program = try compile(source, chunkName: "@" + options.input)
        for path in [options.link ? options.output : nil, options.emitLLVM, options.emitObject].compactMap({ $0 }) where !canWrite(path) {
            throw BuildError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let modules = try collectModules(of: program)
        for m in modules { log.append("module '\(m.moduleName ?? "")' compiled in") }
        let guidance = readProfile(source: source, program: program, modules: modules)

        // A single module when the output describes one (IR, an object, line tables).
        let single = options.emitLLVM != nil || options.emitObject != nil || options.debugInfo
        let size = ([program] + modules.map(\.prototype)).reduce(0) { $0 + $1.preorder.reduce(0) { $0 + $1.bytecode.count } }
        let groupCount = single ? 1 : (options.jobs ?? (size >= BuildOptions.parallelThreshold ? FunctionGroup.processors : 1))

        let context: LLVMContext
        let machine: TargetMachine
        do {
            context = try LLVMContext()
            if options.emitLLVM == nil { context.discardValueNames() }
            machine = try TargetMachine(optimization: codeGenLevel)
        } catch {
            throw BuildError("LLVM is not usable: \(error)")
        }
        let temporary = makeTemporaryDirectory()
        defer { if let temporary { removeTree(temporary) } }
        guard let objectPath = options.emitObject ?? temporary.map({ $0 + "/program.o" }) else {
            throw BuildError("cannot create a temporary directory")
        }
        let compiler = ProgramCompiler(context: context, name: options.input,
                                       debugSource: options.debugInfo ? options.input : nil,
                                       functionsElsewhere: groupCount > 1, guidance: guidance)
        let traces = options.profileTraces ? guidance.map { AheadOfTimeTraces($0.program, main: program, everyTrace: options.everyTrace) } : nil
        if let traces {
            profileProblems += traces.problems
            log.append("\(traces.selected.count) recorded traces compiled in")
        }
        compiler.compile(program: program, modules: modules, traces: traces)
        if let guidance { profileReport = guidance.report + (traces?.report ?? []) + guidance.summary() }
        var objects = [objectPath]
        if groupCount > 1 {
            guard let temporary else { throw BuildError("cannot create a temporary directory") }
            let groups = FunctionGroup.partition(compiler.jobs, into: groupCount).enumerated().map { i, jobs in
                FunctionGroup(jobs: jobs, optimization: options.optimization, codeGenLevel: codeGenLevel,
                              objectPath: "\(temporary)/functions\(i).o")
            }
            if let failure = FunctionGroup.compileAll(groups) { throw BuildError(failure) }
            objects += groups.map(\.objectPath)
            let times = groups.map { "\($0.jobs.count) functions in \(Int($0.seconds * 1000)) ms" }
            log.append("functions compiled on \(groups.count) threads: " + times.joined(separator: ", "))
        }
        machine.configure(compiler.module)
        do { try compiler.module.verify() } catch { throw BuildError("internal error: invalid LLVM IR: \(error)") }
        if let pipeline = PassPipeline.forBuild(options.optimization) {
            do { try pipeline.run(on: compiler.module, for: machine) } catch { throw BuildError("\(error)") }
        }
        if let path = options.emitLLVM {
            guard writeWholeFile(path, Array(compiler.module.ir.utf8)) else { throw BuildError("cannot write \(path)") }
        }
        if !options.link && options.emitObject == nil { return }
        do { try machine.emitObject(compiler.module, to: objectPath) } catch {
            throw BuildError("cannot write \(objectPath): \(error)")
        }
        log.append("object \(objectPath)")
        if !options.link { return }
        let linker: Linker
        do { linker = try Linker() } catch { throw BuildError("\(error)") }
        // A position-dependent executable: the dynamic loader has far fewer relocations to
        // apply to the statically linked runtime, which takes about 0.25 ms off every start
        // (the executables of Go and many AOT compilers make the same choice).
        // Sections nothing reaches are dropped (--gc-sections); `-s` drops the symbol table too.
        let extra = ["-Xclang-linker", "-no-pie", "-Xlinker", "--gc-sections"] + (options.strip ? ["-Xlinker", "--strip-all"] : [])
        do { try linker.link(objects: objects, output: options.output, extra: extra) } catch {
            throw BuildError("\(error)")
        }
        log.append("linked \(options.output)")
    }

    private var codeGenLevel: LLVMCodeGenOptLevel {
        switch options.optimization {
        case 0: return LLVMCodeGenLevelNone
        case 1: return LLVMCodeGenLevelLess
        case 3: return LLVMCodeGenLevelAggressive
        default: return LLVMCodeGenLevelDefault
        }
    }

    /// The profile of `--profile`, matched with the program; nil (with the problem noted)
    /// when it cannot be read or is not usable.
    private mutating func readProfile(source: [UInt8], program: Prototype, modules: [CompiledChunk]) -> ProgramGuidance? {
        guard let path = options.profile else { return nil }
        guard let bytes = readFile(path) else {
            profileProblems.append("cannot open the profile; building without it")
            return nil
        }
        let profile: Profile
        do { profile = try ProfileFormat.read(bytes) } catch {
            profileProblems.append("\(error); building without it")
            return nil
        }
        var matched = ProgramProfile(profile, path: path)
        matched.add(chunk: "@" + options.input, source: source, root: program)
        for m in modules {
            let name = m.prototype.chunkName
            if let moduleSource = moduleSources[name] { matched.add(chunk: name, source: moduleSource, root: m.prototype) }
        }
        profileProblems += matched.warnings
        log.append("profile \(path): \(matched.matchedChunks.count) chunks matched")
        return matched.matchedChunks.isEmpty ? nil : ProgramGuidance(matched)
    }

    private func compile(_ source: [UInt8], chunkName: String) throws -> Prototype {
        do {
            return try compileChunk(source, chunkName: chunkName)
        } catch {
            throw BuildError(error.message)
        }
    }

    /// Modules the runtime has when a program starts (`package.loaded`, `package.preload`):
    /// `require` never searches for them.
    static let runtimeModules: Set<String> = ["_G", "bit", "coroutine", "debug", "ffi", "io", "jit", "jit.opt", "math",
                                              "os", "package", "string", "string.buffer", "table", "table.new",
                                              "table.clear"]

    /// The modules `program` requires with constant names, transitively, found beside the
    /// main script or on `package.path` now. One that is not found or does not compile is
    /// left to `require` at run time (which raises luajit's error there) with a warning, or
    /// fails the build with `--strict`.
    private mutating func collectModules(of program: Prototype) throws -> [CompiledChunk] {
        let path = moduleSearchPath(beside: options.input)
        var seen: Set<String> = []
        var pending = requiredModules(program)
        var modules: [CompiledChunk] = []
        while let name = pending.first {
            pending.removeFirst()
            guard seen.insert(name).inserted, !ProgramBuild.runtimeModules.contains(name) else { continue }
            guard case .found(let file) = searchPath(name, path, separator: ".", replacement: "/") else {
                try warn("module '\(name)' not found: require will look for it when the program runs")
                continue
            }
            guard let source = readFile(file) else { throw BuildError("cannot open \(file) (module '\(name)')") }
            let proto: Prototype
            do {
                proto = try compile(source, chunkName: "@" + file)
            } catch let error as BuildError {
                try warn("module '\(name)' does not compile (\(error.message)): require will raise the error when the program runs")
                continue
            }
            modules.append(CompiledChunk(moduleName: name, prototype: proto))
            moduleSources["@" + file] = source
            pending += requiredModules(proto)
        }
        return modules
    }

    /// A warning, or with `--strict` the build's error.
    private mutating func warn(_ message: String) throws {
        if options.strict { throw BuildError(message) }
        warnings.append(message)
    }

    /// The directory of the main script first (`dir/?.lua;dir/?/init.lua`), then `package.path`
    /// as `LUA_PATH` or luajit's default sets it.
    func moduleSearchPath(beside script: String) -> String {
        let path = searchPathFromEnvironment("LUA_PATH", defaultLuaPath)
        guard let slash = script.lastIndex(of: "/") else { return path }
        let directory = String(script[...slash])
        return "\(directory)?.lua;\(directory)?/init.lua;" + path
    }

    /// Names in `require("name")` calls: GGET of `require`, KSTR of the name into the first
    /// argument register (two above: frames have two slots), then the CALL; and in
    /// `pcall(require, "name")` (optional dependencies): GGET of `pcall`, then of `require`
    /// and the name into its first two argument registers, then the CALL.
    func requiredModules(_ root: Prototype) -> [String] {
        var names: [String] = []
        for p in root.preorder {
            let code = p.bytecode
            for pc in 0..<max(0, code.count - 2) where code[pc].opcode == .GGET && code[pc + 1].opcode == .KSTR {
                let a = code[pc].a, d = Int(code[pc].d), nameD = Int(code[pc + 1].d)
                guard stringConstant(p, d) == "require", let name = stringConstant(p, nameD) else { continue }
                if code[pc + 1].a == a + 2 && code[pc + 2].opcode == .CALL && code[pc + 2].a == a {
                    names.append(name)
                } else if pc >= 1, code[pc + 1].a == a + 1, code[pc - 1].opcode == .GGET, code[pc - 1].a + 2 == a,
                          stringConstant(p, Int(code[pc - 1].d)) == "pcall",
                          code[pc + 2].opcode == .CALL, code[pc + 2].a == code[pc - 1].a {
                    names.append(name)
                }
            }
        }
        return names
    }

    private func stringConstant(_ p: Prototype, _ d: Int) -> String? {
        guard d < p.gcConstants.count, case .string(let id) = p.gcConstants[d] else { return nil }
        return String(decoding: p.strings.bytes(of: id), as: UTF8.self)
    }
}

// MARK: Files

/// True when `path` can be created or replaced (its directory is writable, and the file
/// itself when it exists).
func canWrite(_ path: String) -> Bool {
    if access(path, F_OK) == 0 { return access(path, W_OK) == 0 }
    let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    return access(directory.isEmpty ? "/" : directory, W_OK) == 0
}

func makeTemporaryDirectory() -> String? {
    var template = Array("/tmp/perigee-build-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { return nil }
    return String(cString: made)
}

func removeTree(_ directory: String) {
    if let dir = opendir(directory) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { unlink(directory + "/" + name) }
        }
        closedir(dir)
    }
    rmdir(directory)
}
