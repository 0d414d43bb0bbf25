/// Parses the command line in `lua`/`luajit`'s conventions and dispatches to the bytecode
/// tools, the interpreter and the interactive loop.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeFrontend
import PerigeeJIT
import PerigeeRuntime

struct CommandLineDriver {
    let arguments: [String]
    let programName = "perigee"
    /// `--profile-out=FILE` (or `perigee profile -o FILE`): the run's profile goes there.
    var profileOutput: String? = nil

    init(arguments: [String], profileOutput: String? = nil) {
        self.arguments = arguments
        self.profileOutput = profileOutput
    }

    /// What the options asked for, in order (`-e` and `-l` run in the order given).
    enum Action {
        case execute(String)
        case require(String)
    }

    func run() -> Int32 {
        if arguments.first == "build" {
            return BuildCommand(arguments: Array(arguments.dropFirst()), programName: programName).run()
        }
        if arguments.first == "profile" && profileOutput == nil {
            return ProfileCommand(arguments: Array(arguments.dropFirst()), programName: programName).run()
        }
        var profileOutput = self.profileOutput
        var actions: [Action] = []
        var interactive = false
        var showVersion = false
        var ignoreEnvironment = false
        var jit = JITChoice()
        // The option wins over the environment, which built executables read too.
        guard var memoryLimit = memoryLimitFromEnvironment() else {
            return usage("bad memory limit in \(memoryLimitVariable)")
        }
        guard var instructionLimit = instructionLimitFromEnvironment() else {
            return usage("bad instruction limit in \(instructionLimitVariable)")
        }
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { i += 1; break }
            if a == "-" || !a.hasPrefix("-") { break }
            switch a {
            case "-e", "-l":
                guard i + 1 < arguments.count else { return usage("'\(a)' needs argument") }
                actions.append(a == "-e" ? .execute(arguments[i + 1]) : .require(arguments[i + 1]))
                i += 2
                continue
            case "-i": interactive = true
            case "-v": showVersion = true
            case "-E": ignoreEnvironment = true
            case "-h", "--help": return usage(nil)
            default:
                if a.hasPrefix("-b") {
                    return BytecodeTool(programName: programName).run(Array(arguments[(i + 1)...]), flags: String(a.dropFirst(2)))
                }
                if a.hasPrefix("-e") { actions.append(.execute(String(a.dropFirst(2)))); break }
                if a.hasPrefix("-l") { actions.append(.require(String(a.dropFirst(2)))); break }
                if a.hasPrefix("-j") {
                    let command = a == "-j" && i + 1 < arguments.count ? { i += 1; return arguments[i] }() : String(a.dropFirst(2))
                    if let problem = jit.apply(command) {
                        writeStandardError("\(programName): \(problem)\n")
                        return 1
                    }
                    break
                }
                if a.hasPrefix("-O") {
                    if let problem = jit.parameters.apply(String(a.dropFirst(2))) {
                        writeStandardError("\(programName): \(problem)\n")
                        return 1
                    }
                    break
                }
                if a.hasPrefix("--memory-limit=") {
                    guard let limit = parseMemorySize(String(a.dropFirst("--memory-limit=".count))) else {
                        return usage("bad memory limit '\(a)'")
                    }
                    memoryLimit = limit
                    break
                }
                if a.hasPrefix("--profile-out=") {
                    let path = String(a.dropFirst("--profile-out=".count))
                    guard !path.isEmpty else { return usage("'--profile-out=' needs a file") }
                    profileOutput = path
                    break
                }
                if a.hasPrefix("--max-instructions=") {
                    guard let limit = parseInstructionCount(String(a.dropFirst("--max-instructions=".count))) else {
                        return usage("bad instruction limit '\(a)'")
                    }
                    instructionLimit = limit
                    break
                }
                return usage("unrecognized option '\(a)'")
            }
            i += 1
        }
        let script = i < arguments.count ? arguments[i] : nil
        let scriptArguments = i + 1 < arguments.count ? Array(arguments[(i + 1)...]) : []
        if showVersion {
            writeStandardOutput(perigeeVersion + " -- a Lua 5.1 / LuaJIT 2.1 implementation\n")
            fflush(stdout)  // before the script's output, which does not go through stdio
        }

