/// Native code for Lua functions (from `perigee build`): how the runtime enters it, how it
/// calls other functions, and how a built executable starts.
///
/// A compiled function runs on the same Lua frame as the interpreter would: arguments from
/// `base`, the link in `base[-1]`, every live value in a stack slot whenever it calls into
/// the runtime. Calls it makes write the callee's link as a return PC into its own
/// bytecode, exactly as the interpreter does, so stack walks (errors, tracebacks, the debug
/// library) see no difference. A yield unwinds the native frames and leaves the Lua frames
/// in place; `coroutine.resume` then finishes those activations in the interpreter, which
/// can continue any compiled frame at its bytecode position.
import Glibc
import CSupport
import PerigeeFrontend

/// `(L, base, nargs) -> result`: the results are the top `result` values of the stack, or
/// `result` is one of `CompiledStatus`.
public typealias CompiledEntry = @convention(c) (UnsafeMutableRawPointer, Int, Int) -> Int

/// A function's compiled code as a built executable lists it: the version specialized on
/// numbers, and (when it speculates) the version without speculation, or null.
public struct CompiledVersions {
    public var native: CompiledEntry?
    public var generic: CompiledEntry?
}

/// Negative results of compiled functions and of the helpers they call.
public enum CompiledStatus {
    public static let error = -1
    public static let yield = -2
    /// The frame now holds another function and its arguments (a tail call): run that.
    public static let tailCall = -3
}

extension LuaVM {
    /// Runs the function in slot `funcSlot` whose link is already written, to its end: its
    /// results are the top `n` stack values for a result `n >= 0`, else a `CompiledStatus`.
    /// Compiled functions run natively, interpreted ones in a nested interpreter run that
    /// ends when this frame returns, builtins directly.
    func runFrame(_ L: ThreadRef, _ funcSlot: Int, _ argumentCount: Int) -> Int {
        var nargs = argumentCount
        while true {
            let f = L.pointee.stack[funcSlot].function
            if f.isLua {
                if let entry = f.proto.pointee.native, hooks.mask.isEmpty {
                    let r = entry(UnsafeMutableRawPointer(L), funcSlot + 2, nargs)
                    if r != CompiledStatus.tailCall { return r }
                    nargs = Int(L.pointee.top) - funcSlot - 2
                    continue
                }
                switch execute(L, funcSlot: funcSlot, argumentCount: nargs, wanted: -1, exitBase: funcSlot + 2) {
                case .ok: return Int(L.pointee.top) - funcSlot
                case .error: return CompiledStatus.error
                case .yield: return CompiledStatus.yield
                }
            }
            // Bad arguments go to the builtins themselves, which word the error as the
            // interpreter does.
            if (f == pcallFunction && nargs >= 1)
                || (f == xpcallFunction && nargs >= 2 && L.pointee.stack[funcSlot + 3].isFunction) {
                return protectedCall(L, funcSlot + 2, nargs, xpcall: f == xpcallFunction)
            }
            L.pointee.base = UInt32(funcSlot + 2)
            L.pointee.top = UInt32(funcSlot + 2 + nargs)
            nativeDepth += 1
            let r = enterBuiltin(f, L)
            nativeDepth -= 1
            if r >= 0 { return Int(r) }
            if r == builtinYield { return CompiledStatus.yield }
            noteError(L, innermostBase: funcSlot + 2, pc: nil)
            return CompiledStatus.error
        }
    }

    /// `pcall(f, ...)`/`xpcall(f, h, ...)` called from compiled code, with the builtin's frame
    /// at `pcallBase`: f runs in a frame marked protected (so a yield inside it resumes in
    /// the interpreter as usual); the results are `true` and f's, or `false` and the error.
    /// `tailCaller`: the function (and instruction) whose frame a tail call of pcall replaced.
    func protectedCall(_ L: ThreadRef, _ pcallBase: Int, _ n: Int, xpcall: Bool,
                       tailCaller: (FunctionRef, Int)? = nil) -> Int {
        L.pointee.base = UInt32(pcallBase)
        L.pointee.top = UInt32(pcallBase + n)
        guard let (fBase, fArgs) = setUpProtectedFrame(L, pcallBase, n, xpcall: xpcall) else {
            noteError(L, innermostBase: pcallBase, pc: nil)
            return CompiledStatus.error
        }
        let r = protectedFrameFits(L, fBase, fArgs) ? runFrame(L, fBase - 2, fArgs)
            : protectedOverflow(L, pcallBase, tailCaller: tailCaller)
        let stack = L.pointee.stack
        if r >= 0 {
            placeProtectedResults(L, at: pcallBase, from: Int(L.pointee.top) - r, count: r)
            L.pointee.top = UInt32(pcallBase + 1 + r)
            return r + 1
        }
        if r == CompiledStatus.yield { return r }
        var message = errorValue
        if xpcall {
            message = runErrorHandler(L, stack[pcallBase], message,
                                      above: max(Int(L.pointee.top), Int(L.pointee.base)))
        }
        L.closeUpvalues(from: pcallBase, g)
        L.pointee.stack[pcallBase] = .false
        L.pointee.stack[pcallBase + 1] = message
        L.pointee.base = UInt32(pcallBase)
        L.pointee.top = UInt32(pcallBase + 2)
        L.relimitStack()
        return 2
    }

