/// Reading whole files and standard input as bytes, with the C library only.
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of `path` ("-" reads standard input), or the C library's error message.
func readSource(_ path: String) -> Result<[UInt8], SourceReadError> {
    let file: UnsafeMutablePointer<FILE>? = path == "-" ? stdin : fopen(path, "rb")
    guard let file else {
        return .failure(SourceReadError(message: "cannot open \(path): \(String(cString: strerror(errno)))"))
    }
    defer { if path != "-" { fclose(file) } }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count {
            if ferror(file) != 0 { return .failure(SourceReadError(message: "cannot read \(path)")) }
            break
        }
    }
    return .success(bytes)
}

struct SourceReadError: Error {
    let message: String
}



func writeStandardOutput(_ s: String) {
    var s = s
    s.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
}
