/// Calls into C through libffi, C library namespaces (`ffi.C`, `ffi.load`) and callbacks
/// (Lua functions converted to C function pointers).
import CLibFFI
import CSupport
import Glibc

/// `GCUserdata.kind` of a C library namespace; the payload holds the `dlopen` handle.
let cLibraryKind: UInt8 = 3

/// A Lua function made callable from C: its libffi closure and signature.
final class CCallback {
    let closure: UnsafeMutablePointer<ffi_closure>
    let code: UnsafeMutableRawPointer
    let function: CTypeID
    let cif: UnsafeMutablePointer<ffi_cif>

    init(closure: UnsafeMutablePointer<ffi_closure>, code: UnsafeMutableRawPointer, function: CTypeID, cif: UnsafeMutablePointer<ffi_cif>) {
        self.closure = closure
        self.code = code
        self.function = function
        self.cif = cif
    }
}

/// libffi's descriptions of C types, made once per type and kept for the state's life.
final class CCallLayout {
    private var ffiTypes: [CTypeID: UnsafeMutablePointer<ffi_type>] = [:]
    private var cifs: [CTypeID: UnsafeMutablePointer<ffi_cif>] = [:]
    /// Call plans by `CTypeCore.callPlan`.
    private var plans: [CCallPlan] = []
    var callbacks: [CCallback?] = []
    /// Register plans as compiled code's C calls read them (FFIRegisterCalls.swift).
    var compactPlans: [CTypeID: UnsafeMutablePointer<perigee_c_call_plan>] = [:]
    /// The error a callback raised while C code ran: raised when the C call returns.
    var callbackError: Value? = nil

