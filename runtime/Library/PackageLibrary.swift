/// The package library as LuaJIT 2.1 has it: `require` with `package.loaded`,
/// `package.preload` and the four 5.1 loaders, `package.path`/`package.cpath` from the
/// environment, `package.searchpath`, `package.seeall` and `module`.
///
/// Perigee has no C API, so the C loaders never load anything: their "no file" lines say
/// so, and a C library that exists is reported as unloadable.
import Glibc
import PerigeeFrontend

/// LuaJIT's default search paths (as the distribution's luajit prints them).
public let defaultLuaPath = "./?.lua;/usr/share/luajit-2.1.0-beta3/?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"
let defaultLuaCPath = "./?.so;/usr/local/lib/lua/5.1/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;/usr/local/lib/lua/5.1/loadall.so"
let cModulesUnsupported = "C modules are not supported by Perigee"
/// What `package.loaded[name]` holds while module `name` loads: the value LuaJIT shows
/// there (its sentinel reads as this tiny negative number).
let loadingSentinel = Value(number: Double(bitPattern: 0x8000_0000_0000_0073))

extension LuaVM {
    func openPackageLibrary() {
        let P = library("package")
        let registry = g.pointee.registry
        // Each new table is stored (made reachable) before the next allocation.
        _ = registry.set(string: g.intern("_PACKAGE_TABLE")!, Value(table: P), g)
        guard let loaded = g.newTable(arraySize: 0, hashSize: 16) else { return }
        _ = P.set(string: g.intern("loaded")!, Value(table: loaded), g)
        _ = registry.set(string: g.intern("_LOADED")!, Value(table: loaded), g)
        registerStringBuffer(in: loaded)
        registerFFI(in: loaded)
        guard let preload = g.newTable(arraySize: 0, hashSize: 4) else { return }
        _ = P.set(string: g.intern("preload")!, Value(table: preload), g)
        _ = registry.set(string: g.intern("_PRELOAD")!, Value(table: preload), g)
        registerTableExtensions(in: preload)
        guard let loaders = g.newTable(arraySize: 4, hashSize: 0) else { return }
        _ = P.set(string: g.intern("loaders")!, Value(table: loaders), g)
        _ = P.set(string: g.intern("config")!, string("/\n;\n?\n!\n-\n"), g)
        _ = P.set(string: g.intern("path")!, string(searchPathFromEnvironment("LUA_PATH", defaultLuaPath)), g)
        _ = P.set(string: g.intern("cpath")!, string(searchPathFromEnvironment("LUA_CPATH", defaultLuaCPath)), g)

        let loaderEntries: [BuiltinEntry] = [
            { raw in
                let c = BuiltinCall(raw, "?")
                return c.vm.preloadLoader(c)
            },
            { raw in
                let c = BuiltinCall(raw, "?")
                return c.vm.luaFileLoader(c)
            },
            { raw in
                let c = BuiltinCall(raw, "?")
                return c.vm.cLoader(c, allInOne: false)
            },
            { raw in
                let c = BuiltinCall(raw, "?")
                return c.vm.cLoader(c, allInOne: true)
            },
        ]
        for (i, entry) in loaderEntries.enumerated() {
            guard let f = g.newBuiltin(entry, env: P) else { return }
            _ = loaders.set(integer: i + 1, Value(function: f), g)
        }

        register("searchpath", in: P) { raw in
            let c = BuiltinCall(raw, "searchpath")
            // luajit's C evaluates the four argument checks last to first.
            var separator = ".", replacement = "/"
            if !c.arg(4).isNil {
                guard let s = c.string(4) else { return c.typeError(4, expected: "string") }
                replacement = s.description
            }
            if !c.arg(3).isNil {
                guard let s = c.string(3) else { return c.typeError(3, expected: "string") }
                separator = s.description
            }
            guard let path = c.string(2) else { return c.typeError(2, expected: "string") }
            guard let name = c.string(1) else { return c.typeError(1, expected: "string") }
            switch searchPath(name.description, path.description, separator: separator, replacement: replacement) {
            case .found(let file): return c.results(c.vm.string(file))
            case .notFound(let message): return c.results(.nil, c.vm.string(message))
            }
        }
        register("seeall", in: P) { raw in
            let c = BuiltinCall(raw, "seeall")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            var mt = t.pointee.metatable
            if mt == nil {
                guard let m = c.vm.g.newTable(arraySize: 0, hashSize: 1) else {
                    c.vm.errorValue = c.vm.memoryErrorValue
                    return builtinError
                }
                c.vm.setMetatable(t, m)
                mt = m
            }
            _ = mt!.set(string: c.vm.g.name(of: .index), Value(table: c.vm.globals), c.vm.g)
            return 0
        }
        register("loadlib", in: P) { raw in
            let c = BuiltinCall(raw, "loadlib")
            guard c.string(1) != nil else { return c.typeError(1, expected: "string") }
            guard c.string(2) != nil else { return c.typeError(2, expected: "string") }
            return c.results(.nil, c.vm.string(cModulesUnsupported), c.vm.string("absent"))
        }
        register("require", in: globals) { raw in
            let c = BuiltinCall(raw, "require")
            return c.vm.require(c)
        }
        register("module", in: globals) { raw in
            let c = BuiltinCall(raw, "module")
            return c.vm.module(c)
        }

        // The libraries already open count as loaded.
        for name in ["_G", "package", "coroutine", "table", "io", "os", "string", "math", "debug", "bit", "jit"] {
            let v = globals.get(string: g.intern(name)!)
            if v.isTable { _ = loaded.set(string: g.intern(name)!, v, g) }
        }
        // require("jit.opt") is jit.opt, as in luajit.
        let jit = globals.get(string: g.intern("jit")!)
        if jit.isTable, case let opt = jit.table.get(string: g.intern("opt")!), opt.isTable {
            _ = loaded.set(string: g.intern("jit.opt")!, opt, g)
        }
    }

