/// The binary form of compiled chunks (`perigee -b`, `string.dump`): a versioned header,
/// then every prototype after its children, each with bytecode, constants and debug info.
///
/// Layout: "\x1bPG", format version, chunk name; then per prototype a ULEB128 byte size and
/// its body; a zero size ends the chunk. Numbers in bodies are ULEB128 unless noted.
public let bytecodeDumpVersion: UInt8 = 1
public let bytecodeDumpSignature: [UInt8] = [0x1b, 0x50, 0x47]

/// Constant tags in a dumped prototype.
enum DumpTag: UInt8 {
    case child = 0, table = 1, int64 = 2, uint64 = 3, imaginary = 4, string = 5
}

/// Template value tags.
enum DumpTemplateTag: UInt8 {
    case `nil` = 0, `false` = 1, `true` = 2, number = 3, string = 4
}

public func dumpBytecode(_ proto: Prototype, stripDebugInfo: Bool = false) -> [UInt8] {
    var out = DumpWriter()
    var body = DumpWriter()
    defer {
        out.bytes.deallocate()
        body.bytes.deallocate()
    }
    out.bytes.append(contentsOf: bytecodeDumpSignature)
    out.bytes.append(bytecodeDumpVersion)
    out.bytes.append(stripDebugInfo ? 1 : 0)
    out.string(ArraySlice(proto.chunkName.utf8))
    dumpPrototype(proto, into: &out, body: &body, strip: stripDebugInfo)
    out.uleb(0)
    return out.bytes.array
}

/// Writes `proto` after its children; `body` is scratch space reused for every prototype.
private func dumpPrototype(_ proto: Prototype, into out: inout DumpWriter, body: inout DumpWriter, strip: Bool) {
    for child in proto.children { dumpPrototype(child, into: &out, body: &body, strip: strip) }
    body.bytes.removeAll()
    let strings = proto.strings
    body.bytes.append(proto.flags.rawValue)
    body.bytes.append(proto.parameterCount)
    body.bytes.append(proto.frameSize)
    body.uleb(UInt64(proto.upvalues.count))
    body.uleb(UInt64(proto.gcConstants.count))
    body.uleb(UInt64(proto.numberConstants.count))
    body.uleb(UInt64(proto.bytecode.count))
    body.uleb(UInt64(proto.firstLine))
    body.uleb(UInt64(proto.lastLine - proto.firstLine))
    // Instructions in host order: every supported host (x86-64, arm64) is little-endian.
    proto.bytecode.withUnsafeBytes { body.bytes.append(contentsOf: $0) }
    for uv in proto.upvalues { body.uleb(UInt64(uv)) }
    for k in proto.gcConstants {
        switch k {
        case .function:
            body.bytes.append(DumpTag.child.rawValue)
        case .string(let id):
            body.bytes.append(DumpTag.string.rawValue)
            body.string(strings.bytes(of: id))
        case .table(let t):
            body.bytes.append(DumpTag.table.rawValue)
            body.uleb(UInt64(t.arraySize))
            body.uleb(UInt64(t.hashSizeLog2))
            body.uleb(UInt64(t.entries.count))
            for (key, value) in t.entries {
                body.templateValue(key, strings)
                body.templateValue(value, strings)
            }
        case .int64(let v):
            body.bytes.append(DumpTag.int64.rawValue)
            body.u64(UInt64(bitPattern: v))
        case .uint64(let v):
            body.bytes.append(DumpTag.uint64.rawValue)
            body.u64(v)
        case .imaginary(let v):
            body.bytes.append(DumpTag.imaginary.rawValue)
            body.u64(v.bitPattern)
        }
    }
    for n in proto.numberConstants { body.u64(n.bitPattern) }
    if !strip {
        for line in proto.lines { body.uleb(UInt64(UInt32(bitPattern: line - proto.firstLine))) }
        for name in proto.upvalueNames { body.string(strings.bytes(of: name)) }
        body.uleb(UInt64(proto.locals.count))
        for v in proto.locals {
            body.string(strings.bytes(of: v.name))
            body.uleb(UInt64(v.startPC))
            body.uleb(UInt64(v.endPC))
            body.bytes.append(v.slot)
        }
    }
    out.uleb(UInt64(body.bytes.count))
    out.bytes.append(contentsOf: UnsafeBufferPointer(start: body.bytes.base, count: body.bytes.count))
}

/// Bytes being written; the owner deallocates `bytes`.
struct DumpWriter {
    var bytes = GrowableBuffer<UInt8>(capacity: 4096)

    @inline(__always) mutating func uleb(_ v: UInt64) {
        if v < 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v))
            return
        }
        ulebLong(v)
    }

    private mutating func ulebLong(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    mutating func u64(_ v: UInt64) {
        u32(UInt32(truncatingIfNeeded: v))
        u32(UInt32(truncatingIfNeeded: v >> 32))
    }

    mutating func string(_ s: ArraySlice<UInt8>) {
        uleb(UInt64(s.count))
        bytes.append(contentsOf: s)
    }

    mutating func templateValue(_ v: TemplateValue, _ strings: StringPool) {
        switch v {
        case .nil: bytes.append(DumpTemplateTag.nil.rawValue)
        case .false: bytes.append(DumpTemplateTag.false.rawValue)
        case .true: bytes.append(DumpTemplateTag.true.rawValue)
        case .number(let n):
            bytes.append(DumpTemplateTag.number.rawValue)
            u64(n.bitPattern)
        case .string(let id):
            bytes.append(DumpTemplateTag.string.rawValue)
            string(strings.bytes(of: id))
        }
    }
}
