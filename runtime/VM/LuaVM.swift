/// One Lua universe as the interpreter sees it: the global state, the globals table, the
/// pending error, chunk loading, and the entry points for calling Lua from native code.
import Glibc
import PerigeeFrontend

/// How a call into Lua ended. Errors and yields travel as this status through every native
/// frame; the error value waits in `LuaVM.errorValue`.
public enum CallStatus: Equatable {
    case ok
    case error
    case yield
}

/// A builtin's return: the number of results pushed (>= 0), or one of these.
public let builtinError: Int32 = -1
public let builtinYield: Int32 = -2

public final class LuaVM {
    public let g: GlobalRef
    public private(set) var mainThread: ThreadRef
    public internal(set) var globals: TableRef
    /// The value being thrown; meaningful while a status says `.error`.
    public internal(set) var errorValue: Value = .nil
    /// Native nesting depth (nested interpreter runs and builtins calling Lua): past
    /// `maxNativeDepth` a call fails with "C stack overflow" instead of crashing.
    var nativeDepth = 0
    /// Set when `string` could not make a string, while a builtin runs.
    var stringAllocationFailed = false
    let maxNativeDepth = 190
    /// The native nesting depth at which the running coroutine (`g.currentThread`, unless
    /// that is the main thread) was resumed; a yield is allowed only at that depth (otherwise
    /// a native frame is in the way). Each resume keeps the outer coroutine's on the native
    /// stack and puts it back, so a switch allocates nothing.
    var resumedAtDepth = 0
    /// Loop and function-entry counters; the JIT installs `hotCounters.onHot`.
    public var hotCounters = HotCounters()
    /// The compiled traces and the recorder's door (runtime/Interpreter/Traces.swift).
    public let traces = TraceTable()
    /// The debug hook (`debug.sethook`); the interpreter tests its flags.
    var hooks = DebugHooks()
    /// What the string library learned about the patterns it searched with last.
    var patternHints = PatternHintCache()
    /// In a built executable, where compiled code looks whether a hook is set.
    var compiledHookFlag: UnsafeMutablePointer<UInt>?
    /// The instruction limit (0: none; see InstructionBudget.swift).
    var instructionLimitSetting = 0
    /// Whether the instruction budget ran out in this universe (the exit status is then 1).
    public internal(set) var instructionLimitReached = false
    /// When set, an error that no pcall will catch records `lastTraceback` where it is raised.
    public var captureTracebacks = false
    public internal(set) var lastTraceback = ""
    /// Compiled functions of a built executable, by the prototype they were compiled from;
    /// `loadPrototype` attaches them. And its compiled modules, by name, for `require`.
    var compiledEntries: [ObjectIdentifier: CompiledVersions] = [:]
    var compiledModules: [String: CompiledModule] = [:]
    /// The prototypes `compiledEntries` names, kept alive so that no prototype made later
    /// (by `load`, `dofile`) can take the address, and so the identity, of a freed one.
    var compiledPrototypes: [Prototype] = []
    /// Compiled code recurses on the native stack; below this address it stops.
    let nativeStackLimit = LuaVM.computeNativeStackLimit()
    /// `type()`'s results, by `LuaType` (see `typeNameValue`).
    var typeNameValues: [Value] = []
    /// The FFI's C types and call layer (runtime/FFI).
    let ffi = FFIState()
    /// `math.random`'s generator.
    var random = RandomState(seed: 0)
    /// A builtin that fails with the pending error (stands in for an uncallable value).
    var errorThrower: FunctionRef!
    /// Stands for the native code that started the main thread: as in luajit, tracebacks and
    /// `debug.getinfo` show it as a C frame below the main chunk.
    var hostEntry: FunctionRef!
    /// Builtins the interpreter treats specially (they manipulate frames).
    var pcallFunction: FunctionRef?
    var xpcallFunction: FunctionRef?
    var nextFunction: FunctionRef?
    /// Function names of builtins, for messages ("bad argument #1 to 'insert'").
    var builtinNames: [FunctionRef: String] = [:]
    /// The builtins LuaJIT 2.1 writes in Lua (its `[builtin:name]` bytecode), with their
    /// parameter counts: the debug library describes them as luajit does.
    var bytecodeBuiltins: [FunctionRef: (name: String, parameters: Int)] = [:]
    /// `print`'s output buffer is flushed at exit and before reading input.
    public var standardOutput = OutputBuffer(fd: 1)
    /// The io library: the metatable of file handles and the default input and output files
    /// (also anchored in the registry).
    var fileMetatable: TableRef?
    var defaultInput: Value = .nil
    var defaultOutput: Value = .nil
    /// Pipes from `io.popen` not closed yet: closing the state waits for their commands.
    var openPipes: [UnsafeMutablePointer<FILE>] = []
    /// Set once `closeState()` started: finalizers run, and `ffi.gc` registers no new ones.
    public private(set) var isClosing = false

