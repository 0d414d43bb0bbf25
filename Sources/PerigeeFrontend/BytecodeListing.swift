/// The bytecode listing of `perigee -bl`, laid out as `luajit -bl` prints it: nested
/// functions first, one line per instruction with constants and jump targets annotated.
#if canImport(Glibc)
import Glibc
#endif

/// Lists `proto` and, before it, every function nested in it.
public func listBytecode(_ proto: Prototype) -> String {
    var out = ""
    listBytecode(proto, into: &out)
    return out
}

private func listBytecode(_ proto: Prototype, into out: inout String) {
    for child in proto.children { listBytecode(child, into: &out) }
    out += "-- BYTECODE -- \(location(proto))-\(proto.lastLine)\n"
    var targets = Set<Int>()
    for (pc, ins) in proto.bytecode.enumerated() where pc > 0 && ins.opcode.format.cd == .jump {
        targets.insert(pc + Int(ins.jump) + 1)
    }
    for pc in 1..<proto.bytecode.count {
        out += instructionLine(proto, pc, isTarget: targets.contains(pc))
    }
    out += "\n"
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
func instructionLine(_ proto: Prototype, _ pc: Int, isTarget: Bool) -> String {
    let ins = proto.bytecode[pc]
    let op = ins.opcode
    let (ma, mb, mc, _) = op.format
    var s = pad(String(pc), 4).replacingZeros() + " " + (isTarget ? "=>" : "  ") + " "
    s += pad(op.name, 6, left: true) + " " + pad(ma == .none ? "" : String(ins.a), 3) + " "
    if mc == .jump {
        return s + "=> " + pad(String(pc + Int(ins.jump) + 1), 4).replacingZeros() + "\n"
    }
    var d = Int(ins.d)
    if mb != .none {
        d &= 0xff
    } else if mc == .none {
        return s + "\n"
    }
    var annotation: String? = nil
    switch mc {
    case .string:
        if case .string(let id) = proto.gcConstants[d] { annotation = quotedConstant(proto.strings.bytes(of: id)) }
    case .number:
        var n = proto.numberConstants[d]
        if op == .TSETM { n -= 4_503_599_627_370_496 }  // 2^52 bias of the start index
        annotation = formatNumber(n)
    case .function:
        if case .function(let child) = proto.gcConstants[d] { annotation = location(child) }
    case .upvalue:
        annotation = upvalueName(proto, d)
    default:
        break
    }
    if ma == .upvalue {
        let name = upvalueName(proto, Int(ins.a))
        annotation = annotation.map { name + " ; " + $0 } ?? name
    }
    if mb != .none {
        let bc = pad(String(ins.b), 3) + " " + pad(String(d), 3)
        if let annotation { return s + bc + "  ; " + annotation + "\n" }
        return s + bc + "\n"
    }
    if let annotation { return s + pad(String(d), 3) + "      ; " + annotation + "\n" }
    if mc == .signedLiteral && d > 32767 { d -= 65536 }
    return s + pad(String(d), 3) + "\n"
}

private extension String {
    /// Pads a right-aligned number with zeros instead of spaces (`%04d`).
    func replacingZeros() -> String { String(map { $0 == " " ? "0" : $0 }) }
}

private func upvalueName(_ proto: Prototype, _ index: Int) -> String {
    index < proto.upvalueNames.count ? proto.strings.string(proto.upvalueNames[index]) : ""
}

/// A string constant quoted, control characters escaped, cut after 40 characters.
private func quotedConstant(_ bytes: ArraySlice<UInt8>) -> String {
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
    if bytes.count > 40 {
        return "\"" + String(decoding: escaped.prefix(40), as: UTF8.self) + "\"~"
    }
    return "\"" + String(decoding: escaped, as: UTF8.self) + "\""
}

/// A number as Lua prints it (`%.14g`).
public func formatNumber(_ n: Double) -> String {
    if n.isNaN { return "nan" }
    if n.isInfinite { return n < 0 ? "-inf" : "inf" }
    var buffer = [CChar](repeating: 0, count: 32)
    _ = withVaList([n]) { vsnprintf(&buffer, 32, "%.14g", $0) }
    return String(cString: buffer)
}
