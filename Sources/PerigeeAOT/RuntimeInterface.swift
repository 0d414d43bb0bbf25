/// The runtime as compiled code sees it: the NaN-box constants, the thread's stack field, and
/// the declarations of the runtime functions (runtime/CompiledCode/CompiledOperations.swift) it calls.
import CLLVM
import PerigeeLLVM
import PerigeeRuntime

/// Bit patterns of the value representation (runtime/Values/Value.swift), for inline tests.
enum ValueBits {
    static let `nil` = Value.nil.bits
    static let `false` = Value.false.bits
    static let `true` = Value.true.bits
    /// A value is a number when its bits are below this (top 17 bits <= 0x1FFF2).
    static let numberBound: UInt64 = (Value.numberLimit + 1) << Value.tagShift
    /// A value is truthy when its bits are below this (neither nil nor false).
    static let truthyBound: UInt64 = 0x1FFFE << Value.tagShift
    /// The top 17 bits of a table, a function and a string value.
    static let tableTag: UInt64 = 0x1FFFF ^ UInt64(ValueTag.table.rawValue)
    static let stringTag: UInt64 = 0x1FFFF ^ UInt64(ValueTag.string.rawValue)
    static let functionTag: UInt64 = 0x1FFFF ^ UInt64(ValueTag.function.rawValue)
    static let payloadMask = Value.payloadMask
    /// Collectable values (strings through userdata) have top 17 bits in this range.
    static let collectableLow: UInt64 = 0x1FFFF ^ UInt64(ValueTag.userdata.rawValue)
    static let collectableSpan: UInt64 = UInt64(ValueTag.userdata.rawValue - ValueTag.string.rawValue)
}

/// Field offsets of the runtime's objects that compiled code reads and writes inline.
enum Layout {
    static let threadStack = MemoryLayout<GCThread>.offset(of: \GCThread.stack)!
    static let threadStackSize = MemoryLayout<GCThread>.offset(of: \GCThread.stackSize)!
    static let threadTop = MemoryLayout<GCThread>.offset(of: \GCThread.top)!
    static let threadOpenUpvalues = MemoryLayout<GCThread>.offset(of: \GCThread.openUpvalues)!
    static let functionFFID = MemoryLayout<GCFunction>.offset(of: \GCFunction.ffid)!
    static let functionEnv = MemoryLayout<GCFunction>.offset(of: \GCFunction.env)!
    static let functionTarget = MemoryLayout<GCFunction>.offset(of: \GCFunction.target)!
    static let functionUpvalues = GCFunction.upvaluesOffset
    static let protoBytecode = MemoryLayout<GCProto>.offset(of: \GCProto.bytecode)!
    static let protoDebugInfo = MemoryLayout<GCProto>.offset(of: \GCProto.debugInfo)!
    static let infoNumbers = MemoryLayout<ProtoInfo>.offset(of: \ProtoInfo.numbers)!
    static let infoNative = MemoryLayout<ProtoInfo>.offset(of: \ProtoInfo.native)!
    static let upvalueValue = MemoryLayout<GCUpvalue>.offset(of: \GCUpvalue.v)!
    static let upvalueMarked = MemoryLayout<GCUpvalue>.offset(of: \GCUpvalue.marked)!
    static let tableMarked = MemoryLayout<GCTable>.offset(of: \GCTable.marked)!
    static let tableArraySize = MemoryLayout<GCTable>.offset(of: \GCTable.arraySize)!
    static let tableArray = MemoryLayout<GCTable>.offset(of: \GCTable.array)!
    static let tableNode = MemoryLayout<GCTable>.offset(of: \GCTable.node)!
    static let tableHashMask = MemoryLayout<GCTable>.offset(of: \GCTable.hashMask)!
    static let tableMetatable = MemoryLayout<GCTable>.offset(of: \GCTable.metatable)!
    static let nodeValue = MemoryLayout<TableNode>.offset(of: \TableNode.value)!
    static let nodeKey = MemoryLayout<TableNode>.offset(of: \TableNode.key)!
    static let nodeNext = MemoryLayout<TableNode>.offset(of: \TableNode.next)!
    static let nodeSize = MemoryLayout<TableNode>.stride
    static let stringHash = MemoryLayout<GCString>.offset(of: \GCString.hash)!
    static let stringLength = MemoryLayout<GCString>.offset(of: \GCString.length)!
    static let black = GCMark.black
}

