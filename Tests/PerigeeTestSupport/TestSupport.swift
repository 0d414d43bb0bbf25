/// Helpers shared by the LLVM and AOT tests: build folder, temporary folders, child test processes.
import Glibc
import PerigeeAOT

public enum TestSupport {
    /// The running test executable (the .xctest bundle), from /proc/self/exe.
    public static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        precondition(count > 0, "cannot read /proc/self/exe")
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The build folder (`.build*/debug` or `release`): perigee and libPerigeeRuntime.a live here.
    public static var buildDirectory: String {
        let path = executablePath
        return String(path[..<path.lastIndex(of: "/")!])
    }

    /// A fresh empty folder under $TMPDIR or /tmp.
    public static func temporaryDirectory() -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((base + "/perigee-llvm-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed") }
        return String(cString: made)
    }

    public static func removeTree(_ path: String) {
        _ = try? Subprocess.run(["rm", "-rf", path])
    }

    public static func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return bytes
    }

    /// The mapped files of this process, as /proc/self/maps lists them.
    public static func mappedFiles() -> String {
        String(decoding: readFile("/proc/self/maps") ?? [], as: UTF8.self)
    }

    /// The variable that turns a probe test (a no-op in a normal run) into a real check.
    public static let probeVariable = "PERIGEE_LLVM_TEST_PROBE"

    /// True when this process is a child started by `runProbe` for `name`.
    public static func isProbe(_ name: String) -> Bool {
        getenv(probeVariable).map { String(cString: $0) } == name
    }

    /// Runs the single test `test` ("Class/testName") in a fresh copy of this test executable,
    /// with the probe variable set to `test` plus `environment`; returns its exit and output.
    public static func runProbe(_ test: String, environment: [String] = []) throws -> ProcessResult {
        try Subprocess.run([executablePath, "PerigeeLLVMTests.\(test)"],
                           environment: ["\(probeVariable)=\(test)"] + environment)
    }
}
