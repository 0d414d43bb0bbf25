/// What every builtin uses: reading its arguments, checking their types with Lua's
/// "bad argument" messages, pushing results, and registering functions in tables.
import PerigeeFrontend

/// A builtin's view of its frame: arguments at `L.base ..< L.top`, results pushed on top.
struct BuiltinCall {
    /// Unowned: the VM outlives every call, and a counted reference would cost a retain
    /// and a release per builtin call.
    unowned(unsafe) let vm: LuaVM
    let L: ThreadRef
    let name: String

    init(_ raw: UnsafeMutableRawPointer, _ name: String) {
        vm = LuaVM.unretained.unsafelyUnwrapped.takeUnretainedValue()
        L = raw.assumingMemoryBound(to: GCThread.self)
        self.name = name
    }

    var count: Int { Int(L.pointee.top) - Int(L.pointee.base) }

    /// The global state, reached without the retain and release of the VM that `vm.g` costs.
    @inline(__always) var g: GlobalRef { LuaVM.currentGlobal }

    /// `bytes` as an interned string value, reached without retaining the VM.
    @inline(__always) func internedString(_ bytes: UnsafeBufferPointer<UInt8>) -> Value {
        LuaVM.withCurrent { $0.string(bytes) }
    }

    /// Argument `i` (1-based), nil when absent.
    func arg(_ i: Int) -> Value {
        i <= count ? L.pointee.stack[Int(L.pointee.base) + i - 1] : .nil
    }

    /// Upvalue `i` (1-based) of the running builtin.
    func upvalue(_ i: Int) -> Value {
        L.pointee.stack[Int(L.pointee.base) - 2].function.upvalueValues[i - 1]
    }

    func push(_ v: Value) {
        _ = L.ensureStack(1, g)
        L.pointee.stack[Int(L.pointee.top)] = v
        L.pointee.top += 1
    }

    /// Returns `values` as the builtin's results.
    func results(_ values: Value...) -> Int32 {
        for v in values { push(v) }
        return Int32(values.count)
    }
    // One and two results without the variadic form's array (a heap allocation per call).
    @inline(__always) func results(_ v: Value) -> Int32 {
        push(v)
        return 1
    }
    @inline(__always) func results(_ v: Value, _ w: Value) -> Int32 {
        push(v)
        push(w)
        return 2
    }

    /// Raises `message` with the calling function's position.
    func error(_ message: String) -> Int32 {
        vm.setError(vm.currentPosition(L, level: 1) + message)
        return builtinError
    }

    /// `bad argument #i to 'name' (message)`, naming the function as the calling code did
    /// (`?` when a builtin like pcall called it); for methods the object is not counted.
    func argumentError(_ i: Int, _ message: String) -> Int32 {
        guard let (kind, calledAs) = callSiteName() else {
            return error("bad argument #\(i) to '?' (\(message))")
        }
        if kind == "method" {
            if i == 1 { return error("calling '\(calledAs)' on bad self (\(message))") }
            return error("bad argument #\(i - 1) to '\(calledAs)' (\(message))")
        }
        return error("bad argument #\(i) to '\(calledAs)' (\(message))")
    }

    /// How the running builtin was named at its call site, when a Lua function called it
    /// (directly, or as a metamethod of one of its instructions).
    func callSiteName() -> (String, String)? {
        switch vm.frameStep(L, Int(L.pointee.base)) {
        case .lua(let callerBase, let pc?), .continuation(let callerBase, let pc?):
            return vm.calledName(L.pointee.stack[callerBase - 2].function.proto.source, pc: pc)
        default:
            return nil
        }
    }

    func typeError(_ i: Int, expected: String) -> Int32 {
        let got = i <= count ? vm.typeName(arg(i)) : "no value"
        return argumentError(i, "\(expected) expected, got \(got)")
    }

    /// `typeError` for the functions luajit writes in Lua (`table.foreach`, `foreachi`,
    /// `getn`, `remove`), where a missing argument reads as nil.
    func typeErrorMissingAsNil(_ i: Int, expected: String) -> Int32 {
        argumentError(i, "\(expected) expected, got \(vm.typeName(arg(i)))")
    }

    func checkTable(_ i: Int) -> TableRef? {
        let v = arg(i)
        return v.isTable ? v.table : nil
    }

    /// A number argument (numeric strings convert), or nil.
    func number(_ i: Int) -> Double? {
        let v = arg(i)
        if v.isNumber { return v.number }
        // Reached without a retain and release of the VM, as `vm.` would cost.
        return LuaVM.withCurrent { $0.toNumber(v) }
    }

