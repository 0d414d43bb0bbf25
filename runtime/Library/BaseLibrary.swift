/// The base library: print, type, tostring, tonumber, pairs, ipairs, next, select, the raw
/// accessors, metatables, unpack, assert, error, pcall, xpcall, loading and environments.
import Glibc
import PerigeeFrontend

extension LuaVM {
    func openBaseLibrary() {
        let G = globals
        _ = G.set(string: g.intern("_VERSION")!, string("Lua 5.1"), g)

        // luajit's print calls the function its upvalue names (`tostring`) in the running
        // thread's environment (the builtin's own conversion when that is the builtin).
        register("print", in: G, upvalues: [string("tostring")]) { raw in
            let c = BuiltinCall(raw, "print")
            let convert = c.L.pointee.env.map { $0.get(c.upvalue(1)) } ?? .nil
            let builtin = convert.isFunction && convert.function.pointee.ffid == FastBuiltin.tostring.rawValue
            for i in 1...max(c.count, 1) where i <= c.count {
                if i > 1 { c.vm.standardOutput.write("\t") }
                var s = Value.nil
                if builtin {
                    guard let v = c.vm.toStringValue(c.L, c.arg(i)) else { return builtinError }
                    s = v
                } else {
                    guard c.vm.callFunction(c.L, convert, c.arg(i), &s) == .ok else { return builtinError }
                    if s.isNumber { s = c.vm.numberString(s.number) }
                }
                guard s.isString else { return c.error("'tostring' must return a string to 'print'") }
                c.vm.standardOutput.write(UnsafeBufferPointer(start: s.string.bytes, count: s.string.count))
            }
            c.vm.standardOutput.write("\n")
            return 0
        }
        // luajit's type keeps the name of each of its internal types as an upvalue; here they
        // are shown only: type's result comes from the value's type (setting one of these
        // upvalues does not change it).
        let internalTypes = ["nil", "boolean", "boolean", "userdata", "string", "upval", "thread", "proto",
                             "function", "trace", "cdata", "table", "userdata", "number"]
        register("type", in: G, upvalues: internalTypes.map { string($0) }, fast: .type) { raw in
            let c = BuiltinCall(raw, "type")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            return c.results(c.vm.typeNameValue(c.arg(1)))
        }
        register("tostring", in: G, fast: .tostring) { raw in
            let c = BuiltinCall(raw, "tostring")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            let mm = c.vm.g.metamethod(.tostring, of: c.arg(1))
            if !mm.isNil && !c.arg(1).isString && !c.arg(1).isNumber {
                // luajit calls __tostring in tail position: its results are tostring's.
                let slot = Int(c.L.pointee.top)
                c.push(mm)
                c.push(.nil)
                c.push(c.arg(1))
                guard c.vm.callSlot(c.L, slot, argumentCount: 1, wanted: -1) == .ok else { return builtinError }
                return Int32(Int(c.L.pointee.top) - slot)
            }
            guard let s = c.vm.toStringValue(c.L, c.arg(1)) else { return builtinError }
            return c.results(s)
        }
        register("tonumber", in: G, fast: .tonumber) { raw in
            let c = BuiltinCall(raw, "tonumber")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            let v = c.arg(1)
            let baseArg = c.arg(2)
            if baseArg.isNil { return c.results(c.vm.decimalNumber(v)) }
            guard let b = c.integer(2) else { return c.typeError(2, expected: "number") }
            if b == 10 { return c.results(c.vm.decimalNumber(v)) }
            // luajit checks the value is a string before the base's range.
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            if b < 2 || b > 36 { return c.argumentError(2, "base out of range") }
            return c.results(parseInteger(s.buffer, base: b).map { Value(number: $0) } ?? .nil)
        }
        register("rawequal", in: G, fast: .rawequal) { raw in
            let c = BuiltinCall(raw, "rawequal")
            if c.count < 2 { return c.argumentError(c.count + 1, "value expected") }
            return c.results(Value(bool: c.arg(1).rawEquals(c.arg(2))))
        }
        register("rawget", in: G, fast: .rawget) { raw in
            let c = BuiltinCall(raw, "rawget")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            if c.count < 2 { return c.argumentError(2, "value expected") }
            return c.results(t.get(c.arg(2)))
        }
        register("rawset", in: G, fast: .rawset) { raw in
            let c = BuiltinCall(raw, "rawset")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            if c.count < 3 { return c.argumentError(c.count + 1, "value expected") }
            switch t.set(c.arg(2), c.arg(3), c.vm.g) {
            case .ok: return c.results(c.arg(1))
            // As luajit raises them: without a position.
            case .nilKey: c.vm.setError("table index is nil"); return builtinError
            case .nanKey: c.vm.setError("table index is NaN"); return builtinError
            case .outOfMemory: c.vm.errorValue = c.vm.memoryErrorValue; return builtinError
            }
        }
        register("setmetatable", in: G, fast: .setmetatable) { raw in
            let c = BuiltinCall(raw, "setmetatable")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            let mt = c.arg(2)
            if c.count < 2 || (!mt.isNil && !mt.isTable) { return c.argumentError(2, "nil or table expected") }
            if c.vm.g.hasProtectedMetatable(t) {
                return c.error("cannot change a protected metatable")
            }
            c.vm.setMetatable(t, mt.isNil ? nil : mt.table)
            return c.results(c.arg(1))
        }
        register("getmetatable", in: G, fast: .getmetatable) { raw in
            let c = BuiltinCall(raw, "getmetatable")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            return c.results(c.vm.g.visibleMetatable(of: c.arg(1)))
        }
        nextFunction = register("next", in: G, fast: .next) { raw in
            let c = BuiltinCall(raw, "next")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            var key = c.arg(2), value = Value.nil
            switch t.next(&key, &value) {
            case .found: return c.results(key, value)
            case .end: return c.results(.nil)
            case .invalidKey: c.vm.setError("invalid key to 'next'"); return builtinError  // no position, as luajit
            }
        }
        // pairs and ipairs return the iterator they keep as their upvalue, as luajit's do.
        register("pairs", in: G, upvalues: [Value(function: nextFunction!)]) { raw in
            let c = BuiltinCall(raw, "pairs")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            guard c.checkTable(1) != nil else { return c.typeError(1, expected: "table") }
            return c.results(c.upvalue(1), c.arg(1), .nil)
        }
        let ipairsIterator = g.newBuiltin({ raw in
            let c = BuiltinCall(raw, "ipairs")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            guard let control = c.number(2) else { return c.typeError(2, expected: "number") }
            guard let (next, v) = ipairsStep(t, control) else { return 0 }
            return c.results(Value(number: next), v)
        }, env: globals)!
        ipairsIterator.pointee.ffid = FastFunction.ipairsIterator.rawValue
        _ = g.pointee.registry.set(string: g.intern("ipairs_iterator")!, Value(function: ipairsIterator), g)
        register("ipairs", in: G, upvalues: [Value(function: ipairsIterator)]) { raw in
            let c = BuiltinCall(raw, "ipairs")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            guard c.checkTable(1) != nil else { return c.typeError(1, expected: "table") }
            return c.results(c.upvalue(1), c.arg(1), Value(number: 0))
        }
        register("select", in: G, fast: .select) { raw in
            let c = BuiltinCall(raw, "select")
            let n = c.count - 1
            // Any string starting with '#' counts (luajit looks at the first byte only).
            if c.arg(1).isString && c.arg(1).string.count >= 1 && c.arg(1).string.bytes[0] == 35 {
                return c.results(Value(number: Double(n)))
            }
            guard let index = c.int32(1) else { return c.typeError(1, expected: "number") }
            guard let i = selectedArgument(index, count: n) else { return c.argumentError(1, "index out of range") }
            // The results are the arguments from i on: already on the stack.
            return Int32(n - i + 1)
        }
        register("unpack", in: G, fast: .unpack) { raw in
            let c = BuiltinCall(raw, "unpack")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            guard let i = c.arg(2).isNil ? 1 : c.int32(2) else { return c.typeError(2, expected: "number") }
            guard let j = c.arg(3).isNil ? t.length() : c.int32(3) else { return c.typeError(3, expected: "number") }
            if i > j { return 0 }
            let n = j - i + 1
            if n >= 8000 || !c.L.ensureStack(n, c.vm.g) { return c.error("too many results to unpack") }
            for k in i...j { c.push(t.get(integer: k)) }
            return Int32(n)
        }
        register("assert", in: G, fast: .assert) { raw in
            let c = BuiltinCall(raw, "assert")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            if c.arg(1).isTruthy { return Int32(c.count) }
            if c.count >= 2 {
                // A string or number message gets the caller's position (luajit 2.1); other
                // values are raised as they are.
                let message = c.arg(2)
                c.vm.errorValue = message.isString || message.isNumber ? c.vm.withPosition(c.L, level: 1, message) : message
                return builtinError
            }
            return c.error("assertion failed!")
        }
        register("error", in: G) { raw in
            let c = BuiltinCall(raw, "error")
            let message = c.arg(1)
            // luajit's 32-bit conversion: a level past 2^31 (or NaN) is negative, no position.
            guard let level = c.arg(2).isNil ? 1 : c.int32(2) else { return c.typeError(2, expected: "number") }
            if (message.isString || message.isNumber) && level > 0 {
                // Numbers count as strings here: the position is prepended to their text.
                c.vm.errorValue = c.vm.withPosition(c.L, level: level, message)
            } else {
                c.vm.errorValue = message
            }
            return builtinError
        }
        pcallFunction = register("pcall", in: G) { raw in
            let c = BuiltinCall(raw, "pcall")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            return c.vm.protectedCallFromNative(c, handler: nil)
        }
        xpcallFunction = register("xpcall", in: G) { raw in
            let c = BuiltinCall(raw, "xpcall")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            if !c.arg(2).isFunction { return c.typeError(2, expected: "function") }
            return c.vm.protectedCallFromNative(c, handler: c.arg(2))
        }
        // luajit's loadstring is load.
        register("loadstring", in: G) { raw in
            let c = BuiltinCall(raw, "loadstring")
            return c.vm.loadBuiltin(c)
        }
        register("load", in: G) { raw in
            let c = BuiltinCall(raw, "load")
            return c.vm.loadBuiltin(c)
        }
        register("loadfile", in: G) { raw in
            let c = BuiltinCall(raw, "loadfile")
            let path = c.arg(1).isNil ? nil : c.string(1)?.description
            guard let bytes = readWholeFile(path) else {
                return c.results(.nil, c.vm.string("cannot open \(path ?? "stdin")"))
            }
            let mode = c.arg(2).isNil ? nil : c.string(2)?.description
            return bytes.withUnsafeBufferPointer { c.vm.loadResults(c, $0, chunkName: path.map { "@" + $0 } ?? "=stdin", mode: mode) }
        }
        register("dofile", in: G) { raw in
            let c = BuiltinCall(raw, "dofile")
            let path = c.arg(1).isNil ? nil : c.string(1)?.description
            guard let bytes = readWholeFile(path) else { return c.error("cannot open \(path ?? "stdin")") }
            let (status, f) = c.vm.load(bytes, chunkName: path.map { "@" + $0 } ?? "=stdin", env: c.L.pointee.env)
            guard status == .ok, let f else { return builtinError }
            let slot = Int(c.L.pointee.top)
            c.push(Value(function: f))
            c.push(.nil)
            let callStatus = c.vm.callSlot(c.L, slot, argumentCount: 0, wanted: -1)
            if callStatus != .ok { return builtinError }
            return Int32(Int(c.L.pointee.top) - slot)
        }
        register("getfenv", in: G) { raw in
            let c = BuiltinCall(raw, "getfenv")
            guard let f = c.vm.functionForEnvironment(c, allowThreadLevel: true) else { return builtinError }
            if f.isFunction, let env = f.function.pointee.env { return c.results(Value(table: env)) }
            return c.results(Value(table: c.L.pointee.env ?? c.vm.globals))
        }
        register("setfenv", in: G) { raw in
            let c = BuiltinCall(raw, "setfenv")
            guard let env = c.checkTable(2) else { return c.typeError(2, expected: "table") }
            if c.arg(1).isNumber && c.integer(1) == 0 {
                c.vm.setThreadEnvironment(c.L, env)
                return 0
            }
            guard let f = c.vm.functionForEnvironment(c, allowThreadLevel: false) else { return builtinError }
            guard f.isFunction, f.function.isLua else {
                return c.error("'setfenv' cannot change environment of given object")
            }
            f.function.setEnv(env, c.vm.g)
            return c.results(f)
        }
        register("collectgarbage", in: G) { raw in
            let c = BuiltinCall(raw, "collectgarbage")
            return c.vm.collectGarbage(c)
        }
        register("gcinfo", in: G) { raw in
            let c = BuiltinCall(raw, "gcinfo")
            return c.results(Value(number: (c.vm.g.kilobytesInUse).rounded(.down)))
        }
        // newproxy's upvalue, as luajit's: a weak table (its own metatable, __mode "kv") whose
        // keys are the metatables newproxy(true) made, the only ones newproxy(proxy) accepts.
        let proxies = g.newTable()!
        pushAnchor(Value(table: proxies))
        _ = proxies.set(string: g.intern("__mode")!, string("kv"), g)
        setMetatable(proxies, proxies)
        popAnchor()
        register("newproxy", in: G, upvalues: [Value(table: proxies)]) { raw in
            let c = BuiltinCall(raw, "newproxy")
            return c.vm.newProxy(c)
        }
        errorThrower = g.newBuiltin({ _ in builtinError }, env: globals)!
        _ = g.pointee.registry.set(string: g.intern("error_thrower")!, Value(function: errorThrower), g)
        hostEntry = g.newBuiltin({ _ in 0 }, env: globals)!
        _ = g.pointee.registry.set(string: g.intern("host_entry")!, Value(function: hostEntry), g)
        openCoroutineLibrary()
        openBitLibrary()
        openOSLibrary()
        openIOLibrary()
        openDebugLibrary()
        openStringBasics()
        openStringDump()
        openTableBasics()
        openMathLibrary()
        openCDataMetatable()
        openPackageLibrary()
        for (library, name, parameters) in [("string", "len", 1), ("table", "foreach", 2), ("table", "foreachi", 2),
                                            ("table", "getn", 1), ("table", "move", 5), ("table", "remove", 2),
                                            ("math", "deg", 1), ("math", "rad", 1)] {
            let f = globals.get(name: library, g).table.get(name: name, g)
            if f.isFunction { bytecodeBuiltins[f.function] = (name, parameters) }
        }
    }

