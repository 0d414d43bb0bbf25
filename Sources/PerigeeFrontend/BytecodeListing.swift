/// The bytecode listing of `perigee -bl`, laid out as `luajit -bl` prints it: nested
/// functions first, one line per instruction with constants and jump targets annotated.
#if canImport(Glibc)
import Glibc
#endif

/// Lists `proto` and, before it, every function nested in it. Bytes, not text: string
/// constants are shown as they are.
public func listBytecode(_ proto: Prototype) -> [UInt8] {
    var out: [UInt8] = []
    listBytecode(proto, into: &out)
    return out
}

private func listBytecode(_ proto: Prototype, into out: inout [UInt8]) {
    for child in proto.children { listBytecode(child, into: &out) }
    out += "-- BYTECODE -- \(location(proto))-\(proto.lastLine)\n".utf8
    var targets = Set<Int>()
    for (pc, ins) in proto.bytecode.enumerated() where pc > 0 && ins.opcode.format.cd == .jump {
        targets.insert(pc + Int(ins.jump) + 1)
    }
    for pc in 1..<proto.bytecode.count {
        out += instructionLine(proto, pc, isTarget: targets.contains(pc))
    }
    out.append(10)
}

private func location(_ proto: Prototype) -> String {
    "\(shortChunkName(proto.chunkName)):\(proto.firstLine)"
}

private func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
    let n = s.utf8.count
    if n >= width { return s }
    let spaces = String(repeating: " ", count: width - n)
    return left ? s + spaces : spaces + s
}

/// One listing line: `pc [=>] NAME A [B] C/D [; annotation]`.
func instructionLine(_ proto: Prototype, _ pc: Int, isTarget: Bool) -> [UInt8] {
    let ins = proto.bytecode[pc]
    let op = ins.opcode
    let (ma, mb, mc, _) = op.format
    var s = pad(String(pc), 4).replacingZeros() + " " + (isTarget ? "=>" : "  ") + " "
    s += pad(op.name, 6, left: true) + " " + pad(ma == .none ? "" : String(ins.a), 3) + " "
    if mc == .jump {
        return Array((s + "=> " + pad(String(pc + Int(ins.jump) + 1), 4).replacingZeros() + "\n").utf8)
    }
    var d = Int(ins.d)
    if mb != .none {
        d &= 0xff
    } else if mc == .none {
        return Array((s + "\n").utf8)
    }
    var annotation: [UInt8]? = nil
    switch mc {
    case .string:
        if case .string(let id) = proto.gcConstants[d] { annotation = quotedConstant(proto.strings.bytes(of: id)) }
    case .number:
        var n = proto.numberConstants[d]
        if op == .TSETM { n -= 4_503_599_627_370_496 }  // 2^52 bias of the start index
        annotation = Array(formatNumber(n).utf8)
    case .function:
        if case .function(let child) = proto.gcConstants[d] { annotation = Array(location(child).utf8) }
    case .upvalue:
        annotation = upvalueName(proto, d)
    default:
        break
    }
    if ma == .upvalue {
        let name = upvalueName(proto, Int(ins.a))
        annotation = annotation.map { name + Array(" ; ".utf8) + $0 } ?? name
    }
    var line = Array(s.utf8)
    if mb != .none {
        line += (pad(String(ins.b), 3) + " " + pad(String(d), 3)).utf8
        if let annotation { line += "  ; ".utf8; line += annotation }
    } else if let annotation {
        line += (pad(String(d), 3) + "      ; ").utf8
        line += annotation
    } else {
        if mc == .signedLiteral && d > 32767 { d -= 65536 }
        line += pad(String(d), 3).utf8
    }
    line.append(10)
    return line
}

private extension String {
    /// Pads a right-aligned number with zeros instead of spaces (`%04d`).
    func replacingZeros() -> String { String(map { $0 == " " ? "0" : $0 }) }
}

private func upvalueName(_ proto: Prototype, _ index: Int) -> [UInt8] {
    index < proto.upvalueNames.count ? Array(proto.strings.bytes(of: proto.upvalueNames[index])) : []
}

/// A string constant quoted, control characters escaped, cut after 40 characters.
private func quotedConstant(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
    var escaped: [UInt8] = []
    for b in bytes {
        switch b {
        case 10: escaped += [92, 110]
        case 13: escaped += [92, 114]
        case 9: escaped += [92, 116]
        case 0..<32, 127: escaped += Array(("\\" + pad(String(b), 3).replacingZeros()).utf8)
        default: escaped.append(b)
        }
    }
    if bytes.count > 40 { return [34] + escaped.prefix(40) + [34, 126] }
    return [34] + escaped + [34]
}

/// A number as Lua prints it (`%.14g`).
public func formatNumber(_ n: Double) -> String {
    if n.isNaN { return "nan" }
    if n.isInfinite { return n < 0 ? "-inf" : "inf" }
    var buffer = [CChar](repeating: 0, count: 32)
    _ = withVaList([n]) { vsnprintf(&buffer, 32, "%.14g", $0) }
    return String(cString: buffer)
}
