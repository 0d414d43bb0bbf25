/// An ORC LLJIT instance: absolute runtime symbols, module adds, lookups, resource trackers.
import CLLVM
#if canImport(Glibc)
import Glibc
#endif

/// One LLJIT with its main JITDylib. Every method takes the engine's lock, so adds and
/// lookups from several threads are serialised (LLVM must never compile two modules into
/// one LLJIT at once).
public final class JITEngine {
    public let ref: LLVMOrcLLJITRef
    let dylib: LLVMOrcJITDylibRef
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// An LLJIT for the host (its own target machine builder detects CPU and features).
    public init() throws {
        try TargetMachine.initializeNative()
        var jit: LLVMOrcLLJITRef? = nil
        try check(L.LLVMOrcCreateLLJIT(&jit, nil), .jit)
        guard let jit else { throw LLVMError(.jit, "LLVMOrcCreateLLJIT returned no instance") }
        ref = jit
        dylib = L.LLVMOrcLLJITGetMainJITDylib(jit)!
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        // Disposal errors (a failing teardown) have nowhere to go in a deinit: consume them.
        if let error = L.LLVMOrcDisposeLLJIT(ref) { L.LLVMConsumeError(error) }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    public var triple: String { borrowedString(L.LLVMOrcLLJITGetTripleString(ref)) }
    public var dataLayout: String { borrowedString(L.LLVMOrcLLJITGetDataLayoutStr(ref)) }

    /// Defines functions or data of this process (the runtime) in the main JITDylib by
    /// address, so JIT code calls them without the executable exporting any symbol.
    public func defineAbsoluteSymbols(_ symbols: [(name: String, address: UnsafeRawPointer)]) throws {
        try locked {
            let flags = LLVMJITSymbolFlags(
                GenericFlags: UInt8(LLVMJITSymbolGenericFlagsExported.rawValue
                                    | LLVMJITSymbolGenericFlagsCallable.rawValue),
                TargetFlags: 0)
            var pairs = symbols.map { symbol in
                LLVMOrcCSymbolMapPairs.Pointee(
                    Name: L.LLVMOrcLLJITMangleAndIntern(ref, symbol.name),
                    Sym: LLVMJITEvaluatedSymbol(Address: UInt64(UInt(bitPattern: symbol.address)),
                                                Flags: flags))
            }
            // The unit takes over the interned names; if the dylib refuses it we dispose it.
            let unit = L.LLVMOrcAbsoluteSymbols(&pairs, pairs.count)
            if let error = L.LLVMOrcJITDylibDefine(dylib, unit) {
                L.LLVMOrcDisposeMaterializationUnit(unit)
                try check(error, .jit)
            }
        }
    }

    /// Resolves symbols no module and no `defineAbsoluteSymbols` defines through the
    /// process's shared libraries (the C and math libraries: LLVM may turn a call to `pow`
    /// into one to `exp2`, and lowers math intrinsics to library calls).
    public func resolveProcessSymbols() throws {
        try locked {
            var generator: LLVMOrcDefinitionGeneratorRef? = nil
            try check(L.LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
                &generator, L.LLVMOrcLLJITGetGlobalPrefix(ref), nil, nil), .jit)
            guard let generator else { throw LLVMError(.jit, "no process symbol generator") }
            L.LLVMOrcJITDylibAddGenerator(dylib, generator)
        }
    }

    /// A fresh thread-safe context; build the modules for `add` in it.
    public func makeContext() -> LLVMContext {
        LLVMContext(threadSafe: L.LLVMOrcCreateNewThreadSafeContext()!)
    }

    /// A tracker whose `remove()` frees the code of every module added with it.
    public func makeResourceTracker() -> ResourceTracker {
        locked { ResourceTracker(L.LLVMOrcJITDylibCreateResourceTracker(dylib)!, engine: self) }
    }

