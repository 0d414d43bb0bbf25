/// Function prototypes: the bytecode, constants and upvalue descriptors one compiled function shares among its closures.
///
/// One allocation holds the struct and its arrays. Layout of `GCProto` (size 96):
///
///     0  next  8 marked  9 gct (= 7)
///     10 parameterCount UInt8
///     11 flags          UInt8   `ProtoFlag`
///     12 frameSize      UInt8   slots the function uses
///     13 upvalueCount   UInt8
///     16 gclist
///     24 bytecode       UnsafeMutablePointer<UInt32>   32-bit instructions
///     32 bytecodeCount  UInt32
///     36 constantCount  UInt32
///     40 constants      UnsafeMutablePointer<Value>   strings, nested protos, numbers
///     48 upvalueDescriptors UnsafeMutablePointer<UInt16>  LuaJIT's encoding: slot | 0x8000
///                       for a local of the parent, else the parent's upvalue index
///     56 chunkName      UnsafeMutablePointer<GCString>?
///     64 debugInfo      UnsafeMutableRawPointer?  owned by whoever set it; released
///                       through `GlobalState.debugInfoRelease` when the proto dies
///     72 allocationSize UInt32
///     80 numbers        UnsafeMutablePointer<Value>   number constant d at [d], GC constant d
///                       at [-1 - d] (inside `constants`): every engine's K base
///     88 native         CompiledEntry?   the function's native code (built executables)

public struct GCProto {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var parameterCount: UInt8
    public var flags: UInt8
    public var frameSize: UInt8
    public var upvalueCount: UInt8
    public var gclist: ObjectRef?
    public var bytecode: UnsafeMutablePointer<UInt32>
    public var bytecodeCount: UInt32
    public var constantCount: UInt32
    public var constants: UnsafeMutablePointer<Value>
    public var upvalueDescriptors: UnsafeMutablePointer<UInt16>
    public var chunkName: StringRef?
    public var debugInfo: UnsafeMutableRawPointer?
    public var allocationSize: UInt32
    public var numbers: UnsafeMutablePointer<Value>
    public var native: CompiledEntry?
}

public typealias ProtoRef = UnsafeMutablePointer<GCProto>

/// Bits of `GCProto.flags`, LuaJIT's values.
public enum ProtoFlag {
    public static let hasChildren: UInt8 = 0x01
    public static let vararg: UInt8 = 0x02
    public static let usesFFI: UInt8 = 0x04
    public static let noJIT: UInt8 = 0x08
    public static let interpreterLoop: UInt8 = 0x10
    /// Has native code (`GCProto.native`), from a built executable.
    public static let compiled: UInt8 = 0x20
    /// FNEW made a closure of it, and made more than one: traces calling such a function
    /// guard on its prototype rather than on the closure (luajit's PROTO_CLC_POLY).
    public static let closureMade: UInt8 = 0x40
    public static let manyClosures: UInt8 = 0x80
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// A prototype with room for its arrays: bytecode zeroed, constants nil, descriptors 0.
    /// The frontend fills them before any GC step can run.
    public func newProto(bytecodeCount: Int, constantCount: Int, upvalueCount: Int) -> ProtoRef? {
        guard upvalueCount <= 255, bytecodeCount < 1 << 26, constantCount < 1 << 26 else { return nil }
        let base = MemoryLayout<GCProto>.stride
        let constantsOffset = (base + 4 * bytecodeCount + 7) & ~7
        let descriptorsOffset = constantsOffset + 8 * constantCount
        let size = descriptorsOffset + 2 * upvalueCount
        guard let o = newObject(size: size, type: GCObjectType.proto) else { return nil }
        let raw = UnsafeMutableRawPointer(o)
        let p = o.cast(to: GCProto.self)
        p.pointee.parameterCount = 0
        p.pointee.flags = 0
        p.pointee.frameSize = 0
        p.pointee.upvalueCount = UInt8(upvalueCount)
        p.pointee.gclist = nil
        p.pointee.bytecode = (raw + base).bindMemory(to: UInt32.self, capacity: bytecodeCount)
        p.pointee.bytecode.initialize(repeating: 0, count: bytecodeCount)
        p.pointee.bytecodeCount = UInt32(bytecodeCount)
        p.pointee.constantCount = UInt32(constantCount)
        p.pointee.constants = (raw + constantsOffset).bindMemory(to: Value.self, capacity: constantCount)
        p.pointee.constants.initialize(repeating: .nil, count: constantCount)
        p.pointee.upvalueDescriptors = (raw + descriptorsOffset).bindMemory(to: UInt16.self, capacity: upvalueCount)
        p.pointee.upvalueDescriptors.initialize(repeating: 0, count: upvalueCount)
        p.pointee.chunkName = nil
        p.pointee.debugInfo = nil
        p.pointee.allocationSize = UInt32(size)
        p.pointee.numbers = p.pointee.constants
        p.pointee.native = nil
        return p
    }

    func freeProto(_ p: ProtoRef) {
        if let info = p.pointee.debugInfo, let release = pointee.debugInfoRelease { release(info) }
        release(p, size: Int(p.pointee.allocationSize))
    }
}