    // MARK: Helpers for the builtins above

    /// `tonumber(v)` without a base: numbers as they are, strings that read as numbers,
    /// nil for everything else.
    @inline(__always) func decimalNumber(_ v: Value) -> Value {
        if v.isNumber { return v }
        if v.isString, let n = toNumber(v) { return Value(number: n) }
        if v.isCData { return cdataNumber(v) }
        return .nil
    }

    /// `tostring(v)`: `__tostring` first, then the plain form. Nil on error.
    func toStringValue(_ L: ThreadRef, _ v: Value) -> Value? {
        if v.isString { return v }
        if v.isNumber { return numberString(v.number) }
        let mm = g.metamethod(.tostring, of: v)
        if !mm.isNil {
            var r = Value.nil
            guard callFunction(L, mm, v, &r) == .ok else { return nil }
            return r
        }
        return string(plainString(v))
    }

    /// `setfenv(0, t)` and `debug.setfenv(thread, t)`: the thread's environment, which is
    /// also `globals` when the thread is the main one.
    func setThreadEnvironment(_ thread: ThreadRef, _ env: TableRef) {
        thread.setEnv(env, g)
        if thread == mainThread { globals = env }
    }

    func setMetatable(_ t: TableRef, _ mt: TableRef?) {
        t.pointee.metatable = mt
        if let mt { g.barrierForward(UnsafeMutableRawPointer(t).assumingMemoryBound(to: GCHeader.self),
                                     UnsafeMutableRawPointer(mt).assumingMemoryBound(to: GCHeader.self)) }
    }

