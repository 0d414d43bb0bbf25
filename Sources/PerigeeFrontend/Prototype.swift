/// A compiled function as the frontend hands it on: bytecode, constants, upvalue descriptors
/// and the debug information (lines, local names and live ranges) for messages and `debug`.

/// A constant that a table template may hold.
public enum TemplateValue: Equatable {
    case `nil`, `false`, `true`
    case number(Double)
    case string(StringID)
}

/// The constant part of a table constructor, duplicated by `TDUP`. Entries keep their
/// insertion order; a `nil` value marks a key whose value is stored by later instructions.
public struct TableTemplate {
    /// The sizes LuaJIT gives the template (see `TemplateSizing`); the array size counts
    /// LuaJIT's slot 0.
    public var arraySize: Int
    public var hashSizeLog2: Int
    public var entries: [(key: TemplateValue, value: TemplateValue)]
}

/// A garbage-collected constant, addressed by the D operand of KSTR, FNEW, TDUP, KCDATA and
/// the string operands of other instructions.
public enum GCConstant {
    case string(StringID)
    case function(Prototype)
    case table(TableTemplate)
    case int64(Int64)
    case uint64(UInt64)
    case imaginary(Double)
}

/// Names and live range of one local variable (`startPC` ..< `endPC`).
public struct LocalVariableInfo {
    public var name: StringID
    public var startPC: Int32
    public var endPC: Int32
    public var slot: UInt8
}

public struct PrototypeFlags: OptionSet {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Contains a closure (FNEW), so returns may need to close upvalues.
    public static let hasChild = PrototypeFlags(rawValue: 0x01)
    public static let vararg = PrototypeFlags(rawValue: 0x02)
    /// Uses FFI constants (KCDATA).
    public static let usesFFI = PrototypeFlags(rawValue: 0x04)
    static let hasReturn = PrototypeFlags(rawValue: 0x20)
    static let fixupReturn = PrototypeFlags(rawValue: 0x40)
}

/// Upvalue descriptor bits: the upvalue is a local of the enclosing function (slot in the low
/// byte), and that local is never assigned after capture.
public let upvalueIsLocal: UInt16 = 0x8000
public let upvalueIsImmutable: UInt16 = 0x4000

public final class Prototype {
    /// Instruction 0 is the function header (FUNCF/FUNCV, A = frame size).
    public internal(set) var bytecode: [Instruction]
    /// Source line of each instruction.
    public internal(set) var lines: [Int32]
    public internal(set) var gcConstants: [GCConstant]
    public internal(set) var numberConstants: [Double]
    /// Per upvalue: `upvalueIsLocal | slot` (maybe `| upvalueIsImmutable`) or the enclosing
    /// function's upvalue index.
    public internal(set) var upvalues: [UInt16]
    public internal(set) var upvalueNames: [StringID]
    /// Upvalue sources while the enclosing function is still being parsed.
    var pendingUpvalueSources: [UInt32] = []
    public internal(set) var locals: [LocalVariableInfo]
    public internal(set) var parameterCount: UInt8
    public internal(set) var frameSize: UInt8
    public internal(set) var flags: PrototypeFlags
    public let firstLine: Int32
    public internal(set) var lastLine: Int32
    /// The chunk name as given (`@file`, `=name` or source text).
    public let chunkName: String
    /// The strings every StringID in this prototype tree refers to.
    public let strings: StringPool

    init(firstLine: Int32, chunkName: String, strings: StringPool) {
        bytecode = []; lines = []; gcConstants = []; numberConstants = []
        upvalues = []; upvalueNames = []; locals = []
        parameterCount = 0; frameSize = 1; flags = []
        self.firstLine = firstLine; lastLine = firstLine
        self.chunkName = chunkName; self.strings = strings
    }

    public var isVararg: Bool { flags.contains(.vararg) }

    /// The nested functions, in constant order.
    public var children: [Prototype] {
        gcConstants.compactMap { if case .function(let p) = $0 { return p } else { return nil } }
    }
}