    /// An integer argument as Lua 5.1 converts it (truncation toward zero).
    func integer(_ i: Int) -> Int? {
        guard let d = number(i) else { return nil }
        return luaInteger(d)
    }

    /// An integer argument as luajit's library reads it (a 32-bit conversion: anything out
    /// of range, or NaN, becomes -2^31).
    func int32(_ i: Int) -> Int? {
        guard let d = number(i) else { return nil }
        return luajitInt32(d)
    }

    /// A string argument (numbers convert), as bytes.
    func string(_ i: Int) -> StringRef? {
        let v = arg(i)
        if v.isString { return v.string }
        if v.isNumber {
            let s = LuaVM.withCurrent { $0.numberString(v.number) }
            return s.isString ? s.string : nil
        }
        return nil
    }
}

/// A number as luajit's library reads a 32-bit integer: anything out of range, or NaN,
/// becomes -2^31.
@inline(__always) func luajitInt32(_ d: Double) -> Int {
    d > -2_147_483_649 && d < 2_147_483_648 ? Int(d) : Int(Int32.min)
}

/// Lua 5.1's double-to-integer conversion for library arguments: truncation, with values
/// out of range clamped rather than trapping.
@inline(__always) func luaInteger(_ d: Double) -> Int {
    if d.isNaN { return 0 }
    if d >= 9.2e18 { return Int.max }
    if d <= -9.2e18 { return Int.min }
    return Int(d)
}

extension LuaVM {
    /// Adds builtin `name` to `table`.
    @discardableResult
    func register(_ name: String, in table: TableRef, fast: FastFunction? = nil,
                  _ entry: @escaping BuiltinEntry) -> FunctionRef {
        let f = g.newBuiltin(entry, env: globals)!
        if let fast { f.pointee.ffid = fast.rawValue }
        _ = table.set(string: g.intern(name)!, Value(function: f), g)
        builtinNames[f] = name
        return f
    }

    /// Adds builtin `name` with `upvalues`: the upvalues luajit's builtin of that name has,
    /// which the debug library shows (`debug.getinfo(f).nups`, `debug.getupvalue`).
    @discardableResult
    func register(_ name: String, in table: TableRef, upvalues: [Value], fast: FastFunction? = nil,
                  _ entry: @escaping BuiltinEntry) -> FunctionRef {
        for v in upvalues { pushAnchor(v) }
        defer { for _ in upvalues { popAnchor() } }
        let f = g.newBuiltin(entry, upvalueCount: upvalues.count, env: globals)!
        for (i, v) in upvalues.enumerated() { f.upvalueValues[i] = v }
        if let fast { f.pointee.ffid = fast.rawValue }
        _ = table.set(string: g.intern(name)!, Value(function: f), g)
        builtinNames[f] = name
        return f
    }

    /// Adds builtin `name`, which the interpreter runs as fast function `fast`, to `table`.
    @discardableResult
    func register(_ name: String, in table: TableRef, fast: FastBuiltin,
                  _ entry: @escaping BuiltinEntry) -> FunctionRef {
        let f = register(name, in: table, entry)
        f.pointee.ffid = fast.rawValue
        return f
    }

    /// A new library table registered as global `name`.
    func library(_ name: String) -> TableRef {
        let t = g.newTable(arraySize: 0, hashSize: 32)!
        _ = globals.set(string: g.intern(name)!, Value(table: t), g)
        return t
    }

    /// `tostring` without metamethods: numbers as `%.14g`, others as `type: address`.
    func plainString(_ v: Value) -> String {
        switch v.luaType {
        case .nil: return "nil"
        case .boolean: return v.isTrue ? "true" : "false"
        case .number: return numberText(v.number)
        case .string: return v.string.description
        default:
            return "\(typeName(v)): \(hexAddress(v))"
        }
    }

    func hexAddress(_ v: Value) -> String {
        "0x" + String(v.payload, radix: 16).leftPadded(to: 8)
    }
}

extension LuaVM {
    /// A number as `tostring` shows it (LuaJIT's `%.14g`, rounding exactly).
    func numberString(_ n: Double) -> Value {
        withNumberText(n) { string($0) }
    }
}

/// A number as `tostring` shows it, as Swift text (messages and the command line).
func numberText(_ n: Double) -> String {
    var bytes: [UInt8] = []
    appendNumber(n, into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
