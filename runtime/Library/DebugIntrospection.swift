/// `debug.getinfo`, locals, upvalues, metatables and environments, `debug.debug`, and the
/// hook functions (their state is in Hooks.swift), with LuaJIT 2.1's results and messages.
import Glibc
import PerigeeFrontend

extension LuaVM {
    func openDebugLibraryExtras(_ D: TableRef) {
        register("getlocal", in: D) { raw in
            let c = BuiltinCall(raw, "getlocal")
            return c.vm.getLocal(c)
        }
        register("setlocal", in: D) { raw in
            let c = BuiltinCall(raw, "setlocal")
            return c.vm.setLocal(c)
        }
        register("getupvalue", in: D) { raw in
            let c = BuiltinCall(raw, "getupvalue")
            return c.vm.accessUpvalue(c, get: true)
        }
        register("setupvalue", in: D) { raw in
            let c = BuiltinCall(raw, "setupvalue")
            if c.count < 3 { return c.argumentError(3, "value expected") }
            return c.vm.accessUpvalue(c, get: false)
        }
        register("upvalueid", in: D) { raw in
            let c = BuiltinCall(raw, "upvalueid")
            guard c.arg(1).isFunction else { return c.typeError(1, expected: "function") }
            let f = c.arg(1).function
            guard let n = c.integer(2) else { return c.typeError(2, expected: "number") }
            guard n >= 1 && n <= c.vm.visibleUpvalueCount(f) else { return c.argumentError(2, "index out of range") }
            if f.isLua {
                guard let uv = f.upvalueObjects[n - 1] else { return c.results(.nil) }
                return c.results(Value(lightUserdata: UnsafeRawPointer(uv)))
            }
            return c.results(Value(lightUserdata: UnsafeRawPointer(f.upvalueValues + (n - 1))))
        }
        register("upvaluejoin", in: D) { raw in
            let c = BuiltinCall(raw, "upvaluejoin")
            var chosen: [(FunctionRef, Int)] = []
            for i in 0..<2 {
                guard c.arg(2 * i + 1).isFunction else { return c.typeError(2 * i + 1, expected: "function") }
                let f = c.arg(2 * i + 1).function
                if !f.isLua { return c.argumentError(2 * i + 1, "Lua function expected") }
                guard let n = c.integer(2 * i + 2) else { return c.typeError(2 * i + 2, expected: "number") }
                guard n >= 1 && n <= Int(f.pointee.upvalueCount) else {
                    return c.argumentError(2 * i + 2, "index out of range")
                }
                chosen.append((f, n - 1))
            }
            if let uv = chosen[1].0.upvalueObjects[chosen[1].1] {
                chosen[0].0.setUpvalue(chosen[0].1, uv, c.vm.g)
            }
            return 0
        }
        register("setmetatable", in: D) { raw in
            let c = BuiltinCall(raw, "setmetatable")
            return c.vm.debugSetMetatable(c)
        }
        register("getfenv", in: D) { raw in
            let c = BuiltinCall(raw, "getfenv")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            let v = c.arg(1)
            var env: TableRef? = nil
            if v.isFunction { env = v.function.pointee.env }
            else if v.isUserdata { env = v.userdata.pointee.env }
            else if v.isThread { env = v.thread.pointee.env }
            return c.results(env.map { Value(table: $0) } ?? .nil)
        }
        register("setfenv", in: D) { raw in
            let c = BuiltinCall(raw, "setfenv")
            guard let env = c.checkTable(2) else { return c.typeError(2, expected: "table") }
            let v = c.arg(1)
            if v.isFunction {
                v.function.setEnv(env, c.vm.g)
            } else if v.isUserdata {
                v.userdata.setEnv(env, c.vm.g)
            } else if v.isThread {
                c.vm.setThreadEnvironment(v.thread, env)
            } else {
                return c.error("'setfenv' cannot change environment of given object")
            }
            return c.results(v)
        }
        register("debug", in: D) { raw in
            let c = BuiltinCall(raw, "debug")
            return c.vm.debugPrompt(c)
        }
        register("sethook", in: D) { raw in
            let c = BuiltinCall(raw, "sethook")
            return c.vm.setHook(c)
        }
        register("gethook", in: D) { raw in
            let c = BuiltinCall(raw, "gethook")
            return c.vm.getHook(c)
        }
    }

    /// The thread a debug function acts on and how many arguments it takes up (0 or 1).
    private func debugThread(_ c: BuiltinCall) -> (ThreadRef, Int) {
        c.arg(1).isThread ? (c.arg(1).thread, 1) : (c.L, 0)
    }

