/// The slow paths of the interpreter's operators: string coercion, metamethod lookup and
/// calls for arithmetic, comparison, concatenation, length, indexing and stores.
import Glibc
import PerigeeFrontend

/// What each arithmetic operator computes on numbers, and its metamethod.
extension ArithmeticOperator {
    @inline(__always) func apply(_ a: Double, _ b: Double) -> Double {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .mod: return luaModulo(a, b)
        case .pow: return luaPow(a, b)
        case .unm: return -a
        }
    }

    public var metamethod: Metamethod {
        switch self {
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .mod: return .mod
        case .pow: return .pow
        case .unm: return .unm
        }
    }
}

/// `__index`/`__newindex` chains longer than this are a loop.
let maxMetamethodChain = 100

/// What an operator's slow path decided: a value, a metamethod to call (in the interpreter
/// loop, so it can yield), or an error (already set).
enum MetaOutcome {
    case value(Value)
    case call(Value, Value, Value, Value?)
    case failed
}

extension LuaVM {
    /// A string that reads as a number converts for arithmetic (`"10" + 1`).
    func toNumber(_ v: Value) -> Double? {
        if v.isNumber { return v.number }
        guard v.isString else { return nil }
        let s = v.string
        guard case .number(let n)? = scanNumber(s.bytes, s.count, options: .conversion) else { return nil }
        return n
    }

    func typeName(_ v: Value) -> String { String(describing: v.luaType.name) }

    /// `type(v)` as an interned string, made once per type and anchored in the registry.
    func typeNameValue(_ v: Value) -> Value {
        let index = Int(v.luaType.rawValue)
        if index < typeNameValues.count, !typeNameValues[index].isNil { return typeNameValues[index] }
        if typeNameValues.count <= index { typeNameValues += Array(repeating: .nil, count: index + 1 - typeNameValues.count) }
        guard let interned = g.intern(typeName(v)) else { return memoryErrorValue }
        let name = Value(string: interned)
        _ = g.pointee.registry.set(name, name, g)
        typeNameValues[index] = name
        return name
    }

    /// Calls metamethod `mm` with two operands; its first result goes to `result`.
    @inline(__always)
    func callMetamethod(_ L: ThreadRef, _ mm: Value, _ x: Value, _ y: Value, _ result: inout Value) -> CallStatus {
        callWithArguments(L, mm, count: 2, &result) { args in
            args[0] = x
            args[1] = y
        }
    }

    /// Calls `f` with `arguments` above the current top; its first result goes to `result`.
    /// Calls `f(argument)` in a nested run (`__tostring`, print's `tostring`); its first result in `result`.
    func callFunction(_ L: ThreadRef, _ f: Value, _ argument: Value, _ result: inout Value) -> CallStatus {
        callWithArguments(L, f, count: 1, &result) { $0[0] = argument }
    }

    func callFunction(_ L: ThreadRef, _ f: Value, _ arguments: [Value], _ result: inout Value) -> CallStatus {
        callWithArguments(L, f, count: arguments.count, &result) { args in
            for (i, a) in arguments.enumerated() { args[i] = a }
        }
    }

    /// Calls `f` above the current top with `count` arguments written by `fill`.
    private func callWithArguments(_ L: ThreadRef, _ f: Value, count: Int, _ result: inout Value,
                                   _ fill: (UnsafeMutablePointer<Value>) -> Void) -> CallStatus {
        let slot = Int(L.pointee.top)
        guard L.ensureStack(count + 3, g) else { setError("stack overflow"); return .error }
        let stack = L.pointee.stack
        stack[slot] = f
        fill(stack + slot + 2)
        L.pointee.top = UInt32(slot + 2 + count)
        let status = callSlot(L, slot, argumentCount: count, wanted: 1)
        if status == .ok { result = L.pointee.stack[slot] }
        L.pointee.top = UInt32(slot)
        return status
    }

