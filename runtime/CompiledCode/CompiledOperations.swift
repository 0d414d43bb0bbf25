/// The runtime functions compiled Lua code calls for what it does not do inline: each does
/// one bytecode instruction's work on the frame at `base`, exactly as the interpreter would,
/// and returns 0 (or a result) when done, else a negative `CompiledStatus`.
///
/// Each takes the thread, the frame's base slot, the instruction word and its index `pc`
/// (for error positions and variable names). Metamethods run in a continuation frame like
/// the interpreter's, so one that yields is finished by the interpreter on resume.
import CSupport
import Glibc
import PerigeeFrontend

/// The frame of a compiled helper call: the shared frame view (`FrameView`), with the
/// compiled side's way to fail and to call metamethods (a nested run, not a frame in a loop).
typealias CompiledFrame = FrameView

extension FrameView {
    @inline(__always) init(_ l: UnsafeMutableRawPointer, _ base: Int, _ pc: Int) {
        // The VM is borrowed, not retained: the view's reference to it is unowned anyway.
        self = LuaVM.withCurrent { FrameView($0, l.assumingMemoryBound(to: GCThread.self), base: base, pc: pc) }
    }

    /// Answers a shared operation's status: 0, or the error with its traceback noted.
    func status(_ status: CallStatus?) -> Int { status == nil ? 0 : failed() }

    /// Fails with the pending error, raised by this instruction.
    func failed() -> Int {
        vm.noteError(L, innermostBase: base, pc: pc)
        return CompiledStatus.error
    }

    func fail(_ message: String) -> Int {
        _ = vm.errorAt(L, closure, pc, message)
        return failed()
    }

    /// Calls metamethod `mm` in a continuation frame above this frame; its first result.
    func callMetamethod(_ mm: Value, _ a1: Value, _ a2: Value, _ a3: Value?, inverted: Bool = false,
                        concatTop: Int = 0) -> (Int, Value) {
        guard mm.isFunction else {
            _ = vm.metamethodNotCallable(mm)
            return (failed(), .nil)
        }
        let frameSize = Int(closure.proto.pointee.frameSize)
        guard let newBase = vm.pushContinuationFrame(L, callerBase: base, frameSize: frameSize, resumePC: resumePC,
                                                     mm, a1, a2, a3, inverted: inverted, concatTop: concatTop) else {
            return (fail("stack overflow"), .nil)
        }
        let r = vm.runFrame(L, newBase - 2, a3 == nil ? 2 : 3)
        if r < 0 { return (r, .nil) }
        let result = r > 0 ? L.pointee.stack[Int(L.pointee.top) - r] : Value.nil
        L.pointee.base = UInt32(base)
        L.pointee.top = UInt32(base + frameSize)
        return (0, result)
    }

    /// The argument count of the call in register A (`fixed` arguments, plus `multres` for a
    /// multiple-argument call), with `L.top` after them and a callable value's `__call`
    /// put in place; nil after a "attempt to call" error.
    func callArguments(_ ins: UInt32, _ fixed: Int, multi: Bool, _ multres: Int) -> Int? {
        let a = Instruction(ins).ra
        var n = fixed + (multi ? 1 + multres : 0)
        L.pointee.top = UInt32(base + a + 2 + n)
        if !self[a].isFunction && !resolveCall(a, &n, errorSlot: a) { return nil }
        return n
    }

    /// Applies a slow path's outcome: stores the value (into register `a` when `a >= 0`).
    func finish(_ outcome: MetaOutcome, into a: Int) -> Int {
        switch outcome {
        case .value(let v):
            if a >= 0 { self[a] = v }
            // A cdata read in place was allocated: once it is in its register, collect.
            if v.isCData && !g.checkGC() { return failed() }
            return 0
        case .call(let mm, let x, let y, let z):
            let (status, v) = callMetamethod(mm, x, y, z)
            if status < 0 { return status }
            if a >= 0 { self[a] = v }
            return 0
        case .failed:
            return failed()
        }
    }
}

// MARK: Entry and exit

