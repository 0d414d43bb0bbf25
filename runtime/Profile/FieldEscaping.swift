/// Names as single fields of the text files Perigee writes (profiles, trace code, the
/// descriptors of traces compiled into executables): every byte at or below space, at or
/// above 0x7F, and `%` itself is written `%XX`; nothing at all is `%`.

/// `bytes` as one field.
public func escapeField<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    let hex = Array("0123456789ABCDEF")
    var out = ""
    for byte in bytes {
        if byte <= 0x20 || byte >= 0x7f || byte == 0x25 {
            out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
        } else {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        }
    }
    return out.isEmpty ? "%" : out
}

/// The bytes of a field, or nil when an escape is malformed.
public func unescapeField(_ field: Substring) -> [UInt8]? {
    if field == "%" { return [] }
    func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
    var out: [UInt8] = []
    var bytes = Array(field.utf8)[...]
    while let b = bytes.popFirst() {
        if b == 0x25 {
            guard bytes.count >= 2, let hi = hexValue(bytes[bytes.startIndex]),
                  let lo = hexValue(bytes[bytes.startIndex + 1]) else { return nil }
            out.append(hi << 4 | lo)
            bytes = bytes.dropFirst(2)
        } else {
            out.append(b)
        }
    }
    return out
}