    /// Whether the Lua function pcall protects has room for its frame at `fBase` (the stack
    /// grows if it must); builtins always do.
    private func protectedFrameFits(_ L: ThreadRef, _ fBase: Int, _ nargs: Int) -> Bool {
        let f = L.pointee.stack[fBase + FrameLayout.functionSlot].function
        guard f.isLua else { return true }
        let p = f.proto
        let needed = FrameLayout.end(base: fBase, frameSize: Int(p.pointee.frameSize),
                                     vararg: p.pointee.flags & ProtoFlag.vararg != 0, nargs: nargs)
        return needed <= Int(L.pointee.stackSize) || L.ensureStack(needed - Int(L.pointee.top), g)
    }

    /// The stack overflow of a protected function that has no room, raised as the
    /// interpreter raises it: in pcall's frame, at the call of pcall (or the tail call that
    /// replaced its caller's frame; no position when no Lua function called it).
    private func protectedOverflow(_ L: ThreadRef, _ pcallBase: Int, tailCaller: (FunctionRef, Int)?) -> Int {
        if let (caller, pc) = tailCaller {
            _ = errorAt(L, caller, pc, "stack overflow")
        } else if case .lua(let callerBase, let callerPC?) = frameStep(L, pcallBase) {
            _ = errorAt(L, L.pointee.stack[callerBase + FrameLayout.functionSlot].function, callerPC, "stack overflow")
        } else {
            setError("stack overflow")
        }
        noteError(L, innermostBase: pcallBase, pc: nil)
        return CompiledStatus.error
    }

    /// Records the traceback of an error no pcall will catch, raised in the frame at
    /// `innermostBase` (at instruction `pc` when that frame is a Lua function's).
    func noteError(_ L: ThreadRef, innermostBase: Int, pc: Int?) {
        L.pointee.base = UInt32(innermostBase)
        if captureTracebacks && lastTraceback.isEmpty && !isProtected(L, innermostBase: innermostBase) {
            lastTraceback = traceback(L, innermostBase: innermostBase, innermostPC: pc)
        }
    }

    /// The size of the native stack the VM runs on, when it is not the main thread's.
    nonisolated(unsafe) static var nativeStackSize: UInt? = nil

    /// True when the native stack is nearly used up: compiled functions recurse natively, so
    /// they check this on entry and raise Lua's "stack overflow" instead of crashing.
    @inline(__always) func nativeStackExhausted() -> Bool {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) } < nativeStackLimit
    }

    /// The lowest native stack address compiled code may reach: the stack's size limit
    /// (at most 64 MiB counted) below the current position, less a reserve for the runtime.
    static func computeNativeStackLimit() -> UInt {
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        var limit = rlimit()
        var size: UInt = 8 << 20
        if let known = nativeStackSize {
            size = known
        } else if getrlimit(Int32(RLIMIT_STACK.rawValue), &limit) == 0 && limit.rlim_cur != rlim_t.max {
            size = min(UInt(limit.rlim_cur), 64 << 20)
        }
        let reserve: UInt = 1 << 20
        return size > 2 * reserve ? here - size + reserve : here - size / 2
    }
}

// MARK: Built executables

/// The `main` of an executable made by `perigee build`: loads the program's embedded
/// bytecode (`dump`, Perigee's dump format), attaches `entries` (the compiled versions of
/// each prototype, in the order `Prototype.preorder` gives) and runs it as `perigee script.lua`
/// would: `arg`, uncaught errors with a traceback on stderr, exit status 1 on error.
@_cdecl("perigee_run_compiled")
public func perigee_run_compiled(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                                 _ dump: UnsafePointer<UInt8>, _ dumpCount: Int,
                                 _ entries: UnsafeRawPointer, _ entryCount: Int,
                                 _ modules: UnsafeRawPointer, _ moduleCount: Int,
                                 _ traces: UnsafeRawPointer, _ traceCount: Int,
                                 _ stackLimit: UnsafeMutablePointer<UInt>, _ hookFlag: UnsafeMutablePointer<UInt>) -> Int32 {
    let program = CompiledProgram(argc: argc, argv: argv, dump: dump, dumpCount: dumpCount,
                                  entries: entries.assumingMemoryBound(to: CompiledVersions.self),
                                  entryCount: entryCount, modules: modules.assumingMemoryBound(to: CompiledModule.self),
                                  moduleCount: moduleCount, traces: traces.assumingMemoryBound(to: CompiledTrace.self),
                                  traceCount: traceCount, stackLimit: stackLimit, hookFlag: hookFlag)
    return program.runOnLargeStack()
}