    // MARK: Registry access

    func registryValue(_ key: String) -> Value {
        g.pointee.registry.get(name: key, g)
    }

    private var packageTable: TableRef { registryValue("_PACKAGE_TABLE").table }

    /// A field of the package table the library was opened with.
    /// `perigee -E`: `package.path` and `package.cpath` as if LUA_PATH and LUA_CPATH were unset.
    public func usePackageDefaults() {
        _ = packageTable.set(string: g.intern("path")!, string(defaultLuaPath), g)
        _ = packageTable.set(string: g.intern("cpath")!, string(defaultLuaCPath), g)
    }

    private func packageField(_ name: String) -> Value {
        packageTable.get(name: name, g)
    }

    // MARK: require

    func require(_ c: BuiltinCall) -> Int32 {
        guard let nameRef = c.string(1) else { return c.typeError(1, expected: "string") }
        let name = nameRef.description
        let nameValue = Value(string: nameRef)
        let loaded = registryValue("_LOADED").table
        let sentinel = loadingSentinel
        let present = loaded.get(nameValue)
        if present.isTruthy {
            if present.rawEquals(sentinel) { return c.error("loop or previous error loading module '\(name)'") }
            return c.results(present)
        }
        let loadersValue = packageField("loaders")
        guard loadersValue.isTable else { return c.error("'package.loaders' must be a table") }
        let loaders = loadersValue.table
        var messages = ""
        let slot = Int(c.L.pointee.top)
        var i = 1
        while true {
            let loader = loaders.get(integer: i)
            if loader.isNil { return c.error("module '\(name)' not found:\(messages)") }
            c.L.pointee.top = UInt32(slot)
            c.push(loader)
            c.push(.nil)
            c.push(nameValue)
            guard callSlot(c.L, slot, argumentCount: 1, wanted: 1) == .ok else { return builtinError }
            let result = c.L.pointee.stack[slot]
            if result.isFunction { break }
            if result.isString { messages += result.string.description } else if result.isNumber {
                messages += numberText(result.number)
            }
            i += 1
        }
        // The module's function stays at `slot`, anchored, while it runs.
        _ = loaded.set(nameValue, sentinel, g)
        c.L.pointee.top = UInt32(slot + 1)
        c.push(.nil)
        c.push(nameValue)
        guard callSlot(c.L, slot, argumentCount: 1, wanted: 1) == .ok else { return builtinError }
        let returned = c.L.pointee.stack[slot]
        c.L.pointee.top = UInt32(slot)
        if !returned.isNil { _ = loaded.set(nameValue, returned, g) }
        let final = loaded.get(nameValue)
        if final.rawEquals(sentinel) {
            _ = loaded.set(nameValue, .true, g)
            return c.results(.true)
        }
        return c.results(final)
    }

