/// An instruction builder with helpers for the instructions the compilers emit most.
import CLLVM

/// An `LLVMBuilderRef`. Anything not covered here is one `LLVMLibrary.api` call away on `ref`.
public final class IRBuilder {
    public let ref: LLVMBuilderRef
    public let context: LLVMContext
    /// When set, loads and stores given a `memory` class carry its alias metadata.
    public var memoryTags: MemoryTags?

    public init(_ context: LLVMContext) {
        self.context = context
        ref = L.LLVMCreateBuilderInContext(context.ref)!
    }

    deinit { L.LLVMDisposeBuilder(ref) }

    // MARK: Blocks and positions

    public func appendBlock(to function: LLVMValueRef, _ name: String = "") -> LLVMBasicBlockRef {
        L.LLVMAppendBasicBlockInContext(context.ref, function, name)!
    }
    public func position(atEndOf block: LLVMBasicBlockRef) { L.LLVMPositionBuilderAtEnd(ref, block) }
    public var insertBlock: LLVMBasicBlockRef? { L.LLVMGetInsertBlock(ref) }
    public func parameter(_ function: LLVMValueRef, _ index: Int) -> LLVMValueRef {
        L.LLVMGetParam(function, UInt32(index))!
    }

    /// Marks `call` as a call that reads and writes no memory and always returns, so LLVM may
    /// compute it once for several calls and move it out of loops (a thread's `errno`
    /// location).
    public func markPure(_ call: LLVMValueRef) {
        for name in ["readnone", "nounwind", "willreturn"] {
            let kind = L.LLVMGetEnumAttributeKindForName(name, name.utf8.count)
            L.LLVMAddCallSiteAttribute(call, UInt32(bitPattern: -1), L.LLVMCreateEnumAttribute(context.ref, kind, 0))
        }
    }

    // MARK: Control flow

    @discardableResult public func ret(_ value: LLVMValueRef) -> LLVMValueRef { L.LLVMBuildRet(ref, value)! }
    @discardableResult public func retVoid() -> LLVMValueRef { L.LLVMBuildRetVoid(ref)! }
    @discardableResult public func br(_ target: LLVMBasicBlockRef) -> LLVMValueRef { L.LLVMBuildBr(ref, target)! }
    /// Gives conditional branch `branch` LLVM's `branch_weights` (how often each successor
    /// was taken, in order), for block placement.
    public func setBranchWeights(_ branch: LLVMValueRef, _ weights: [UInt32]) {
        let c = context.ref
        let name = "branch_weights"
        var operands: [LLVMMetadataRef?] = [L.LLVMMDStringInContext2(c, name, name.utf8.count)]
        for w in weights { operands.append(L.LLVMValueAsMetadata(L.LLVMConstInt(L.LLVMInt32TypeInContext(c), UInt64(w), 0))) }
        let node = operands.withUnsafeMutableBufferPointer { L.LLVMMDNodeInContext2(c, $0.baseAddress, $0.count) }
        let kind = L.LLVMGetMDKindIDInContext(c, "prof", 4)
        L.LLVMSetMetadata(branch, kind, L.LLVMMetadataAsValue(c, node))
    }

    @discardableResult
    public func condBr(_ condition: LLVMValueRef, _ then: LLVMBasicBlockRef,
                       _ otherwise: LLVMBasicBlockRef) -> LLVMValueRef {
        L.LLVMBuildCondBr(ref, condition, then, otherwise)!
    }

    public func phi(_ type: LLVMTypeRef, _ incoming: [(LLVMValueRef, LLVMBasicBlockRef)],
                    _ name: String = "") -> LLVMValueRef {
        let node = L.LLVMBuildPhi(ref, type, name)!
        addIncoming(node, incoming)
        return node
    }
    public func addIncoming(_ phi: LLVMValueRef, _ incoming: [(LLVMValueRef, LLVMBasicBlockRef)]) {
        var values: [LLVMValueRef?] = incoming.map { $0.0 }
        var blocks: [LLVMBasicBlockRef?] = incoming.map { $0.1 }
        L.LLVMAddIncoming(phi, &values, &blocks, UInt32(incoming.count))
    }

    /// A call through `type` (the callee's function type; required by `LLVMBuildCall2`).
    @discardableResult
    public func call(_ type: LLVMTypeRef, _ callee: LLVMValueRef, _ arguments: [LLVMValueRef],
                     _ name: String = "") -> LLVMValueRef {
        var args: [LLVMValueRef?] = arguments
        return L.LLVMBuildCall2(ref, type, callee, &args, UInt32(args.count), name)!
    }

    /// Marks `call` a tail call (LLVM may make it a jump).
    public func setTailCall(_ call: LLVMValueRef) { L.LLVMSetTailCall(call, 1) }

    // MARK: Memory