/// What `main` of a built executable hands to the runtime.
struct CompiledProgram {
    let argc: Int32
    let argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let dump: UnsafePointer<UInt8>
    let dumpCount: Int
    let entries: UnsafePointer<CompiledVersions>
    let entryCount: Int
    let modules: UnsafePointer<CompiledModule>
    let moduleCount: Int
    /// The traces compiled in (`perigee build --profile`).
    let traces: UnsafePointer<CompiledTrace>
    let traceCount: Int
    /// Where compiled code reads the native stack limit.
    let stackLimit: UnsafeMutablePointer<UInt>
    /// Where compiled code reads whether a debug hook is set (then the interpreter runs).
    let hookFlag: UnsafeMutablePointer<UInt>

    /// Compiled Lua functions recurse on the native stack, so the program runs on a thread
    /// with a stack deep enough for the deepest Lua stack (only touched pages cost memory);
    /// where such a thread cannot be made, on the main thread's stack.
    func runOnLargeStack() -> Int32 {
        final class Box { let program: CompiledProgram; var status: Int32 = 1; init(_ p: CompiledProgram) { program = p } }
        let stackSize = 1 << 30
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        let box = Box(self)
        let context = Unmanaged.passRetained(box).toOpaque()
        var thread = pthread_t()
        LuaVM.nativeStackSize = UInt(stackSize)
        if pthread_attr_setstacksize(&attributes, stackSize) == 0,
           pthread_create(&thread, &attributes, { raw in
               let box = Unmanaged<Box>.fromOpaque(raw!).takeUnretainedValue()
               box.status = box.program.run()
               return nil
           }, context) == 0 {
            pthread_join(thread, nil)
            Unmanaged<Box>.fromOpaque(context).release()
            return box.status
        }
        Unmanaged<Box>.fromOpaque(context).release()
        LuaVM.nativeStackSize = nil
        return run()
    }

    func run() -> Int32 {
        var arguments: [String] = []
        for i in 0..<Int(argc) { arguments.append(argv[i].map { String(cString: $0) } ?? "") }
        let programName = arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "lua"
        guard let memoryLimit = memoryLimitFromEnvironment() else {
            writeStandardError("\(programName): bad memory limit in \(memoryLimitVariable)\n")
            return 1
        }
        guard let instructionLimit = instructionLimitFromEnvironment() else {
            writeStandardError("\(programName): bad instruction limit in \(instructionLimitVariable)\n")
            return 1
        }
        guard let vm = LuaVM(memoryLimit: memoryLimit) else {
            writeStandardError("\(programName): not enough memory\n")
            return 1
        }
        vm.captureTracebacks = true
        vm.setInstructionLimit(instructionLimit)
        stackLimit.pointee = vm.nativeStackLimit
        vm.compiledHookFlag = hookFlag
        perigee_index_name = Value(string: vm.g.pointee.metamethodNames[Int(Metamethod.index.rawValue)]).bits
        perigee_string_metatable_slot = UInt64(UInt(bitPattern: vm.g.pointee.typeMetatables + Int(ValueTag.string.rawValue)))
        defer {
            // As luajit's lua_close at the end: the remaining finalizers run, then output goes out.
            vm.closeState()
            vm.closeOpenPipes()
            vm.standardOutput.flush()
        }
        for m in UnsafeBufferPointer(start: modules, count: moduleCount) {
            vm.compiledModules[String(cString: m.name)] = m
        }
        let program: Prototype
        do {
            program = try loadBytecodeDump(UnsafeBufferPointer(start: dump, count: dumpCount), chunkName: "=?")
        } catch {
            writeStandardError("\(programName): \(error.message)\n")
            return 1
        }
        let traceList = UnsafeBufferPointer(start: traces, count: traceCount)
        // The functions the traces run in run in the interpreter (CompiledTraces.swift).
        vm.attachCompiledCode(program, UnsafeBufferPointer(start: entries, count: entryCount),
                              except: traceCount > 0 ? vm.traceFunctions(traceList) : [])
        // arg[0] is the executable as it was invoked (the script it was built from is only the
        // chunk name of its messages).
        vm.setArguments(script: arguments.first ?? programName, Array(arguments.dropFirst()), interpreter: nil)
        let (status, function) = vm.instantiate(program, env: vm.globals)
        guard status == .ok, let function else {
            writeStandardError(vm.errorReport(programName: programName, traceback: false))
            return 1
        }
        if traceCount > 0 { vm.installCompiledTraces(traceList, main: function.proto, program: program) }
        let (callStatus, _) = catchingInterrupts { vm.call(Value(function: function), arguments.dropFirst().map { vm.string($0) }) }
        if traceCount > 0, getenv("PERIGEE_JIT_STATS") != nil {
            let installed = vm.traces.traces.count
            writeStandardError("compiled traces: \(installed) installed of \(traceCount), \(vm.traces.entries) entries, "
                               + "\(vm.traces.exitsTaken) exits to the interpreter\n")
        }
        if callStatus != .ok {
            vm.collectAfterUncaughtError()
            writeStandardError(vm.errorReport(programName: programName, traceback: true))
            return 1
        }
        if vm.instructionLimitReached {
            // A pcall caught the limit's error; the program still did not finish in budget.
            writeStandardError("\(programName): \(instructionLimitMessage)\n")
            return 1
        }
        return 0
    }
}

