/// A Lua value: one 8-byte NaN-boxed word in LuaJIT's GC64 layout, the only place that knows the bits.
///
/// Layout (generated code reads these bits directly):
///
///     any double                  -> a number (its own bits)
///     top 17 bits = itype (u17)   -> itype 0x1FFFF ^ tag, payload = low 47 bits
///
/// The internal type tag `itype` is `~tag` as a 32-bit number, as in LuaJIT: nil=~0, false=~1,
/// true=~2, lightuserdata=~3, string=~4, upvalue=~5, thread=~6, proto=~7, function=~8,
/// trace=~9, cdata=~10, table=~11, userdata=~12. Read as an unsigned 17-bit number
/// (`bits >> 47`), every number is <= 0x1FFF2 (`~13`), every other type is above it, so
/// "is number" is one shift and one unsigned compare. Primitives (nil, false, true) carry an
/// all-ones payload, so `nil` is all ones. x86's default NaN 0xFFF8_0000_0000_0000 has top
/// bits 0x1FFF0 and reads as a number; arithmetic on numbers never produces any other NaN.
public struct Value: Equatable {
    /// The raw word. Read it only to store or compare whole values.
    public var bits: UInt64

    @inline(__always) public init(bits: UInt64) { self.bits = bits }

    /// Bits 47...63 of a tagged value.
    public static let tagShift: UInt64 = 47
    /// Mask of the 47-bit payload (a pointer on x86-64 and arm64 user space).
    public static let payloadMask: UInt64 = (1 << 47) - 1
    /// Largest top-17-bit pattern that still is a number (itype ~13).
    public static let numberLimit: UInt64 = 0x1FFF2
    /// The NaN every NaN a value may not hold is turned into (x86's default NaN).
    public static let canonicalNaN: UInt64 = 0xFFF8_0000_0000_0000

    public static let `nil` = Value(bits: ~0)
    public static let `false` = Value(bits: ~(UInt64(1) << 47))
    public static let `true` = Value(bits: ~(UInt64(2) << 47))

    /// A number from arithmetic or a literal. Does not touch NaNs: use `init(normalizingNaN:)`
    /// for doubles whose bits come from outside (memory, FFI, bit casts).
    @inline(__always) public init(number: Double) { bits = number.bitPattern }

    /// A number whose NaN payload, if any, could collide with a tag: such NaNs become canonical.
    @inline(__always) public init(normalizingNaN number: Double) {
        let b = number.bitPattern
        bits = (b >> Value.tagShift) > Value.numberLimit ? Value.canonicalNaN : b
    }

    @inline(__always) public init(bool: Bool) { self = bool ? .true : .false }

    /// A tagged pointer; `tag` is one of the object tags of `ValueTag`.
    @inline(__always) public init(tag: ValueTag, pointer: UnsafeRawPointer) {
        bits = (UInt64(0x1FFFF ^ tag.rawValue) << Value.tagShift)
            | (UInt64(UInt(bitPattern: pointer)) & Value.payloadMask)
    }

    /// A light userdata: a 47-bit address the GC does not follow.
    @inline(__always) public init(lightUserdata pointer: UnsafeRawPointer) {
        self.init(tag: .lightUserdata, pointer: pointer)
    }

    /// The value that refers to a GC object, tagged by the object's type byte.
    @inline(__always) public init(object: ObjectRef) {
        bits = (UInt64(0x1FFFF ^ UInt32(object.pointee.gct)) << Value.tagShift)
            | (UInt64(UInt(bitPattern: object)) & Value.payloadMask)
    }

    @inline(__always) public init(string: StringRef) { self.init(tag: .string, pointer: string) }
    @inline(__always) public init(table: TableRef) { self.init(tag: .table, pointer: table) }
    @inline(__always) public init(function: FunctionRef) { self.init(tag: .function, pointer: function) }
    @inline(__always) public init(userdata: UserdataRef) { self.init(tag: .userdata, pointer: userdata) }
    @inline(__always) public init(thread: ThreadRef) { self.init(tag: .thread, pointer: thread) }
    @inline(__always) public init(proto: ProtoRef) { self.init(tag: .proto, pointer: proto) }
    @inline(__always) public init(upvalue: UpvalueRef) { self.init(tag: .upvalue, pointer: upvalue) }

    // MARK: type tests

    /// The top 17 bits of a value with tag `tag`.
    @inline(__always) static func tagged(_ tag: ValueTag) -> UInt64 { UInt64(0x1FFFF ^ tag.rawValue) }