    func loadResults(_ c: BuiltinCall, _ source: UnsafeBufferPointer<UInt8>, chunkName: String,
                     mode: String? = nil, env: TableRef? = nil) -> Int32 {
        // A chunk's environment is the running thread's (which `setfenv(0, t)` and
        // `debug.setfenv(co, t)` change), as in luajit.
        let (status, f) = load(source, chunkName: chunkName, mode: mode, env: env ?? c.L.pointee.env)
        if status == .ok, let f { return c.results(Value(function: f)) }
        return c.results(.nil, errorValue)
    }

    /// `load(chunk [, chunkname [, mode [, env]]])` with a string or a reader function.
    func loadBuiltin(_ c: BuiltinCall) -> Int32 {
        // luajit's order: the chunk name and the mode first (strings or nil), then the chunk;
        // an env that is not a table is ignored.
        for i in 2...3 where !c.arg(i).isNil && c.string(i) == nil { return c.typeError(i, expected: "string") }
        let chunk = c.arg(1)
        let mode = c.string(3)?.description
        let env = c.checkTable(4)
        if chunk.isString || chunk.isNumber, let text = c.string(1) {
            let name = c.string(2)?.description ?? text.description
            return loadResults(c, text.buffer, chunkName: name, mode: mode, env: env)
        }
        guard chunk.isFunction else { return c.typeError(1, expected: "function") }
        var source: [UInt8] = []
        while true {
            let slot = Int(c.L.pointee.top)
            c.push(chunk)
            c.push(.nil)
            let status = callSlot(c.L, slot, argumentCount: 0, wanted: 1)
            if status == .error {
                // The reader's error is load's result, as a syntax error would be.
                c.L.closeUpvalues(from: slot, g)
                c.L.pointee.top = UInt32(slot)
                return c.results(.nil, errorValue)
            }
            guard status == .ok else { return builtinError }
            let piece = c.L.pointee.stack[slot]
            c.L.pointee.top = UInt32(slot)
            if piece.isNil || (piece.isString && piece.string.count == 0) { break }
            guard piece.isString else { return c.results(.nil, string("reader function must return a string")) }
            source.append(contentsOf: piece.string.buffer)
        }
        let name = c.string(2)?.description ?? "=(load)"
        return source.withUnsafeBufferPointer { loadResults(c, $0, chunkName: name, mode: mode, env: env) }
    }

