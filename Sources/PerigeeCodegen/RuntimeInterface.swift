/// The runtime as compiled code calls it: helper declarations (runtime/CompiledCode), the
/// runtime-written variables and the compiled-function type.
import CLLVM
import PerigeeLLVM
import PerigeeRuntime

/// What compiled code knows of the runtime's functions, once: the helpers it may call (their
/// symbols, checked against the runtime's own list by RuntimeInterfaceTests) and their LLVM
/// types, the variables the runtime writes, and the type of every compiled Lua function,
/// declared in one module.
public struct RuntimeInterface {
    public let cx: LLVMContext
    public let module: LLVMModule
    public let i8p: LLVMTypeRef
    public let i64p: LLVMTypeRef
    /// `i64 (i8* L, i64 base, i64 nargs)`: every compiled Lua function.
    public let functionType: LLVMTypeRef
    /// The lowest native stack address compiled code may use (written by the runtime at start).
    public let stackLimit: LLVMValueRef
    /// Nonzero while a debug hook is set (written by the runtime): compiled code then
    /// hands its frames to the interpreter, which runs the hooks.
    public let hookFlag: LLVMValueRef

    public enum Helper: String, CaseIterable {
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
        case instructionLimit = "perigee_instruction_limit", fastCall = "perigee_fast_call"
        case cdataSite = "perigee_cdata_site", stringCompare = "perigee_string_compare"
        case newTable = "perigee_new_table", duplicateTable = "perigee_duplicate_table"
        case materializeTable = "perigee_materialize_table", materializeNewTable = "perigee_materialize_new_table"
        case materializeStore = "perigee_materialize_store"
        case boxInteger64 = "perigee_box_integer64", boxReference = "perigee_box_reference"
        case cCall = "perigee_c_call", cCallSite = "perigee_c_call_site"
    }

    /// How this module holds the runtime-written variables: as its own, or (for a program
    /// compiled as several objects) defined by the main object and declared by the others.
    public enum Variables { case own, defined, declared }

    public init(_ module: LLVMModule, variables: Variables = .own) {
        cx = module.context
        self.module = module
        i8p = cx.pointer(to: cx.i8)
        i64p = cx.pointer(to: cx.i64)
        functionType = cx.function(cx.i64, [i8p, cx.i64, cx.i64])
        stackLimit = RuntimeInterface.variable("perigee_native_stack_limit", in: module, variables)
        hookFlag = RuntimeInterface.variable("perigee_hook_flag", in: module, variables)
    }

    /// The instruction budget's counter (`perigee_instruction_budget`, defined by the
    /// runtime): declared in this module on first use, so that modules that never charge it
    /// need no symbol for it.
    public func instructionBudget() -> LLVMValueRef {
        module.global(named: "perigee_instruction_budget") ?? module.declareVariable("perigee_instruction_budget", cx.i64)
    }

    /// The interned `"__index"` as a value (`perigee_index_name`, defined by the runtime, 0
    /// until a built executable starts), declared on first use.
    public func indexName() -> LLVMValueRef {
        module.global(named: "perigee_index_name") ?? module.declareVariable("perigee_index_name", cx.i64)
    }

    /// The address of the string metatable's slot (`perigee_string_metatable_slot`, defined
    /// by the runtime, 0 until a built executable starts), declared on first use.
    public func stringMetatableSlot() -> LLVMValueRef {
        module.global(named: "perigee_string_metatable_slot")
            ?? module.declareVariable("perigee_string_metatable_slot", cx.i64)
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
    public func type(of helper: Helper) -> LLVMTypeRef {
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
        case .newTable, .materializeNewTable: return cx.function(i8p, [i64])
        case .materializeStore: return cx.function(i64, [i8p, i64, i64])
        case .duplicateTable, .materializeTable: return cx.function(i8p, [i8p])
        case .stringCompare: return cx.function(i64, [i8p, i8p])
        case .typeName: return cx.function(i64, [i64])
        case .fastCall, .boxInteger64: return cx.function(i64, [i8p, i64, i64, i64, i64])
        case .cdataSite: return cx.function(i64, [i64p, i64, i64, i64])
        case .boxReference: return cx.function(i64, [i8p, i64, i64, i64, i64, i64])
        case .cCall: return cx.function(i64, [i64p, i64, i64, i64p])
        case .cCallSite: return cx.function(i64, [i64p, i64])
        default: return cx.function(i64, [i8p, i64, i32, i64])
        }
    }

    public func declaration(_ helper: Helper) -> LLVMValueRef { module.declare(helper.rawValue, type(of: helper)) }
}