/// The function header: makes room on the stack, fills missing parameters with nil and, for
/// a vararg function, moves the frame above its arguments. The frame's base, or an error.
@_cdecl("perigee_enter")
public func perigee_enter(_ l: UnsafeMutableRawPointer, _ base: Int, _ nargs: Int) -> Int {
    let vm = LuaVM.current!
    let L = l.assumingMemoryBound(to: GCThread.self)
    let p = L.pointee.stack[base + FrameLayout.functionSlot].function.proto
    let frameSize = Int(p.pointee.frameSize)
    let vararg = p.pointee.flags & ProtoFlag.vararg != 0
    let needed = FrameLayout.end(base: base, frameSize: frameSize, vararg: vararg, nargs: nargs)
    if needed > Int(L.pointee.stackSize) || vm.nativeStackExhausted() {
        L.pointee.top = UInt32(base + nargs)
        if vm.nativeStackExhausted() || !L.ensureStack(needed - Int(L.pointee.top), vm.g) {
            L.pointee.base = UInt32(base)
            // The position is the caller's call (level 2: this frame is level 1); under pcall,
            // pcall's caller's, as luajit's pcall has no frame of its own.
            var level = 2
            if case .protected = vm.frameStep(L, base) { level = 3 }
            vm.setError(vm.currentPosition(L, level: level) + "stack overflow")
            vm.noteError(L, innermostBase: base, pc: nil)
            return CompiledStatus.error
        }
    }
    let stack = L.pointee.stack
    let params = Int(p.pointee.parameterCount)
    var frameBase = base
    if vararg {
        frameBase = vm.moveVarargFrame(L, from: base, nargs: nargs, params: params, frameSize: frameSize)
    } else {
        var i = nargs
        while i < params { stack[base + i] = .nil; i += 1 }
    }
    L.pointee.base = UInt32(frameBase)
    L.pointee.top = UInt32(frameBase + max(frameSize, vararg ? 0 : nargs))
    return frameBase
}

/// RET*: closes the frame's upvalues and leaves `count` results from register `first` on top.
@_cdecl("perigee_return")
public func perigee_return(_ l: UnsafeMutableRawPointer, _ base: Int, _ first: Int, _ count: Int) -> Int {
    let L = l.assumingMemoryBound(to: GCThread.self)
    if L.hasOpenUpvalues(atOrAbove: base) { L.closeUpvalues(from: base, LuaVM.currentGlobal) }
    L.pointee.top = UInt32(base + first + count)
    return count
}

/// An instruction compiled code never contains: raises an internal error.
@_cdecl("perigee_unsupported")
public func perigee_unsupported(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let op = Instruction(ins).verifiedOpcode
    return f.status(f.error("internal error: instruction \(op) in compiled code"))
}

// MARK: Operators

/// Arithmetic (ADD*..MOD*, POW), UNM and LEN, with coercion and metamethods.
@_cdecl("perigee_arith")
public func perigee_arith(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let i = Instruction(ins)
    if i.verifiedOpcode == .LEN {
        let v = f[i.rd]
        if v.isString { f[i.ra] = Value(number: Double(v.string.count)); return 0 }
        if v.isTable { f[i.ra] = Value(number: Double(v.table.length())); return 0 }
        return f.finish(f.lengthFallback(i, v), into: i.ra)
    }
    let (x, y, _) = f.arithmeticOperands(i)
    if x.isNumber && y.isNumber {
        f[i.ra] = Value(number: i.verifiedOpcode.arithmetic.unsafelyUnwrapped.op.apply(x.number, y.number))
        return 0
    }
    return f.finish(f.arithmeticFallback(i, x, y), into: i.ra)
}

/// ISLT ISGE ISLE ISGT ISEQV ISNEV, and ISEQN ISNEN ISEQP ISNEP on a cdata: 1 when the
/// following jump is taken, else 0.
@_cdecl("perigee_compare")
public func perigee_compare(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let i = Instruction(ins)
    let op = i.verifiedOpcode
    let x = f[i.ra]
    let y: Value
    switch op {
    case .ISEQN, .ISNEN: y = f.k[i.rd]
    case .ISEQP, .ISNEP: y = primitive(i.rd)
    case .ISEQS, .ISNES: y = f.k[-1 - i.rd]
    default: y = f[i.rd]
    }
    if op == .ISEQV || op == .ISNEV || op == .ISEQN || op == .ISNEN || op == .ISEQP || op == .ISNEP || op == .ISEQS || op == .ISNES {
        var equal = x.rawEquals(y)
        if !equal && (((x.isTable || x.isUserdata) && x.top17 == y.top17) || x.isCData || y.isCData) {
            switch f.vm.resolveEquality(x, y) {
            case .call(let mm, let p, let q, _):
                let (status, r) = f.callMetamethod(mm, p, q, nil)
                if status < 0 { return status }
                equal = r.isTruthy
            case .value(let r):
                equal = r.isTruthy
            case .failed:
                break
            }
        }
        return (op == .ISEQV || op == .ISEQN || op == .ISEQP || op == .ISEQS) == equal ? 1 : 0
    }
    if x.isNumber && y.isNumber {
        switch op {
        case .ISLT: return x.number < y.number ? 1 : 0
        case .ISGE: return !(x.number < y.number) ? 1 : 0
        case .ISLE: return x.number <= y.number ? 1 : 0
        default: return !(x.number <= y.number) ? 1 : 0
        }
    }
    let positive = op == .ISLT || op == .ISLE
    let (outcome, inverted) = f.vm.resolveComparison(f.L, f.closure, pc, x, y, lessEqual: op == .ISLE || op == .ISGT)
    switch outcome {
    case .value(let r):
        return positive == r.isTruthy ? 1 : 0
    case .call(let mm, let p, let q, _):
        let (status, r) = f.callMetamethod(mm, p, q, nil, inverted: inverted)
        if status < 0 { return status }
        return positive == (r.isTruthy != inverted) ? 1 : 0
    case .failed:
        return f.failed()
    }
}