    /// `debug.getinfo([thread,] f or level [, what])`.
    func getInfo(_ c: BuiltinCall) -> Int32 {
        let (L1, arg) = debugThread(c)
        var options = "flnSu"
        if !c.arg(arg + 2).isNil {
            guard let s = c.string(arg + 2) else { return c.typeError(arg + 2, expected: "string") }
            options = s.description
        }
        var list: [DebugFrame] = []
        var level: Int? = nil
        let function: Value
        if let n = c.number(arg + 1) {
            list = debugFrames(L1)
            let l = luaInteger(n)
            if l == list.count && L1 == mainThread {
                // Below the main chunk: the native code that started the main thread.
                function = Value(function: hostEntry)
            } else {
                guard l >= 0 && l < list.count else { return c.results(.nil) }
                level = l
                function = list[l].function
            }
        } else if c.arg(arg + 1).isFunction {
            function = c.arg(arg + 1)
        } else {
            return c.argumentError(arg + 1, "function or level expected")
        }
        for ch in options.utf8 where !"SlunfL".utf8.contains(ch) {
            return c.argumentError(arg + 2, "invalid option")
        }
        guard let t = g.newTable(arraySize: 0, hashSize: 16) else { errorValue = memoryErrorValue; return builtinError }
        pushAnchor(Value(table: t))
        defer { popAnchor() }
        func set(_ key: String, _ v: Value) { _ = t.set(string(key), v, g) }
        func number(_ n: Int) -> Value { Value(number: Double(n)) }
        let lua: FunctionRef? = function.isFunction && function.function.isLua ? function.function : nil
        let bytecodeBuiltin = function.isFunction ? bytecodeBuiltins[function.function] : nil
        for ch in options {
            switch ch {
            case "S":
                if let lua {
                    let proto = lua.proto.source
                    set("source", string(proto.chunkName))
                    set("short_src", string(shortChunkName(proto.chunkName)))
                    set("linedefined", number(Int(proto.firstLine)))
                    set("lastlinedefined", number(Int(proto.lastLine)))
                    set("what", string(proto.firstLine == 0 ? "main" : "Lua"))
                } else if let bytecodeBuiltin {
                    set("source", string(bytecodeBuiltin.name))
                    set("short_src", string("[builtin:\(bytecodeBuiltin.name)]"))
                    set("linedefined", number(-1))
                    set("lastlinedefined", number(-1))
                    set("what", string("Lua"))
                } else {
                    set("source", string("=[C]"))
                    set("short_src", string("[C]"))
                    set("linedefined", number(-1))
                    set("lastlinedefined", number(-1))
                    set("what", string("C"))
                }
            case "l":
                var current = -1
                if let lua, let level, let pc = list[level].pc { current = line(lua, pc) }
                set("currentline", number(current))
            case "u":
                set("nups", number(function.isFunction ? visibleUpvalueCount(function.function) : 0))
                set("nparams", number(lua.map { Int($0.proto.source.parameterCount) } ?? bytecodeBuiltin?.parameters ?? 0))
                set("isvararg", Value(bool: lua.map { $0.proto.source.isVararg } ?? (bytecodeBuiltin == nil)))
            case "n":
                if let level, let (kind, name) = debugFunctionName(L1, list, level: level) {
                    set("name", string(name))
                    set("namewhat", string(kind))
                } else {
                    set("namewhat", string(""))
                }
            case "L":
                if let lua {
                    guard let lines = g.newTable(arraySize: 0, hashSize: 0) else {
                        errorValue = memoryErrorValue; return builtinError
                    }
                    set("activelines", Value(table: lines))
                    let all = lua.proto.source.lines
                    for i in all.indices.dropFirst() {
                        _ = lines.set(Value(number: Double(all[i])), .true, g)
                    }
                } else if bytecodeBuiltin != nil {
                    guard let lines = g.newTable(arraySize: 0, hashSize: 0) else {
                        errorValue = memoryErrorValue; return builtinError
                    }
                    set("activelines", Value(table: lines))
                }
            case "f":
                set("func", function)
            default:
                break
            }
        }
        return c.results(Value(table: t))
    }

    /// `debug.getlocal([thread,] level or f, n)`.
    func getLocal(_ c: BuiltinCall) -> Int32 {
        let (L1, arg) = debugThread(c)
        guard let n = c.integer(arg + 2) else { return c.typeError(arg + 2, expected: "number") }
        if c.arg(arg + 1).isFunction {
            // Parameter names of a function value.
            let f = c.arg(arg + 1).function
            guard f.isLua, let name = liveVariableName(f.proto.source, pc: 0, index: n - 1) else { return c.results(.nil) }
            return c.results(string(name))
        }
        guard let level = c.integer(arg + 1) else { return c.typeError(arg + 1, expected: "number") }
        let list = debugFrames(L1)
        guard level >= 0 && level < list.count else { return c.argumentError(arg + 1, "level out of range") }
        guard let (name, slot) = debugLocal(L1, list, level: level, n: n) else { return c.results(.nil) }
        let value = L1.pointee.stack[slot]
        return c.results(string(name), value)
    }

