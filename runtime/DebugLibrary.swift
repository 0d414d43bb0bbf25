/// The debug library's introspection of functions and the stack: `traceback` and `getinfo`.
import PerigeeFrontend

extension LuaVM {
    func openDebugLibrary() {
        let D = library("debug")
        register("traceback", in: D) { raw in
            let c = BuiltinCall(raw, "traceback")
            let vm = c.vm
            var index = 1
            var thread = c.L
            if c.arg(1).isThread { thread = c.arg(1).thread; index = 2 }
            let message = c.arg(index)
            if !message.isNil && !message.isString && !message.isNumber { return c.results(message) }
            let level = c.arg(index + 1).isNil ? (thread == c.L ? 1 : 0) : (c.integer(index + 1) ?? 1)
            var text = message.isNil ? "" : (vm.toStringValue(c.L, message).map { $0.isString ? $0.string.description : "" } ?? "") + "\n"
            let innermost = Int(thread.pointee.base)
            var lines = vm.traceback(thread, innermostBase: innermost, innermostPC: nil)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // Drop the frames below `level` (level 0 keeps traceback itself).
            let skip = thread == c.L ? level : level
            if lines.count > 1 {
                let frames = Array(lines.dropFirst())
                lines = [lines[0]] + Array(frames.dropFirst(min(skip, frames.count)))
            }
            text += lines.joined(separator: "\n")
            if text.hasSuffix("\n") { text.removeLast() }
            return c.results(vm.string(text))
        }
        register("getinfo", in: D) { raw in
            let c = BuiltinCall(raw, "getinfo")
            return c.vm.getInfo(c)
        }
        register("getmetatable", in: D) { raw in
            let c = BuiltinCall(raw, "getmetatable")
            guard let mt = c.vm.g.metatable(of: c.arg(1)) else { return c.results(.nil) }
            return c.results(Value(table: mt))
        }
        register("getregistry", in: D) { raw in
            let c = BuiltinCall(raw, "getregistry")
            return c.results(Value(table: c.vm.g.pointee.registry))
        }
    }

    /// `debug.getinfo(f or level [, what])`: source, lines and kind of a function.
    func getInfo(_ c: BuiltinCall) -> Int32 {
        var function = c.arg(1)
        var currentLine = -1
        if !function.isFunction {
            guard let level = c.integer(1) else { return c.typeError(1, expected: "function or level") }
            let list = frames(c.L, innermostBase: Int(c.L.pointee.base), innermostPC: nil)
            guard level >= 0 && level < list.count else { return c.results(.nil) }
            let frame = list[level]
            function = c.L.pointee.stack[frame.base - 2]
            if function.isFunction && function.function.isLua, let pc = frame.pc {
                currentLine = line(function.function, pc)
            }
        }
        guard let t = g.newTable(arraySize: 0, hashSize: 16) else { errorValue = memoryErrorValue; return builtinError }
        func set(_ key: String, _ v: Value) { _ = t.set(string: g.intern(key)!, v, g) }
        set("func", function)
        set("currentline", Value(number: Double(currentLine)))
        if function.isFunction && function.function.isLua {
            let proto = function.function.proto.source
            let chunk = proto.chunkName
            set("source", string(chunk))
            set("short_src", string(shortChunkName(chunk)))
            set("linedefined", Value(number: Double(proto.firstLine)))
            set("lastlinedefined", Value(number: Double(proto.firstLine == 0 ? -1 : Int(proto.lastLine))))
            set("what", string(proto.firstLine == 0 ? "main" : "Lua"))
            set("nups", Value(number: Double(proto.upvalues.count)))
        } else {
            set("source", string("=[C]"))
            set("short_src", string("[C]"))
            set("linedefined", Value(number: -1))
            set("lastlinedefined", Value(number: -1))
            set("what", string("C"))
            set("nups", Value(number: 0))
        }
        return c.results(Value(table: t))
    }
}