/// CAT: concatenation of registers B..C into A, `__concat` right to left.
@_cdecl("perigee_concat")
public func perigee_concat(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let from = Instruction(ins).rb, dst = Instruction(ins).ra
    var to = Instruction(ins).rc
    while true {
        let (outcome, top) = LuaVM.withCurrent { $0.concatenate(f.L, f.closure, pc, f.L.pointee.stack + base, from, to, into: dst) }
        switch outcome {
        case .value: return 0
        case .failed: return f.failed()
        case .call(let mm, let x, let y, _):
            let (status, r) = f.callMetamethod(mm, x, y, nil, concatTop: top)
            if status < 0 { return status }
            f[top - 1] = r
            to = top - 1
        }
    }
}

// MARK: Tables, globals and upvalues

/// GGET, TGETV, TGETS, TGETB, TGETR.
@_cdecl("perigee_index")
public func perigee_index(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let a = Instruction(ins).ra
    let op = Instruction(ins).verifiedOpcode
    if op == .GGET {
        let key = f.k[-1 - Instruction(ins).rd]
        let env = f.closure.pointee.env.unsafelyUnwrapped
        let v = env.get(string: key.string)
        if !v.isNil || env.pointee.metatable == nil { f[a] = v; return 0 }
        return f.finish(f.vm.resolveIndex(f.L, f.closure, pc, Value(table: env), key, slot: -1), into: a)
    }
    let b = Instruction(ins).rb, c = Instruction(ins).rc
    let t = f[b]
    let key = f.tableKey(Instruction(ins))
    if t.isTable {
        let tab = t.table
        let v = op == .TGETS ? tab.get(string: key.string) : (op == .TGETB ? tab.get(integer: c) : tab.get(key))
        if !v.isNil || tab.pointee.metatable == nil { f[a] = v; return 0 }
    } else if t.isCData, let v = f.g.cdataRead(t, key) {
        return f.finish(.value(v), into: a)
    } else if let v = f.vm.cachedCFunction(t, key) {
        // A C library's function handed out before (`ffi.C.sqrt`): made, nothing to collect.
        f[a] = v
        return 0
    }
    return f.finish(f.vm.resolveIndex(f.L, f.closure, pc, t, key, slot: b), into: a)
}

/// `t[key]` through `__index` tables, without a frame: 0 with the value in `out`, or 1 when a
/// function `__index` (or a chain too long) needs the full instruction (`perigee_index`).
@_cdecl("perigee_lookup")
public func perigee_lookup(_ table: UnsafeMutableRawPointer, _ key: UInt64, _ out: UnsafeMutablePointer<UInt64>) -> Int {
    let t = table.assumingMemoryBound(to: GCTable.self)
    let k = Value(bits: key)
    let v = t.get(k)
    if !v.isNil || t.pointee.metatable == nil {
        out.pointee = v.bits
        return 0
    }
    guard let inherited = LuaVM.currentGlobal.indexThroughTables(t, k) else { return 1 }
    out.pointee = inherited.bits
    return 0
}

/// `t[key] = value` for a table whose store needs no `__newindex` and no error, without a
/// frame: 0 when stored, 1 when the full instruction must run (`perigee_newindex`). The
/// table's growth never collects (the caller's values may be in registers): past the
/// memory limit the full instruction runs instead, and reports it.
@_cdecl("perigee_store")
public func perigee_store(_ table: UnsafeMutableRawPointer, _ key: UInt64, _ value: UInt64) -> Int {
    let t = table.assumingMemoryBound(to: GCTable.self)
    let k = Value(bits: key)
    if k.isNil || (k.isNumber && k.number.isNaN) { return 1 }
    return LuaVM.withCurrent { vm in
        if vm.g.needsNewIndex(t, k) { return 1 }
        let g = vm.g
        return g.withoutCollecting { t.set(k, Value(bits: value), g) } == .ok ? 0 : 1
    }
}

/// Fills the inline cache of a cdata read or store (`CDataSite`) from the cdata and key the
/// instruction met; the instruction's full path runs next.
@_cdecl("perigee_cdata_site")
public func perigee_cdata_site(_ site: UnsafeMutablePointer<UInt64>, _ object: UInt64, _ key: UInt64, _ store: Int) -> Int {
    LuaVM.currentGlobal.fillCDataSite(site, Value(bits: object), Value(bits: key), store: store != 0)
    return 0
}

/// Fills the inline cache of a call that met the C function cdata `callee`
/// (CFunctionCalls.h); the general call runs next.
@_cdecl("perigee_c_call_site")
public func perigee_c_call_site(_ site: UnsafeMutablePointer<UInt64>, _ callee: UInt64) -> Int {
    LuaVM.withCurrent { $0.fillCCallSite(site, Value(bits: callee)) }
    return 0
}

