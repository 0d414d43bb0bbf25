/// Metamethod names and the per-metatable "known absent" cache that makes a missing fast metamethod cost one test.
///
/// The first eight metamethods (`index` ... `le`) are fast: a metatable's
/// `absentMetamethods` byte has bit `rawValue` set once a lookup found them missing. Any
/// store of a string key into the metatable clears the byte. The interpreter's check for
/// "no `__index`" on a table's metatable `mt` is `mt.absentMetamethods & Metamethod.index.bit != 0`.

/// Metamethods in LuaJIT's order.
public enum Metamethod: UInt8 {
    case index, newindex, gc, mode, eq, len, lt, le
    case concat, call, add, sub, mul, div, mod, pow, unm, metatable, tostring

    public static let count = 19
    /// Metamethods below this have an absent bit.
    public static let fastCount: UInt8 = 8

    /// This metamethod's bit in `GCTable.absentMetamethods` (fast ones only).
    @inline(__always) public var bit: UInt8 { 1 << rawValue }

    public var name: String {
        switch self {
        case .index: return "__index"
        case .newindex: return "__newindex"
        case .gc: return "__gc"
        case .mode: return "__mode"
        case .eq: return "__eq"
        case .len: return "__len"
        case .lt: return "__lt"
        case .le: return "__le"
        case .concat: return "__concat"
        case .call: return "__call"
        case .add: return "__add"
        case .sub: return "__sub"
        case .mul: return "__mul"
        case .div: return "__div"
        case .mod: return "__mod"
        case .pow: return "__pow"
        case .unm: return "__unm"
        case .metatable: return "__metatable"
        case .tostring: return "__tostring"
        }
    }
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// The interned name of a metamethod.
    @inline(__always) public func name(of mm: Metamethod) -> StringRef {
        pointee.metamethodNames[Int(mm.rawValue)]
    }

    /// `mt[name(mm)]`, or nil; a fast metamethod found missing is remembered in the metatable.
    @inline(__always)
    public func metamethod(_ mm: Metamethod, in mt: TableRef?) -> Value {
        guard let mt = mt else { return .nil }
        if mm.rawValue < Metamethod.fastCount && mt.pointee.absentMetamethods & mm.bit != 0 { return .nil }
        return lookUpMetamethod(mm, in: mt)
    }

    @inline(never)
    func lookUpMetamethod(_ mm: Metamethod, in mt: TableRef) -> Value {
        let handler = mt.get(string: name(of: mm))
        if handler.isNil && mm.rawValue < Metamethod.fastCount { mt.pointee.absentMetamethods |= mm.bit }
        return handler
    }

    /// The metamethod of any value, through its metatable.
    @inline(__always)
    public func metamethod(_ mm: Metamethod, of value: Value) -> Value {
        metamethod(mm, in: metatable(of: value))
    }
}
