/// Runs a program with posix_spawn and collects its combined output and exit status.
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    /// The exit code, or nil when the process was killed by a signal.
    public let exitCode: Int32?
    /// The signal that ended the process, if any.
    public let signal: Int32?
    /// Standard output and standard error, interleaved as written.
    public let output: String

    public var succeeded: Bool { exitCode == 0 }
}

/// A failure to start a child process.
public struct SpawnError: Error, CustomStringConvertible {
    public let program: String
    public let code: Int32
    public var description: String { "cannot run '\(program)': \(String(cString: strerror(code)))" }
}

public enum Subprocess {
    /// Runs `arguments[0]` (searched in $PATH when it has no slash) with `arguments`, in the
    /// current environment plus `environment` ("NAME=value" entries, which win), and waits.
    public static func run(_ arguments: [String], environment: [String] = []) throws -> ProcessResult {
        precondition(!arguments.isEmpty, "Subprocess.run needs a program")
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SpawnError(program: arguments[0], code: errno) }
        // Close-on-exec, so children spawned by other threads do not hold the write end open.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[1])

        var env = environment
        let overridden = Set(environment.map { $0.split(separator: "=", maxSplits: 1)[0] })
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if !overridden.contains(text.split(separator: "=", maxSplits: 1)[0]) { env.append(text) }
            entry += 1
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        var pid: pid_t = 0
        let code = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        close(fds[1])
        guard code == 0 else {
            close(fds[0])
            throw SpawnError(program: arguments[0], code: code)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fds[0], &chunk, chunk.count)
            if count > 0 { bytes += chunk[0..<count]; continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = String(decoding: bytes, as: UTF8.self)
        let signal = status & 0x7f
        return signal == 0
            ? ProcessResult(exitCode: (status >> 8) & 0xff, signal: nil, output: output)
            : ProcessResult(exitCode: nil, signal: signal, output: output)
    }
}