    /// The libffi type of a parameter or return value of type `id`.
    func ffiType(_ id: CTypeID, _ types: CTypeTable) -> UnsafeMutablePointer<ffi_type> {
        let t = types[id]
        switch t.kind {
        case .void: return withUnsafeMutablePointer(to: &ffi_type_void) { $0 }
        case .bool: return withUnsafeMutablePointer(to: &ffi_type_uint8) { $0 }
        case .integer, .enumeration:
            switch (t.kind == .enumeration ? 4 : t.size, t.isUnsigned) {
            case (1, false): return withUnsafeMutablePointer(to: &ffi_type_sint8) { $0 }
            case (1, true): return withUnsafeMutablePointer(to: &ffi_type_uint8) { $0 }
            case (2, false): return withUnsafeMutablePointer(to: &ffi_type_sint16) { $0 }
            case (2, true): return withUnsafeMutablePointer(to: &ffi_type_uint16) { $0 }
            case (4, false): return withUnsafeMutablePointer(to: &ffi_type_sint32) { $0 }
            case (4, true): return withUnsafeMutablePointer(to: &ffi_type_uint32) { $0 }
            case (_, false): return withUnsafeMutablePointer(to: &ffi_type_sint64) { $0 }
            default: return withUnsafeMutablePointer(to: &ffi_type_uint64) { $0 }
            }
        case .float:
            if t.size == 4 { return withUnsafeMutablePointer(to: &ffi_type_float) { $0 } }
            if t.size == 8 { return withUnsafeMutablePointer(to: &ffi_type_double) { $0 } }
            return withUnsafeMutablePointer(to: &ffi_type_longdouble) { $0 }
        case .complex:
            if t.size == 8 { return withUnsafeMutablePointer(to: &ffi_type_complex_float) { $0 } }
            return withUnsafeMutablePointer(to: &ffi_type_complex_double) { $0 }
        case .structure, .union, .array:
            if let cached = ffiTypes[id] { return cached }
            // A record as the flat list of its scalar members (a union as its largest member;
            // bitfields as the bytes of their storage units).
            var elements: [UnsafeMutablePointer<ffi_type>] = []
            func flatten(_ id: CTypeID) {
                let t = types[id]
                switch t.kind {
                case .structure:
                    var covered = 0
                    for f in t.fields {
                        if f.bitWidth >= 0 {
                            let end = f.offset + types[f.type].size
                            while covered < end {
                                elements.append(withUnsafeMutablePointer(to: &ffi_type_uint8) { $0 })
                                covered += 1
                            }
                            continue
                        }
                        flatten(f.type)
                        covered = f.offset + max(types[f.type].size, 0)
                    }
                case .union:
                    if let largest = t.fields.max(by: { types[$0.type].size < types[$1.type].size }) { flatten(largest.type) }
                case .array:
                    for _ in 0..<max(t.length, 0) { flatten(t.element) }
                default:
                    elements.append(ffiType(id, types))
                }
            }
            flatten(id)
            let list = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: elements.count + 1)
            for (i, e) in elements.enumerated() { list[i] = e }
            list[elements.count] = nil
            let s = UnsafeMutablePointer<ffi_type>.allocate(capacity: 1)
            s.pointee = ffi_type(size: 0, alignment: 0, type: UInt16(FFI_TYPE_STRUCT), elements: list)
            ffiTypes[id] = s
            return s
        default:
            return withUnsafeMutablePointer(to: &ffi_type_pointer) { $0 }
        }
    }

    /// The call interface of function type `id` called with `argumentTypes` (the fixed
    /// parameters, then the promoted types of variadic arguments); cached when not variadic.
    func cif(_ id: CTypeID, _ argumentTypes: [CTypeID], _ types: CTypeTable) -> UnsafeMutablePointer<ffi_cif>? {
        let t = types[id]
        if !t.isVariadic, let cached = cifs[id] { return cached }
        let list = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: max(argumentTypes.count, 1))
        for (i, a) in argumentTypes.enumerated() { list[i] = ffiType(a, types) }
        let cif = UnsafeMutablePointer<ffi_cif>.allocate(capacity: 1)
        let result = ffiType(t.element, types)
        let status = t.isVariadic
            ? ffi_prep_cif_var(cif, FFI_DEFAULT_ABI, UInt32(t.fields.count), UInt32(argumentTypes.count), result, list)
            : ffi_prep_cif(cif, FFI_DEFAULT_ABI, UInt32(argumentTypes.count), result, list)
        guard status == FFI_OK else {
            list.deallocate()
            cif.deallocate()
            return nil
        }
        if t.isVariadic { return cif }
        cifs[id] = cif
        return cif
    }

    /// The call plan of function type `id`, made on its first call; nil for variadic
    /// functions and those libffi cannot describe.
    @inline(__always) func plan(_ id: CTypeID, _ types: CTypeTable) -> CCallPlan? {
        let index = types.core(id).callPlan
        if index >= 0 { return plans[Int(index)] }
        if index == CCallPlan.none { return nil }
        return makePlan(id, types)
    }

    @inline(never) private func makePlan(_ id: CTypeID, _ types: CTypeTable) -> CCallPlan? {
        let t = types[id]
        let parameters = t.fields.map(\.type)
        guard !t.isVariadic, let cif = cif(id, parameters, types) else {
            types.access.pointee.cores[Int(id)].callPlan = CCallPlan.none
            return nil
        }
        let list = UnsafeMutableBufferPointer<CTypeID>.allocate(capacity: parameters.count)
        _ = list.initialize(from: parameters)
        let plan = CCallPlan(cif: cif, parameters: UnsafeBufferPointer(list),
                             storageSize: CCallPlan.storageSize(UnsafeBufferPointer(list), types),
                             registers: CRegisterPlan(id, UnsafeBufferPointer(list), types))
        plans.append(plan)
        types.access.pointee.cores[Int(id)].callPlan = Int32(plans.count - 1)
        return plan
    }
}

/// How a C function type with fixed parameters is called, worked out on its first call:
/// its libffi call interface and its parameter types and argument storage.
struct CCallPlan {
    let cif: UnsafeMutablePointer<ffi_cif>
    /// Allocated once, kept for the state's life (as the call interfaces are).
    let parameters: UnsafeBufferPointer<CTypeID>
    let storageSize: Int
    /// How calls go through registers without libffi, when the type fits (FFIRegisterCalls).
    let registers: CRegisterPlan?

    /// `CTypeCore.callPlan` of a function type no plan describes.
    static let none: Int32 = -2

    /// Bytes of one argument slot: 16-byte aligned, at least 8.
    @inline(__always) static func slotSize(_ size: Int) -> Int { (max(size, 8) + 15) / 16 * 16 }

