/* The LLVM C API as Perigee uses it: declarations from LLVM's own headers, bound at run time. */
#ifndef PERIGEE_CLLVM_H
#define PERIGEE_CLLVM_H

/* LLVM's headers are included for their declarations only. Perigee never links libLLVM:
 * every function below is called through the table returned by perigee_llvm_api(), so a
 * direct call to, say, LLVMContextCreate fails at link time, which is what we want. */
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Disassembler.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Object.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stddef.h>

/* Native target initialisation. LLVMInitializeNativeTarget and friends are static inline in
 * LLVM's headers (they would call the real functions directly), so we list the real ones. */
#if defined(__x86_64__)
#define PERIGEE_LLVM_NATIVE_TARGET(X) \
  X(LLVMInitializeX86TargetInfo) X(LLVMInitializeX86Target) \
  X(LLVMInitializeX86TargetMC) X(LLVMInitializeX86AsmPrinter) X(LLVMInitializeX86Disassembler)
#elif defined(__aarch64__)
#define PERIGEE_LLVM_NATIVE_TARGET(X) \
  X(LLVMInitializeAArch64TargetInfo) X(LLVMInitializeAArch64Target) \
  X(LLVMInitializeAArch64TargetMC) X(LLVMInitializeAArch64AsmPrinter) X(LLVMInitializeAArch64Disassembler)
#else
#error "Perigee supports x86_64 and aarch64 hosts"
#endif

/* THE list of every LLVM-C function the project calls. Add a name here to use it; the
 * table field, its type (taken from LLVM's own declaration) and the dlsym are derived. */
