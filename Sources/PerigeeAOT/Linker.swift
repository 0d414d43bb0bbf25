/// Links object files and the Perigee runtime into a standalone executable with swiftc.
#if canImport(Glibc)
import Glibc
#endif
import CLLVM

/// A link failure with the reason (a missing runtime, or the linker's own output).
public struct LinkError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Links with `swiftc -static-stdlib`: `swiftc` (not `clang`) adds `swiftrt.o`, without which
/// Swift conformance lookups in the runtime silently fail.
public struct Linker {
    /// The name of the runtime's static library, built by `swift build` (product
    /// `PerigeeRuntime`, holding the runtime's and PerigeeFrontend's objects).
    public static let runtimeLibraryName = "libPerigeeRuntime.a"
    /// Names a directory holding the runtime library; it wins over the one next to perigee.
    public static let runtimeDirectoryVariable = "PERIGEE_RUNTIME_DIR"
    /// Names the Swift compiler driver to use instead of `swiftc` from $PATH.
    public static let swiftcVariable = "PERIGEE_SWIFTC"

    public let runtimeDirectory: String
    public let swiftc: String

    public init(runtimeDirectory: String, swiftc: String = Linker.defaultSwiftc) {
        self.runtimeDirectory = runtimeDirectory
        self.swiftc = swiftc
    }

    /// A linker using the runtime found by `findRuntimeDirectory()`.
    public init() throws {
        self.init(runtimeDirectory: try Linker.findRuntimeDirectory())
    }

    public static var defaultSwiftc: String {
        getenv(swiftcVariable).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "swiftc"
    }

    public var runtimeLibrary: String { runtimeDirectory + "/" + Linker.runtimeLibraryName }

    /// The directory of libPerigeeRuntime.a: $PERIGEE_RUNTIME_DIR when set, else the directory
    /// of the running executable. Throws naming both places when neither has the library.
    public static func findRuntimeDirectory() throws -> String {
        try findRuntimeDirectory(variable: getenv(runtimeDirectoryVariable).map { String(cString: $0) },
                                 executableDirectory: executableDirectory())
    }

    /// The lookup of `findRuntimeDirectory()` with both places given explicitly.
    public static func findRuntimeDirectory(variable: String?, executableDirectory: String?) throws -> String {
        let variable = variable.flatMap { $0.isEmpty ? nil : $0 }
        if let dir = variable, access(dir + "/" + runtimeLibraryName, R_OK) == 0 { return dir }
        if let dir = executableDirectory, access(dir + "/" + runtimeLibraryName, R_OK) == 0 { return dir }
        throw LinkError(message: "cannot find the Perigee runtime library \(runtimeLibraryName): looked in "
                        + "$\(runtimeDirectoryVariable) (\(variable ?? "not set")) and in the directory "
                        + "of the running executable (\(executableDirectory ?? "unknown"))")
    }

    /// The directory holding the running executable, from /proc/self/exe.
    static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The swiftc command line that links `objects` into `output`. The whole runtime archive
    /// is linked in, so Swift metadata (conformances) in objects nothing names is never lost;
    /// the FFI's calls need the system's libffi.
    public func arguments(objects: [String], output: String, extra: [String] = []) -> [String] {
        [swiftc, "-static-stdlib"] + Linker.compactLayout + objects
            + ["-Xlinker", "--whole-archive", runtimeLibrary, "-Xlinker", "--no-whole-archive", "-lffi"]
            + extra + ["-o", output]
    }

    /// The lld options `perigee` itself is linked with (runtime/link/swiftc-options and
    /// README.md): the runtime's start-up and usual paths side by side in the section order
    /// of runtime/link/order.txt, packed relative relocations, libstdc++ from its static
    /// archive, no exported symbols, segments aligned to 64 KiB. Empty when the build had no
    /// lld or the source tree's runtime/link is gone (another machine).
    public static let compactLayout: [String] = {
        let directory = String(cString: perigee_link_directory())
        guard !directory.isEmpty, access(directory + "/order.txt", R_OK) == 0,
              let file = fopen(directory + "/swiftc-options", "r") else { return [] }
        defer { fclose(file) }
        var options: [String] = []
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line).split(separator: "\n").first.map(String.init) ?? ""
            if text.isEmpty || text.hasPrefix("#") { continue }
            options.append(text.replacing("$LINK", with: directory))
        }
        return options
    }()

    /// Links `objects` into the executable `output`; throws `LinkError` with swiftc's output.
    public func link(objects: [String], output: String, extra: [String] = []) throws {
        guard access(runtimeLibrary, R_OK) == 0 else {
            throw LinkError(message: "the Perigee runtime library is missing: \(runtimeLibrary)")
        }
        let command = arguments(objects: objects, output: output, extra: extra)
        let result: ProcessResult
        do {
            result = try Subprocess.run(command)
        } catch {
            throw LinkError(message: "cannot start the linker: \(error) (set $\(Linker.swiftcVariable) to a swiftc)")
        }
        guard result.succeeded else {
            let how = result.exitCode.map { "exit status \($0)" } ?? "signal \(result.signal ?? 0)"
            throw LinkError(message: "linking \(output) failed (\(how)): "
                            + command.joined(separator: " ") + "\n" + result.output)
        }
    }
}
