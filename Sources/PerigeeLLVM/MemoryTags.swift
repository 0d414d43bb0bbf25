/// Alias classes for loads and stores, as LLVM's type-based alias analysis metadata
/// (`!tbaa`): two accesses tagged with different classes never touch the same bytes, so
/// LLVM may keep a table's header fields in registers across stores into its value slots,
/// or a stack slot across a table store. Untagged accesses may alias anything.
import CLLVM

/// The classes of memory generated code reads and writes.
public enum MemoryKind: String, CaseIterable {
    /// Lua stack slots.
    case stack
    /// Fields of runtime objects (table headers, hash nodes' keys and links, upvalue and
    /// function fields, the thread's stack pointer): generated code reads them, only the
    /// runtime writes them, but for a table's border hint.
    case objectField
    /// Value slots of tables (array part, hash nodes' values).
    case tableValue
    /// The instruction budget's counter, a variable of its own: charging it in a loop does
    /// not make LLVM reload every stack slot and object field after it.
    case budgetCounter
}

/// The metadata of the classes in one LLVM context.
public final class MemoryTags {
    private let context: LLVMContext
    private let kind: UInt32
    private var tags: [MemoryKind: LLVMMetadataRef] = [:]

    public init(_ context: LLVMContext) {
        self.context = context
        kind = L.LLVMGetMDKindIDInContext(context.ref, "tbaa", 4)
        func string(_ s: String) -> LLVMMetadataRef { L.LLVMMDStringInContext2(context.ref, s, s.utf8.count)! }
        func node(_ operands: [LLVMMetadataRef]) -> LLVMMetadataRef {
            var list: [LLVMMetadataRef?] = operands
            return L.LLVMMDNodeInContext2(context.ref, &list, list.count)!
        }
        let zero = L.LLVMValueAsMetadata(L.LLVMConstInt(context.i64, 0, 0))!
        let root = node([string("perigee memory")])
        for memory in MemoryKind.allCases {
            let type = node([string(memory.rawValue), root, zero])
            tags[memory] = node([type, type, zero])
        }
    }

    /// Tags load or store `instruction` as an access of `memory`.
    public func tag(_ instruction: LLVMValueRef, _ memory: MemoryKind) {
        L.LLVMSetMetadata(instruction, kind, L.LLVMMetadataAsValue(context.ref, tags[memory]!))
    }
}