        guard let vm = LuaVM(memoryLimit: memoryLimit) else {
            writeStandardError("\(programName): not enough memory\n")
            return 1
        }
        vm.captureTracebacks = true
        vm.setInstructionLimit(instructionLimit)
        let tracing = jit.start(vm)
        defer { tracing.shutdown() }
        vm.setArguments(script: script, scriptArguments, interpreter: CommandLine.arguments[0],
                        options: Array(arguments[..<min(i, arguments.count)]))
        let profile = profileOutput.map { ProfileRecording(path: $0, programName: programName) }
        profile?.start(vm, tracing)
        var status = runPrograms(vm, actions: actions, script: script, scriptArguments: scriptArguments,
                                 interactive: interactive, showVersion: showVersion, ignoreEnvironment: ignoreEnvironment)
        if let profile, !profile.finish(), status == 0 { status = 1 }
        // For the benchmark runner: what the JIT did in this run.
        if getenv("PERIGEE_JIT_STATS") != nil { writeStandardError(tracing.statistics + "\n") }
        if profileOutput == nil && tracing.isCompiling {
            // A trace still compiling is of no use to a program that has ended: the process
            // ends now, as main.swift ends it, rather than once LLVM is done.
            fflush(nil)
            _exit(status)
        }
        return status
    }

    /// LUA_INIT, the `-e` and `-l` actions, the script and the interactive loop, in order.
    private func runPrograms(_ vm: LuaVM, actions: [Action], script: String?, scriptArguments: [String],
                             interactive: Bool, showVersion: Bool, ignoreEnvironment: Bool) -> Int32 {
        defer {
            // As luajit's lua_close at the end: the remaining finalizers run, then output goes out.
            vm.closeState()
            vm.closeOpenPipes()
            vm.standardOutput.flush()
        }
        if ignoreEnvironment { vm.usePackageDefaults() }
        if !ignoreEnvironment, let initCode = getenv("LUA_INIT").map({ String(cString: $0) }) {
            let status = initCode.hasPrefix("@")
                ? runFile(vm, String(initCode.dropFirst()), [])
                : runChunk(vm, Array(initCode.utf8), chunkName: "=LUA_INIT")
            if status != 0 { return status }
        }
        for action in actions {
            let status: Int32
            switch action {
            case .execute(let code): status = runChunk(vm, Array(code.utf8), chunkName: "=(command line)")
            case .require(let name): status = runChunk(vm, Array("require(\"\(name)\")".utf8), chunkName: "=(command line)")
            }
            if status != 0 { return status }
        }
        if let script {
            let status = runFile(vm, script, scriptArguments)
            if status == 0 && vm.instructionLimitReached {
                // A pcall caught the limit's error; the script still did not finish in budget.
                writeStandardError("\(programName): \(instructionLimitMessage)\n")
                return 1
            }
            if status != 0 || !interactive { return status }
        }
        if interactive || (script == nil && actions.isEmpty && !showVersion) {
            if !interactive && isatty(0) == 0 {
                return runFile(vm, "-", [])
            }
            return REPL(vm: vm, programName: programName).run()
        }
        return 0
    }

    func usage(_ problem: String?) -> Int32 {
        if let problem { writeStandardError("\(programName): \(problem)\n") }
        writeStandardError("""
        usage: \(programName) [options]... [script [args]...].
        Available options are:
          -e chunk  Execute string 'chunk'.
          -l name   Require library 'name'.
          -b ...    Save or list bytecode.
          -j cmd    Perform JIT control command.
          -O[opt]   Control JIT optimizations.
          -i        Enter interactive mode after executing 'script'.
          -v        Show version information.
          -E        Ignore environment variables.
          --memory-limit=SIZE  Fail with "not enough memory" beyond SIZE bytes (k, m, g
                    suffixes); PERIGEE_MEMORY_LIMIT=SIZE does the same, in built executables too.
          --max-instructions=N  Fail with "instruction limit exceeded" after about N bytecode
                    instructions (k, m, g suffixes: thousands, millions, billions);
                    PERIGEE_MAX_INSTRUCTIONS=N does the same, in built executables too.
          --profile-out=FILE  Write a profile of the run to FILE (see 'perigee profile').
          --        Stop handling options.
          -         Execute stdin and stop handling options.

        usage: \(programName) profile -o app.profile [options] script.lua [args]
          Run 'script.lua' and write a profile of the run for 'perigee build --profile'.

        usage: \(programName) build script.lua [-o output] [options]
          Compile 'script.lua' and the modules it requires into a standalone executable
          ('\(programName) build --help' lists the options).

        """)
        return 1
    }

    func runChunk(_ vm: LuaVM, _ source: [UInt8], chunkName: String) -> Int32 {
        let (status, f) = vm.load(source, chunkName: chunkName)
        guard status == .ok, let f else { return report(vm, traceback: false) }
        let (callStatus, _) = catchingInterrupts { vm.call(Value(function: f), []) }
        return callStatus == .ok ? 0 : reportUncaught(vm)
    }

    /// The bytes of `path`, or nil after reporting why they cannot be read.
    func readOrReport(_ path: String) -> [UInt8]? {
        switch readSource(path) {
        case .success(let bytes): return bytes
        case .failure(let error):
            writeStandardError("\(programName): \(error.message)\n")
            return nil
        }
    }

    func runFile(_ vm: LuaVM, _ path: String, _ arguments: [String]) -> Int32 {
        guard let source = readOrReport(path) else { return 1 }
        let (status, f) = vm.load(source, chunkName: path == "-" ? "=stdin" : "@" + path)
        guard status == .ok, let f else { return report(vm, traceback: false) }
        let (callStatus, _) = catchingInterrupts { vm.call(Value(function: f), arguments.map { vm.string($0) }) }
        return callStatus == .ok ? 0 : reportUncaught(vm)
    }

    /// An error no pcall caught: a full collection first, as luajit's command line does, then
    /// the message with its traceback.
    func reportUncaught(_ vm: LuaVM) -> Int32 {
        vm.collectAfterUncaughtError()
        return report(vm, traceback: true)
    }

    /// Prints the pending error as `perigee: message` (and the traceback); status 1.
    func report(_ vm: LuaVM, traceback: Bool) -> Int32 {
        writeStandardError(vm.errorReport(programName: programName, traceback: traceback))
        return 1
    }

}