    /// pcall/xpcall called from native code (or in a tail call): a nested run.
    func protectedCallFromNative(_ c: BuiltinCall, handler: Value?) -> Int32 {
        let L = c.L
        let base = Int(L.pointee.base)
        let firstArg = handler == nil ? 1 : 2
        let argc = c.count - firstArg
        let slot = Int(L.pointee.top)
        guard L.ensureStack(argc + 3, g) else { return c.error("stack overflow") }
        L.pointee.stack[slot] = L.pointee.stack[base]
        for i in 0..<argc { L.pointee.stack[slot + 2 + i] = L.pointee.stack[base + firstArg + i] }
        L.pointee.top = UInt32(slot + 2 + argc)
        var nargs = argc
        // Calling a non-function is an error pcall catches, with no position (as luajit's).
        let status = resolveCallable(L, slot, &nargs) ? callSlot(L, slot, argumentCount: nargs, wanted: -1)
            : { setError("attempt to call a \(typeName(L.pointee.stack[slot])) value"); return .error }()
        if status == .ok {
            let n = Int(L.pointee.top) - slot
            // true, then the results: shift up by one.
            _ = L.ensureStack(1, g)
            var i = n
            while i > 0 { L.pointee.stack[slot + i] = L.pointee.stack[slot + i - 1]; i -= 1 }
            L.pointee.stack[slot] = .true
            L.pointee.top = UInt32(slot + n + 1)
            return Int32(n + 1)
        }
        if status == .yield { return builtinYield }
        lastTraceback = ""
        var message = errorValue
        if let handler { message = runErrorHandler(L, handler, message, above: slot) }
        L.closeUpvalues(from: slot, g)
        L.pointee.top = UInt32(slot)
        L.relimitStack()
        return c.results(.false, message)
    }