/// Types and runtime-function declarations in one module.
struct RuntimeInterface {
    let cx: LLVMContext
    let module: LLVMModule
    let i8p: LLVMTypeRef
    let i64p: LLVMTypeRef
    /// `i64 (i8* L, i64 base, i64 nargs)`: every compiled Lua function.
    let functionType: LLVMTypeRef
    /// The lowest native stack address compiled code may use (written by the runtime at start).
    let stackLimit: LLVMValueRef
    /// Nonzero while a debug hook is set (written by the runtime): compiled code then
    /// hands its frames to the interpreter, which runs the hooks.
    let hookFlag: LLVMValueRef

    enum Helper: String, CaseIterable {
        case enter = "perigee_enter", ret = "perigee_return"
        case unsupported = "perigee_unsupported", arith = "perigee_arith", compare = "perigee_compare"
        case concat = "perigee_concat", index = "perigee_index", newindex = "perigee_newindex"
        case setmulti = "perigee_setmulti", table = "perigee_table", closure = "perigee_closure"
        case upvalue = "perigee_upvalue", close = "perigee_close", call = "perigee_call"
        case tailcall = "perigee_tailcall", iterate = "perigee_iterate", isnext = "perigee_isnext"
        case varg = "perigee_varg", forprep = "perigee_forprep"
        case finishCall = "perigee_finish_call", barrier = "perigee_barrier_back"
        case moveResults = "perigee_move_results", interpretRest = "perigee_interpret_rest"
        case despecialize = "perigee_despecialize", tableLength = "perigee_table_length", typeName = "perigee_type_name"
        case lookup = "perigee_lookup", store = "perigee_store"
        case nextEntry = "perigee_next_entry", upvalueBarrier = "perigee_upvalue_barrier"
    }

    /// How this module holds the runtime-written variables: as its own, or (for a program
    /// compiled as several objects) defined by the main object and declared by the others.
    enum Variables { case own, defined, declared }

    init(_ module: LLVMModule, variables: Variables = .own) {
        cx = module.context
        self.module = module
        i8p = cx.pointer(to: cx.i8)
        i64p = cx.pointer(to: cx.i64)
        functionType = cx.function(cx.i64, [i8p, cx.i64, cx.i64])
        stackLimit = RuntimeInterface.variable("perigee_native_stack_limit", in: module, variables)
        hookFlag = RuntimeInterface.variable("perigee_hook_flag", in: module, variables)
    }

    /// An i64 variable the runtime writes (through its address, given at start).
    private static func variable(_ name: String, in module: LLVMModule, _ variables: Variables) -> LLVMValueRef {
        let i64 = module.context.i64
        switch variables {
        case .own: return module.addVariable(name, i64, module.context.constant(0, i64))
        case .defined: return module.addSharedVariable(name, i64, module.context.constant(0, i64))
        case .declared: return module.declareVariable(name, i64)
        }
    }

    /// The helper's type: most take (L, base, instruction, pc) and answer an i64.
    func type(of helper: Helper) -> LLVMTypeRef {
        let i64 = cx.i64, i32 = cx.i32
        switch helper {
        case .enter: return cx.function(i64, [i8p, i64, i64])
        case .ret: return cx.function(i64, [i8p, i64, i64, i64])
        case .close: return cx.function(i64, [i8p, i64, i64])
        case .setmulti, .call, .tailcall: return cx.function(i64, [i8p, i64, i32, i64, i64])
        case .finishCall: return cx.function(i64, [i8p, i64])
        case .moveResults: return cx.function(i64, [i8p, i64, i64, i64])
        case .interpretRest, .despecialize: return cx.function(i64, [i8p, i64, i64, i64])
        case .lookup: return cx.function(i64, [i8p, i64, i64p])
        case .nextEntry: return cx.function(i64, [i8p, i64, i64p])
        case .upvalueBarrier: return cx.function(i64, [i8p, i64])
        case .store: return cx.function(i64, [i8p, i64, i64])
        case .barrier: return cx.function(i64, [i8p, i8p])
        case .tableLength: return cx.function(i64, [i8p])
        case .typeName: return cx.function(i64, [i64])
        default: return cx.function(i64, [i8p, i64, i32, i64])
        }
    }

    func declaration(_ helper: Helper) -> LLVMValueRef { module.declare(helper.rawValue, type(of: helper)) }
}