#define PERIGEE_LLVM_FUNCTIONS(X) \
  PERIGEE_LLVM_NATIVE_TARGET(X) \
  /* Messages and errors */ \
  X(LLVMDisposeMessage) X(LLVMGetErrorMessage) X(LLVMDisposeErrorMessage) \
  X(LLVMConsumeError) \
  /* Contexts and modules */ \
  X(LLVMContextCreate) X(LLVMContextDispose) X(LLVMModuleCreateWithNameInContext) \
  X(LLVMDisposeModule) X(LLVMGetModuleContext) X(LLVMSetTarget) X(LLVMGetTarget) \
  X(LLVMSetDataLayout) X(LLVMGetDataLayoutStr) X(LLVMPrintModuleToString) \
  X(LLVMVerifyModule) X(LLVMVerifyFunction) \
  /* Types */ \
  X(LLVMInt1TypeInContext) X(LLVMInt8TypeInContext) X(LLVMInt16TypeInContext) \
  X(LLVMInt32TypeInContext) X(LLVMInt64TypeInContext) X(LLVMIntTypeInContext) \
  X(LLVMDoubleTypeInContext) X(LLVMFloatTypeInContext) X(LLVMVoidTypeInContext) \
  X(LLVMPointerType) X(LLVMFunctionType) X(LLVMStructTypeInContext) \
  X(LLVMArrayType) X(LLVMTypeOf) X(LLVMGetTypeKind) X(LLVMGetReturnType) \
  X(LLVMGlobalGetValueType) X(LLVMContextSetDiscardValueNames) \
  /* Functions, globals, blocks */ \
  X(LLVMAddFunction) X(LLVMGetNamedFunction) X(LLVMGetParam) X(LLVMCountParams) \
  X(LLVMSetLinkage) X(LLVMSetFunctionCallConv) X(LLVMAddGlobal) X(LLVMSetInitializer) \
  X(LLVMSetGlobalConstant) X(LLVMGetNamedGlobal) X(LLVMSetValueName2) \
  X(LLVMAppendBasicBlockInContext) X(LLVMGetInsertBlock) X(LLVMGetBasicBlockParent) \
  X(LLVMGetBasicBlockTerminator) X(LLVMGetFirstBasicBlock) X(LLVMGetEntryBasicBlock) \
  /* Constants */ \
  X(LLVMConstInt) X(LLVMConstReal) X(LLVMIsAConstantFP) X(LLVMConstRealGetDouble) X(LLVMConstNull) X(LLVMConstPointerNull) \
  X(LLVMGetUndef) X(LLVMConstStringInContext) X(LLVMConstArray) X(LLVMConstStructInContext) X(LLVMConstBitCast) \
  X(LLVMCreateDIBuilder) X(LLVMDisposeDIBuilder) X(LLVMDIBuilderFinalize) X(LLVMDIBuilderCreateCompileUnit) \
  X(LLVMDIBuilderCreateFile) X(LLVMDIBuilderCreateSubroutineType) X(LLVMDIBuilderCreateFunction) \
  X(LLVMSetSubprogram) X(LLVMDIBuilderCreateDebugLocation) X(LLVMSetCurrentDebugLocation2) \
  X(LLVMAddModuleFlag) X(LLVMValueAsMetadata) X(LLVMDebugMetadataVersion) X(LLVMConstIntToPtr) \
  X(LLVMMDStringInContext2) X(LLVMMDNodeInContext2) X(LLVMMetadataAsValue) X(LLVMSetMetadata) \
  X(LLVMGetMDKindIDInContext) \
  X(LLVMGetEnumAttributeKindForName) X(LLVMCreateEnumAttribute) X(LLVMAddAttributeAtIndex) X(LLVMAddCallSiteAttribute) \
  /* Builder */ \
  X(LLVMCreateBuilderInContext) X(LLVMDisposeBuilder) X(LLVMPositionBuilderAtEnd) \
  X(LLVMPositionBuilderBefore) \
  X(LLVMBuildRet) X(LLVMBuildRetVoid) X(LLVMBuildBr) X(LLVMBuildCondBr) \
  X(LLVMBuildSwitch) X(LLVMAddCase) X(LLVMBuildUnreachable) \
  X(LLVMBuildAdd) X(LLVMBuildNSWAdd) X(LLVMBuildSub) X(LLVMBuildMul) X(LLVMBuildSDiv) X(LLVMBuildSRem) \
  X(LLVMBuildUDiv) X(LLVMBuildURem) \
  X(LLVMBuildAnd) X(LLVMBuildOr) X(LLVMBuildXor) X(LLVMBuildShl) X(LLVMBuildLShr) \
  X(LLVMBuildAShr) X(LLVMBuildNeg) X(LLVMBuildNot) \
  X(LLVMBuildFAdd) X(LLVMBuildFSub) X(LLVMBuildFMul) X(LLVMBuildFDiv) X(LLVMBuildFRem) \
  X(LLVMBuildFNeg) X(LLVMBuildICmp) X(LLVMBuildFCmp) X(LLVMBuildSelect) \
  X(LLVMBuildZExt) X(LLVMBuildSExt) X(LLVMBuildTrunc) X(LLVMBuildSIToFP) \
  X(LLVMBuildUIToFP) X(LLVMBuildFreeze) X(LLVMBuildFPToSI) X(LLVMBuildFPToUI) X(LLVMBuildFPExt) X(LLVMBuildFPTrunc) X(LLVMBuildBitCast) X(LLVMBuildIntToPtr) \
  X(LLVMBuildPtrToInt) X(LLVMBuildPointerCast) \
  X(LLVMBuildAlloca) X(LLVMBuildLoad2) X(LLVMBuildStore) X(LLVMSetVolatile) X(LLVMBuildGEP2) \
  X(LLVMBuildInBoundsGEP2) X(LLVMBuildCall2) X(LLVMBuildPhi) X(LLVMAddIncoming) \
  X(LLVMBuildGlobalStringPtr) X(LLVMSetTailCall) \
  /* Targets and code emission */ \
  X(LLVMGetDefaultTargetTriple) X(LLVMNormalizeTargetTriple) X(LLVMGetHostCPUName) \
  X(LLVMGetHostCPUFeatures) X(LLVMGetTargetFromTriple) X(LLVMCreateTargetMachine) \
  X(LLVMDisposeTargetMachine) X(LLVMCreateTargetDataLayout) \
  X(LLVMCopyStringRepOfTargetData) X(LLVMDisposeTargetData) \
  X(LLVMTargetMachineEmitToFile) X(LLVMTargetMachineEmitToMemoryBuffer) \
  X(LLVMGetBufferStart) X(LLVMGetBufferSize) X(LLVMDisposeMemoryBuffer) \
  /* Object files (a function's size) and the disassembler (-jdump's machine code) */ \
  X(LLVMCreateBinary) X(LLVMDisposeBinary) X(LLVMObjectFileCopySymbolIterator) \
  X(LLVMObjectFileIsSymbolIteratorAtEnd) X(LLVMMoveToNextSymbol) X(LLVMGetSymbolName) \
  X(LLVMGetSymbolSize) X(LLVMDisposeSymbolIterator) \
  X(LLVMCreateDisasm) X(LLVMSetDisasmOptions) X(LLVMDisasmInstruction) X(LLVMDisasmDispose) \
  /* New pass manager */ \
  X(LLVMCreatePassBuilderOptions) X(LLVMDisposePassBuilderOptions) \
  X(LLVMPassBuilderOptionsSetVerifyEach) X(LLVMRunPasses) \
  /* ORC LLJIT */ \
  X(LLVMOrcCreateLLJIT) X(LLVMOrcDisposeLLJIT) X(LLVMOrcLLJITGetMainJITDylib) \
  X(LLVMOrcLLJITGetTripleString) X(LLVMOrcLLJITGetDataLayoutStr) \
  X(LLVMOrcLLJITMangleAndIntern) X(LLVMOrcLLJITAddLLVMIRModule) \
  X(LLVMOrcLLJITAddLLVMIRModuleWithRT) X(LLVMOrcLLJITLookup) X(LLVMOrcLLJITAddObjectFileWithRT) \
  X(LLVMOrcAbsoluteSymbols) X(LLVMOrcJITDylibDefine) \
  X(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess) X(LLVMOrcJITDylibAddGenerator) \
  X(LLVMOrcLLJITGetGlobalPrefix) \
  X(LLVMOrcDisposeMaterializationUnit) X(LLVMOrcReleaseSymbolStringPoolEntry) \
  X(LLVMOrcCreateNewThreadSafeContext) X(LLVMOrcThreadSafeContextGetContext) \
  X(LLVMOrcDisposeThreadSafeContext) X(LLVMOrcCreateNewThreadSafeModule) \
  X(LLVMOrcDisposeThreadSafeModule) X(LLVMOrcJITDylibCreateResourceTracker) \
  X(LLVMOrcResourceTrackerRemove) X(LLVMOrcReleaseResourceTracker)

