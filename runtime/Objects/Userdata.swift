/// Full userdata: a block of bytes owned by Lua, with a metatable and an environment table.
///
/// Layout of `GCUserdata` (payload follows at offset 32, 8-byte aligned):
///
///     0  next  8 marked  9 gct (= 12)
///     10 kind     UInt8   free for the library (LuaJIT's udtype: io file, buffer, ...)
///     12 size     UInt32  payload bytes
///     16 env      UnsafeMutablePointer<GCTable>?
///     24 metatable UnsafeMutablePointer<GCTable>?
///     32 payload...
///
/// Userdata sit in the all-objects list right behind the main thread (the first object
/// ever made), so the atomic phase finds the ones needing finalization without a full walk.

public struct GCUserdata {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var kind: UInt8
    public var size: UInt32
    public var env: TableRef?
    public var metatable: TableRef?

    public static let payloadOffset = MemoryLayout<GCUserdata>.stride
}

public typealias UserdataRef = UnsafeMutablePointer<GCUserdata>

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// A new userdata with `size` zeroed payload bytes; nil when memory runs out.
    public func newUserdata(size: Int, env: TableRef? = nil) -> UserdataRef? {
        guard size <= Int(UInt32.max) - GCUserdata.payloadOffset,
              let raw = allocate(GCUserdata.payloadOffset + size) else { return nil }
        let u = raw.bindMemory(to: GCUserdata.self, capacity: 1)
        let anchor = header(pointee.mainThread)
        u.pointee = GCUserdata(next: anchor.pointee.next, marked: pointee.currentWhite, gct: GCObjectType.userdata,
                               kind: 0, size: UInt32(size), env: env, metatable: nil)
        u.payload.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        anchor.pointee.next = header(u)
        return u
    }

    func freeUserdata(_ u: UserdataRef) {
        release(u, size: GCUserdata.payloadOffset + Int(u.pointee.size))
    }
}

extension UnsafeMutablePointer where Pointee == GCUserdata {
    @inline(__always) public var payload: UnsafeMutableRawPointer { UnsafeMutableRawPointer(self) + GCUserdata.payloadOffset }

    /// `setmetatable` for userdata (debug.setmetatable), with the write barrier.
    public func setMetatable(_ mt: TableRef?, _ g: GlobalRef) {
        pointee.metatable = mt
        if let mt = mt { g.barrierForward(header(self), header(mt)) }
    }

    /// Sets the environment table, with the write barrier.
    public func setEnv(_ env: TableRef?, _ g: GlobalRef) {
        pointee.env = env
        if let env = env { g.barrierForward(header(self), header(env)) }
    }
}
