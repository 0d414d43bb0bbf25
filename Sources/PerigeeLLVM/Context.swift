/// An LLVM context and the type and constant helpers made in it.
import CLLVM

/// An `LLVMContextRef`, either owned outright or owned through an ORC thread-safe context
/// (made by `JITEngine.makeContext()`, so modules built in it can be handed to the JIT).
public final class LLVMContext {
    public let ref: LLVMContextRef
    /// Set when the context belongs to an ORC thread-safe context.
    let threadSafe: LLVMOrcThreadSafeContextRef?

    /// A fresh context of its own (for AOT compilation); loads libLLVM if needed.
    public init() throws {
        try LLVMLibrary.load()
        ref = L.LLVMContextCreate()!
        threadSafe = nil
    }

    init(threadSafe: LLVMOrcThreadSafeContextRef) {
        self.threadSafe = threadSafe
        ref = L.LLVMOrcThreadSafeContextGetContext(threadSafe)!
    }

    /// Drops the names of instructions, blocks and arguments as they are made (a faster
    /// build; the IR is no longer readable).
    public func discardValueNames() { L.LLVMContextSetDiscardValueNames(ref, 1) }

    deinit {
        if let threadSafe {
            L.LLVMOrcDisposeThreadSafeContext(threadSafe)
        } else {
            L.LLVMContextDispose(ref)
        }
    }

    // MARK: Types

    public var void: LLVMTypeRef { L.LLVMVoidTypeInContext(ref)! }
    public var i1: LLVMTypeRef { L.LLVMInt1TypeInContext(ref)! }
    public var i8: LLVMTypeRef { L.LLVMInt8TypeInContext(ref)! }
    public var i32: LLVMTypeRef { L.LLVMInt32TypeInContext(ref)! }
    public var i64: LLVMTypeRef { L.LLVMInt64TypeInContext(ref)! }
    public var double: LLVMTypeRef { L.LLVMDoubleTypeInContext(ref)! }
    public var float: LLVMTypeRef { L.LLVMFloatTypeInContext(ref)! }
    public func int(bits: Int) -> LLVMTypeRef { L.LLVMIntTypeInContext(ref, UInt32(bits))! }

    /// A pointer to `pointee` (`T*` with LLVM 14's typed pointers, plain `ptr` with newer LLVMs).
    public func pointer(to pointee: LLVMTypeRef) -> LLVMTypeRef { L.LLVMPointerType(pointee, 0)! }
    /// `i8*` / `ptr`: the type used for every raw address.
    public var bytePointer: LLVMTypeRef { pointer(to: i8) }

    public func function(_ result: LLVMTypeRef, _ parameters: [LLVMTypeRef],
                         variadic: Bool = false) -> LLVMTypeRef {
        var params: [LLVMTypeRef?] = parameters
        return L.LLVMFunctionType(result, &params, UInt32(params.count), variadic ? 1 : 0)!
    }

    public func structure(_ fields: [LLVMTypeRef], packed: Bool = false) -> LLVMTypeRef {
        var elements: [LLVMTypeRef?] = fields
        return L.LLVMStructTypeInContext(ref, &elements, UInt32(elements.count), packed ? 1 : 0)!
    }

    // MARK: Constants

    public func constant(_ value: Int64, _ type: LLVMTypeRef) -> LLVMValueRef {
        L.LLVMConstInt(type, UInt64(bitPattern: value), 1)!
    }
    public func constant(_ value: Double) -> LLVMValueRef { L.LLVMConstReal(double, value)! }
    /// The value of `v` when it is a floating-point constant.
    public func constantDouble(_ v: LLVMValueRef) -> Double? {
        guard L.LLVMIsAConstantFP(v) != nil else { return nil }
        var losesInfo: LLVMBool = 0
        return L.LLVMConstRealGetDouble(v, &losesInfo)
    }
    public func null(_ type: LLVMTypeRef) -> LLVMValueRef { L.LLVMConstNull(type)! }
    /// The 64-bit constant with these bits (NaN-boxed values, doubles' bit patterns).
    public func bits(_ value: UInt64) -> LLVMValueRef { L.LLVMConstInt(i64, value, 0)! }
    /// A constant array of `type` elements.
    public func array(_ type: LLVMTypeRef, _ elements: [LLVMValueRef]) -> LLVMValueRef {
        var values: [LLVMValueRef?] = elements
        return L.LLVMConstArray(type, &values, UInt32(values.count))!
    }
    /// A constant structure of `elements`.
    public func constantStruct(_ elements: [LLVMValueRef]) -> LLVMValueRef {
        var values: [LLVMValueRef?] = elements
        return L.LLVMConstStructInContext(ref, &values, UInt32(values.count), 0)!
    }
    /// `value` (a constant) seen as `type` (a pointer cast in a global's initializer).
    public func constantCast(_ value: LLVMValueRef, to type: LLVMTypeRef) -> LLVMValueRef { L.LLVMConstBitCast(value, type)! }
    public func arrayType(_ element: LLVMTypeRef, _ count: Int) -> LLVMTypeRef { L.LLVMArrayType(element, UInt32(count))! }
}