/// Boxes a 64-bit integer compiled code kept unboxed: a new `int64_t` (or `uint64_t`, when
/// bit 8 of `register` is set) cdata holding `bits`, stored into the register in the low
/// bits; 0, or the "not enough memory" error raised at instruction `pc`.
@_cdecl("perigee_box_integer64")
public func perigee_box_integer64(_ l: UnsafeMutableRawPointer, _ base: Int, _ pc: Int, _ register: Int, _ bits: UInt64) -> Int {
    let f = CompiledFrame(l, base, pc)
    let unsigned = register & 0x100 != 0
    guard let cd = f.g.newCData(unsigned ? CInteger64.unsignedType : CInteger64.signedType, size: 8) else {
        _ = f.vm.outOfMemory(f.L)
        return f.failed()
    }
    cd.payload.storeBytes(of: bits, as: UInt64.self)
    f[register & 0xFF] = Value(cdata: cd)
    return f.g.checkGC() ? 0 : f.failed()
}

/// Boxes an aggregate element or member that compiled code read (`local p = ps[i]`): a new
/// reference cdata of type `ctype` (the element's `T &`, from the instruction's inline cache)
/// to `address`, stored into `register`, as the runtime's `cdataRead` makes it; 0, or the
/// "not enough memory" error raised at instruction `pc`.
@_cdecl("perigee_box_reference")
public func perigee_box_reference(_ l: UnsafeMutableRawPointer, _ base: Int, _ pc: Int, _ register: Int,
                                  _ ctype: Int, _ address: UInt) -> Int {
    let f = CompiledFrame(l, base, pc)
    guard let cd = f.g.newCData(CTypeID(ctype), size: 8) else {
        _ = f.vm.outOfMemory(f.L)
        return f.failed()
    }
    cd.payload.storeBytes(of: address, as: UInt.self)
    f[register] = Value(cdata: cd)
    return f.g.checkGC() ? 0 : f.failed()
}

/// GSET, TSETV, TSETS, TSETB, TSETR.
@_cdecl("perigee_newindex")
public func perigee_newindex(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    return f.finish(f.storeFallback(Instruction(ins)), into: -1)
}

/// TSETM: stores registers A ..< A + multres at t[start...], t in register A - 1.
@_cdecl("perigee_setmulti")
public func perigee_setmulti(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int, _ multres: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    return f.status(f.storeMultiple(Instruction(ins), count: multres))
}

/// TNEW, TDUP.
@_cdecl("perigee_table")
public func perigee_table(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    return f.status(f.newTable(Instruction(ins)))
}

/// FNEW: a closure of the prototype in constant D, its upvalues from this frame.
@_cdecl("perigee_closure")
public func perigee_closure(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    return f.status(f.newClosure(Instruction(ins)))
}

/// USETS, USETN, USETP (compiled code reads upvalues and stores registers into them inline).
@_cdecl("perigee_upvalue")
public func perigee_upvalue(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    CompiledFrame(l, base, pc).setUpvalue(Instruction(ins))
    return 0
}

/// UCLO: closes the upvalues of registers from `slot` up.
@_cdecl("perigee_close")
public func perigee_close(_ l: UnsafeMutableRawPointer, _ base: Int, _ slot: Int) -> Int {
    let L = l.assumingMemoryBound(to: GCThread.self)
    L.closeUpvalues(from: base + slot, LuaVM.currentGlobal)
    return 0
}

// MARK: Calls, varargs and loops

/// Compiled code met values its specialized code does not handle (arithmetic on
/// non-numbers), or a debug hook was set: the interpreter runs the rest of this
/// activation, from instruction `pc` (`multres`: the preceding call's result count).
/// The frame's results (on top), or a status.
@_cdecl("perigee_interpret_rest")
public func perigee_interpret_rest(_ l: UnsafeMutableRawPointer, _ base: Int, _ pc: Int, _ multres: Int) -> Int {
    let vm = LuaVM.current!
    let L = l.assumingMemoryBound(to: GCThread.self)
    // A vararg frame returns through its original frame, which is where the run must end.
    let frameBase = vm.originalFrameBase(L, base)
    let function = L.pointee.stack[frameBase + FrameLayout.functionSlot], link = L.pointee.stack[frameBase + FrameLayout.linkSlot]
    switch vm.execute(L, funcSlot: base - 2, argumentCount: 0, wanted: -1, exitBase: frameBase, startPC: pc, startMultres: multres) {
    case .ok:
        // The run left the results from the function's slot on. Compiled code returns them
        // on top wherever they are, but an interpreter that called this frame reads its link
        // afterwards: the results move up into the frame, and the function and link return.
        let count = Int(L.pointee.top) - (frameBase - 2)
        guard L.ensureStack(2, vm.g) else {
            vm.setError("stack overflow")
            return CompiledStatus.error
        }
        let stack = L.pointee.stack
        var i = count - 1
        while i >= 0 { stack[frameBase + i] = stack[frameBase - 2 + i]; i -= 1 }
        stack[frameBase + FrameLayout.functionSlot] = function
        stack[frameBase + FrameLayout.linkSlot] = link
        L.pointee.top = UInt32(frameBase + count)
        return count
    case .error: return CompiledStatus.error
    case .yield: return CompiledStatus.yield
    }
}