    /// `a < b` (or `a <= b`) for non-numbers, leaving a metamethod call to the interpreter:
    /// the outcome's value is the comparison's truth; for a call, `inverted` says the
    /// metamethod's answer must be negated (`a <= b` as `not (b < a)`).
    func resolveComparison(_ L: ThreadRef, _ closure: FunctionRef?, _ pc: Int, _ x: Value, _ y: Value,
                           lessEqual: Bool) -> (MetaOutcome, inverted: Bool) {
        if x.isString && y.isString {
            let c = compareStrings(x.string, y.string)
            return (.value(Value(bool: lessEqual ? c <= 0 : c < 0)), false)
        }
        if x.isCData || y.isCData {
            // 64-bit integers compare here; other cdata through the cdata metatable.
            if let r = g.integer64Comparison(x, y, lessEqual: lessEqual, equality: false) { return (.value(Value(bool: r)), false) }
            // The FFI orders cdata against numbers too (`1LL < 2`).
            let mm = g.metamethod(lessEqual ? .le : .lt, of: x.isCData ? x : y)
            if !mm.isNil { return (.call(mm, x, y, nil), false) }
        }
        if !x.isNumber && !y.isNumber && x.tag == y.tag {
            let event: Metamethod = lessEqual ? .le : .lt
            let mm = comparisonMetamethod(x, y, event)
            if !mm.isNil { return (.call(mm, x, y, nil), false) }
            if lessEqual {
                let lt = comparisonMetamethod(y, x, .lt)
                if !lt.isNil { return (.call(lt, y, x, nil), true) }
            }
        }
        let a = typeName(x), b = typeName(y)
        _ = raise(L, closure, pc, a == b ? "attempt to compare two \(a) values" : "attempt to compare \(a) with \(b)")
        return (.failed, false)
    }

    /// `a == b` for two tables or two userdata: their shared `__eq`, or plain inequality.
    func resolveEquality(_ x: Value, _ y: Value) -> MetaOutcome {
        if x.isCData || y.isCData {
            if let r = g.integer64Comparison(x, y, lessEqual: false, equality: true) { return .value(Value(bool: r)) }
            // The FFI compares cdata with anything (`1LL == 1`, `ptr == nil`).
            let mm = g.metamethod(.eq, of: x.isCData ? x : y)
            return mm.isNil ? .value(.false) : .call(mm, x, y, nil)
        }
        let mm = comparisonMetamethod(x, y, .eq)
        return mm.isNil ? .value(.false) : .call(mm, x, y, nil)
    }

    /// `a < b` (or `a <= b`) for non-numbers, calling a metamethod natively (for builtins
    /// such as `table.sort`).
    func compareFallback(_ L: ThreadRef, _ x: Value, _ y: Value, lessEqual: Bool, _ result: inout Bool) -> CallStatus {
        let (outcome, inverted) = resolveComparison(L, nil, 0, x, y, lessEqual: lessEqual)
        switch outcome {
        case .value(let v):
            result = v.isTruthy
            return .ok
        case .call(let mm, let p, let q, _):
            var r = Value.nil
            let status = callMetamethod(L, mm, p, q, &r)
            result = r.isTruthy != inverted
            return status
        case .failed:
            return .error
        }
    }

    /// The same comparison metamethod on both operands, as Lua 5.1 requires.
    private func comparisonMetamethod(_ x: Value, _ y: Value, _ event: Metamethod) -> Value {
        let m1 = g.metamethod(event, of: x)
        if m1.isNil { return .nil }
        let m2 = g.metamethod(event, of: y)
        return m1.rawEquals(m2) ? m1 : .nil
    }

    func compareStrings(_ a: StringRef, _ b: StringRef) -> Int {
        let n = min(a.count, b.count)
        let c = memcmp(a.bytes, b.bytes, n)
        if c != 0 { return Int(c) }
        return a.count - b.count
    }

    // MARK: Slow paths that leave metamethod calls to the interpreter

    /// An error at instruction `pc` of `closure`, or at the calling Lua code for builtins.
    private func raise(_ L: ThreadRef, _ closure: FunctionRef?, _ pc: Int, _ message: String) -> CallStatus {
        if let closure { return errorAt(L, closure, pc, message) }
        return runtimeError(message, L)
    }

    /// `local 'x' (a nil value)` inside Lua code; `a nil value` for builtins.
    private func describeOperand(_ closure: FunctionRef?, _ pc: Int, slot: Int, _ v: Value) -> String {
        if let closure { return describe(closure, pc, slot: slot, v) }
        return "a \(typeName(v)) value"
    }

