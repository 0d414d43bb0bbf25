/// `perigee profile -o app.profile [options] app.lua [args]` runs a program (interpreter and
/// JIT, as `perigee app.lua` does) and writes what it saw; `perigee --profile-out=FILE` is
/// the same as an option of the ordinary command line. `perigee profile --merge a b -o all`
/// merges profiles of several runs.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeJIT
import PerigeeProfile
import PerigeeRuntime

struct ProfileCommand {
    let arguments: [String]
    let programName: String

    static let usageText = """
        usage: perigee profile -o app.profile [options] script.lua [args]
               perigee profile --merge a.profile b.profile ... -o all.profile
          Runs 'script.lua' as 'perigee' does (the options are perigee's) and writes the
          profile of the run; 'perigee build script.lua --profile app.profile' uses it.
          With --merge, writes the union of the profiles given (runs of the same program).

        """

    func run() -> Int32 {
        var output: String? = nil
        var merging = false
        var inputs: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "-o" {
                guard i + 1 < arguments.count else { return usage("'-o' needs an argument") }
                output = arguments[i + 1]
                i += 2
                continue
            }
            if a == "--merge" { merging = true; i += 1; continue }
            if a == "-h" || a == "--help" {
                writeStandardOutput(ProfileCommand.usageText)
                return 0
            }
            if merging {
                inputs.append(a)
                i += 1
                continue
            }
            break
        }
        guard let output else { return usage("no profile to write (-o file)") }
        if merging {
            guard i == arguments.count, !inputs.isEmpty else { return usage("--merge needs the profiles to merge") }
            return merge(inputs, into: output)
        }
        return CommandLineDriver(arguments: Array(arguments[i...]), profileOutput: output).run()
    }

    func merge(_ paths: [String], into output: String) -> Int32 {
        var merged: Profile? = nil
        for path in paths {
            guard case .success(let bytes) = readSource(path) else {
                writeStandardError("\(programName): cannot open \(path)\n")
                return 1
            }
            do {
                let p = try ProfileFormat.read(bytes)
                if merged == nil { merged = p } else { merged!.merge(p) }
            } catch {
                writeStandardError("\(programName): \(path): \(error)\n")
                return 1
            }
        }
        return writeProfile(merged!, to: output, programName: programName) ? 0 : 1
    }

    func usage(_ problem: String) -> Int32 {
        writeStandardError("\(programName): \(problem)\n" + ProfileCommand.usageText)
        return 1
    }
}

/// Writes `profile` to `path`; false after saying why it could not.
func writeProfile(_ profile: Profile, to path: String, programName: String) -> Bool {
    let text = ProfileFormat.write(profile)
    guard let file = fopen(path, "wb") else {
        writeStandardError("\(programName): cannot write \(path): \(String(cString: strerror(errno)))\n")
        return false
    }
    var bytes = Array(text.utf8)
    let written = fwrite(&bytes, 1, bytes.count, file)
    let closed = fclose(file)
    guard written == bytes.count, closed == 0 else {
        writeStandardError("\(programName): cannot write \(path)\n")
        return false
    }
    return true
}

/// The collection of one run's profile, written once: at the end of the run, or when
/// `os.exit` ends the process first.
final class ProfileRecording {
    let collector = ProfileCollector()
    let path: String
    let programName: String
    private var written = false

    init(path: String, programName: String) {
        self.path = path
        self.programName = programName
    }

    /// A profiled run compiles its traces in line (`-Ocompilethread=0`): each runs from the
    /// moment it is recorded, so the profile sees how much of the program's work it did
    /// (which `perigee build --profile` weighs), also on small inputs.
    func start(_ vm: LuaVM, _ jit: TraceJIT) {
        _ = vm.traces.onOptions?(["compilethread=0"])
        jit.traceObserver = { [collector] trace in collector.traces.append(trace) }
        let before = vm.traces.beforeExit
        vm.traces.beforeExit = { [self] in
            before?()
            _ = finish()
        }
        collector.start()
    }

    /// Stops collecting and writes the file (once); false when it could not be written.
    func finish() -> Bool {
        guard !written else { return true }
        written = true
        collector.stop()
        return writeProfile(Profile(collected: collector), to: path, programName: programName)
    }
}