/// A Lua module compiled into an executable: what `require(name)` loads before searching
/// `package.path` (the bytecode and the compiled functions, as for the main program).
public struct CompiledModule {
    public var name: UnsafePointer<CChar>
    public var dump: UnsafePointer<UInt8>
    public var dumpCount: Int
    public var entries: UnsafePointer<CompiledVersions>
    public var entryCount: Int
}

extension LuaVM {
    /// Gives each prototype of `root` (in preorder) its compiled function.
    func attachCompiledCode(_ root: Prototype, _ entries: UnsafeBufferPointer<CompiledVersions>, except: Set<Int> = []) {
        for (i, p) in root.preorder.enumerated() where i < entries.count && entries[i].native != nil && !except.contains(i) {
            compiledEntries[ObjectIdentifier(p)] = entries[i]
            compiledPrototypes.append(p)
        }
    }

    /// Loads the compiled module `name`, if the executable has one: its main function.
    func loadCompiledModule(_ name: String) -> (CallStatus, FunctionRef?)? {
        guard let m = compiledModules[name] else { return nil }
        let proto: Prototype
        do {
            proto = try loadBytecodeDump(UnsafeBufferPointer(start: m.dump, count: m.dumpCount), chunkName: "=?")
        } catch {
            setError(error.message)
            return (.error, nil)
        }
        attachCompiledCode(proto, UnsafeBufferPointer(start: m.entries, count: m.entryCount))
        return instantiate(proto, env: globals)
    }

    /// `name: message` and, for a run-time error, the traceback: what an uncaught error
    /// prints on stderr.
    /// Forgets the traceback of the last uncaught error (the REPL's next line starts afresh).
    public func clearTraceback() { lastTraceback = "" }

    public func errorReport(programName: String, traceback: Bool) -> String {
        standardOutput.flush()
        // As luajit's lua.c: a nil error prints nothing; another non-string prints through
        // its __tostring, or as "(error object is not a string)" without a traceback.
        let v = errorValue
        var message = describeError()
        if v.isNil { return "" }
        if !v.isString && !v.isNumber {
            let saved = lastTraceback
            let mm = g.metamethod(.tostring, of: v)
            var r = Value.nil
            guard !mm.isNil, callFunction(mainThread, mm, v, &r) == .ok, r.isString || r.isNumber else {
                return "\(programName): (error object is not a string)\n"
            }
            message = r.isString ? r.string.description : numberText(r.number)
            lastTraceback = saved
        }
        var text = "\(programName): \(message)\n"
        if traceback { text += lastTraceback }
        return text
    }
}

/// Writes `s` to stderr (unbuffered, as C's stderr).
public func writeStandardError(_ s: String) {
    var s = s
    s.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, stderr) }
}

extension Prototype {
    /// This prototype and every nested one, depth first, parents before children, in the
    /// order of the constants that hold them: the order compiled functions are listed in.
    public var preorder: [Prototype] {
        var list: [Prototype] = []
        func visit(_ p: Prototype) {
            list.append(p)
            for c in p.gcConstants { if case .function(let child) = c { visit(child) } }
        }
        visit(self)
        return list
    }
}