/// `type(v)`: the interned name, without a frame.
@_cdecl("perigee_type_name")
public func perigee_type_name(_ v: UInt64) -> UInt64 {
    LuaVM.withCurrent { $0.typeNameValue(Value(bits: v)).bits }
}

/// CALL, CALLM of a builtin with a fast-function id: its common case on this frame's
/// registers, as the interpreter runs it (no frame, no call through the builtin's entry).
/// The callee is in register `a`, its `nargs` arguments above it; answers the result count
/// (results from register `a`, `wanted` of them unless -1), or -1 with nothing changed when
/// the builtin must be called (other argument types, errors).
@_cdecl("perigee_fast_call")
public func perigee_fast_call(_ l: UnsafeMutableRawPointer, _ base: Int, _ a: Int, _ nargs: Int, _ wanted: Int) -> Int {
    let L = l.assumingMemoryBound(to: GCThread.self)
    return LuaVM.withCurrent { vm in
        var run = InterpreterRun(vm: vm, L: L, funcSlot: base + FrameLayout.functionSlot, argumentCount: 0,
                                 exitBase: base, wanted: wanted)
        return run.runFastFunction(run.base[a].function, run.base, a, nargs, wanted: wanted)
    }
}

/// `#t` for a table (Lua 5.1 never consults `__len` for tables), without a frame.
/// Two strings compared as the `<` and `<=` operators compare them (bytes, then length):
/// negative, zero or positive.
@_cdecl("perigee_string_compare")
public func perigee_string_compare(_ a: UnsafeMutableRawPointer, _ b: UnsafeMutableRawPointer) -> Int {
    LuaVM.withCurrent { $0.compareStrings(a.assumingMemoryBound(to: GCString.self), b.assumingMemoryBound(to: GCString.self)) }
}

/// A new table for a trace's TNEW (`sizes`: the instruction's D operand), or null when
/// memory runs out (the trace leaves, and the interpreter's TNEW reports it). No GC step,
/// not even the full collection an allocation past the memory limit runs: the trace's
/// values are in its registers, not on the stack. It checks the debt where they are.
@_cdecl("perigee_new_table")
public func perigee_new_table(_ sizes: Int) -> UnsafeMutableRawPointer? {
    let g = LuaVM.currentGlobal
    return g.withoutCollecting { g.newTable(sizes: sizes) }.map { UnsafeMutableRawPointer($0) }
}

/// A copy of a constructor template for a trace's TDUP, or null (as `perigee_new_table`).
@_cdecl("perigee_duplicate_table")
public func perigee_duplicate_table(_ template: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    let g = LuaVM.currentGlobal
    return g.withoutCollecting { g.duplicateTable(template.assumingMemoryBound(to: GCTable.self)) }
        .map { UnsafeMutableRawPointer($0) }
}

/// A copy of a constructor template made where a trace leaves, for a table the trace sank
/// (see AllocationSinking): the table the interpreter would have made earlier, so the
/// memory limit does not refuse it (the next allocation past the limit fails as usual), and
/// no collection runs (the trace's other values are not on the stack yet).
@_cdecl("perigee_materialize_table")
public func perigee_materialize_table(_ template: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
    let g = LuaVM.currentGlobal
    return UnsafeMutableRawPointer(materializing(g) { g.duplicateTable(template.assumingMemoryBound(to: GCTable.self)) })
}

/// A new table made where a trace leaves, for a TNEW the trace sank (as
/// `perigee_materialize_table`).
@_cdecl("perigee_materialize_new_table")
public func perigee_materialize_new_table(_ sizes: Int) -> UnsafeMutableRawPointer {
    let g = LuaVM.currentGlobal
    return UnsafeMutableRawPointer(materializing(g) { g.newTable(sizes: sizes) })
}

/// A sunk table's new key, stored where an exit makes the table (the trace checked that no
/// __newindex applies, and the key is neither nil nor NaN): as raw a store as
/// `perigee_materialize_table`'s allocation. Answers 0.
@_cdecl("perigee_materialize_store")
public func perigee_materialize_store(_ table: UnsafeMutableRawPointer, _ key: UInt64, _ value: UInt64) -> Int {
    let g = LuaVM.currentGlobal
    _ = materializing(g) { () -> TableRef? in
        let t = table.assumingMemoryBound(to: GCTable.self)
        return t.set(Value(bits: key), Value(bits: value), g) == .ok ? t : nil
    }
    return 0
}

