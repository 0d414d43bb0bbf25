/// Functions: Lua closures (a prototype and upvalue objects) and builtins (a native entry and upvalue values).
///
/// Layout of `GCFunction` (upvalues inline from offset 40):
///
///     0  next  8 marked  9 gct (= 8)
///     10 ffid          UInt8  0 = Lua closure, 1 = builtin, >= 2 fast-function ids
///     11 upvalueCount  UInt8
///     16 gclist
///     24 env           UnsafeMutablePointer<GCTable>?
///     32 target        Lua: UnsafeMutablePointer<GCProto>; builtin: the entry point
///     40 upvalues      Lua: UnsafeMutablePointer<GCUpvalue>? x n; builtin: Value x n

public struct GCFunction {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var ffid: UInt8
    public var upvalueCount: UInt8
    public var gclist: ObjectRef?
    public var env: TableRef?
    public var target: UnsafeMutableRawPointer

    public static let upvaluesOffset = MemoryLayout<GCFunction>.stride
    public static let luaFFID: UInt8 = 0
    public static let builtinFFID: UInt8 = 1
}

public typealias FunctionRef = UnsafeMutablePointer<GCFunction>

/// A builtin's entry, callable from C and compiled code: it gets the thread (a `ThreadRef`),
/// with its arguments in the current frame, and returns the number of results (>= 0) or a
/// negative error status. The interpreter owns the calling convention and may change it.
public typealias BuiltinEntry = @convention(c) (UnsafeMutableRawPointer) -> Int32

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// A Lua closure of `proto` with `proto`'s upvalue count, all upvalues nil until set.
    public func newLuaClosure(_ proto: ProtoRef, env: TableRef?) -> FunctionRef? {
        let n = Int(proto.pointee.upvalueCount)
        guard let f = newFunction(upvalueBytes: n * MemoryLayout<UpvalueRef?>.stride, env: env) else { return nil }
        f.pointee.ffid = GCFunction.luaFFID
        f.pointee.upvalueCount = UInt8(n)
        f.pointee.target = UnsafeMutableRawPointer(proto)
        f.upvalueObjects.initialize(repeating: nil, count: n)
        return f
    }

    /// A builtin with `upvalueCount` nil upvalues.
    public func newBuiltin(_ entry: BuiltinEntry, upvalueCount: Int = 0, env: TableRef?) -> FunctionRef? {
        guard upvalueCount <= 255,
              let f = newFunction(upvalueBytes: upvalueCount * MemoryLayout<Value>.stride, env: env) else { return nil }
        f.pointee.ffid = GCFunction.builtinFFID
        f.pointee.upvalueCount = UInt8(upvalueCount)
        f.pointee.target = unsafeBitCast(entry, to: UnsafeMutableRawPointer.self)
        f.upvalueValues.initialize(repeating: .nil, count: upvalueCount)
        return f
    }

    private func newFunction(upvalueBytes: Int, env: TableRef?) -> FunctionRef? {
        guard let o = newObject(size: GCFunction.upvaluesOffset + upvalueBytes, type: GCObjectType.function) else { return nil }
        let f = o.cast(to: GCFunction.self)
        f.pointee.gclist = nil
        f.pointee.env = env
        return f
    }

    func freeFunction(_ f: FunctionRef) {
        release(f, size: f.allocationSize)
    }
}

extension UnsafeMutablePointer where Pointee == GCFunction {
    @inline(__always) public var isLua: Bool { pointee.ffid == GCFunction.luaFFID }
    @inline(__always) public var proto: ProtoRef { pointee.target.assumingMemoryBound(to: GCProto.self) }
    @inline(__always) public var entry: BuiltinEntry { unsafeBitCast(pointee.target, to: BuiltinEntry.self) }

    /// A Lua closure's upvalue objects.
    @inline(__always) public var upvalueObjects: UnsafeMutablePointer<UpvalueRef?> {
        (UnsafeMutableRawPointer(self) + GCFunction.upvaluesOffset).assumingMemoryBound(to: UpvalueRef?.self)
    }
    /// A builtin's upvalue values.
    @inline(__always) public var upvalueValues: UnsafeMutablePointer<Value> {
        (UnsafeMutableRawPointer(self) + GCFunction.upvaluesOffset).assumingMemoryBound(to: Value.self)
    }

    /// Sets a Lua closure's upvalue `i`, with the write barrier.
    @inline(__always) public func setUpvalue(_ i: Int, _ uv: UpvalueRef, _ g: GlobalRef) {
        upvalueObjects[i] = uv
        g.barrierForward(header(self), header(uv))
    }

    /// Sets a builtin's upvalue `i`, with the write barrier.
    @inline(__always) public func setUpvalue(_ i: Int, _ value: Value, _ g: GlobalRef) {
        upvalueValues[i] = value
        if value.isCollectable { g.barrierForward(header(self), value.object) }
    }

    /// `setfenv` on a function, with the write barrier.
    public func setEnv(_ env: TableRef, _ g: GlobalRef) {
        pointee.env = env
        g.barrierForward(header(self), header(env))
    }

    var allocationSize: Int {
        GCFunction.upvaluesOffset + Int(pointee.upvalueCount) * MemoryLayout<Value>.stride
    }
}