    // MARK: Loaders

    func preloadLoader(_ c: BuiltinCall) -> Int32 {
        guard let name = c.string(1) else { return c.typeError(1, expected: "string") }
        let preload = packageField("preload")
        guard preload.isTable else { return c.error("'package.preload' must be a table") }
        let v = preload.table.get(Value(string: name))
        if v.isNil { return c.results(string("\n\tno field package.preload['\(name.description)']")) }
        return c.results(v)
    }

    /// Searches `package.path` or `package.cpath` for `name`; nil after raising an error.
    private func findFile(_ c: BuiltinCall, _ name: String, _ field: String) -> SearchResult? {
        let path = packageField(field)
        let text: String
        if path.isString { text = path.string.description } else if path.isNumber { text = numberText(path.number) } else {
            _ = c.error("'package.\(field)' must be a string")
            return nil
        }
        return searchPath(name, text, separator: ".", replacement: "/")
    }

    func luaFileLoader(_ c: BuiltinCall) -> Int32 {
        guard let nameRef = c.string(1) else { return c.typeError(1, expected: "string") }
        let name = nameRef.description
        if let (status, f) = loadCompiledModule(name) {
            guard status == .ok, let f else {
                return c.error("error loading module '\(name)':\n\t\(describeError())")
            }
            return c.results(Value(function: f))
        }
        guard let result = findFile(c, name, "path") else { return builtinError }
        switch result {
        case .notFound(let message):
            return c.results(string(message))
        case .found(let file):
            guard let bytes = readWholeFile(file) else {
                return c.error("error loading module '\(name)' from file '\(file)':\n\tcannot open \(file)")
            }
            let (status, f) = load(bytes, chunkName: "@" + file)
            guard status == .ok, let f else {
                return c.error("error loading module '\(name)' from file '\(file)':\n\t\(describeError())")
            }
            return c.results(Value(function: f))
        }
    }

    /// The C loader (`allInOne` false) and the all-in-one loader, which looks for the root
    /// of a dotted name. Neither can load a library: without one they explain why.
    func cLoader(_ c: BuiltinCall, allInOne: Bool) -> Int32 {
        guard let nameRef = c.string(1) else { return c.typeError(1, expected: "string") }
        let name = nameRef.description
        var searched = name
        if allInOne {
            guard let dot = name.firstIndex(of: ".") else { return 0 }
            searched = String(name[..<dot])
        }
        guard let result = findFile(c, searched, "cpath") else { return builtinError }
        switch result {
        case .notFound(let message):
            let annotated = message.split(separator: "\n", omittingEmptySubsequences: true)
                .map { "\n" + $0 + " (\(cModulesUnsupported))" }.joined()
            return c.results(string(annotated))
        case .found(let file):
            return c.error("error loading module '\(name)' from file '\(file)':\n\t\(cModulesUnsupported)")
        }
    }

    // MARK: module

