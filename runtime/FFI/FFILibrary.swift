/// LuaJIT's `ffi` library (`require("ffi")`): cdef, typeof, new, cast, metatype, gc, sizeof,
/// alignof, offsetof, istype, string, copy, fill, errno, abi, os, arch, C and load.
import Glibc

/// The FFI state of one Lua state: its C types and the tables the collector must see
/// (metatypes, finalizers, callback functions), which live in the registry.
final class FFIState {
    let types = CTypeTable()
    /// Parsed type strings of `ffi.new("...")` and friends; cleared by every `ffi.cdef`.
    var typeCache: [String: CTypeID] = [:]
    /// `errno` as the last C call left it, in a cell compiled calls read and write; the
    /// next cell counts the callbacks that exist (a trace calls a C function directly only
    /// while there are none: a callback could not run Lua code while the trace holds its
    /// state in registers).
    let errnoCell: UnsafeMutablePointer<Int32> = {
        let cell = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        cell.initialize(repeating: 0, count: 2)
        return cell
    }()
    var savedErrno: Int32 {
        get { errnoCell.pointee }
        set { errnoCell.pointee = newValue }
    }

    deinit { errnoCell.deallocate() }
    /// libffi types, call interfaces and callbacks.
    let calls = CCallLayout()
    /// The metatable of C library namespaces (`ffi.C`, `ffi.load` results).
    var clibMetatable: TableRef? = nil

    /// A registry table by name, made on first use (`mode` makes it weak).
    func registryTable(_ name: String, _ g: GlobalRef, mode: String? = nil) -> TableRef {
        let key = g.intern(name)!
        let v = g.pointee.registry.get(string: key)
        if v.isTable { return v.table }
        let t = g.newTable()!
        _ = g.pointee.registry.set(string: key, Value(table: t), g)
        if let mode {
            let mt = g.newTable()!
            _ = mt.set(string: g.intern("__mode")!, Value(string: g.intern(mode)!), g)
            t.pointee.metatable = mt
        }
        return t
    }

    /// Metatables of `ffi.metatype`, by the struct's type id.
    func metatypes(_ g: GlobalRef) -> TableRef { registryTable("ffi.metatypes", g) }
    /// Finalizers of `ffi.gc`, by cdata (weak keys); the collector reads it (`cdataFinalizers`).
    func finalizers(_ g: GlobalRef) -> TableRef {
        let t = registryTable("ffi.finalizers", g, mode: "k")
        g.pointee.cdataFinalizers = t
        return t
    }
}

extension BuiltinCall {
    /// Fails with "not enough memory" (a cdata or a namespace could not be made).
    func outOfMemory() -> Int32 {
        vm.errorValue = vm.memoryErrorValue
        return builtinError
    }
}

extension LuaVM {
    /// The C type an argument names: a type string, a ctype object or any cdata.
    /// `parametersFrom`: the first argument `$` stands for (`ffi.typeof`), nil for none.
    func checkType(_ c: BuiltinCall, _ i: Int, parametersFrom: Int? = nil) -> Result<CTypeID, FFIError> {
        let v = c.arg(i)
        if v.isString {
            let text = v.string.description
            var parameters: [CTypeParameter] = []
            if let first = parametersFrom, first <= c.count {
                for k in first...c.count {
                    let p = c.arg(k)
                    if p.isNumber {
                        parameters.append(.number(doubleToInt64(p.number)))
                    } else if p.isCData, ffi.types[p.cdata.pointee.ctype].kind == .ctype {
                        parameters.append(.type(p.cdata.payload.load(as: CTypeID.self)))
                    } else if p.isCData {
                        parameters.append(.type(p.cdata.pointee.ctype))
                    } else {
                        parameters.append(.other)
                    }
                }
            }
            if parameters.isEmpty, let id = ffi.typeCache[text] { return .success(id) }
            do {
                var parser = try CDeclParser(Array(text.utf8), table: ffi.types, typeMode: true, parameters: parameters)
                let id = try parser.typeName()
                if parameters.isEmpty { ffi.typeCache[text] = id }
                return .success(id)
            } catch {
                return .failure(FFIError(error.message))
            }
        }
        if v.isCData {
            let cd = v.cdata
            if ffi.types[cd.pointee.ctype].kind == .ctype { return .success(cd.payload.load(as: CTypeID.self)) }
            return .success(cd.pointee.ctype)
        }
        let got = i <= c.count ? typeName(v) : "no value"
        var e = FFIError("C type expected, got \(got)")
        e.argument = i
        return .failure(e)
    }

    /// A ctype object (what `ffi.typeof` returns) for `id`.
    func ctypeObject(_ id: CTypeID) -> Value? {
        box(CTypeBuiltin.ctype, copying: [id], size: 4)
    }