/// `make`'s object, made with the memory limit lifted and no collection; the process ends
/// when even the system has no memory left (there is no state to go on from).
private func materializing(_ g: GlobalRef, _ make: () -> TableRef?) -> TableRef {
    let limit = g.pointee.memoryLimit
    g.pointee.memoryLimit = 0
    defer { g.pointee.memoryLimit = limit }
    guard let t = g.withoutCollecting(make) else {
        writeStandardError("perigee: not enough memory\n")
        exit(1)
    }
    return t
}

@_cdecl("perigee_table_length")
public func perigee_table_length(_ table: UnsafeMutableRawPointer) -> Int {
    table.assumingMemoryBound(to: GCTable.self).length()
}

/// Speculative code met arithmetic on something other than numbers at `pc`: the function
/// runs its version without speculation from now on (when it has one), and this activation
/// goes on in the interpreter.
@_cdecl("perigee_despecialize")
public func perigee_despecialize(_ l: UnsafeMutableRawPointer, _ base: Int, _ pc: Int, _ multres: Int) -> Int {
    let L = l.assumingMemoryBound(to: GCThread.self)
    let proto = L.pointee.stack[base + FrameLayout.functionSlot].function.proto
    let info = proto.info
    if let generic = info.pointee.generic {
        proto.pointee.native = generic
        info.pointee.generic = nil
    }
    return perigee_interpret_rest(l, base, pc, multres)
}

/// Runs the function in slot `funcSlot` (link written, arguments up to `L.top`) to its end:
/// compiled code's way to call builtins, and to go on after a compiled callee answered
/// `tailCall`. Results on top, or a status.
@_cdecl("perigee_finish_call")
public func perigee_finish_call(_ l: UnsafeMutableRawPointer, _ funcSlot: Int) -> Int {
    let L = l.assumingMemoryBound(to: GCThread.self)
    return LuaVM.withCurrent { $0.runFrame(L, funcSlot, Int(L.pointee.top) - funcSlot - 2) }
}

/// Moves a call's `count` results (the top values) to `funcSlot` on, adjusted to `wanted`
/// (-1: all); answers `count`.
@_cdecl("perigee_move_results")
public func perigee_move_results(_ l: UnsafeMutableRawPointer, _ funcSlot: Int, _ count: Int, _ wanted: Int) -> Int {
    let L = l.assumingMemoryBound(to: GCThread.self)
    LuaVM.withCurrent { $0.moveResults(L, from: Int(L.pointee.top) - count, count: count, to: funcSlot, wanted: wanted) }
    return count
}

/// The write barrier of a black table that compiled code stored into.
@_cdecl("perigee_barrier_back")
public func perigee_barrier_back(_ l: UnsafeMutableRawPointer, _ table: UnsafeMutableRawPointer) -> Int {
    LuaVM.currentGlobal.barrierBack(table.assumingMemoryBound(to: GCTable.self))
    return 0
}

/// CALL, CALLM: calls register A; the number of results for a multiple-result call (else 0).
@_cdecl("perigee_call")
public func perigee_call(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int, _ multres: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let L = f.L
    let a = Instruction(ins).ra
    let funcSlot = base + a
    let multi = Instruction(ins).verifiedOpcode == .CALLM
    // A C function whose call fits the registers (FFIRegisterCalls): no frame, no `__call`.
    var fast: Int32? = nil
    if L.pointee.stack[funcSlot].isCData {
        let n = Instruction(ins).rc - 1 + (multi ? 1 + multres : 0)
        L.pointee.top = UInt32(funcSlot + 2 + n)
        fast = LuaVM.withCurrent { vm in vm.hooks.onCalls ? nil : vm.registerCall(L, funcSlot, n) }
    }
    var n = 0
    if fast == nil {
        guard let count = f.callArguments(ins, Instruction(ins).rc - 1, multi: multi, multres) else { return f.failed() }
        n = count
        L.pointee.stack[funcSlot + 1] = returnLink(f.resumePC)
    }
    // The VM borrowed for the whole call (no retain and release around each method).
    return LuaVM.withCurrent { vm in
        let r = fast.map(Int.init) ?? vm.runFrame(L, funcSlot, n)
        if r < 0 { return r }
        let wanted = Instruction(ins).rb - 1
        vm.moveResults(L, from: Int(L.pointee.top) - r, count: r, to: funcSlot, wanted: wanted)
        L.pointee.base = UInt32(base)
        return wanted < 0 ? r : 0
    }
}