    func module(_ c: BuiltinCall) -> Int32 {
        guard let nameRef = c.string(1) else { return c.typeError(1, expected: "string") }
        let name = nameRef.description
        let lastArgument = c.count
        let loaded = registryValue("_LOADED").table
        var moduleValue = loaded.get(Value(string: nameRef))
        if !moduleValue.isTable {
            guard let t = findTable(globals, name) else {
                return c.error("name conflict for module '\(name)'")
            }
            moduleValue = Value(table: t)
            _ = loaded.set(Value(string: nameRef), moduleValue, g)
        }
        let m = moduleValue.table
        c.push(moduleValue)  // anchored while the options run
        if m.get(name: "_NAME", g).isNil {
            _ = m.set(string("_M"), moduleValue, g)
            _ = m.set(string("_NAME"), Value(string: nameRef), g)
            let packageName: Substring
            if let dot = name.lastIndex(of: ".") { packageName = name[...dot] } else { packageName = "" }
            _ = m.set(string("_PACKAGE"), string(String(packageName)), g)
        }
        // The calling function's environment becomes the module.
        let list = frames(c.L, innermostBase: Int(c.L.pointee.base), innermostPC: nil)
        guard list.count > 1 else { return c.error("'module' not called from a Lua function") }
        let caller = c.L.pointee.stack[list[1].base - 2]
        guard caller.isFunction, caller.function.isLua else {
            return c.error("'module' not called from a Lua function")
        }
        caller.function.setEnv(m, g)
        if lastArgument >= 2 {
            for i in 2...lastArgument {
                let slot = Int(c.L.pointee.top)
                c.push(c.arg(i))
                c.push(.nil)
                c.push(moduleValue)
                guard callSlot(c.L, slot, argumentCount: 1, wanted: 0) == .ok else { return builtinError }
                c.L.pointee.top = UInt32(slot)
            }
        }
        return 0
    }

    /// `luaL_findtable`: walks (creating) the tables along a dotted name from `root`; nil
    /// when a part of the way is not a table.
    private func findTable(_ root: TableRef, _ dotted: String) -> TableRef? {
        var t = root
        for part in dotted.split(separator: ".", omittingEmptySubsequences: false) {
            let key = string(String(part))
            let v = t.get(key)
            if v.isNil {
                pushAnchor(key)
                defer { popAnchor() }
                guard let n = g.newTable(arraySize: 0, hashSize: 1) else { return nil }
                _ = t.set(key, Value(table: n), g)  // `t` is reachable: so is `n` now
                t = n
            } else if v.isTable {
                t = v.table
            } else {
                return nil
            }
        }
        return t
    }
}

// MARK: Search paths

public enum SearchResult {
    case found(String)
    case notFound(String)
}

/// `package.searchpath`: the first readable file among the `;`-separated templates with
/// `?` replaced by `name` (in which `separator` became `replacement`), or the list of
/// files tried, one "\n\tno file '...'" line each.
public func searchPath(_ name: String, _ path: String, separator: String, replacement: String) -> SearchResult {
    let name = separator.isEmpty ? name : replacingAll(name, separator, replacement)
    var message = ""
    for template in path.split(separator: ";", omittingEmptySubsequences: true) {
        let file = replacingAll(String(template), "?", name)
        if let f = fopen(file, "r") {
            fclose(f)
            return .found(file)
        }
        message += "\n\tno file '\(file)'"
    }
    return .notFound(message)
}

/// Every occurrence of `pattern` in `text` replaced, scanning left to right (`luaL_gsub`).
func replacingAll(_ text: String, _ pattern: String, _ replacement: String) -> String {
    let t = Array(text.utf8), p = Array(pattern.utf8), r = Array(replacement.utf8)
    guard !p.isEmpty else { return text }
    var out: [UInt8] = []
    var i = 0
    while i < t.count {
        if i + p.count <= t.count && t[i..<(i + p.count)].elementsEqual(p) {
            out.append(contentsOf: r)
            i += p.count
        } else {
            out.append(t[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// A search path from environment variable `variable`, with `;;` standing for `fallback`.
public func searchPathFromEnvironment(_ variable: String, _ fallback: String) -> String {
    guard let raw = getenv(variable) else { return fallback }
    let value = String(cString: raw)
    let marked = replacingAll(value, ";;", ";\u{1};")
    return replacingAll(marked, "\u{1}", fallback)
}