    /// Arithmetic on non-numbers: coercion, else the operands' metamethod.
    func resolveArithmetic(_ L: ThreadRef, _ closure: FunctionRef?, _ pc: Int, _ op: ArithmeticOperator,
                           _ x: Value, _ y: Value, operandSlots: (Int, Int)) -> MetaOutcome {
        if let a = toNumber(x), let b = toNumber(y) { return .value(Value(number: op.apply(a, b))) }
        // 64-bit integers and pointers compute here, without a call to the cdata metamethod.
        if x.isCData || y.isCData {
            switch builtinArithmetic(op, x, y) {
            case .value(let v): return .value(v)
            case .outOfMemory: _ = outOfMemory(L); return .failed
            case .unsupported: break
            }
        }
        var mm = g.metamethod(op.metamethod, of: x)
        if mm.isNil { mm = g.metamethod(op.metamethod, of: y) }
        if mm.isNil {
            let badFirst = toNumber(x) == nil
            let bad = badFirst ? x : y
            let slot = badFirst ? operandSlots.0 : operandSlots.1
            _ = raise(L, closure, pc, "attempt to perform arithmetic on \(describeOperand(closure, pc, slot: slot, bad))")
            return .failed
        }
        return .call(mm, x, y, nil)
    }

    func resolveLength(_ L: ThreadRef, _ closure: FunctionRef?, _ pc: Int, _ v: Value, slot: Int) -> MetaOutcome {
        // Tables and strings never get here (Lua 5.1 has no __len on tables); every other
        // type's metatable may give one, `debug.setmetatable`'s type-wide ones included.
        let mm = g.metamethod(.len, of: v)
        if mm.isNil {
            _ = raise(L, closure, pc, "attempt to get length of \(describeOperand(closure, pc, slot: slot, v))")
            return .failed
        }
        return .call(mm, v, .nil, nil)
    }

    /// `object[key]` through `__index` tables; a function handler is left to the caller.
    func resolveIndex(_ L: ThreadRef, _ closure: FunctionRef?, _ pc: Int, _ object: Value, _ key: Value, slot: Int) -> MetaOutcome {
        // C elements and members are read in place; the rest goes through the cdata metatable.
        if object.isCData, let v = cdataFastIndex(object, key) { return .value(v) }
        if let f = cachedCFunction(object, key) { return .value(f) }
        var t = object
        for _ in 0..<maxMetamethodChain {
            let mm: Value
            if t.isTable {
                let v = t.table.get(key)
                if !v.isNil { return .value(v) }
                guard let mt = t.table.pointee.metatable else { return .value(.nil) }
                mm = g.metamethod(.index, in: mt)
                if mm.isNil { return .value(.nil) }
            } else {
                mm = g.metamethod(.index, of: t)
                if mm.isNil {
                    _ = raise(L, closure, pc, "attempt to index \(describeOperand(closure, pc, slot: t == object ? slot : -1, t))")
                    return .failed
                }
            }
            if mm.isFunction { return .call(mm, t, key, nil) }
            t = mm
        }
        _ = raise(L, closure, pc, "loop in gettable")
        return .failed
    }

    /// `object[key] = value` through `__newindex` tables; a function handler is left to the caller.
    func resolveNewIndex(_ L: ThreadRef, _ closure: FunctionRef?, _ pc: Int, _ object: Value, _ key: Value,
                         _ value: Value, slot: Int) -> MetaOutcome {
        if object.isCData && cdataFastNewIndex(object, key, value) { return .value(.nil) }
        var t = object
        for _ in 0..<maxMetamethodChain {
            var mm = Value.nil
            if t.isTable {
                let table = t.table
                if let mt = table.pointee.metatable, mt.pointee.absentMetamethods & Metamethod.newindex.bit == 0,
                   table.get(key).isNil {
                    mm = g.metamethod(.newindex, in: mt)
                }
                if mm.isNil {
                    switch table.set(key, value, g) {
                    case .ok: return .value(.nil)
                    case .nilKey: _ = raise(L, closure, pc, "table index is nil")
                    case .nanKey: _ = raise(L, closure, pc, "table index is NaN")
                    case .outOfMemory: _ = outOfMemory(L)
                    }
                    return .failed
                }
            } else {
                mm = g.metamethod(.newindex, of: t)
                if mm.isNil {
                    _ = raise(L, closure, pc, "attempt to index \(describeOperand(closure, pc, slot: t == object ? slot : -1, t))")
                    return .failed
                }
            }
            if mm.isFunction { return .call(mm, t, key, value) }
            t = mm
        }
        _ = raise(L, closure, pc, "loop in settable")
        return .failed
    }

    // MARK: Indexing

    /// `object[key]`, following `__index`, calling a handler function natively (for
    /// builtins; the interpreter runs handlers in its own loop).
    func index(_ L: ThreadRef, _ object: Value, _ key: Value, _ result: inout Value) -> CallStatus {
        switch resolveIndex(L, nil, 0, object, key, slot: -1) {
        case .value(let v):
            result = v
            return .ok
        case .call(let mm, let t, let k, _):
            return callMetamethod(L, mm, t, k, &result)
        case .failed:
            return .error
        }
    }


