/// Which Swift handler runs each opcode in the interpreter's threaded dispatch. The C stubs
/// (Sources/CSupport/DispatchTable.h) are generated from this table and `Opcode`'s order by
/// `dispatchTableSource()`; a test fails when the committed header is stale.
import PerigeeFrontend

extension Opcode {
    /// The handler (`perigee_op_<name>`) that runs this opcode: its own, the plain form's for
    /// the interpreter-only variants and the trace entries the JIT does not patch in yet, or
    /// `cold` for the rare instructions, which share one handler.
    public var dispatchHandler: String {
        switch self {
        case .ISTYPE, .ISNUM, .CAT, .KCDATA, .USETS, .USETN, .USETP, .FNEW, .GSET,
             .VARG, .ISNEXT, .FUNCC, .FUNCCW:
            return "cold"
        case .TDUP: return Opcode.TNEW.name
        case .TGETR: return Opcode.TGETV.name
        case .TSETR: return Opcode.TSETV.name
        case .CALLMT: return Opcode.CALLT.name
        case .JFORL, .JLOOP, .JITERL, .JFUNCF: return name
        default: return variants?.plain.name ?? name
        }
    }
}

/// The text of Sources/CSupport/DispatchTable.h: the opcode list with each opcode's handler,
/// the distinct handlers, and the fill of the 256-entry stub table.
public func dispatchTableSource() -> String {
    var lines = [
        "// GENERATED from Opcode (Sources/PerigeeFrontend/Bytecode.swift) and Opcode.dispatchHandler",
        "// (runtime/Interpreter/DispatchTable.swift). DO NOT EDIT: run Utilities/generate-dispatch-table.",
        "",
        "#define OPCODE_COUNT \(Opcode.allCases.count)",
        "",
        "// Each opcode, in bytecode order, with the handler that runs it.",
        "#define OPCODES(X) \\",
    ]
    for op in Opcode.allCases { lines.append("    X(\(op.name), \(op.dispatchHandler)) \\") }
    lines.append("")
    var seen: Set<String> = []
    let handlers = Opcode.allCases.map(\.dispatchHandler).filter { seen.insert($0).inserted }
    lines.append("// The distinct handlers.")
    lines.append("#define HANDLERS(X) \\")
    for h in handlers { lines.append("    X(\(h)) \\") }
    lines.append("")
    lines.append("// Opcode bytes past the last opcode: the unknown-opcode stub.")
    lines.append("#define UNKNOWN_OPCODES(X) \\")
    for _ in Opcode.allCases.count..<256 { lines.append("    X \\") }
    lines.append("")
    return lines.joined(separator: "\n")
}