    /// The VM builtins run in (one per process while Perigee has a single universe).
    nonisolated(unsafe) public static var current: LuaVM! {
        didSet { unretained = current.map { Unmanaged.passUnretained($0) } }
    }
    /// `current` without reference counting, for the builtins' hot paths (`current` owns it).
    nonisolated(unsafe) static var unretained: Unmanaged<LuaVM>?
    /// The global state of `current`, read without reference counting.
    @inline(__always) static var currentGlobal: GlobalRef { unretained.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.g } }
    /// Runs `body` on `current` without retaining it (it stays owned by `current`).
    @inline(__always) static func withCurrent<R>(_ body: (LuaVM) -> R) -> R {
        unretained.unsafelyUnwrapped._withUnsafeGuaranteedRef(body)
    }

    /// A new universe with the standard libraries open. `memoryLimit` (bytes, 0 for none)
    /// applies once they are: a limit below what they take fails the first allocation after.
    public init?(memoryLimit: Int = 0) {
        guard let g = GlobalRef.create() else { return nil }
        self.g = g
        g.pointee.debugInfoRelease = releaseProtoInfo
        g.pointee.cdataAccess = ffi.types.access
        mainThread = g.pointee.mainThread
        guard let globals = g.newTable(arraySize: 0, hashSize: 64) else { g.destroy(); return nil }
        self.globals = globals
        mainThread.setEnv(globals, g)
        LuaVM.current = self
        g.pointee.finalizerHook = { _, userdata, handlerBits in
            // `__gc(udata)`; an error it raises stays pending in `errorValue` for the
            // safepoint that ran the collector to raise.
            let vm = LuaVM.current!
            let L = vm.g.pointee.currentThread
            var ignored = Value.nil
            let object = Value(object: userdata.assumingMemoryBound(to: GCHeader.self))
            // No debug hook fires inside a finalizer, as in LuaJIT.
            let hooksWereOff = vm.hooks.isRunning
            vm.hooks.isRunning = true
            let status = vm.callMetamethod(L, Value(bits: handlerBits), object, .nil, &ignored)
            vm.hooks.isRunning = hooksWereOff
            return status == .ok
        }
        _ = globals.set(string: g.intern("_G")!, Value(table: globals), g)
        openBaseLibrary()
        // The message exists before memory can run out.
        _ = memoryErrorValue
        g.pointee.memoryLimit = memoryLimit
        // The counter is one per process: a universe made after another starts unlimited.
        setInstructionLimit(0)
    }

    deinit { g.destroy() }

    /// Closes the universe as luajit's lua_close does when a program ends (normally, after an
    /// uncaught error, or by `os.exit(code, true)`): every finalizer not run yet runs, of
    /// reachable objects too (GCClose.swift); output they write is flushed by the caller.
    /// Runs once; the memory is left to the process's exit (or `deinit`).
    public func closeState() {
        guard !isClosing else { return }
        isClosing = true
        g.finalizeAtClose()
    }

    /// What luajit's command line does after a chunk raised an error no pcall caught: a full
    /// collection, so that the finalizers of what the error left unreachable run now (before
    /// the message is reported). The error value stays pending; an error of a finalizer is
    /// dropped.
    public func collectAfterUncaughtError() {
        pushAnchor(errorValue)
        g.fullCollect()
        _ = g.takeFinalizerFailure()
        popAnchor()
    }

    // MARK: Running builtins

    /// Runs builtin `f` on the frame `L.base ..< L.top`: every native function call goes
    /// through here. Its return is a GC safepoint, as LuaJIT's fast functions and API calls
    /// check the debt: builtins allocate strings, tables and buffers, and a loop calling
    /// them (`tostring(i)`, `string.format`, `table.concat`) must pay off its debt even when
    /// no instruction of its own allocates. At that point everything live is on the stack
    /// below `L.top`: the caller's frames, the builtin's frame and its results.
    ///
    /// A builtin whose string could not be made (`string` answered "not enough memory" in
    /// its place) fails with that error here, whatever it did with the stand-in.
    @inline(__always) func enterBuiltin(_ f: FunctionRef, _ L: ThreadRef) -> Int32 {
        runBuiltin { f.entry(UnsafeMutableRawPointer(L)) }
    }

    /// Runs `body`, a builtin's work (its entry, or the library function the interpreter
    /// calls directly for it), with what every builtin call gets: a string allocation that
    /// failed becomes a memory error, and a GC step due is taken at its return.
    @inline(__always) func runBuiltin(_ body: () -> Int32) -> Int32 {
        let outer = stringAllocationFailed
        stringAllocationFailed = false
        var r = body()
        if stringAllocationFailed && r >= 0 {
            errorValue = memoryErrorValue
            r = builtinError
        }
        stringAllocationFailed = outer
        // A finalizer's error (raised by this step, or by a collection the builtin made)
        // is raised by the builtin.
        if r >= 0 && !g.checkGC() { r = builtinError }
        return r
    }

    // MARK: Anchoring and the stack

    /// Pushes `v` on the current thread's stack so the collector sees it.
    func pushAnchor(_ v: Value) {
        let L = g.pointee.currentThread
        _ = L.ensureStack(1, g)
        L.pointee.stack[Int(L.pointee.top)] = v
        L.pointee.top += 1
    }

    func popAnchor() {
        let L = g.pointee.currentThread
        L.pointee.top -= 1
        L.pointee.stack[Int(L.pointee.top)] = .nil
    }

    // MARK: Errors

    /// Sets the pending error to a string.
    func setError(_ message: String) {
        errorValue = string(message)
    }

    /// A runtime error at the current Lua position (`chunk:line: message`).
    func runtimeError(_ message: String, _ L: ThreadRef) -> CallStatus {
        setError(currentPosition(L, level: 1) + message)
        return .error
    }

    /// A new string value; when memory runs out, the "not enough memory" message instead,
    /// and the builtin running fails with it as it returns (see `enterBuiltin`).
    public func string(_ s: String) -> Value {
        guard let r = g.intern(s) else { return stringFailed() }
        return Value(string: r)
    }

    public func string(_ bytes: UnsafeBufferPointer<UInt8>) -> Value {
        guard let r = g.intern(bytes) else { return stringFailed() }
        return Value(string: r)
    }

    @inline(never) private func stringFailed() -> Value {
        stringAllocationFailed = true
        return memoryErrorValue
    }

    lazy var memoryErrorValue: Value = {
        let s = g.intern("not enough memory")!
        _ = g.pointee.registry.set(string: s, Value(string: s), g)  // never collected
        return Value(string: s)
    }()

    // MARK: Loading

    /// Compiles `source` into a function of the globals; on failure the message is the
    /// error value and the status is `.error`.
    /// A chunk starting with ESC is a binary chunk (`string.dump`, `perigee -b`), read and
    /// verified by the bytecode loader. `mode` ("b", "t", "bt") restricts which kinds load.
    public func load(_ source: UnsafeBufferPointer<UInt8>, chunkName: String, mode: String? = nil,
                     env: TableRef? = nil) -> (CallStatus, FunctionRef?) {
        let binary = source.first == 0x1b
        if let mode, !mode.utf8.contains(binary ? 98 : 116) {  // 'b' / 't'
            setError("attempt to load chunk with wrong mode")
            return (.error, nil)
        }
        let proto: Prototype
        do {
            proto = binary ? try loadBytecodeDump(source, chunkName: chunkName) : try compileChunk(source, chunkName: chunkName)
        } catch {
            setError(error.message)
            return (.error, nil)
        }
        activeProfile?.noteChunk(proto, source: source, chunkName: chunkName)
        return instantiate(proto, env: env ?? globals)
    }

    public func load(_ source: [UInt8], chunkName: String, mode: String? = nil, env: TableRef? = nil) -> (CallStatus, FunctionRef?) {
        source.withUnsafeBufferPointer { load($0, chunkName: chunkName, mode: mode, env: env) }
    }

    func instantiate(_ proto: Prototype, env: TableRef) -> (CallStatus, FunctionRef?) {
        let p: ProtoRef
        do { p = try loadPrototype(proto) } catch {
            errorValue = memoryErrorValue
            return (.error, nil)
        }
        pushAnchor(Value(proto: p))
        defer { popAnchor() }
        guard let f = g.newLuaClosure(p, env: env) else {
            errorValue = memoryErrorValue
            return (.error, nil)
        }
        // A loaded dump of a function with upvalues: they start as fresh nil upvalues.
        if p.pointee.upvalueCount > 0 {
            pushAnchor(Value(function: f))
            defer { popAnchor() }
            for i in 0..<Int(p.pointee.upvalueCount) {
                guard let uv = g.newClosedUpvalue() else {
                    errorValue = memoryErrorValue
                    return (.error, nil)
                }
                f.setUpvalue(i, uv, g)
            }
        }
        return (.ok, f)
    }

    // MARK: Calling

    /// Calls `function` with `arguments` on the main thread; results come back as an array.
    /// The entry point for the command line and for embedders.
    public func call(_ function: Value, _ arguments: [Value]) -> (CallStatus, [Value]) {
        let L = g.pointee.currentThread
        let funcSlot = Int(L.pointee.top)
        guard L.ensureStack(arguments.count + 3, g) else {
            setError("stack overflow")
            return (.error, [])
        }
        L.pointee.stack[funcSlot] = function
        for (i, a) in arguments.enumerated() { L.pointee.stack[funcSlot + 2 + i] = a }
        L.pointee.top = UInt32(funcSlot + 2 + arguments.count)
        let status = callSlot(L, funcSlot, argumentCount: arguments.count, wanted: -1)
        var results: [Value] = []
        if status == .ok {
            for i in funcSlot..<Int(L.pointee.top) { results.append(L.pointee.stack[i]) }
        }
        for i in funcSlot..<Int(L.pointee.top) { L.pointee.stack[i] = .nil }
        L.pointee.top = UInt32(funcSlot)
        L.relimitStack()
        return (status, results)
    }
}

