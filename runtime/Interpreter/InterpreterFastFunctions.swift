/// Fast functions in the interpreter: a CALL, CALLM, CALLT, CALLMT or ITERC whose callee is a
/// builtin carrying a fast-function id (`FastFunction`, `FastBuiltin`) runs the builtin's
/// common case right here, on the caller's registers: no frame, no argument array, no call
/// through the builtin's entry, no reference counting. Each case only reads the arguments
/// until it knows it can answer as the builtin would; anything else (other argument types
/// or counts, numeric strings, metamethods, `__metatable`, anything that raises an error, a
/// debug hook set) returns `notHandled` before writing a result, and the instruction makes
/// the general call, so errors, their messages and tracebacks come from the builtin itself.
/// The semantics stay in the library: the cases call the helpers the builtins call
/// (`BitOperation`, `stringRange`, `selectedArgument`, `ipairsStep`, ...).
import CSupport
import Glibc
import PerigeeFrontend

/// Results a multi-result fast function (`unpack`, `string.byte`) returns at most.
let fastFunctionResultLimit = 16

extension InterpreterRun {
    /// The fast function's answer when the general call must run the builtin instead.
    static let notHandled = -1

    /// Runs builtin `f` (a fast function) on the `n` arguments at `r[a + 2...]`, as call
    /// instruction at `r[a]` wanting `wanted` results (-1: all, which sets `multres`). The
    /// results are in `r[a...]`; returns their count, or `notHandled` with nothing changed.
    @inline(never) mutating func runFastFunction(_ f: FunctionRef, _ r: UnsafeMutablePointer<Value>, _ a: Int,
                                                 _ n: Int, wanted: Int) -> Int {
        runFastFunctionInline(f, r, a, n, wanted: wanted)
    }

    /// `runFastFunction` for the place that runs most of them (CALL's out-of-line path), where
    /// the call it saves shows.
    @inline(__always) mutating func runFastFunctionInline(_ f: FunctionRef, _ r: UnsafeMutablePointer<Value>, _ a: Int,
                                                          _ n: Int, wanted: Int) -> Int {
        if withVM({ $0.hooks.onCalls || $0.hooks.onInstructions }) { return Self.notHandled }
        // A fast function may make a string, and has no way to raise a finalizer's error:
        // while a GC step is due the builtin itself runs, and steps at its return.
        if g.stepDue { return Self.notHandled }
        let out = r + a
        let id = f.pointee.ffid
        let limit = wanted < 0 ? Int.max : wanted
        let count: Int
        if let fb = FastBuiltin(id: id) {
            count = builtin(fb, f, out, n, limit: limit)
        } else if let ff = FastFunction(id: id) {
            count = inlinedFunction(ff, f, out, n, limit: limit)
        } else {
            return Self.notHandled
        }
        if count < 0 { return Self.notHandled }
        syncTop()
        if wanted < 0 {
            multres = count
            let end = slotIndex(out) + count
            if end > Int(L.pointee.top) { L.pointee.top = UInt32(end) }
        } else {
            var i = count
            while i < wanted { out[i] = .nil; i += 1 }
        }
        return count
    }

    /// The functions compiled code inlines: math functions (NumericFastFunctions.swift),
    /// `type` (one result) and the `ipairs` iterator (none or two); -1 when not handled.
    @inline(__always) private mutating func inlinedFunction(_ ff: FastFunction, _ f: FunctionRef,
                                                            _ out: UnsafeMutablePointer<Value>, _ n: Int, limit: Int) -> Int {
        let args = out + 2
        guard n >= 1 else { return -1 }
        let x = args[0]
        switch ff {
        case .type:
            out[0] = withVM { $0.typeNameValue(x) }
        case .ipairsIterator:
            guard n >= 2, x.isTable, args[1].isNumber else { return -1 }
            guard let (next, v) = ipairsStep(x.table, args[1].number) else { return 0 }
            out[0] = Value(number: next)
            if limit > 1 { out[1] = v }
            return 2
        default:
            guard let result = NumericFastFunction.result(ff.rawValue, f, args, n) else { return -1 }
            out[0] = Value(number: result)
        }
        return 1
    }