    /// Bytes a new cdata of type `id` needs; `count` sizes `[?]` arrays and variable-length structs.
    func allocationSize(_ id: CTypeID, count: Int?) -> Int? {
        let types = ffi.types
        let t = types[id]
        if t.kind == .array && t.length == CArrayLength.variable {
            guard let count, count >= 0 else { return nil }
            let (size, overflow) = types[t.element].size.multipliedReportingOverflow(by: count)
            return !overflow && size <= maximumCTypeSize ? size : nil
        }
        if t.isVariableLength, let last = t.fields.last {
            guard let count, count >= 0 else { return nil }
            let (tail, overflow) = types[types[last.type].element].size.multipliedReportingOverflow(by: count)
            guard !overflow, tail <= maximumCTypeSize else { return nil }
            let size = (last.offset + tail + t.align - 1) / t.align * t.align
            return size <= maximumCTypeSize ? size : nil
        }
        if t.isRecord && !t.isComplete { return nil }
        if t.kind == .reference { return allocationSize(t.element, count: count) }
        return t.size >= 0 ? t.size : nil
    }

    /// `ffi.new(ct, ...)` and `ct(...)`: initializers from argument `firstInitializer` on.
    /// `constructor`: called as `ct(...)`, where a metatype's `__new` takes over.
    func newCData(_ c: BuiltinCall, _ id: CTypeID, firstInitializer: Int, constructor: Bool = false) -> Int32 {
        let types = ffi.types
        if constructor, let h = metatype(of: id)?.get(string: g.intern("__new")!), !h.isNil, types[id].kind != .pointer {
            var args: [Value] = [ctypeObject(id) ?? .nil]
            if firstInitializer <= c.count { for i in firstInitializer...c.count { args.append(c.arg(i)) } }
            var r = Value.nil
            if callFunction(c.L, h, args, &r) != .ok { return builtinError }
            return c.results(r)
        }
        let t = types[id]
        var first = firstInitializer
        var count: Int? = nil
        if (t.kind == .array && t.length == CArrayLength.variable) || t.isVariableLength {
            guard let n = c.number(first) else { return c.argumentError(first, "size of C type is unknown or too large") }
            count = Int(doubleToInt64(n))
            first += 1
        }
        guard let size = allocationSize(id, count: count) else {
            return c.argumentError(1, "size of C type is unknown or too large")
        }
        guard let cd = g.newCData(id, size: size) else { return c.outOfMemory() }
        let object = Value(cdata: cd)
        var values: [Value] = []
        if first <= c.count { for i in first...c.count { values.append(c.arg(i)) } }
        do {
            try initialize(id, at: cd.payload, size: size, values: values)
        } catch {
            return c.error(error.message)
        }
        if let h = metatype(of: id)?.get(string: g.intern("__gc")!), !h.isNil {
            setFinalizer(cd, h)
        }
        return c.results(object)
    }

    /// Registers `handler` to run when `cd` is collected (nil removes it).
    func setFinalizer(_ cd: CDataRef, _ handler: Value) {
        // While the state closes the finalizer table is off, as luajit's is.
        if isClosing { return }
        let key = Value(cdata: cd)
        _ = ffi.finalizers(g).set(key, handler, g)
        if handler.isNil { cd.pointee.flags &= ~CDataFlag.finalizer } else { cd.pointee.flags |= CDataFlag.finalizer }
    }

