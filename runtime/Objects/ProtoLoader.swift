/// Turns the frontend's compiled functions into runtime prototypes: bytecode copied, string
/// constants interned, table templates built, and the debug information kept alongside.
import PerigeeFrontend

/// What the interpreter keeps per prototype besides the GC object: where its number
/// constants start (GC constants sit below, at negative indexes, as in LuaJIT) and the
/// frontend's prototype for lines, local names and upvalue names.
public struct ProtoInfo {
    public var source: Unmanaged<Prototype>
    /// The version of the function's native code without number speculation, which
    /// `GCProto.native` becomes once the speculative code met arithmetic on other values
    /// (see perigee_despecialize).
    public var generic: CompiledEntry? = nil
}

public typealias ProtoInfoRef = UnsafeMutablePointer<ProtoInfo>

extension UnsafeMutablePointer where Pointee == GCProto {
    @inline(__always) public var info: ProtoInfoRef {
        pointee.debugInfo.unsafelyUnwrapped.assumingMemoryBound(to: ProtoInfo.self)
    }
    /// The frontend's description of this function (lines, names).
    public var source: Prototype { info.pointee.source.takeUnretainedValue() }
}

/// Frees a prototype's `ProtoInfo` when the collector frees the prototype.
let releaseProtoInfo: DebugInfoRelease = { raw in
    let info = raw.assumingMemoryBound(to: ProtoInfo.self)
    info.pointee.source.release()
    info.deinitialize(count: 1)
    info.deallocate()
}

enum ProtoLoadError: Error {
    case outOfMemory
}

extension LuaVM {
    /// Builds the runtime prototype tree for `proto`. Every object made on the way is
    /// anchored (in the new prototype's constants or on `anchor`) before the next allocation.
    func loadPrototype(_ proto: Prototype) throws(ProtoLoadError) -> ProtoRef {
        let gcCount = proto.gcConstants.count
        let numberCount = proto.numberConstants.count
        guard let p = g.newProto(bytecodeCount: proto.bytecode.count, constantCount: gcCount + numberCount,
                                 upvalueCount: proto.upvalues.count) else { throw .outOfMemory }
        // Keep the new prototype reachable while its constants are being made.
        pushAnchor(Value(proto: p))
        defer { popAnchor() }
        for (i, ins) in proto.bytecode.enumerated() { p.pointee.bytecode[i] = ins.raw }
        p.pointee.parameterCount = proto.parameterCount
        p.pointee.frameSize = proto.frameSize
        p.pointee.flags = proto.flags.rawValue & (ProtoFlag.hasChildren | ProtoFlag.vararg | ProtoFlag.usesFFI)
        for (i, uv) in proto.upvalues.enumerated() { p.pointee.upvalueDescriptors[i] = uv }
        let info = ProtoInfoRef.allocate(capacity: 1)
        info.initialize(to: ProtoInfo(source: Unmanaged.passRetained(proto)))
        p.pointee.debugInfo = UnsafeMutableRawPointer(info)
        p.pointee.numbers = p.pointee.constants + gcCount
        if !compiledEntries.isEmpty, let code = compiledEntries[ObjectIdentifier(proto)] {
            p.pointee.native = code.native
            info.pointee.generic = code.generic
            p.pointee.flags |= ProtoFlag.compiled
        }
        p.pointee.chunkName = g.intern(proto.chunkName)
        let numbers = p.pointee.numbers
        for (i, n) in proto.numberConstants.enumerated() { numbers[i] = Value(number: n) }
        for (d, constant) in proto.gcConstants.enumerated() {
            let value: Value
            switch constant {
            case .string(let id):
                guard let s = internBytes(proto.strings.bytes(of: id)) else { throw .outOfMemory }
                value = Value(string: s)
            case .function(let child):
                value = Value(proto: try loadPrototype(child))
            case .table(let template):
                value = Value(table: try buildTemplate(template, proto.strings))
            case .int64(let n):
                guard let v = box(CTypeBuiltin.int64, copying: [n], size: 8) else { throw .outOfMemory }
                value = v
            case .uint64(let n):
                guard let v = box(CTypeBuiltin.uint64, copying: [n], size: 8) else { throw .outOfMemory }
                value = v
            case .imaginary(let im):
                guard let v = box(CTypeBuiltin.complexDouble, copying: [0.0, im], size: 16) else { throw .outOfMemory }
                value = v
            }
            numbers[-1 - d] = value
        }
        return p
    }

    private func buildTemplate(_ template: TableTemplate, _ strings: StringPool) throws(ProtoLoadError) -> TableRef {
        let arraySize = arraySlots(luajitArraySize: template.arraySize)
        // Key 0 is in the array part when there is one (LuaJIT's slot 0), else a hash key.
        // Keys whose values the constructor stores by instruction are in the template too,
        // with nil values (dead keys, as LuaJIT's templates hold them): every copy then has
        // their nodes, so those stores find their slots instead of inserting keys.
        let hashKeys = template.entries.count { entry in
            guard case .number(let n) = entry.key else { return true }
            return !(arraySize > 0 && n >= 0 && n <= Double(arraySize) && n == n.rounded(.towardZero))
        }
        let hashSize = max(template.hashSizeLog2 > 0 ? 1 << template.hashSizeLog2 : 0, hashKeys)
        guard let t = g.newTable(arraySize: arraySize, hashSize: hashSize) else { throw .outOfMemory }
        pushAnchor(Value(table: t))
        defer { popAnchor() }
        for (key, value) in template.entries {
            let k = try templateValue(key, strings)
            if t.set(k, try templateValue(value, strings), g) != .ok { throw .outOfMemory }
        }
        return t
    }

    private func templateValue(_ v: TemplateValue, _ strings: StringPool) throws(ProtoLoadError) -> Value {
        switch v {
        case .nil: return .nil
        case .false: return .false
        case .true: return .true
        case .number(let n): return Value(number: n)
        case .string(let id):
            guard let s = internBytes(strings.bytes(of: id)) else { throw .outOfMemory }
            return Value(string: s)
        }
    }

    func internBytes(_ bytes: ArraySlice<UInt8>) -> StringRef? {
        bytes.withUnsafeBufferPointer { g.intern($0) }
    }
}