/// A buffered byte writer over a file descriptor (stdout for `print` and `io.write`).
public struct OutputBuffer {
    let fd: Int32
    var bytes: [UInt8] = []
    /// Buffering as `setvbuf` sets it: full, line (the default on a terminal, as C stdio
    /// does) or none.
    public var mode: Buffering

    public enum Buffering { case full, line, none }

    init(fd: Int32) {
        self.fd = fd
        mode = isatty(fd) != 0 ? .line : .full
        bytes.reserveCapacity(8192)
    }

    public mutating func write(_ b: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: b)
        if bytes.count >= 8192 { flush(); return }
        switch mode {
        case .full: break
        case .line: if b.contains(10) { flush() }
        case .none: flush()
        }
    }

    public mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { write($0) }
    }

    public mutating func flush() {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { break }
            offset += n
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

extension LuaVM {
    /// The global `arg`: the script at index 0, its arguments from 1, the interpreter below.
    public func setArguments(script: String?, _ arguments: [String], interpreter: String?, options: [String] = []) {
        guard let t = g.newTable(arraySize: arguments.count, hashSize: 4) else { return }
        // Negative indexes: the interpreter, then its options, as lua sets them.
        if let interpreter { _ = t.set(integer: -1 - options.count, string(interpreter), g) }
        for (i, o) in options.enumerated() { _ = t.set(integer: -options.count + i, string(o), g) }
        if let script { _ = t.set(integer: 0, string(script), g) }
        for (i, a) in arguments.enumerated() { _ = t.set(integer: i + 1, string(a), g) }
        _ = globals.set(string: g.intern("arg")!, Value(table: t), g)
    }

    /// The pending error as a message: strings and numbers as they are, other values as
    /// luajit shows them.
    public func describeError() -> String {
        let v = errorValue
        if v.isString { return v.string.description }
        if v.isNumber { return numberText(v.number) }
        if v.isNil { return "nil" }
        return "(error object is a \(typeName(v)) value)"
    }
}