    static func storageSize(_ arguments: UnsafeBufferPointer<CTypeID>, _ types: CTypeTable) -> Int {
        arguments.reduce(0) { $0 + slotSize(types.core($1).size) }
    }
}

extension LuaVM {
    // MARK: C library namespaces

    /// `ffi.C` and `ffi.load`, with the metatable their namespaces share.
    func openCLibraries(_ F: TableRef) {
        let mt = g.newTable(arraySize: 0, hashSize: 4)!
        ffi.clibMetatable = mt
        _ = g.pointee.registry.set(string: g.intern("ffi.clib.metatable")!, Value(table: mt), g)
        register("__index", in: mt) { raw in
            let c = BuiltinCall(raw, "__index")
            return c.vm.clibIndex(c)
        }
        register("__newindex", in: mt) { raw in
            let c = BuiltinCall(raw, "__newindex")
            return c.vm.clibNewIndex(c)
        }
        guard let C = newCLibrary(handle: nil) else { return }
        _ = F.set(string: g.intern("C")!, C, g)
        register("load", in: F) { raw in
            let c = BuiltinCall(raw, "load")
            guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
            var name = s.description
            if !name.contains("/") {
                if !name.contains(".") { name += ".so" }
                if !name.hasPrefix("lib") { name = "lib" + name }
            }
            let global = c.arg(2).isTruthy
            let mode = RTLD_LAZY | (global ? RTLD_GLOBAL : RTLD_LOCAL)
            var handle = dlopen(name, mode)
            if handle == nil {
                let message = dlerror().map { String(cString: $0) } ?? "cannot load module '\(name)'"
                // A linker script (Debian's libm.so, libc.so) names the real library.
                if let target = c.vm.linkerScriptTarget(message) { handle = dlopen(target, mode) }
                if handle == nil { return c.error(message) }
            }
            guard let handle else { return builtinError }
            guard let lib = c.vm.newCLibrary(handle: handle) else { return c.outOfMemory() }
            return c.results(lib)
        }
    }

    /// The first library of the `GROUP ( ... )` of a linker script that `dlopen` refused as
    /// `path: invalid ELF header`.
    fileprivate func linkerScriptTarget(_ message: String) -> String? {
        guard message.hasSuffix("invalid ELF header"), let colon = message.firstIndex(of: ":") else { return nil }
        let path = String(message[..<colon])
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while text.count < 65536 {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            text += buffer[0..<n]
        }
        func find(_ word: String) -> Int? {
            let w = Array(word.utf8)
            guard text.count >= w.count else { return nil }
            return (0...(text.count - w.count)).first { Array(text[$0..<$0 + w.count]) == w }.map { $0 + w.count }
        }
        guard var i = find("GROUP") ?? find("INPUT") else { return nil }
        while i < text.count && (text[i] == 32 || text[i] == 40 || text[i] == 9) { i += 1 }
        var j = i
        while j < text.count && text[j] != 32 && text[j] != 41 && text[j] != 10 { j += 1 }
        return j > i ? String(decoding: text[i..<j], as: UTF8.self) : nil
    }

    private func newCLibrary(handle: UnsafeMutableRawPointer?) -> Value? {
        // The environment caches the function cdata the namespace handed out, by name.
        guard let cache = g.newTable(), let u = g.newUserdata(size: 8, env: cache) else { return nil }
        u.pointee.kind = cLibraryKind
        u.payload.storeBytes(of: handle, as: UnsafeMutableRawPointer?.self)
        u.setMetatable(ffi.clibMetatable, g)
        return Value(userdata: u)
    }

    /// The address of declared symbol `name` in library `lib` (the default namespace for `ffi.C`).
    private func symbolAddress(_ c: BuiltinCall, _ lib: Value, _ name: String) -> Result<(CTypeID, UnsafeMutableRawPointer), FFIError> {
        guard let id = ffi.types.symbols[name] else { return .failure(FFIError("missing declaration for symbol '\(name)'")) }
        let handle = lib.userdata.payload.load(as: UnsafeMutableRawPointer?.self)
        // RTLD_DEFAULT is the null handle on glibc.
        _ = dlerror()
        guard let p = dlsym(handle, ffi.types.symbolNames[name] ?? name) else {
            return .failure(FFIError(dlerror().map { String(cString: $0) } ?? "undefined symbol: \(name)"))
        }
        return .success((id, p))
    }

