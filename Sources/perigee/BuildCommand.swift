/// `perigee build app.lua [-o app] [-O0..-O3] [--emit-llvm file.ll] [--emit-obj file.o] [-g] [-s] [-j N] [-v] [--strict]`.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeAOT
import PerigeeRuntime

struct BuildCommand {
    let arguments: [String]
    let programName: String

    static let usageText = """
        usage: perigee build script.lua [-o output] [-O0|-O1|-O2|-O3] [--emit-llvm file.ll] [--emit-obj file.o] [-g] [-s] [-j N] [-v] [--strict] [--profile file [--profile-report] [--no-traces|--all-traces]]
          -o output        the executable (default: the script's name without .lua); with
                           --emit-llvm or --emit-obj alone, no executable is linked
          --emit-llvm F    write the optimized LLVM IR to F
          --emit-obj F     write the program's object file to F
          -g               DWARF line information naming the Lua source lines
          -s, --strip      leave the symbol table out of the executable
          -j N, --jobs N   compile on N threads (default: one per processor for large programs;
                           one with --emit-llvm, --emit-obj or -g, which describe a single module)
          -v               report the modules compiled in and each step
          --profile F      specialize the code on the recorded run F ('perigee profile'):
                           guarded fast paths for the types and callees it saw; a profile
                           that is unreadable or of another source is a warning
                           and the traces its JIT compiled, compiled in
          --profile-report say what the profile specialized and what it could not, and why
          --no-traces      use the profile's feedback but not its traces
          --all-traces     compile in every portable trace, also those the recorded run says
                           would not pay (to test the traces themselves)
          --strict         fail when a required module cannot be found or compiled (otherwise
                           a warning, and require raises the error when the program runs)

        """

    func run() -> Int32 {
        var input: String? = nil
        var output: String? = nil
        var optimization = 2
        var emitLLVM: String? = nil
        var emitObject: String? = nil
        var verbose = false
        var debugInfo = false
        var strip = false
        var strict = false
        var jobs: Int? = nil
        var profile: String? = nil
        var profileReport = false
        var noTraces = false
        var allTraces = false
        var i = 0
        func value(_ option: String) -> String? {
            guard i + 1 < arguments.count else { return nil }
            i += 1
            return arguments[i]
        }
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "-o":
                guard let v = value(a) else { return usage("'-o' needs an argument") }
                output = v
            case "--emit-llvm":
                guard let v = value(a) else { return usage("'--emit-llvm' needs an argument") }
                emitLLVM = v
            case "--emit-obj":
                guard let v = value(a) else { return usage("'--emit-obj' needs an argument") }
                emitObject = v
            case "-O0", "-O1", "-O2", "-O3":
                optimization = Int(String(a.dropFirst(2)))!
            case "-O":
                optimization = 2
            case "-v":
                verbose = true
            case "-g":
                debugInfo = true
            case "-s", "--strip":
                strip = true
            case "--strict":
                strict = true
            case "--profile":
                guard let v = value(a) else { return usage("'--profile' needs a file") }
                profile = v
            case "--profile-report":
                profileReport = true
            case "--no-traces":
                noTraces = true
            case "--all-traces":
                allTraces = true
            case "-j", "--jobs":
                guard let v = value(a), let n = Int(v), n >= 1, n <= 64 else {
                    return usage("'\(a)' needs a number of threads from 1 to 64")
                }
                jobs = n
            case "-h", "--help":
                writeStandardOutput(BuildCommand.usageText)
                return 0
            default:
                if a.hasPrefix("-") && a != "-" { return usage("unrecognized option '\(a)'") }
                guard input == nil else { return usage("more than one input file ('\(input!)' and '\(a)')") }
                input = a
            }
            i += 1
        }
        guard let input else { return usage("no input file") }
        var options = BuildOptions(input: input, output: output ?? BuildCommand.defaultOutput(for: input))
        options.optimization = optimization
        options.emitLLVM = emitLLVM
        options.emitObject = emitObject
        options.verbose = verbose
        options.debugInfo = debugInfo
        options.jobs = jobs
        options.strip = strip
        options.strict = strict
        options.profile = profile
        if profileReport && profile == nil { return usage("'--profile-report' needs '--profile file'") }
        if noTraces && profile == nil { return usage("'--no-traces' needs '--profile file'") }
        if allTraces && (profile == nil || noTraces) { return usage("'--all-traces' needs '--profile file' (and no '--no-traces')") }
        options.profileTraces = !noTraces
        options.everyTrace = allTraces
        options.link = output != nil || (emitLLVM == nil && emitObject == nil)
        var build = ProgramBuild(options: options) { path in
            if case .success(let bytes) = readSource(path) { return bytes }
            return nil
        }
        var failure: Error? = nil
        do { try build.run() } catch { failure = error }
        if verbose { for line in build.log { writeStandardError("\(programName): \(line)\n") } }
        for warning in build.warnings { writeStandardError("\(programName): warning: \(warning)\n") }
        for problem in build.profileProblems { writeStandardError("\(programName): \(profile ?? ""): \(problem)\n") }
        if profileReport {
            for line in build.profileReport { writeStandardOutput("profile: \(line)\n") }
            if build.profileReport.isEmpty && failure == nil {
                writeStandardOutput("profile: nothing specialized: the profile does not apply to this program\n")
            }
        }
        if let failure {
            writeStandardError("\(programName): \(failure)\n")
            return 1
        }
        return 0
    }

    /// `dir/app.lua` builds `app` in the current directory.
    static func defaultOutput(for input: String) -> String {
        let file = input.split(separator: "/").last.map(String.init) ?? input
        if file.hasSuffix(".lua") && file.count > 4 { return String(file.dropLast(4)) }
        return file + ".out"
    }

    func usage(_ problem: String) -> Int32 {
        writeStandardError("\(programName): \(problem)\n" + BuildCommand.usageText)
        return 1
    }
}