/* One field per listed function, typed from LLVM's own declaration (never written twice). */
#pragma clang assume_nonnull begin
typedef struct PerigeeLLVMAPI {
#define PERIGEE_LLVM_FIELD(name) __typeof__(&name) name;
  PERIGEE_LLVM_FUNCTIONS(PERIGEE_LLVM_FIELD)
#undef PERIGEE_LLVM_FIELD
} PerigeeLLVMAPI;
#pragma clang assume_nonnull end

/* Opens libLLVM once (the path in $PERIGEE_LLVM_LIBRARY if set, else the library found at
 * build time, else its soname), resolves every listed function and returns the table. On
 * failure returns NULL and sets *error to a message naming the library and missing symbols;
 * a later call tries again. Thread-safe; the table lives until the process exits. */
const PerigeeLLVMAPI *_Nullable perigee_llvm_api(const char *_Nullable *_Nonnull error);

/* Non-NULL once perigee_llvm_api() has succeeded; never loads anything itself. */
const PerigeeLLVMAPI *_Nullable perigee_llvm_loaded(void);

/* Tries to open the library at `path` and resolve every listed function, then closes it
 * again; the process-wide table is untouched. Returns 0, or -1 with a message in `error`. */
int perigee_llvm_probe(const char *_Nonnull path, char *_Nonnull error, size_t error_size);

/* The library path chosen at build time (from llvm-config). */
const char *_Nonnull perigee_llvm_default_library(void);

/* The source tree's runtime/link directory (section order and the static C++ library for
 * lld, see runtime/link/README.md), or "" when the build found no lld. Like the library
 * path above, a fact of the build machine that `perigee build` uses when it links. */
const char *_Nonnull perigee_link_directory(void);

#endif