    /// The function `getfenv`/`setfenv` act on: a function argument, or the function at a
    /// stack level (1 = the caller). `.nil` stands for the thread's globals (level 0).
    func functionForEnvironment(_ c: BuiltinCall, allowThreadLevel: Bool) -> Value? {
        let v = c.arg(1)
        if v.isFunction { return v }
        let level: Int
        // getfenv's level is optional (nil: 1); setfenv's is not.
        if v.isNil && (c.count == 0 || allowThreadLevel) { level = 1 } else {
            guard let l = c.int32(1) else {
                _ = c.typeError(1, expected: "number")
                return nil
            }
            level = l
        }
        if level < 0 { _ = c.argumentError(1, "invalid level"); return nil }
        if level == 0 { return .nil }
        let list = frames(c.L, innermostBase: Int(c.L.pointee.base), innermostPC: nil)
        guard level < list.count else { _ = c.argumentError(1, "invalid level"); return nil }
        return c.L.pointee.stack[list[level].base - 2]
    }

    func collectGarbage(_ c: BuiltinCall) -> Int32 {
        guard c.arg(1).isNil || c.string(1) != nil else { return c.typeError(1, expected: "string") }
        let option = c.string(1)?.description ?? "collect"
        switch option {
        case "collect":
            g.fullCollect()
            return c.results(Value(number: 0))
        case "count":
            return c.results(Value(number: g.kilobytesInUse))
        case "step":
            let kb = c.integer(2) ?? 0
            return c.results(Value(bool: g.collectStep(kilobytes: kb)))
        case "stop":
            g.stopCollector()
            return c.results(Value(number: 0))
        case "restart":
            g.restartCollector()
            return c.results(Value(number: 0))
        case "isrunning":
            return c.results(Value(bool: !g.pointee.stopped))
        case "setpause":
            return c.results(Value(number: Double(g.setPause(c.integer(2) ?? 200))))
        case "setstepmul":
            return c.results(Value(number: Double(g.setStepMultiplier(c.integer(2) ?? 200))))
        default:
            return c.argumentError(1, "invalid option '\(option)'")
        }
    }

