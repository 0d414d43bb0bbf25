/// `PERIGEE_PERF_MAP=1`: each compiled trace is named in `/tmp/perf-PID.map`, the file `perf
/// report` reads to name code it finds in no binary, so a profile shows time per trace
/// (`perf-trace-N file:line`) instead of bare addresses.
import Glibc

enum PerfMap {
    static let enabled = getenv("PERIGEE_PERF_MAP").map { String(cString: $0) != "0" } ?? false

    /// Appends trace `number`'s entry and an upper bound of its code size (its object file's).
    static func record(entry: UnsafeRawPointer, bytes: Int, number: Int, start: String) {
        guard enabled, let file = fopen("/tmp/perf-\(getpid()).map", "a") else { return }
        let address = String(UInt(bitPattern: entry), radix: 16), size = String(bytes, radix: 16)
        fputs("\(address) \(size) perf-trace-\(number) \(start)\n", file)
        fclose(file)
    }
}