    /// Hands `module` (built in a context from `makeContext()`) to the JIT, which compiles it
    /// on first lookup. The module object is empty afterwards.
    public func add(_ module: LLVMModule, tracker: ResourceTracker? = nil) throws {
        guard let threadSafe = module.context.threadSafe else {
            throw LLVMError(.jit, "a JIT module must be built in a context from JITEngine.makeContext()")
        }
        let unit = L.LLVMOrcCreateNewThreadSafeModule(module.release(), threadSafe)
        let error = locked {
            if let tracker { return L.LLVMOrcLLJITAddLLVMIRModuleWithRT(ref, tracker.ref, unit) }
            return L.LLVMOrcLLJITAddLLVMIRModule(ref, dylib, unit)
        }
        if error != nil { L.LLVMOrcDisposeThreadSafeModule(unit) }
        try check(error, .jit)
    }

    /// Compiles `module` to machine code with `machine` here, on the calling thread, and
    /// hands the object to the JIT, which links it on first lookup. The caller keeps one
    /// target machine for all its modules (LLJIT's own compile makes one per module).
    /// Returns the object's size in bytes.
    @discardableResult
    public func addCompiled(_ module: LLVMModule, with machine: TargetMachine, tracker: ResourceTracker,
                            measuring symbol: String? = nil, symbolSize: UnsafeMutablePointer<Int>? = nil) throws -> Int {
        var message: UnsafeMutablePointer<CChar>? = nil
        var buffer: LLVMMemoryBufferRef? = nil
        let failed = L.LLVMTargetMachineEmitToMemoryBuffer(machine.ref, module.live, LLVMObjectFile, &message, &buffer) != 0
        let text = takeMessage(message)
        guard !failed, let buffer else { throw LLVMError(.emission, text) }
        let size = Int(L.LLVMGetBufferSize(buffer))
        if let symbol, let symbolSize { symbolSize.pointee = JITEngine.size(of: symbol, in: buffer) }
        // The JIT owns the buffer from here, whatever happens.
        try check(locked { L.LLVMOrcLLJITAddObjectFileWithRT(ref, tracker.ref, buffer) }, .jit)
        return size
    }

    /// The size in bytes of function `symbol` in the object file `buffer` (0 when it has none).
    static func size(of symbol: String, in buffer: LLVMMemoryBufferRef) -> Int {
        var message: UnsafeMutablePointer<CChar>? = nil
        guard let binary = L.LLVMCreateBinary(buffer, nil, &message) else {
            _ = takeMessage(message)
            return 0
        }
        defer { L.LLVMDisposeBinary(binary) }
        guard let symbols = L.LLVMObjectFileCopySymbolIterator(binary) else { return 0 }
        defer { L.LLVMDisposeSymbolIterator(symbols) }
        while L.LLVMObjectFileIsSymbolIteratorAtEnd(binary, symbols) == 0 {
            if let name = L.LLVMGetSymbolName(symbols), String(cString: name) == symbol {
                return Int(L.LLVMGetSymbolSize(symbols))
            }
            L.LLVMMoveToNextSymbol(symbols)
        }
        return 0
    }

    /// The address of `name` (unmangled), compiling its module if needed.
    public func lookup(_ name: String) throws -> UnsafeRawPointer {
        var address: LLVMOrcExecutorAddress = 0
        let error = locked { L.LLVMOrcLLJITLookup(ref, &address, name) }
        try check(error, .symbolNotFound)
        guard let pointer = UnsafeRawPointer(bitPattern: UInt(address)) else {
            throw LLVMError(.symbolNotFound, "'\(name)' resolved to address 0")
        }
        return pointer
    }

    func removeTracked(_ tracker: LLVMOrcResourceTrackerRef) throws {
        try check(locked { L.LLVMOrcResourceTrackerRemove(tracker) }, .jit)
    }
}

/// An ORC resource tracker: the code added with it can be freed as a unit.
public final class ResourceTracker {
    let ref: LLVMOrcResourceTrackerRef
    private let engine: JITEngine

    init(_ ref: LLVMOrcResourceTrackerRef, engine: JITEngine) {
        self.ref = ref
        self.engine = engine
    }

    deinit { L.LLVMOrcReleaseResourceTracker(ref) }

    /// Frees the code and symbols of every module added with this tracker.
    public func remove() throws { try engine.removeTracked(ref) }
}
