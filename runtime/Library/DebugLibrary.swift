/// The debug library's introspection of functions and the stack: `traceback`, `getinfo`,
/// locals, upvalues, metatables, environments, `debug.debug` and hooks.
import Glibc
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
            // The frames below `level` are left out (level 0 keeps traceback itself).
            text += vm.traceback(thread, innermostBase: innermost, innermostPC: nil, firstLevel: 0, startLevel: level)
            if text.hasSuffix("\n") { text.removeLast() }
            return c.results(vm.string(text))
        }
        register("getinfo", in: D) { raw in
            let c = BuiltinCall(raw, "getinfo")
            return c.vm.getInfo(c)
        }
        register("getmetatable", in: D) { raw in
            let c = BuiltinCall(raw, "getmetatable")
            if c.count < 1 { return c.argumentError(1, "value expected") }
            guard let mt = c.vm.g.metatable(of: c.arg(1)) else { return c.results(.nil) }
            return c.results(Value(table: mt))
        }
        register("getregistry", in: D) { raw in
            let c = BuiltinCall(raw, "getregistry")
            return c.results(Value(table: c.vm.g.pointee.registry))
        }
        openDebugLibraryExtras(D)
    }

}
