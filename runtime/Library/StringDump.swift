/// `string.dump(f [, strip])`: a Lua function's prototype in Perigee's binary chunk format,
/// which `load`/`loadstring` read back (runtime/VM/LuaVM.swift, BytecodeUndump.swift).
import PerigeeFrontend

extension LuaVM {
    func openStringDump() {
        guard let name = g.intern("string") else { return }
        let S = globals.get(string: name)
        guard S.isTable else { return }
        register("dump", in: S.table) { raw in
            let c = BuiltinCall(raw, "dump")
            let f = c.arg(1)
            guard f.isFunction else { return c.typeError(1, expected: "function") }
            guard f.function.isLua else { return c.error("unable to dump given function") }
            let bytes = dumpBytecode(f.function.proto.source, stripDebugInfo: c.arg(2).isTruthy)
            return c.results(bytes.withUnsafeBufferPointer { c.vm.string($0) })
        }
    }
}