    private func clibIndex(_ c: BuiltinCall) -> Int32 {
        let lib = c.arg(1)
        guard lib.isUserdata, lib.userdata.pointee.kind == cLibraryKind, let key = c.string(2) else { return c.typeError(1, expected: "userdata") }
        let name = key.description
        if let (id, value) = ffi.types.constants[name] {
            if ffi.types[id].size == 8 && ffi.types[id].kind == .integer { return box(id, copying: [value], size: 8).map { c.results($0) } ?? c.outOfMemory() }
            return c.results(Value(number: Double(value)))
        }
        switch symbolAddress(c, lib, name) {
        case .failure(let e): return c.error(e.message)
        case .success(let (id, p)):
            if ffi.types[id].kind == .function {
                guard let f = box(id, address: p) else { return c.outOfMemory() }
                // A function's address does not change: later reads take it from the cache.
                if let cache = lib.userdata.pointee.env { _ = cache.set(string: key, f, g) }
                return c.results(f)
            }
            return cValue(id, at: p).map { c.results($0) } ?? c.outOfMemory()
        }
    }

    /// A C function `lib[key]` gave before (`ffi.C.sqrt`), without calling `__index`.
    @inline(__always) func cachedCFunction(_ lib: Value, _ key: Value) -> Value? {
        guard lib.isUserdata, key.isString, lib.userdata.pointee.kind == cLibraryKind,
              let cache = lib.userdata.pointee.env else { return nil }
        let v = cache.get(string: key.string)
        return v.isNil ? nil : v
    }

    private func clibNewIndex(_ c: BuiltinCall) -> Int32 {
        let lib = c.arg(1)
        guard lib.isUserdata, lib.userdata.pointee.kind == cLibraryKind, let key = c.string(2) else { return c.typeError(1, expected: "userdata") }
        switch symbolAddress(c, lib, key.description) {
        case .failure(let e): return c.error(e.message)
        case .success(let (id, p)):
            if ffi.types[id].kind == .function || ffi.types[id].isConst { return c.error("attempt to write to constant location") }
            do { try convert(c.arg(3), to: id, at: p) } catch { return c.error(error.message) }
            return 0
        }
    }

    // MARK: calls

    /// The type a variadic argument is passed as (luajit's promotions).
    private func variadicType(_ v: Value) -> CTypeID? {
        let types = ffi.types
        if v.isNumber { return CTypeBuiltin.double }
        if v.isBoolean { return CTypeBuiltin.int32 }
        if v.isString { return CTypeBuiltin.constCharPointer }
        if v.isNil || v.isLightUserdata || v.isUserdata { return CTypeBuiltin.voidPointer }
        guard v.isCData else { return nil }
        let (id, _) = cdataTarget(v.cdata)
        let t = types[id]
        switch t.kind {
        case .integer, .bool, .enumeration: return t.size < 4 || t.kind != .integer ? CTypeBuiltin.int32 : types.unqualified(id)
        case .float: return t.size == 4 ? CTypeBuiltin.double : types.unqualified(id)
        case .array: return types.pointer(to: t.element)
        case .function: return types.pointer(to: id)
        default: return id
        }
    }

    /// Calls the C function of type `function` at `address` with the builtin's arguments 2...
    func callC(_ c: BuiltinCall, _ function: CTypeID, address: UnsafeMutableRawPointer?) -> Int32 {
        let types = ffi.types
        let count = c.count - 1
        if let plan = ffi.calls.plan(function, types), count == plan.parameters.count {
            guard let address else { return c.error("attempt to call a NULL function pointer") }
            return callC(c, function, address: address, plan.cif, plan.parameters, plan.storageSize)
        }
        let t = types[function]
        if count < t.fields.count || (count > t.fields.count && !t.isVariadic) {
            return c.error("wrong number of arguments for function call")
        }
        guard let address else { return c.error("attempt to call a NULL function pointer") }
        var argumentTypes = t.fields.map(\.type)
        for i in t.fields.count..<count {
            guard let a = variadicType(c.arg(i + 2)) else {
                return c.error("cannot convert '\(conversionName(c.arg(i + 2)))' to 'void *'")
            }
            argumentTypes.append(a)
        }
        guard let cif = ffi.calls.cif(function, argumentTypes, types) else { return c.error("unsupported C function type") }
        return argumentTypes.withUnsafeBufferPointer { arguments in
            callC(c, function, address: address, cif, arguments, CCallPlan.storageSize(arguments, types))
        }
    }