    /// `package.loaded.ffi`.
    func registerFFI(in loaded: TableRef) {
        let F = g.newTable(arraySize: 0, hashSize: 32)!
        _ = loaded.set(string: g.intern("ffi")!, Value(table: F), g)
        func fail(_ c: BuiltinCall, _ e: FFIError) -> Int32 {
            if let i = e.argument { return c.argumentError(i, e.message) }
            return c.error(e.message)
        }
        register("cdef", in: F) { raw in
            let c = BuiltinCall(raw, "cdef")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            do throws(CDeclError) {
                var parser = try CDeclParser(Array(s.buffer), table: c.vm.ffi.types, typeMode: false)
                try parser.declarations()
            } catch {
                return c.error(error.message)
            }
            c.vm.ffi.typeCache.removeAll()
            return 0
        }
        register("typeof", in: F) { raw in
            let c = BuiltinCall(raw, "typeof")
            switch c.vm.checkType(c, 1, parametersFrom: 2) {
            case .success(let id): return c.vm.ctypeObject(id).map { c.results($0) } ?? c.outOfMemory()
            case .failure(let e): return fail(c, e)
            }
        }
        register("new", in: F) { raw in
            let c = BuiltinCall(raw, "new")
            switch c.vm.checkType(c, 1) {
            case .success(let id): return c.vm.newCData(c, id, firstInitializer: 2)
            case .failure(let e): return fail(c, e)
            }
        }
        register("cast", in: F) { raw in
            let c = BuiltinCall(raw, "cast")
            let id: CTypeID
            switch c.vm.checkType(c, 1) {
            case .success(let t): id = t
            case .failure(let e): return fail(c, e)
            }
            let types = c.vm.ffi.types
            let t = types[id]
            if c.count < 2 { return c.argumentError(2, "value expected") }
            guard t.size >= 0, !(t.isRecord || t.kind == .array) || c.arg(2).isCData else {
                return c.error("cannot convert '\(c.vm.conversionName(c.arg(2)))' to '\(types.name(id))'")
            }
            let target = t.kind == .function ? types.pointer(to: id) : id
            guard let cd = c.vm.g.newCData(target, size: max(types[target].size, 8)) else { return c.outOfMemory() }
            let object = Value(cdata: cd)
            do throws(FFIError) {
                try c.vm.convert(c.arg(2), to: target, at: cd.payload, cast: true)
            } catch {
                return c.error(error.message)
            }
            return c.results(object)
        }
        register("metatype", in: F) { raw in
            let c = BuiltinCall(raw, "metatype")
            let id: CTypeID
            switch c.vm.checkType(c, 1) {
            case .success(let t): id = t
            case .failure(let e): return fail(c, e)
            }
            guard let mt = c.checkTable(2) else { return c.typeError(2, expected: "table") }
            let types = c.vm.ffi.types
            let owner = types.recordIdentity(types.unqualified(id))
            guard types[owner].isRecord || types[owner].kind == .complex else { return c.argumentError(1, "invalid C type") }
            let table = c.vm.ffi.metatypes(c.vm.g)
            if !table.get(integer: Int(owner)).isNil { return c.error("cannot change a protected metatable") }
            _ = table.set(integer: Int(owner), Value(table: mt), c.vm.g)
            return c.vm.ctypeObject(id).map { c.results($0) } ?? c.outOfMemory()
        }
        register("gc", in: F) { raw in
            let c = BuiltinCall(raw, "gc")
            let v = c.arg(1)
            guard v.isCData else { return c.typeError(1, expected: "cdata") }
            c.vm.setFinalizer(v.cdata, c.arg(2))
            return c.results(v)
        }
        register("sizeof", in: F) { raw in
            let c = BuiltinCall(raw, "sizeof")
            let id: CTypeID
            switch c.vm.checkType(c, 1) {
            case .success(let t): id = t
            case .failure(let e): return fail(c, e)
            }
            let v = c.arg(1)
            if v.isCData && c.vm.ffi.types[v.cdata.pointee.ctype].kind != .ctype {
                let t = c.vm.ffi.types[v.cdata.pointee.ctype]
                if t.kind != .reference && (t.isVariableLength || (t.kind == .array && t.length < 0)) {
                    return c.results(Value(number: Double(v.cdata.pointee.size)))
                }
            }
            let t = c.vm.ffi.types[id]
            if t.isVariableLength || (t.kind == .array && t.length == CArrayLength.variable) {
                guard let n = c.number(2) else { return c.argumentError(2, "value expected") }
                guard let size = c.vm.allocationSize(id, count: Int(doubleToInt64(n))) else { return c.results(.nil) }
                return c.results(Value(number: Double(size)))
            }
            guard let size = c.vm.allocationSize(id, count: nil) else { return c.results(.nil) }
            return c.results(Value(number: Double(size)))
        }
        register("alignof", in: F) { raw in
            let c = BuiltinCall(raw, "alignof")
            switch c.vm.checkType(c, 1) {
            case .success(let id): return c.results(Value(number: Double(c.vm.ffi.types[id].align)))
            case .failure(let e): return fail(c, e)
            }
        }
        register("offsetof", in: F) { raw in
            let c = BuiltinCall(raw, "offsetof")
            let id: CTypeID
            switch c.vm.checkType(c, 1) {
            case .success(let t): id = t
            case .failure(let e): return fail(c, e)
            }
            guard let name = c.string(2) else { return c.typeError(2, expected: "string") }
            let types = c.vm.ffi.types
            let owner = types.recordIdentity(types.unqualified(id))
            guard types[owner].isRecord, let f = types.member(owner, name.description) else { return 0 }
            if f.bitWidth >= 0 {
                return c.results(Value(number: Double(f.offset)), Value(number: Double(f.bitOffset)), Value(number: Double(f.bitWidth)))
            }
            return c.results(Value(number: Double(f.offset)))
        }
        register("istype", in: F) { raw in
            let c = BuiltinCall(raw, "istype")
            let id: CTypeID
            switch c.vm.checkType(c, 1) {
            case .success(let t): id = t
            case .failure(let e): return fail(c, e)
            }
            let v = c.arg(2)
            guard v.isCData, c.vm.ffi.types[v.cdata.pointee.ctype].kind != .ctype else { return c.results(.false) }
            let types = c.vm.ffi.types
            var have = v.cdata.pointee.ctype
            let want = types.recordIdentity(types.unqualified(id))
            if types[have].kind == .reference && !(types[id].kind == .reference) { have = types[have].element }
            return c.results(Value(bool: types.recordIdentity(types.unqualified(have)) == want))
        }
        register("string", in: F) { raw in
            let c = BuiltinCall(raw, "string")
            let v = c.arg(1)
            let p: UnsafeRawPointer?
            do {
                p = try c.vm.address(of: v, for: CTypeBuiltin.constCharPointer, cast: true)
            } catch {
                return c.argumentError(1, "cannot convert '\(c.vm.conversionName(v))' to 'const char *'")
            }
            if c.count >= 2 {
                guard let n = c.number(2) else { return c.typeError(2, expected: "number") }
                let length = Int(doubleToInt64(n))
                guard length >= 0 else { return c.argumentError(2, "number out of range") }
                guard let p, length > 0 else { return c.results(c.vm.string("")) }
                return c.results(c.vm.string(UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: length)))
            }
            guard let p else { return c.argumentError(1, "cannot convert 'NULL' to 'const char *'") }
            let s = p.assumingMemoryBound(to: CChar.self)
            return c.results(c.vm.string(UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: strlen(s))))
        }
        register("copy", in: F) { raw in
            let c = BuiltinCall(raw, "copy")
            do throws(FFIError) {
                let dst = try c.vm.address(of: c.arg(1), for: CTypeBuiltin.voidPointer, cast: true)
                let src = c.arg(2)
                var length: Int
                if src.isString && c.count < 3 {
                    length = src.string.count + 1
                } else {
                    guard let n = c.number(3) else { return c.typeError(3, expected: "number") }
                    length = Int(doubleToInt64(n))
                }
                let from = try c.vm.address(of: src, for: CTypeBuiltin.constVoidPointer, cast: true)
                if length > 0, let dst, let from {
                    if src.isString && length > src.string.count {
                        memcpy(UnsafeMutableRawPointer(mutating: dst), from, src.string.count)
                        memset(UnsafeMutableRawPointer(mutating: dst) + src.string.count, 0, length - src.string.count)
                    } else {
                        memmove(UnsafeMutableRawPointer(mutating: dst), from, length)
                    }
                }
            } catch {
                return c.error(error.message)
            }
            return 0
        }
        register("fill", in: F) { raw in
            let c = BuiltinCall(raw, "fill")
            do throws(FFIError) {
                let dst = try c.vm.address(of: c.arg(1), for: CTypeBuiltin.voidPointer, cast: true)
                guard let n = c.number(2) else { return c.typeError(2, expected: "number") }
                let byte = c.arg(3).isNil ? 0 : Int32(truncatingIfNeeded: doubleToInt64(c.number(3) ?? 0))
                let length = Int(doubleToInt64(n))
                if length > 0, let dst { memset(UnsafeMutableRawPointer(mutating: dst), byte, length) }
            } catch {
                return c.error(error.message)
            }
            return 0
        }
        register("errno", in: F) { raw in
            let c = BuiltinCall(raw, "errno")
            let old = c.vm.ffi.savedErrno
            if c.count >= 1, let n = c.number(1) {
                c.vm.ffi.savedErrno = Int32(truncatingIfNeeded: doubleToInt64(n))
                errno = c.vm.ffi.savedErrno
            }
            return c.results(Value(number: Double(old)))
        }
        register("abi", in: F) { raw in
            let c = BuiltinCall(raw, "abi")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            return c.results(Value(bool: ["64bit", "le", "fpu", "hardfp", "eabi"].contains(s.description) && s.description != "eabi"))
        }
        _ = F.set(string: g.intern("os")!, string("Linux"), g)
        #if arch(arm64)
        _ = F.set(string: g.intern("arch")!, string("arm64"), g)
        #else
        _ = F.set(string: g.intern("arch")!, string("x64"), g)
        #endif
        openCLibraries(F)
    }

    /// `tonumber(cdata)`: the value of numbers, booleans and enums, nil for anything else.
    func cdataNumber(_ v: Value) -> Value {
        if v.isNumber { return v }
        guard v.isCData else { return .nil }
        let (id, p) = cdataTarget(v.cdata)
        let t = ffi.types[id]
        guard t.isNumber || t.kind == .complex, let s = ffi.types.load(id, at: p) else { return .nil }
        return Value(normalizingNaN: s.asDouble)
    }
}