    /// `debug.setlocal([thread,] level, n, value)`.
    func setLocal(_ c: BuiltinCall) -> Int32 {
        let (L1, arg) = debugThread(c)
        guard let level = c.integer(arg + 1) else { return c.typeError(arg + 1, expected: "number") }
        let list = debugFrames(L1)
        guard level >= 0 && level < list.count else { return c.argumentError(arg + 1, "level out of range") }
        if c.count < arg + 3 { return c.argumentError(arg + 3, "value expected") }
        guard let n = c.integer(arg + 2) else { return c.typeError(arg + 2, expected: "number") }
        guard let (name, slot) = debugLocal(L1, list, level: level, n: n) else { return c.results(.nil) }
        L1.pointee.stack[slot] = c.arg(arg + 3)
        return c.results(string(name))
    }

    /// `debug.getupvalue(f, n)` and `debug.setupvalue(f, n, value)`.
    func accessUpvalue(_ c: BuiltinCall, get: Bool) -> Int32 {
        guard let n = c.integer(2) else { return c.typeError(2, expected: "number") }
        guard c.arg(1).isFunction else { return c.typeError(1, expected: "function") }
        let f = c.arg(1).function
        let i = n - 1
        guard i >= 0 && i < visibleUpvalueCount(f) else { return 0 }
        if f.isLua {
            let proto = f.proto.source
            let name = i < proto.upvalueNames.count ? proto.strings.string(proto.upvalueNames[i]) : ""
            guard let uv = f.upvalueObjects[i] else { return 0 }
            if get { return c.results(string(name), uv.value) }
            uv.set(c.arg(3), g)
            return c.results(string(name))
        }
        if get { return c.results(string(""), f.upvalueValues[i]) }
        f.setUpvalue(i, c.arg(3), g)
        return c.results(string(""))
    }

    /// The upvalues the debug library shows. A builtin that keeps its native implementation
    /// as a light userdata upvalue (the math functions) shows none: in LuaJIT those functions
    /// have no upvalues, and replacing the pointer would crash.
    func visibleUpvalueCount(_ f: FunctionRef) -> Int {
        let n = Int(f.pointee.upvalueCount)
        if f.isLua { return n }
        for i in 0..<n where f.upvalueValues[i].isLightUserdata { return 0 }
        return n
    }

    /// `debug.setmetatable(v, mt)`: any value's metatable (per type for non-tables), no
    /// `__metatable` protection; returns true (Lua 5.1).
    func debugSetMetatable(_ c: BuiltinCall) -> Int32 {
        let mtValue = c.arg(2)
        guard c.count >= 2, mtValue.isNil || mtValue.isTable else { return c.argumentError(2, "nil or table expected") }
        let mt: TableRef? = mtValue.isNil ? nil : mtValue.table
        let v = c.arg(1)
        if v.isTable {
            setMetatable(v.table, mt)
        } else if v.isUserdata {
            v.userdata.setMetatable(mt, g)
        } else {
            // Type metatables are roots; one set while marking is marked now.
            if let mt, g.pointee.phase == .propagate, header(mt).isWhite { g.mark(header(mt)) }
            if v.isNumber {
                g.pointee.typeMetatables[numberMetatableSlot] = mt
            } else if v.isBoolean {
                g.pointee.typeMetatables[Int(ValueTag.false.rawValue)] = mt
                g.pointee.typeMetatables[Int(ValueTag.true.rawValue)] = mt
            } else {
                g.pointee.typeMetatables[Int(v.tag.rawValue)] = mt
            }
        }
        return c.results(.true)
    }

    /// `debug.debug()`: runs lines from standard input until `cont` or end of input.
    func debugPrompt(_ c: BuiltinCall) -> Int32 {
        let L = c.L
        var buffer = [CChar](repeating: 0, count: 250)
        while true {
            synchronize(stdin)  // pending output goes first unless fully buffered, as in C
            fputs("lua_debug> ", stderr)
            guard fgets(&buffer, Int32(buffer.count), stdin) != nil else { return 0 }
            let length = strlen(buffer)
            let bytes = buffer.prefix(length).map { UInt8(bitPattern: $0) }
            if bytes == Array("cont\n".utf8) { return 0 }
            let (status, f) = load(bytes, chunkName: "=(debug command)")
            var failed = status != .ok
            if !failed, let f {
                let slot = Int(L.pointee.top)
                c.push(Value(function: f))
                c.push(.nil)
                if callSlot(L, slot, argumentCount: 0, wanted: 0) != .ok {
                    failed = true
                    lastTraceback = ""
                    L.closeUpvalues(from: slot, g)
                }
                L.pointee.top = UInt32(slot)
            }
            if failed {
                let e = errorValue
                let text = e.isString ? e.string.description : e.isNumber ? numberText(e.number) : "(error object is not a string)"
                fputs(text + "\n", stderr)
            }
        }
    }
}