    /// The call itself: the arguments converted to `argumentTypes` in `storageSize` bytes of
    /// argument slots (`CCallPlan.slotSize` each), the result converted back.
    private func callC(_ c: BuiltinCall, _ function: CTypeID, address: UnsafeMutableRawPointer,
                       _ cif: UnsafeMutablePointer<ffi_cif>, _ argumentTypes: UnsafeBufferPointer<CTypeID>,
                       _ storageSize: Int) -> Int32 {
        let types = ffi.types
        let returnType = types.core(function).element
        let r = types.core(returnType)
        let resultSize = max(r.size, 16)
        let count = argumentTypes.count
        return withUnsafeTemporaryAllocation(byteCount: max(storageSize, 16) + resultSize, alignment: 16) { buffer in
            withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: max(count, 1)) { pointers in
                let storage = buffer.baseAddress!
                let result = storage + max(storageSize, 16)
                var offset = 0
                for i in 0..<count {
                    let a = argumentTypes[i]
                    let slot = storage + offset
                    let size = types.core(a).size
                    slot.initializeMemory(as: UInt8.self, repeating: 0, count: max(size, 8))
                    let v = c.arg(i + 2)
                    if v.isNumber && types.core(a).kind == .float && size == 8 {
                        slot.storeBytes(of: v.number, as: Double.self)
                    } else {
                        do throws(FFIError) {
                            try convert(v, to: a, at: slot)
                        } catch {
                            // luajit names no C function in these messages.
                            return c.error("bad argument #\(i + 1) to '?' (\(error.message))")
                        }
                    }
                    pointers[i] = slot
                    offset += CCallPlan.slotSize(size)
                }
                result.initializeMemory(as: UInt8.self, repeating: 0, count: resultSize)
                errno = ffi.savedErrno
                ffi_call(cif, unsafeBitCast(address, to: (@convention(c) () -> Void).self), result, pointers.baseAddress)
                ffi.savedErrno = perigee_errno_location().pointee
                if let e = ffi.calls.callbackError {
                    ffi.calls.callbackError = nil
                    errorValue = e
                    return builtinError
                }
                switch r.kind {
                case .void:
                    return 0
                case .float where r.size == 8:
                    return c.results(Value(normalizingNaN: result.load(as: Double.self)))
                case .structure, .union, .array, .complex:
                    return box(types.unqualified(returnType), copying: result, size: r.size).map { c.results($0) } ?? c.outOfMemory()
                default:
                    return cValue(returnType, at: result).map { c.results($0) } ?? c.outOfMemory()
                }
            }
        }
    }

    // MARK: callbacks

    /// A C function pointer that calls Lua function `f` with the signature `function`.
    func callbackAddress(for function: CTypeID, _ f: Value) throws(FFIError) -> UnsafeRawPointer? {
        let types = ffi.types
        let t = types[function]
        if t.isVariadic { throw FFIError("cannot convert 'function' to '\(types.name(types.pointer(to: function)))'") }
        guard let cif = ffi.calls.cif(function, t.fields.map(\.type), types) else {
            throw FFIError("cannot convert 'function' to '\(types.name(types.pointer(to: function)))'")
        }
        var code: UnsafeMutableRawPointer? = nil
        guard let raw = ffi_closure_alloc(MemoryLayout<ffi_closure>.size, &code), let code else {
            throw FFIError("too many callbacks")
        }
        let closure = raw.assumingMemoryBound(to: ffi_closure.self)
        let slot = ffi.calls.callbacks.count
        ffi.calls.callbacks.append(CCallback(closure: closure, code: code, function: function, cif: cif))
        ffi.errnoCell[1] += 1
        _ = ffi.registryTable("ffi.callbacks", g).set(integer: slot + 1, f, g)
        let status = ffi_prep_closure_loc(closure, cif, { _, result, arguments, data in
            LuaVM.current?.runCallback(Int(bitPattern: data), result, arguments)
        }, UnsafeMutableRawPointer(bitPattern: slot), code)
        guard status == FFI_OK else { throw FFIError("cannot create callback") }
        return UnsafeRawPointer(code)
    }

    /// The callback slot whose code is at `address`, if any.
    func callbackSlot(at address: UnsafeRawPointer?) -> Int? {
        guard let address else { return nil }
        return ffi.calls.callbacks.firstIndex { $0?.code == UnsafeMutableRawPointer(mutating: address) }
    }

    /// Runs the Lua function of callback `slot` for C code.
    fileprivate func runCallback(_ slot: Int, _ result: UnsafeMutableRawPointer?, _ arguments: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let callback = ffi.calls.callbacks[slot] else { return }
        let types = ffi.types
        let t = types[callback.function]
        let L = g.pointee.currentThread
        var values: [Value] = []
        for (i, p) in t.fields.enumerated() {
            guard let a = arguments?[i] else { values.append(.nil); continue }
            let pt = types[p.type]
            if pt.isRecord {
                values.append(box(types.unqualified(p.type), copying: a, size: pt.size) ?? .nil)
            } else {
                values.append(cValue(p.type, at: a) ?? .nil)
            }
        }
        let f = ffi.registryTable("ffi.callbacks", g).get(integer: slot + 1)
        var r = Value.nil
        let saved = errno
        if callFunction(L, f, values, &r) != .ok {
            if ffi.calls.callbackError == nil { ffi.calls.callbackError = errorValue }
            r = .nil
        }
        errno = saved
        guard let result else { return }
        let rt = types[t.element]
        if rt.kind == .void { return }
        result.initializeMemory(as: UInt8.self, repeating: 0, count: max(rt.size, 8))
        if r.isNil && rt.kind != .pointer { return }
        do {
            try convert(r, to: t.element, at: result)
        } catch {
            if ffi.calls.callbackError == nil { ffi.calls.callbackError = string(error.message) }
            return
        }
        // libffi wants integer results narrower than a register widened to one.
        if rt.kind == .integer || rt.kind == .enumeration || rt.kind == .bool, rt.size < 8, let s = types.load(t.element, at: result) {
            result.storeBytes(of: s.asInt64, as: Int64.self)
        }
    }

    /// `cb:free()` and `cb:set(f)` of a callback pointer.
    func callbackMethod(_ c: BuiltinCall, _ object: Value, _ name: String) -> Value? {
        guard name == "free" || name == "set" else { return nil }
        let (id, p) = cdataTarget(object.cdata)
        guard ffi.types[id].kind == .pointer, ffi.types[ffi.types[id].element].kind == .function,
              callbackSlot(at: p.load(as: UnsafeRawPointer?.self)) != nil else { return nil }
        let f = g.newBuiltin({ raw in
            let c = BuiltinCall(raw, "callback")
            let cb = c.arg(1)
            guard cb.isCData else { return c.typeError(1, expected: "cdata") }
            let (_, p) = c.vm.cdataTarget(cb.cdata)
            guard let slot = c.vm.callbackSlot(at: p.load(as: UnsafeRawPointer?.self)) else { return c.error("bad callback") }
            if c.count >= 2 {
                guard c.arg(2).isFunction else { return c.typeError(2, expected: "function") }
                _ = c.vm.ffi.registryTable("ffi.callbacks", c.vm.g).set(integer: slot + 1, c.arg(2), c.vm.g)
                return 0
            }
            if let callback = c.vm.ffi.calls.callbacks[slot] {
                ffi_closure_free(callback.closure)
                c.vm.ffi.errnoCell[1] -= 1
            }
            c.vm.ffi.calls.callbacks[slot] = nil
            _ = c.vm.ffi.registryTable("ffi.callbacks", c.vm.g).set(integer: slot + 1, .nil, c.vm.g)
            return 0
        }, env: globals)
        return f.map { Value(function: $0) }
    }
}
