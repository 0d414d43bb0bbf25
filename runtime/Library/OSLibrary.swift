/// The os library's clock, time, date, environment, commands (execute), locale, exit and
/// files (remove, rename, tmpname), and the `jit` table, which tells the truth: there is no JIT compiler yet.
import Glibc
import PerigeeFrontend

extension LuaVM {
    func openOSLibrary() {
        let O = library("os")
        register("clock", in: O) { raw in
            let c = BuiltinCall(raw, "clock")
            return c.results(Value(number: Double(Glibc.clock()) / Double(CLOCKS_PER_SEC)))
        }
        register("time", in: O) { raw in
            let c = BuiltinCall(raw, "time")
            if c.arg(1).isNil { return c.results(Value(number: Double(Glibc.time(nil)))) }
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            var tm = Glibc.tm()
            func field(_ name: String, _ fallback: Int?) -> Int32? {
                let v = t.get(name: name, c.vm.g)
                if let n = c.vm.toNumber(v) { return Int32(clamping: luaInteger(n)) }
                return fallback.map { Int32($0) }
            }
            guard let day = field("day", nil) else { return c.error("field 'day' missing in date table") }
            guard let month = field("month", nil) else { return c.error("field 'month' missing in date table") }
            guard let year = field("year", nil) else { return c.error("field 'year' missing in date table") }
            tm.tm_sec = field("sec", 0)!
            tm.tm_min = field("min", 0)!
            tm.tm_hour = field("hour", 12)!
            tm.tm_mday = day
            tm.tm_mon = month - 1
            tm.tm_year = year - 1900
            let dst = t.get(name: "isdst", c.vm.g)
            tm.tm_isdst = dst.isNil ? -1 : (dst.isTruthy ? 1 : 0)
            let result = mktime(&tm)
            if result == -1 { return c.results(.nil) }
            return c.results(Value(number: Double(result)))
        }
        register("difftime", in: O) { raw in
            let c = BuiltinCall(raw, "difftime")
            guard let a = c.number(1) else { return c.typeError(1, expected: "number") }
            return c.results(Value(number: a - (c.number(2) ?? 0)))
        }
        register("date", in: O) { raw in
            let c = BuiltinCall(raw, "date")
            return c.vm.formatDate(c)
        }
        register("getenv", in: O) { raw in
            let c = BuiltinCall(raw, "getenv")
            guard let name = c.string(1) else { return c.typeError(1, expected: "string") }
            guard let value = getenv(name.description) else { return c.results(.nil) }
            return c.results(c.vm.string(String(cString: value)))
        }
        register("remove", in: O) { raw in
            let c = BuiltinCall(raw, "remove")
            guard let name = c.string(1) else { return c.typeError(1, expected: "string") }
            return c.fileResult(Glibc.remove(cString(name)) == 0, name.description)
        }
        register("rename", in: O) { raw in
            let c = BuiltinCall(raw, "rename")
            guard let from = c.string(1) else { return c.typeError(1, expected: "string") }
            guard let to = c.string(2) else { return c.typeError(2, expected: "string") }
            return c.fileResult(Glibc.rename(cString(from), cString(to)) == 0, from.description)
        }
        register("tmpname", in: O) { raw in
            let c = BuiltinCall(raw, "tmpname")
            var template = Array("/tmp/lua_XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd == -1 { return c.error("unable to generate a unique filename") }
            close(fd)
            return c.results(c.vm.string(String(cString: template)))
        }
        register("execute", in: O) { raw in
            let c = BuiltinCall(raw, "execute")
            // LuaJIT 2.1 (without 5.2 compatibility) returns system()'s status as it is:
            // the exit code times 256, the signal number, or whether a shell exists.
            // Pending output is not flushed first, as C's stdout is not.
            if c.arg(1).isNil { return c.results(Value(number: Double(system(nil)))) }
            guard let command = c.string(1) else { return c.typeError(1, expected: "string") }
            return c.results(Value(number: Double(system(cString(command)))))
        }
        register("setlocale", in: O) { raw in
            let c = BuiltinCall(raw, "setlocale")
            var locale: [CChar]? = nil
            if !c.arg(1).isNil {
                guard let name = c.string(1) else { return c.typeError(1, expected: "string") }
                locale = cString(name)
            }
            var category = LC_ALL
            if !c.arg(2).isNil {
                guard let name = c.string(2) else { return c.typeError(2, expected: "string") }
                switch name.description {
                case "all": category = LC_ALL
                case "collate": category = LC_COLLATE
                case "ctype": category = LC_CTYPE
                case "monetary": category = LC_MONETARY
                case "numeric": category = LC_NUMERIC
                case "time": category = LC_TIME
                default: return c.argumentError(2, "invalid option '\(name.description)'")
                }
            }
            let result = locale.map { setlocale(category, $0) } ?? setlocale(category, nil)
            guard let result else { return c.results(.nil) }
            return c.results(c.vm.string(String(cString: result)))
        }
        register("exit", in: O) { raw in
            let c = BuiltinCall(raw, "exit")
            let v = c.arg(1)
            let status: Int32 = v.isNil || v.isTrue ? 0 : (v.isFalse ? 1 : Int32(clamping: c.integer(1) ?? 0))
            // `os.exit(code, close)`: a true `close` closes the state first (finalizers run).
            if c.count >= 2 && c.arg(2).isTruthy { c.vm.closeState() }
            c.vm.standardOutput.flush()
            c.vm.traces.beforeExit?()
            // As the command line ends: C streams flushed, no static destructors (libLLVM's,
            // when the JIT loaded it, may abort under a live ORC instance).
            fflush(nil)
            _exit(status)
        }

        let J = library("jit")
        _ = J.set(string: g.intern("version")!, string("Perigee 0.1.0 (LuaJIT 2.1 dialect)"), g)
        _ = J.set(string: g.intern("version_num")!, Value(number: 20100), g)
        _ = J.set(string: g.intern("os")!, string("Linux"), g)
        #if arch(x86_64)
        _ = J.set(string: g.intern("arch")!, string("x64"), g)
        #else
        _ = J.set(string: g.intern("arch")!, string("arm64"), g)
        #endif
        register("status", in: J) { raw in
            let c = BuiltinCall(raw, "status")
            return c.results(c.vm.traces.isCompiling ? .true : .false)
        }
        // jit.off(f)/jit.on(f) mark one Lua function; without a function they switch the JIT.
        func markFunction(_ c: BuiltinCall, compile: Bool) -> Bool {
            guard c.arg(1).isFunction, c.arg(1).function.isLua else { return false }
            let p = c.arg(1).function.proto
            p.pointee.flags = compile ? p.pointee.flags & ~ProtoFlag.noJIT : p.pointee.flags | ProtoFlag.noJIT
            c.vm.traces.resetLoops(of: p, counting: compile)
            return true
        }
        register("off", in: J) { raw in
            let c = BuiltinCall(raw, "off")
            if !markFunction(c, compile: false) { c.vm.traces.compile(false) }
            return 0
        }
        register("flush", in: J) { raw in
            BuiltinCall(raw, "flush").vm.traces.flush()
            return 0
        }
        // jit.opt.start(...): luajit's -O arguments ("hotloop=10", "-fold", "2"), also as
        // require("jit.opt").
        let options = g.newTable(arraySize: 0, hashSize: 4)!
        _ = J.set(string: g.intern("opt")!, Value(table: options), g)
        register("start", in: options) { raw in
            let c = BuiltinCall(raw, "start")
            var texts: [String] = []
            for n in stride(from: 1, through: c.count, by: 1) {
                guard let text = c.string(n) else { return c.typeError(n, expected: "string") }
                texts.append(text.description)
            }
            // Without a JIT (built executables) the arguments are still checked, as luajit would.
            var unused = JITParameters()
            if let message = c.vm.traces.onOptions?(texts) ?? unused.applying(texts) {
                return c.error(message)
            }
            return 0
        }
        register("on", in: J) { raw in
            // Executables from `perigee build` have no JIT: there jit.on() changes nothing.
            let c = BuiltinCall(raw, "on")
            if !markFunction(c, compile: true) { c.vm.traces.compile(true) }
            return 0
        }
    }

    /// `os.date([format [, time]])`: strftime, with `*t` / `!*t` for a table and a leading
    /// `!` for UTC.
    func formatDate(_ c: BuiltinCall) -> Int32 {
        var format = c.arg(1).isNil ? "%c" : (c.string(1)?.description ?? "%c")
        var t = c.arg(2).isNil ? Glibc.time(nil) : time_t(luaInteger(c.number(2) ?? 0))
        var tm = Glibc.tm()
        if format.hasPrefix("!") {
            format.removeFirst()
            gmtime_r(&t, &tm)
        } else {
            localtime_r(&t, &tm)
        }
        if format.hasPrefix("*t") {
            guard let table = g.newTable(arraySize: 0, hashSize: 16) else { errorValue = memoryErrorValue; return builtinError }
            func set(_ key: String, _ v: Value) { _ = table.set(string(key), v, g) }
            set("year", Value(number: Double(tm.tm_year + 1900)))
            set("month", Value(number: Double(tm.tm_mon + 1)))
            set("day", Value(number: Double(tm.tm_mday)))
            set("hour", Value(number: Double(tm.tm_hour)))
            set("min", Value(number: Double(tm.tm_min)))
            set("sec", Value(number: Double(tm.tm_sec)))
            set("wday", Value(number: Double(tm.tm_wday + 1)))
            set("yday", Value(number: Double(tm.tm_yday + 1)))
            set("isdst", Value(bool: tm.tm_isdst > 0))
            return c.results(Value(table: table))
        }
        var buffer = [CChar](repeating: 0, count: 1024)
        let n = strftime(&buffer, buffer.count, format, &tm)
        return c.results(buffer.withUnsafeBufferPointer {
            string(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: n))
        })
    }
}
