/// How a memory limit is written: on the command line (`perigee --memory-limit=SIZE`) and in
/// the environment of a built executable (`PERIGEE_MEMORY_LIMIT=SIZE`).
import Glibc

/// The environment variable a built executable reads its memory limit from.
public let memoryLimitVariable = "PERIGEE_MEMORY_LIMIT"

/// Bytes in `text`: digits with an optional `k`, `m` or `g` suffix (powers of 1024); nil
/// for anything else, zero, or a size past `Int.max`.
public func parseMemorySize(_ text: String) -> Int? {
    var digits = Substring(text)
    var scale = 1
    switch text.last {
    case "k", "K": scale = 1 << 10
    case "m", "M": scale = 1 << 20
    case "g", "G": scale = 1 << 30
    default: break
    }
    if scale > 1 { digits = digits.dropLast() }
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits), n > 0 else { return nil }
    let (bytes, overflow) = n.multipliedReportingOverflow(by: scale)
    return overflow ? nil : bytes
}

/// The limit `PERIGEE_MEMORY_LIMIT` sets: 0 when it is not set, nil when it is malformed.
public func memoryLimitFromEnvironment() -> Int? {
    guard let raw = getenv(memoryLimitVariable) else { return 0 }
    return parseMemorySize(String(cString: raw))
}