    /// The other fast functions, results written from `out` (at most `limit` of them are
    /// needed): the result count, or a negative number when not handled. One case per
    /// function, so a call takes one indirect jump here.
    @inline(__always) private mutating func builtin(_ fb: FastBuiltin, _ f: FunctionRef, _ out: UnsafeMutablePointer<Value>,
                                                    _ n: Int, limit: Int) -> Int {
        let args = out + 2
        switch fb {
        case .mathUnary, .atan, .mathBinary, .tobit, .bnot, .bswap, .band, .bor, .bxor, .lshift, .rshift, .arshift,
             .rol, .ror:
            guard let result = NumericFastFunction.result(fb.rawValue, f, args, n) else { return -1 }
            out[0] = Value(number: result)
            return 1
        case .tohex: return hex(out, n)
        case .stringLen, .stringSub, .stringByte, .stringChar:
            return stringFunction(fb, out, n, limit: limit)
        default:
            return baseFunction(fb, out, n, limit: limit)
        }
    }

    /// `bit.tohex`: number arguments only (numeric strings go to the builtin).
    @inline(never) private mutating func hex(_ out: UnsafeMutablePointer<Value>, _ n: Int) -> Int {
        let args = out + 2
        guard n >= 1, args[0].isNumber else { return -1 }
        var digits = 8
        if n >= 2 && !args[1].isNil {
            guard args[1].isNumber else { return -1 }
            digits = Int(toBit(args[1].number))
        }
        guard let s = BitOperation.hex(toBit(args[0].number), digits: digits, { g.intern($0) }) else { return -1 }
        out[0] = Value(string: s)
        return 1
    }

    /// An optional integer argument as the string functions read it (nil: `absent`); nil
    /// when it is neither nil nor a number.
    @inline(__always) private static func integerArgument(_ args: UnsafeMutablePointer<Value>, _ i: Int, _ n: Int, absent: Int?) -> Int? {
        if i >= n || args[i].isNil { return absent }
        return args[i].isNumber ? luajitInt32(args[i].number) : nil
    }

    /// Keeps the arguments reachable by the collector while a result is allocated (an
    /// allocation may collect when memory is short).
    @inline(__always) private mutating func anchorArguments(_ args: UnsafeMutablePointer<Value>, _ n: Int) {
        let end = slotIndex(args) + n
        if end > Int(L.pointee.top) { L.pointee.top = UInt32(end) }
    }

    /// True when `count` results written from `out` stay inside the stack.
    @inline(__always) private mutating func resultsFit(_ out: UnsafeMutablePointer<Value>, _ count: Int) -> Bool {
        count <= fastFunctionResultLimit && out + count <= L.pointee.stack + Int(L.pointee.stackSize)
    }

    /// `string.len`, `string.sub`, `string.byte` on a string, `string.char` of byte numbers.
    @inline(__always) private mutating func stringFunction(_ fb: FastBuiltin, _ out: UnsafeMutablePointer<Value>, _ n: Int,
                                                  limit: Int) -> Int {
        let args = out + 2
        if fb == .stringChar {
            var i = 0
            while i < n {
                guard args[i].isNumber else { return -1 }
                let b = luajitInt32(args[i].number)
                if b < 0 || b > 255 { return -1 }
                i += 1
            }
            let made: StringRef? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { bytes in
                for k in 0..<n { bytes[k] = UInt8(truncatingIfNeeded: luajitInt32(args[k].number)) }
                anchorArguments(args, n)
                return g.intern(bytes.baseAddress, count: n)
            }
            guard let made else { return -1 }
            out[0] = Value(string: made)
            return 1
        }
        guard n >= 1, args[0].isString else { return -1 }
        let s = args[0].string
        switch fb {
        case .stringLen:
            out[0] = Value(number: Double(s.count))
            return 1
        case .stringSub:
            // string.sub's start is required: without it the builtin raises the error.
            guard let i0 = Self.integerArgument(args, 1, n, absent: nil), let j0 = Self.integerArgument(args, 2, n, absent: -1) else { return -1 }
            let (i, j) = stringRange(s.count, i0, j0)
            anchorArguments(args, n)
            guard let sub = g.intern(s.bytes + (i > j ? 0 : i - 1), count: i > j ? 0 : j - i + 1) else { return -1 }
            out[0] = Value(string: sub)
            return 1
        default:  // string.byte
            guard let i0 = Self.integerArgument(args, 1, n, absent: 1), let j0 = Self.integerArgument(args, 2, n, absent: i0) else { return -1 }
            let (i, j) = stringRange(s.count, i0, j0)
            if i > j { return 0 }
            let count = j - i + 1
            guard resultsFit(out, count) else { return -1 }
            let bytes = s.bytes + i - 1
            var k = 0
            while k < count && k < limit { out[k] = Value(number: Double(bytes[k])); k += 1 }
            return count
        }
    }