    func newProxy(_ c: BuiltinCall) -> Int32 {
        guard let u = g.newUserdata(size: 0) else { errorValue = memoryErrorValue; return builtinError }
        u.setEnv(globals, g)  // as luajit's: the environment of newproxy itself
        let v = c.arg(1)
        let proxies = c.upvalue(1)
        if v.isTrue {
            guard let mt = g.newTable() else { errorValue = memoryErrorValue; return builtinError }
            u.setMetatable(mt, g)
            if proxies.isTable { _ = proxies.table.set(Value(table: mt), .true, g) }
        } else if v.isUserdata, let mt = v.userdata.pointee.metatable,
                  proxies.isTable, proxies.table.get(Value(table: mt)).isTrue {
            u.setMetatable(mt, g)
        } else if !v.isNil && !v.isFalse {
            return c.argumentError(1, "boolean or proxy expected")
        }
        return c.results(Value(userdata: u))
    }
}

/// `tonumber(s, base)`: digits of `base` only, optional sign and surrounding space.
func parseInteger(_ s: UnsafeBufferPointer<UInt8>, base: Int) -> Double? {
    var i = 0, end = s.count
    while i < end && isSpaceByte(s[i]) { i += 1 }
    while end > i && isSpaceByte(s[end - 1]) { end -= 1 }
    var negative = false
    if i < end && s[i] == 45 { negative = true; i += 1 }
    if i >= end { return nil }
    var value = 0.0
    while i < end {
        let c = s[i] | 0x20
        let digit: Int
        if s[i] >= 48 && s[i] <= 57 { digit = Int(s[i] - 48) } else if c >= 97 && c <= 122 { digit = Int(c - 87) } else { return nil }
        if digit >= base { return nil }
        value = value * Double(base) + Double(digit)
        i += 1
    }
    return negative ? -value : value
}

@inline(__always) func isSpaceByte(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

/// The bytes of a file (nil path: standard input), or nil when it cannot be read.
/// Writes `bytes` to `path`; false on failure.
public func writeWholeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    guard let file = fopen(path, "wb") else { return false }
    let written = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
    return fclose(file) == 0 && written == bytes.count
}

func readWholeFile(_ path: String?) -> [UInt8]? {
    let file: UnsafeMutablePointer<FILE>? = path == nil ? stdin : fopen(path!, "rb")
    guard let file else { return nil }
    defer { if path != nil { fclose(file) } }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    return bytes
}

/// One step of the iterator `ipairs` returns, as LuaJIT's: the next key is control + 1, the
/// element read is at its integer part; nil at the end of the array (no results).
@inline(__always) func ipairsStep(_ t: TableRef, _ control: Double) -> (Double, Value)? {
    let next = control + 1
    guard abs(next) < 9.0e15 else { return nil }
    let v = t.get(integer: Int(next.rounded(.towardZero)))
    return v.isNil ? nil : (next, v)
}

/// `select(i, ...)` over `count` arguments: the first argument selected (1-based; count + 1
/// when none is), or nil when `i` is out of range.
@inline(__always) func selectedArgument(_ index: Int, count: Int) -> Int? {
    var i = index
    if i < 0 { i = count + i + 1 } else if i > count { i = count + 1 }
    return i < 1 ? nil : i
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// True when `t`'s metatable has a `__metatable` field (`setmetatable` refuses to change it).
    @inline(__always) func hasProtectedMetatable(_ t: TableRef) -> Bool {
        guard let old = t.pointee.metatable else { return false }
        return !metamethod(.metatable, in: old).isNil
    }

    /// What `getmetatable(v)` returns: the metatable's `__metatable` field when it has one,
    /// else the metatable, or nil.
    @inline(__always) func visibleMetatable(of v: Value) -> Value {
        guard let mt = metatable(of: v) else { return .nil }
        let protected = metamethod(.metatable, in: mt)
        return protected.isNil ? Value(table: mt) : protected
    }
}