    // MARK: Concatenation

    /// `base[from] .. ... .. base[to]` into `base[dst]`: runs of strings and numbers join in
    /// one go; anything else goes through `__concat`, right to left.
    /// Concatenates registers `from...to` right to left into `dst`. A `__concat` metamethod
    /// is left to the interpreter: the outcome names it, its operands, and the register
    /// `top` whose pair it joins (its result goes to `top - 1`, then concatenation goes on
    /// over `from...top - 1`).
    func concatenate(_ L: ThreadRef, _ closure: FunctionRef, _ pc: Int, _ base: UnsafeMutablePointer<Value>,
                     _ from: Int, _ to: Int, into dst: Int) -> (MetaOutcome, top: Int) {
        let baseIndex = base - L.pointee.stack
        var top = to  // the right operand accumulates here
        var bytes: [UInt8] = []
        while top > from {
            let stack = L.pointee.stack + baseIndex
            let right = stack[top], left = stack[top - 1]
            if (left.isString || left.isNumber) && (right.isString || right.isNumber) {
                // Join as many string/number operands as possible.
                var first = top - 1
                while first > from && (stack[first - 1].isString || stack[first - 1].isNumber) { first -= 1 }
                // Strings stop at luajit's limit; a number adds at most 24 characters.
                var length = 0
                for i in first...top { length += stack[i].isString ? stack[i].string.count : 24 }
                if length > maxStringLength {
                    _ = errorAt(L, closure, pc, "string length overflow")
                    return (.failed, top)
                }
                // The bytes are gathered before they become a string: they must fit too.
                guard g.hasRoom(for: length) else {
                    _ = outOfMemory(L)
                    return (.failed, top)
                }
                bytes.removeAll(keepingCapacity: true)
                for i in first...top { appendString(stack[i], to: &bytes) }
                guard let s = bytes.withUnsafeBufferPointer({ g.intern($0) }) else {
                    _ = outOfMemory(L)
                    return (.failed, top)
                }
                (L.pointee.stack + baseIndex)[first] = Value(string: s)
                top = first
                if !g.checkGC() { return (.failed, top) }
                continue
            }
            var mm = g.metamethod(.concat, of: left)
            if mm.isNil { mm = g.metamethod(.concat, of: right) }
            if mm.isNil {
                let badSlot = (left.isString || left.isNumber) ? top : top - 1
                let bad = stack[badSlot]
                _ = errorAt(L, closure, pc, "attempt to concatenate \(describeOperand(closure, pc, slot: badSlot, bad))")
                return (.failed, top)
            }
            return (.call(mm, left, right, nil), top)
        }
        (L.pointee.stack + baseIndex)[dst] = (L.pointee.stack + baseIndex)[from]
        return (.value(.nil), top)
    }

    /// Appends a string or a number (as `%.14g`) to `bytes`.
    func appendString(_ v: Value, to bytes: inout [UInt8]) {
        if v.isString {
            bytes.append(contentsOf: v.string.buffer)
        } else {
            appendNumber(v.number, into: &bytes)
        }
    }
}


extension UnsafeMutablePointer where Pointee == GlobalState {
    /// Whether storing `key` into `t` must consult `__newindex`: `t` has a metatable with
    /// the metamethod and no value at `key`.
    @inline(__always) public func needsNewIndex(_ t: TableRef, _ key: Value) -> Bool {
        guard let mt = t.pointee.metatable, mt.pointee.absentMetamethods & Metamethod.newindex.bit == 0 else { return false }
        if !(key.isString ? t.get(string: key.string) : t.get(key)).isNil { return false }
        return !metamethod(.newindex, in: mt).isNil
    }

    /// `t[key]` for table `start`, which has a metatable and no value at `key`, following
    /// `__index` tables: the value, or nil when a handler function (or a chain too long)
    /// needs the full path.
    @inline(__always) public func indexThroughTables(_ start: TableRef, _ key: Value) -> Value? {
        var tab = start
        // `start` was the first of luajit's 100 tables; past the last, the slow path
        // (`resolveIndex`) raises "loop in gettable".
        for _ in 1..<maxMetamethodChain {
            let handler = metamethod(.index, in: tab.pointee.metatable)
            if handler.isNil { return .nil }
            guard handler.isTable else { return nil }
            tab = handler.table
            let v = key.isString ? tab.get(string: key.string) : tab.get(key)
            if !v.isNil || tab.pointee.metatable == nil { return v }
        }
        return nil
    }
}