/// CALLT, CALLMT: replaces this frame with the callee and its arguments, then answers
/// `tailCall` so the caller's loop runs it in constant native stack.
@_cdecl("perigee_tailcall")
public func perigee_tailcall(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int, _ multres: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let L = f.L
    let a = Instruction(ins).ra
    guard let n = f.callArguments(ins, Instruction(ins).rd - 1, multi: Instruction(ins).verifiedOpcode == .CALLMT, multres) else { return f.failed() }
    let funcSlot = base + a
    L.closeUpvalues(from: base, f.vm.g)
    let stack = L.pointee.stack
    // A vararg frame is replaced from its original base, whose link stays.
    let target = f.vm.originalFrameBase(L, base)
    stack[target - 2] = stack[funcSlot]
    for i in 0..<n { stack[target + i] = stack[funcSlot + 2 + i] }
    L.pointee.base = UInt32(target)
    L.pointee.top = UInt32(target + n)
    // pcall and xpcall run here, where the function they replace is known: an overflow
    // entering their function has its position, as in the interpreter.
    let callee = stack[target - 2].function
    return LuaVM.withCurrent { vm in
        if (callee == vm.pcallFunction && n >= 1) || (callee == vm.xpcallFunction && n >= 2 && stack[target + 1].isFunction) {
            return vm.protectedCall(L, target, n, xpcall: callee == vm.xpcallFunction, tailCaller: (f.closure, pc))
        }
        return CompiledStatus.tailCall
    }
}

/// ITERC, and ITERN when its loop is not a `next` traversal (compiled code steps those
/// itself, through `perigee_next_entry`): calls the iterator; the following ITERL decides.
@_cdecl("perigee_iterate")
public func perigee_iterate(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let L = f.L
    guard let n = f.iteratorCall(Instruction(ins)) else { return f.failed() }
    let funcSlot = base + Instruction(ins).ra
    L.pointee.stack[funcSlot + 1] = returnLink(f.resumePC)
    return LuaVM.withCurrent { vm in
        let r = vm.runFrame(L, funcSlot, n)
        if r < 0 { return r }
        vm.moveResults(L, from: Int(L.pointee.top) - r, count: r, to: funcSlot, wanted: Instruction(ins).rb - 1)
        L.pointee.base = UInt32(base)
        return 0
    }
}

/// ITERN's step of a `next` traversal, without a frame: the next entry of table `t` after
/// hidden position `position` into `out[0]` (key) and `out[1]` (value); the new position,
/// or -1 at the end.
@_cdecl("perigee_next_entry")
public func perigee_next_entry(_ t: UnsafeMutableRawPointer, _ position: Int, _ out: UnsafeMutablePointer<UInt64>) -> Int {
    var key = Value.nil, value = Value.nil
    let next = t.assumingMemoryBound(to: GCTable.self).entry(from: position, &key, &value)
    out[0] = key.bits
    out[1] = value.bits
    return next
}

/// The barrier after compiled code stored a collectable value into a black upvalue.
@_cdecl("perigee_upvalue_barrier")
public func perigee_upvalue_barrier(_ upvalue: UnsafeMutableRawPointer, _ value: UInt64) -> Int {
    LuaVM.currentGlobal.barrierForward(upvalue.assumingMemoryBound(to: GCHeader.self), Value(bits: value).object)
    return 0
}

/// ISNEXT: 1 when the loop really runs `next` over a table (ITERN may then step it
/// directly, with a hidden position in the control slot), else 0.
@_cdecl("perigee_isnext")
public func perigee_isnext(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    // The interpreter turns a failed ISNEXT into a JMP for good; follow what it decided.
    guard Instruction(f.instructionAddress.pointee).verifiedOpcode == .ISNEXT else { return 0 }
    return f.beginNextTraversal(Instruction(ins)) ? 1 : 0
}

/// VARG: copies the varargs to register A; their number for a multiple-result VARG.
@_cdecl("perigee_varg")
public func perigee_varg(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    let (status, count) = f.varargs(Instruction(ins))
    return status == nil ? count : f.failed()
}

/// FORI: checks and converts the loop's control values; 1 to enter the loop, 0 to skip it.
@_cdecl("perigee_forprep")
public func perigee_forprep(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    guard let enter = f.forPrepare(Instruction(ins)) else { return f.failed() }
    return enter ? 1 : 0
}

/// The instruction budget's slow path for compiled code, at the charging instruction `pc`: 0 to go on,
/// or the limit's (or an interrupt's) error.
@_cdecl("perigee_instruction_limit")
public func perigee_instruction_limit(_ l: UnsafeMutableRawPointer, _ base: Int, _ ins: UInt32, _ pc: Int) -> Int {
    let f = CompiledFrame(l, base, pc)
    guard let message = f.vm.instructionBudgetSpent() else { return 0 }
    return f.fail(message)
}

// MARK: The list of helpers

// The helpers by symbol name and address: what a code generator may declare (PerigeeCodegen's
// `RuntimeInterface.Helper`, checked against this list by a test) and what an in-process
// linker needs to resolve them without the executable exporting its symbols. (It sits in
// the helpers' own file: a C function pointer to a `@_cdecl` function taken in another file
// defines the symbol a second time.)