    /// The top 17 bits: `0x1FFFF ^ tag` for tagged values, anything <= `numberLimit` for numbers.
    @inline(__always) public var top17: UInt64 { bits >> Value.tagShift }
    @inline(__always) public var isNumber: Bool { top17 <= Value.numberLimit }
    @inline(__always) public var isNil: Bool { bits == ~0 }
    @inline(__always) public var isFalse: Bool { bits == Value.false.bits }
    @inline(__always) public var isTrue: Bool { bits == Value.true.bits }
    @inline(__always) public var isBoolean: Bool { top17 == 0x1FFFE || top17 == 0x1FFFD }
    /// Lua truth: everything but nil and false (their top bits are the two largest).
    @inline(__always) public var isTruthy: Bool { top17 < 0x1FFFE }
    @inline(__always) public var isLightUserdata: Bool { top17 == Value.tagged(.lightUserdata) }
    @inline(__always) public var isString: Bool { top17 == Value.tagged(.string) }
    @inline(__always) public var isTable: Bool { top17 == Value.tagged(.table) }
    @inline(__always) public var isFunction: Bool { top17 == Value.tagged(.function) }
    @inline(__always) public var isUserdata: Bool { top17 == Value.tagged(.userdata) }
    @inline(__always) public var isThread: Bool { top17 == Value.tagged(.thread) }
    @inline(__always) public var isProto: Bool { top17 == Value.tagged(.proto) }
    /// Points at a GC object: tags string (~4) through userdata (~12), one range compare.
    @inline(__always) public var isCollectable: Bool {
        top17 &- UInt64(0x1FFFF ^ ValueTag.userdata.rawValue) <= UInt64(ValueTag.userdata.rawValue - ValueTag.string.rawValue)
    }

    /// The tag of a non-number; meaningless for numbers (test `isNumber` first).
    @inline(__always) public var tag: ValueTag { ValueTag(rawValue: UInt32(top17 ^ 0x1FFFF) & 15)! }

    /// LuaJIT's itype: the top 17 bits sign-extended to 32, `~tag` for tagged values.
    @inline(__always) public var itype: UInt32 { UInt32(truncatingIfNeeded: Int64(bitPattern: bits) >> 47) }

    // MARK: payloads (unchecked: test the type first)

    @inline(__always) public var number: Double { Double(bitPattern: bits) }
    @inline(__always) public var payload: UInt64 { bits & Value.payloadMask }
    @inline(__always) public var rawPointer: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(payload))!
    }
    @inline(__always) public var object: ObjectRef { rawPointer.assumingMemoryBound(to: GCHeader.self) }
    @inline(__always) public var string: StringRef { rawPointer.assumingMemoryBound(to: GCString.self) }
    @inline(__always) public var table: TableRef { rawPointer.assumingMemoryBound(to: GCTable.self) }
    @inline(__always) public var function: FunctionRef { rawPointer.assumingMemoryBound(to: GCFunction.self) }
    @inline(__always) public var userdata: UserdataRef { rawPointer.assumingMemoryBound(to: GCUserdata.self) }
    @inline(__always) public var thread: ThreadRef { rawPointer.assumingMemoryBound(to: GCThread.self) }
    @inline(__always) public var proto: ProtoRef { rawPointer.assumingMemoryBound(to: GCProto.self) }

    /// Lua's raw equality (`rawequal`): numbers by value (NaN ~= NaN, -0 == 0), the rest by bits.
    @inline(__always) public func rawEquals(_ other: Value) -> Bool {
        if isNumber && other.isNumber { return number == other.number }
        return bits == other.bits
    }

    /// `==` on `Value` compares bits: the identity tables and the GC need, not Lua equality.
    @inline(__always) public static func == (a: Value, b: Value) -> Bool { a.bits == b.bits }

    /// The Lua type this value reports to `type()`.
    public var luaType: LuaType {
        if isNumber { return .number }
        switch tag {
        case .nil: return .nil
        case .false, .true: return .boolean
        case .lightUserdata, .userdata: return .userdata
        case .string: return .string
        case .upvalue: return .upvalue
        case .thread: return .thread
        case .proto: return .proto
        case .function: return .function
        case .trace: return .trace
        case .cdata: return .cdata
        case .table: return .table
        }
    }
}

/// The 4-bit type tags in LuaJIT's order; a value's top 17 bits are `0x1FFFF ^ tag`.
/// The tags of GC objects equal their header's type byte (`GCObjectType`).
public enum ValueTag: UInt32 {
    case `nil` = 0, `false`, `true`, lightUserdata, string, upvalue, thread, proto, function,
         trace, cdata, table, userdata
}

/// The names `type()` returns, plus internal kinds that never reach Lua code.
public enum LuaType: UInt8 {
    case `nil`, boolean, number, string, table, function, userdata, thread, cdata,
         proto, upvalue, trace

    public var name: StaticString {
        switch self {
        case .nil: return "nil"
        case .boolean: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .table: return "table"
        case .function: return "function"
        case .userdata: return "userdata"
        case .thread: return "thread"
        case .cdata: return "cdata"
        case .proto: return "proto"
        case .upvalue: return "upval"
        case .trace: return "trace"
        }
    }
}