    /// The base library's fast functions.
    @inline(__always) private mutating func baseFunction(_ fb: FastBuiltin, _ out: UnsafeMutablePointer<Value>, _ n: Int,
                                                         limit: Int) -> Int {
        let args = out + 2
        switch fb {
        case .tostring:
            guard n >= 1 else { return -1 }
            let v = args[0]
            if v.isString { out[0] = v; return 1 }
            guard v.isNumber else { return -1 }
            guard let s = withNumberText(v.number, { g.intern($0) }) else { return -1 }
            out[0] = Value(string: s)
            return 1
        case .tonumber:
            guard n >= 1, n == 1 || args[1].isNil else { return -1 }
            let v = args[0]
            out[0] = withVM { $0.decimalNumber(v) }
            return 1
        case .rawget:
            guard n >= 2, args[0].isTable else { return -1 }
            out[0] = args[0].table.get(args[1])
            return 1
        case .rawset:
            guard n >= 3, args[0].isTable else { return -1 }
            let key = args[1]
            if key.isNil || (key.isNumber && key.number.isNaN) { return -1 }
            anchorArguments(args, n)
            guard args[0].table.set(key, args[2], g) == .ok else { return -1 }
            out[0] = args[0]
            return 1
        case .rawequal:
            guard n >= 2 else { return -1 }
            out[0] = Value(bool: args[0].rawEquals(args[1]))
            return 1
        case .getmetatable:
            guard n >= 1 else { return -1 }
            out[0] = g.visibleMetatable(of: args[0])
            return 1
        case .setmetatable:
            guard n >= 2, args[0].isTable, args[1].isNil || args[1].isTable else { return -1 }
            let t = args[0].table
            if g.hasProtectedMetatable(t) { return -1 }
            let mt = args[1]
            withVM { $0.setMetatable(t, mt.isNil ? nil : mt.table) }
            out[0] = args[0]
            return 1
        case .assert:
            guard n >= 1, args[0].isTruthy else { return -1 }
            var k = 0
            while k < n && k < limit { out[k] = args[k]; k += 1 }
            return n
        case .select:
            guard n >= 1 else { return -1 }
            let selector = args[0]
            let rest = n - 1
            if selector.isNumber {
                guard let i = selectedArgument(luajitInt32(selector.number), count: rest) else { return -1 }
                let count = rest - i + 1
                var k = 0
                while k < count && k < limit { out[k] = args[i + k]; k += 1 }
                return count
            }
            guard selector.isString && selector.string.count >= 1 && selector.string.bytes[0] == 35 else { return -1 }
            out[0] = Value(number: Double(rest))
            return 1
        case .unpack:
            guard n >= 1, args[0].isTable else { return -1 }
            let t = args[0].table
            var i = 1, j = 0
            if n >= 2 && !args[1].isNil {
                guard args[1].isNumber else { return -1 }
                i = luajitInt32(args[1].number)
            }
            if n >= 3 && !args[2].isNil {
                guard args[2].isNumber else { return -1 }
                j = luajitInt32(args[2].number)
            } else {
                j = t.length()
            }
            if i > j { return 0 }
            let count = j - i + 1
            guard resultsFit(out, count) else { return -1 }
            var k = 0
            while k < count && k < limit { out[k] = t.get(integer: i + k); k += 1 }
            return count
        case .next:
            guard n >= 1, args[0].isTable else { return -1 }
            var key = n >= 2 ? args[1] : .nil, value = Value.nil
            switch args[0].table.next(&key, &value) {
            case .found:
                out[0] = key
                if limit > 1 { out[1] = value }
                return 2
            case .end:
                out[0] = .nil
                return 1
            case .invalidKey:
                return -1
            }
        default:
            return -1
        }
    }
}