    public func alloca(_ type: LLVMTypeRef, _ name: String = "") -> LLVMValueRef { L.LLVMBuildAlloca(ref, type, name)! }
    /// A load; `volatile` for memory a signal handler writes (the instruction budget), which
    /// a loop must read again on every iteration.
    public func load(_ type: LLVMTypeRef, _ pointer: LLVMValueRef, _ name: String = "", volatile: Bool = false,
                     memory: MemoryKind? = nil) -> LLVMValueRef {
        let v = L.LLVMBuildLoad2(ref, type, pointer, name)!
        if volatile { L.LLVMSetVolatile(v, 1) }
        if let memory, let memoryTags { memoryTags.tag(v, memory) }
        return v
    }
    /// A load of memory that holds the same value wherever the function reads it (a table
    /// filled before the code first runs): `!invariant.load`, so LLVM may hoist and merge it.
    public func invariantLoad(_ type: LLVMTypeRef, _ pointer: LLVMValueRef) -> LLVMValueRef {
        let v = L.LLVMBuildLoad2(ref, type, pointer, "")!
        let c = context.ref
        let empty = L.LLVMMDNodeInContext2(c, nil, 0)
        L.LLVMSetMetadata(v, L.LLVMGetMDKindIDInContext(c, "invariant.load", 14), L.LLVMMetadataAsValue(c, empty))
        return v
    }
    @discardableResult
    public func store(_ value: LLVMValueRef, _ pointer: LLVMValueRef, volatile: Bool = false,
                      memory: MemoryKind? = nil) -> LLVMValueRef {
        let s = L.LLVMBuildStore(ref, value, pointer)!
        if volatile { L.LLVMSetVolatile(s, 1) }
        if let memory, let memoryTags { memoryTags.tag(s, memory) }
        return s
    }
    public func gep(_ type: LLVMTypeRef, _ pointer: LLVMValueRef, _ indices: [LLVMValueRef],
                    inBounds: Bool = true, _ name: String = "") -> LLVMValueRef {
        var idx: [LLVMValueRef?] = indices
        return inBounds
            ? L.LLVMBuildInBoundsGEP2(ref, type, pointer, &idx, UInt32(idx.count), name)!
            : L.LLVMBuildGEP2(ref, type, pointer, &idx, UInt32(idx.count), name)!
    }
    /// A private constant C string; the result is an `i8*` / `ptr` to its first byte.
    public func globalString(_ text: String, _ name: String = "str") -> LLVMValueRef {
        L.LLVMBuildGlobalStringPtr(ref, text, name)!
    }

    // MARK: Arithmetic and conversions (never fast-math: -0 and NaN must stay Lua's)

    public func add(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildAdd(ref, a, b, n)! }
    public func addNSW(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildNSWAdd(ref, a, b, n)! }
    public func sub(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildSub(ref, a, b, n)! }
    public func mul(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildMul(ref, a, b, n)! }
    /// Integer division and remainder: the divisor must not be 0, nor -1 with the smallest
    /// dividend (signed), which are undefined.
    public func sdiv(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildSDiv(ref, a, b, n)! }
    public func udiv(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildUDiv(ref, a, b, n)! }
    public func srem(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildSRem(ref, a, b, n)! }
    public func urem(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildURem(ref, a, b, n)! }
    public func fadd(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFAdd(ref, a, b, n)! }
    public func fsub(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFSub(ref, a, b, n)! }
    public func fmul(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFMul(ref, a, b, n)! }
    public func fdiv(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFDiv(ref, a, b, n)! }
    public func shl(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildShl(ref, a, b, n)! }
    public func xor(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildXor(ref, a, b, n)! }
    public func frem(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFRem(ref, a, b, n)! }
    public func icmp(_ p: LLVMIntPredicate, _ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef {
        L.LLVMBuildICmp(ref, p, a, b, n)!
    }
    public func fcmp(_ p: LLVMRealPredicate, _ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef {
        L.LLVMBuildFCmp(ref, p, a, b, n)!
    }
    public func select(_ c: LLVMValueRef, _ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef {
        L.LLVMBuildSelect(ref, c, a, b, n)!
    }
    public func bitcast(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildBitCast(ref, v, t, n)! }
    public func sitofp(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildSIToFP(ref, v, t, n)! }
    public func zext(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildZExt(ref, v, t, n)! }
    public func sext(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildSExt(ref, v, t, n)! }
    public func uitofp(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildUIToFP(ref, v, t, n)! }
    public func trunc(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildTrunc(ref, v, t, n)! }
    public func intToPtr(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildIntToPtr(ref, v, t, n)! }
    public func ptrToInt(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildPtrToInt(ref, v, t, n)! }
    /// Only for values known to be in range: out of range, `fptosi` is poison.
    public func fptosi(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFPToSI(ref, v, t, n)! }
    /// A value that is not poison: `v` when it is not, some fixed value of its type when it
    /// is (an out-of-range `fptosi`'s result, compared afterwards with what it came from).
    public func freeze(_ v: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFreeze(ref, v, n)! }
    /// Only for values known to be in range, as `fptosi`.
    public func fptoui(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFPToUI(ref, v, t, n)! }
    public func fpext(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFPExt(ref, v, t, n)! }
    public func fptrunc(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFPTrunc(ref, v, t, n)! }
    public func fneg(_ v: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildFNeg(ref, v, n)! }
    public func and(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildAnd(ref, a, b, n)! }
    public func or(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildOr(ref, a, b, n)! }
    public func lshr(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildLShr(ref, a, b, n)! }
    public func ashr(_ a: LLVMValueRef, _ b: LLVMValueRef, _ n: String = "") -> LLVMValueRef { L.LLVMBuildAShr(ref, a, b, n)! }
    public func pointerCast(_ v: LLVMValueRef, _ t: LLVMTypeRef, _ n: String = "") -> LLVMValueRef {
        L.LLVMBuildPointerCast(ref, v, t, n)!
    }

    /// A `switch` on `value` with `cases` (constant, block) and a default block.
    @discardableResult
    public func switchOn(_ value: LLVMValueRef, default otherwise: LLVMBasicBlockRef,
                         _ cases: [(LLVMValueRef, LLVMBasicBlockRef)]) -> LLVMValueRef {
        let node = L.LLVMBuildSwitch(ref, value, otherwise, UInt32(cases.count))!
        for (v, b) in cases { L.LLVMAddCase(node, v, b) }
        return node
    }
    @discardableResult public func unreachable() -> LLVMValueRef { L.LLVMBuildUnreachable(ref)! }
}
