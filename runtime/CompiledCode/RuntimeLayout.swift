/// The byte offsets of runtime objects that compiled code reads and writes inline: the one
/// layout table every code generator (AOT functions, JIT traces) uses. Offsets come from the
/// compiler's own layout of the structs, so they cannot drift; LayoutTests pins the values
/// the struct comments document.

public enum RuntimeLayout {
    // Threads.
    public static let threadStack = MemoryLayout<GCThread>.offset(of: \GCThread.stack)!
    public static let threadStackSize = MemoryLayout<GCThread>.offset(of: \GCThread.stackSize)!
    public static let threadTop = MemoryLayout<GCThread>.offset(of: \GCThread.top)!
    public static let threadOpenUpvalues = MemoryLayout<GCThread>.offset(of: \GCThread.openUpvalues)!
    // Functions.
    public static let functionFFID = MemoryLayout<GCFunction>.offset(of: \GCFunction.ffid)!
    public static let functionEnv = MemoryLayout<GCFunction>.offset(of: \GCFunction.env)!
    public static let functionTarget = MemoryLayout<GCFunction>.offset(of: \GCFunction.target)!
    public static let functionUpvalues = GCFunction.upvaluesOffset
    // Prototypes.
    public static let protoBytecode = MemoryLayout<GCProto>.offset(of: \GCProto.bytecode)!
    public static let protoNumbers = MemoryLayout<GCProto>.offset(of: \GCProto.numbers)!
    public static let protoNative = MemoryLayout<GCProto>.offset(of: \GCProto.native)!
    // Upvalues.
    public static let upvalueValue = MemoryLayout<GCUpvalue>.offset(of: \GCUpvalue.v)!
    public static let upvalueMarked = MemoryLayout<GCUpvalue>.offset(of: \GCUpvalue.marked)!
    // Tables and their hash nodes.
    public static let tableMarked = MemoryLayout<GCTable>.offset(of: \GCTable.marked)!
    public static let tableArrayLimit = MemoryLayout<GCTable>.offset(of: \GCTable.arrayLimit)!
    public static let tableArray = MemoryLayout<GCTable>.offset(of: \GCTable.array)!
    public static let tableNode = MemoryLayout<GCTable>.offset(of: \GCTable.node)!
    public static let tableHashMask = MemoryLayout<GCTable>.offset(of: \GCTable.hashMask)!
    public static let tableBorder = MemoryLayout<GCTable>.offset(of: \GCTable.border)!
    public static let tableMetatable = MemoryLayout<GCTable>.offset(of: \GCTable.metatable)!
    public static let tableAbsentMetamethods = MemoryLayout<GCTable>.offset(of: \GCTable.absentMetamethods)!
    public static let nodeValue = MemoryLayout<TableNode>.offset(of: \TableNode.value)!
    public static let nodeKey = MemoryLayout<TableNode>.offset(of: \TableNode.key)!
    public static let nodeNext = MemoryLayout<TableNode>.offset(of: \TableNode.next)!
    public static let nodeSize = MemoryLayout<TableNode>.stride
    // Strings.
    public static let stringHash = MemoryLayout<GCString>.offset(of: \GCString.hash)!
    public static let stringLength = MemoryLayout<GCString>.offset(of: \GCString.length)!
    // The global state (GC debt and phase, the shared empty node, metamethod names).
    public static let globalTotalBytes = MemoryLayout<GlobalState>.offset(of: \GlobalState.totalBytes)!
    public static let globalThreshold = MemoryLayout<GlobalState>.offset(of: \GlobalState.threshold)!
    public static let globalCurrentWhite = MemoryLayout<GlobalState>.offset(of: \GlobalState.currentWhite)!
    public static let globalPhase = MemoryLayout<GlobalState>.offset(of: \GlobalState.phase)!
    public static let globalEmptyNode = MemoryLayout<GlobalState>.offset(of: \GlobalState.emptyNode)!
    public static let globalMetamethodNames = MemoryLayout<GlobalState>.offset(of: \GlobalState.metamethodNames)!
    // cdata: the C type id (an i32) and the payload (an address for pointers and references).
    public static let cdataType = MemoryLayout<GCCData>.offset(of: \GCCData.ctype)!
    public static let cdataPayload = GCCData.payloadOffset
    // userdata: its kind (C library namespaces are `cLibraryKind`) and its environment, which
    // for a C library caches the functions it handed out, by name.
    public static let userdataKind = MemoryLayout<GCUserdata>.offset(of: \GCUserdata.kind)!
    public static let userdataEnv = MemoryLayout<GCUserdata>.offset(of: \GCUserdata.env)!
    public static let cLibraryKind = PerigeeRuntime.cLibraryKind
    /// The mark bit of a black object (a store into one needs a barrier).
    public static let black = GCMark.black
}
