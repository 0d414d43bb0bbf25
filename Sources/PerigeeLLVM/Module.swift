/// An LLVM module: functions, target settings, verification and its textual IR.
import CLLVM

/// An `LLVMModuleRef` owned until it is handed over (to the JIT) or deinitialised.
public final class LLVMModule {
    public let context: LLVMContext
    /// The module; nil once ownership went elsewhere (`JITEngine.add`).
    public private(set) var ref: LLVMModuleRef?

    public init(name: String, in context: LLVMContext) {
        self.context = context
        ref = L.LLVMModuleCreateWithNameInContext(name, context.ref)
    }

    deinit { if let ref { L.LLVMDisposeModule(ref) } }

    var live: LLVMModuleRef {
        guard let ref else { preconditionFailure("module already handed over") }
        return ref
    }

    /// Gives up ownership of the module (the caller now disposes or hands it on).
    func release() -> LLVMModuleRef {
        let module = live
        ref = nil
        return module
    }

    /// The target triple.
    public var triple: String {
        get { borrowedString(L.LLVMGetTarget(live)) }
        set { L.LLVMSetTarget(live, newValue) }
    }

    public var dataLayout: String {
        get { borrowedString(L.LLVMGetDataLayoutStr(live)) }
        set { L.LLVMSetDataLayout(live, newValue) }
    }

    /// Adds a function (a declaration until blocks are appended).
    @discardableResult
    public func addFunction(_ name: String, _ type: LLVMTypeRef) -> LLVMValueRef {
        L.LLVMAddFunction(live, name, type)!
    }

    public func function(named name: String) -> LLVMValueRef? { L.LLVMGetNamedFunction(live, name) }
    public func global(named name: String) -> LLVMValueRef? { L.LLVMGetNamedGlobal(live, name) }

    /// The function `name`, declared with `type` if the module does not have it yet.
    public func declare(_ name: String, _ type: LLVMTypeRef) -> LLVMValueRef {
        function(named: name) ?? addFunction(name, type)
    }

    /// A constant global of `bytes` (an `[n x i8]`, not NUL-terminated).
    @discardableResult
    public func addConstantBytes(_ name: String, _ bytes: [UInt8], isPrivate: Bool = true) -> LLVMValueRef {
        let value = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                L.LLVMConstStringInContext(context.ref, $0.baseAddress, UInt32($0.count), 1)!
            }
        }
        let global = L.LLVMAddGlobal(live, L.LLVMTypeOf(value), name)!
        L.LLVMSetInitializer(global, value)
        L.LLVMSetGlobalConstant(global, 1)
        if isPrivate { L.LLVMSetLinkage(global, LLVMPrivateLinkage) }
        return global
    }

    /// A constant global holding `value` (of `type`).
    @discardableResult
    public func addConstant(_ name: String, _ type: LLVMTypeRef, _ value: LLVMValueRef, isPrivate: Bool = true) -> LLVMValueRef {
        let global = L.LLVMAddGlobal(live, type, name)!
        L.LLVMSetInitializer(global, value)
        L.LLVMSetGlobalConstant(global, 1)
        if isPrivate { L.LLVMSetLinkage(global, LLVMPrivateLinkage) }
        return global
    }

    /// A variable global of `type`, starting as `initial`, private to the module.
    @discardableResult
    public func addVariable(_ name: String, _ type: LLVMTypeRef, _ initial: LLVMValueRef) -> LLVMValueRef {
        let global = L.LLVMAddGlobal(live, type, name)!
        L.LLVMSetInitializer(global, initial)
        L.LLVMSetLinkage(global, LLVMInternalLinkage)
        return global
    }

    /// A variable global of `type` starting as `initial`, visible to the program's other
    /// objects (which declare it with `declareVariable`).
    @discardableResult
    public func addSharedVariable(_ name: String, _ type: LLVMTypeRef, _ initial: LLVMValueRef) -> LLVMValueRef {
        let global = L.LLVMAddGlobal(live, type, name)!
        L.LLVMSetInitializer(global, initial)
        return global
    }

    /// A variable global of `type`, all zeros, visible to the program's other objects.
    public func addSharedZeroedVariable(_ name: String, _ type: LLVMTypeRef) -> LLVMValueRef {
        addSharedVariable(name, type, L.LLVMConstNull(type)!)
    }

    /// A global of `type` defined in another object.
    public func declareVariable(_ name: String, _ type: LLVMTypeRef) -> LLVMValueRef {
        L.LLVMAddGlobal(live, type, name)!
    }

    /// Gives a function internal linkage (not visible outside the object).
    public func makeInternal(_ function: LLVMValueRef) { L.LLVMSetLinkage(function, LLVMInternalLinkage) }

    /// Gives `function` the function attribute `name` (`"alwaysinline"`, ...).
    public func addAttribute(_ name: String, to function: LLVMValueRef) {
        let kind = L.LLVMGetEnumAttributeKindForName(name, name.utf8.count)
        let attribute = L.LLVMCreateEnumAttribute(L.LLVMGetModuleContext(live), kind, 0)
        L.LLVMAddAttributeAtIndex(function, UInt32(bitPattern: -1), attribute)
    }

    /// Throws `LLVMError(.verification)` with the verifier's report when the module is invalid.
    public func verify() throws {
        var message: UnsafeMutablePointer<CChar>? = nil
        let failed = L.LLVMVerifyModule(live, LLVMReturnStatusAction, &message) != 0
        let text = takeMessage(message)
        if failed { throw LLVMError(.verification, text) }
    }

    /// The module as textual LLVM IR.
    public var ir: String { takeMessage(L.LLVMPrintModuleToString(live)) }
}