typealias Thread = UnsafeMutableRawPointer
typealias Slots64 = UnsafeMutablePointer<UInt64>
/// (L, base, instruction, pc) -> status: one instruction's helper.
typealias InstructionHelper = @convention(c) (Thread, Int, UInt32, Int) -> Int
/// (L, base, instruction, pc, multres) -> status.
typealias MultresHelper = @convention(c) (Thread, Int, UInt32, Int, Int) -> Int
/// (L, a, b, c) -> result over plain integers.
typealias FrameHelper3 = @convention(c) (Thread, Int, Int, Int) -> Int

@inline(never) private func entry<F>(_ name: String, _ function: F) -> (name: String, address: UnsafeRawPointer) {
    (name, unsafeBitCast(function, to: UnsafeRawPointer.self))
}

public let compiledCodeHelpers: [(name: String, address: UnsafeRawPointer)] = [
    entry("perigee_enter", perigee_enter as @convention(c) (Thread, Int, Int) -> Int),
    entry("perigee_return", perigee_return as FrameHelper3),
    entry("perigee_unsupported", perigee_unsupported as InstructionHelper),
    entry("perigee_arith", perigee_arith as InstructionHelper),
    entry("perigee_compare", perigee_compare as InstructionHelper),
    entry("perigee_concat", perigee_concat as InstructionHelper),
    entry("perigee_index", perigee_index as InstructionHelper),
    entry("perigee_newindex", perigee_newindex as InstructionHelper),
    entry("perigee_setmulti", perigee_setmulti as MultresHelper),
    entry("perigee_table", perigee_table as InstructionHelper),
    entry("perigee_closure", perigee_closure as InstructionHelper),
    entry("perigee_upvalue", perigee_upvalue as InstructionHelper),
    entry("perigee_close", perigee_close as @convention(c) (Thread, Int, Int) -> Int),
    entry("perigee_call", perigee_call as MultresHelper),
    entry("perigee_tailcall", perigee_tailcall as MultresHelper),
    entry("perigee_iterate", perigee_iterate as InstructionHelper),
    entry("perigee_isnext", perigee_isnext as InstructionHelper),
    entry("perigee_varg", perigee_varg as InstructionHelper),
    entry("perigee_forprep", perigee_forprep as InstructionHelper),
    entry("perigee_instruction_limit", perigee_instruction_limit as InstructionHelper),
    entry("perigee_finish_call", perigee_finish_call as @convention(c) (Thread, Int) -> Int),
    entry("perigee_barrier_back", perigee_barrier_back as @convention(c) (Thread, UnsafeMutableRawPointer) -> Int),
    entry("perigee_move_results", perigee_move_results as FrameHelper3),
    entry("perigee_interpret_rest", perigee_interpret_rest as FrameHelper3),
    entry("perigee_despecialize", perigee_despecialize as FrameHelper3),
    entry("perigee_table_length", perigee_table_length as @convention(c) (UnsafeMutableRawPointer) -> Int),
    entry("perigee_new_table", perigee_new_table as @convention(c) (Int) -> UnsafeMutableRawPointer?),
    entry("perigee_duplicate_table", perigee_duplicate_table as @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer?),
    entry("perigee_materialize_table",
          perigee_materialize_table as @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer),
    entry("perigee_materialize_new_table", perigee_materialize_new_table as @convention(c) (Int) -> UnsafeMutableRawPointer),
    entry("perigee_materialize_store",
          perigee_materialize_store as @convention(c) (UnsafeMutableRawPointer, UInt64, UInt64) -> Int),
    entry("perigee_string_compare",
          perigee_string_compare as @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int),
    entry("perigee_type_name", perigee_type_name as @convention(c) (UInt64) -> UInt64),
    entry("perigee_fast_call", perigee_fast_call as @convention(c) (Thread, Int, Int, Int, Int) -> Int),
    entry("perigee_lookup", perigee_lookup as @convention(c) (UnsafeMutableRawPointer, UInt64, Slots64) -> Int),
    entry("perigee_store", perigee_store as @convention(c) (UnsafeMutableRawPointer, UInt64, UInt64) -> Int),
    entry("perigee_next_entry", perigee_next_entry as @convention(c) (UnsafeMutableRawPointer, Int, Slots64) -> Int),
    entry("perigee_upvalue_barrier", perigee_upvalue_barrier as @convention(c) (UnsafeMutableRawPointer, UInt64) -> Int),
    entry("perigee_cdata_site", perigee_cdata_site as @convention(c) (Slots64, UInt64, UInt64, Int) -> Int),
    entry("perigee_box_integer64", perigee_box_integer64 as @convention(c) (Thread, Int, Int, Int, UInt64) -> Int),
    entry("perigee_box_reference", perigee_box_reference as @convention(c) (Thread, Int, Int, Int, Int, UInt) -> Int),
    entry("perigee_c_call", perigee_c_call as @convention(c) (Slots64, Int64, Int64, UnsafePointer<UInt64>) -> Int64),
    entry("perigee_c_call_site", perigee_c_call_site as @convention(c) (Slots64, UInt64) -> Int),
]
