/// PerigeeRuntime: values, GC, objects, interpreter, libraries, and the ABI for compiled code.
/// It never imports LLVM and never imports Foundation (it is linked into every AOT executable).

/// The version string every Perigee binary reports, exported for compiled programs.
public let perigeeVersion = "Perigee 0.1.0"

@_cdecl("perigee_runtime_version")
public func perigeeRuntimeVersion() -> UnsafePointer<CChar> {
    return perigeeVersionCString
}

private let perigeeVersionCString: UnsafePointer<CChar> = {
    let bytes = Array(perigeeVersion.utf8CString)
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
    buffer.initialize(from: bytes, count: bytes.count)
    return UnsafePointer(buffer)
}()
