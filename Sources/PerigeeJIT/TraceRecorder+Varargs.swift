/// Varargs in traces, recorded as the interpreter lays them out: a vararg function's FUNCV
/// moves its frame above its arguments (the function and its fixed parameters go up, the
/// varargs stay where the call put them, the new link holds the distance back), VARG copies
/// them from there. An inlined call knows its argument count; a trace's first frame learns it
/// from its link, which a guard pins (the trace specializes on the count, as luajit's does).
import PerigeeFrontend
import PerigeeRuntime

extension UnsafeMutablePointer where Pointee == GCProto {
    var isVarargFunction: Bool { pointee.flags & ProtoFlag.vararg != 0 }

    /// The stack a call of this function with `nargs` arguments needs above its base (a
    /// vararg function's frame moves above its arguments).
    func frameNeeded(nargs: Int) -> Int {
        Int(pointee.frameSize) + (isVarargFunction ? nargs + FrameLayout.varargMoveSlots : 0) + FrameLayout.entrySlack
    }
}

extension TraceRecorder {
    /// A vararg function's fixed parameters, read at its call (frame at slot `callBase`,
    /// arguments at `args`): FUNCV moves them, and must not need guards of its own (the
    /// interpreter cannot go on at a FUNCV).
    func readMovedParameters(_ p: ProtoRef, at callBase: Int, nargs: Int, _ args: UnsafeMutablePointer<Value>) throws {
        for n in 0..<min(nargs, Int(p.pointee.parameterCount)) { _ = try read(callBase + n, args[n]) }
    }

    /// FUNCV of an inlined call: the frame moves above the call's arguments as the
    /// interpreter moves it (the function, the vararg link, the fixed parameters; their old
    /// slots become nil).
    func recordVarargEntry(_ frame: UnsafeMutablePointer<Value>) throws {
        guard let nargs = current.pendingArguments else {
            throw TraceAbort("NYI: vararg function entered outside the trace", endsSideTrace: false)
        }
        let p = current.proto, params = Int(p.pointee.parameterCount)
        let old = offset, new = old + nargs + 2
        let function = try read(old + FrameLayout.functionSlot, frame[FrameLayout.functionSlot])
        let moved = try (0..<min(params, nargs)).map { try read(old + $0, frame[$0]) }
        write(new + FrameLayout.functionSlot, function)
        write(new + FrameLayout.linkSlot, ir.pointer(FrameLayout.varargLink(distance: new - old)))
        for n in 0..<params { write(new + n, n < nargs ? moved[n] : .nil) }
        for n in 0..<moved.count { write(old + n, .nil) }
        let last = frames.count - 1
        frames[last].offset = new
        frames[last].varargBase = old
        frames[last].varargCount = max(0, nargs - params)
        frames[last].pendingArguments = nil
    }

    /// The running vararg function's varargs: how many, and the trace-relative slot of the
    /// first. The trace's first frame reads its link once, guarded to stay the same.
    func varargLayout(_ frame: UnsafeMutablePointer<Value>) throws -> (count: Int, first: Int) {
        let params = Int(current.proto.pointee.parameterCount)
        if let base = current.varargBase { return (current.varargCount, base + params) }
        let link = frame[FrameLayout.linkSlot]
        guard current.pendingArguments == nil, let distance = FrameLayout.varargDistance(link) else {
            throw TraceAbort("NYI: vararg frame without its link")
        }
        let linkRef = ir.emit(.SLOAD, .pointer, UInt16(bitPattern: Int16(offset + FrameLayout.linkSlot)), 0)
        emitGuard(.EQ, .pointer, linkRef, ir.pointer(link.bits))
        let last = frames.count - 1
        frames[last].varargBase = offset - distance
        frames[last].varargCount = max(0, distance - 2 - params)
        return (frames[last].varargCount, offset - distance + params)
    }

    /// Where the running frame's function was called: its base, or a vararg frame's
    /// original one (a tail call replaces the frame from there).
    func callBase(_ frame: UnsafeMutablePointer<Value>) throws -> Int {
        guard current.proto.isVarargFunction else { return offset }
        if current.varargBase == nil { _ = try varargLayout(frame) }
        return current.callOffset
    }

    /// VARG: B-1 varargs (nil for those missing) into the registers from A, or all of them,
    /// which the next CALLM, RETM or TSETM counts.
    func recordVarargs(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        let (count, first) = try varargLayout(frame)
        func vararg(_ n: Int) throws -> IRRef { try read(first + n, frame[first + n - offset]) }
        let wanted = i.rb - 1
        if wanted >= 0 {
            for n in 0..<wanted { write(offset + i.ra + n, n < count ? try vararg(n) : .nil) }
            return
        }
        deliver(try (0..<count).map(vararg), to: offset + i.ra, wanted: -1)
        stackNeeded = max(stackNeeded, offset + i.ra + count + FrameLayout.entrySlack)
    }

    /// TSETM (`{...}`, `{f()}`): the stores run through the runtime, as the interpreter
    /// runs them (the table grows as luajit's does).
    func recordStoreMultiple(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws {
        guard let multres, frame[i.ra - 1].isTable else { throw TraceAbort.nyi(.TSETM) }
        runInRuntime(.setmulti, multres: multres)
    }

    /// `select('#', ...)` and `select(k, ...)` for a k the trace holds as a constant: the
    /// count, or the arguments from k on (after a guard on the callee, and on a '#' that
    /// may come from a register). Nil when the call is not such a one (nothing emitted);
    /// the runtime answers the others (errors included).
    func selectResults(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>) throws -> [IRRef]? {
        let callee = frame[call.a]
        guard callee.isFunction, FastBuiltin(id: callee.function.pointee.ffid) == .select, call.nargs >= 1 else { return nil }
        let selector = frame[call.a + 2], count = call.nargs - 1
        func argument(_ n: Int) throws -> IRRef { try read(offset + call.a + 2 + n, frame[call.a + 2 + n]) }
        let start: Int
        if selector.isString, let hash = g.intern("#"), selector.string == hash {
            start = -1
        } else if selector.isNumber, selector.number == selector.number.rounded(), abs(selector.number) <= Double(count + 1),
                  slots[offset + call.a + 2]?.isConstant ?? false {
            let k = Int(selector.number)
            guard k != 0, k >= -count else { return nil }
            start = k > 0 ? min(k - 1, count) : count + k
        } else {
            return nil
        }
        emitGuard(.EQ, .function, try read(offset + call.a, callee), ir.object(callee, .function))
        if start < 0 {
            let hashRef = try argument(0)
            if !hashRef.isConstant { emitGuard(.EQ, .string, hashRef, ir.object(selector, .string)) }
            return [ir.number(Double(count))]
        }
        return try (start..<count).map { try argument(1 + $0) }
    }

    /// `unpack(t)` of a table of at most `maxUnpacked` elements: the elements, read as `t[k]`
    /// is read, after guards on the callee and on the table's length (`#t`, which unpack
    /// counts, as the one seen). Nil when the call is not such a one (nothing emitted); the
    /// runtime answers the others.
    func unpackResults(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>) throws -> [IRRef]? {
        let callee = frame[call.a]
        guard callee.isFunction, FastBuiltin(id: callee.function.pointee.ffid) == .unpack, call.nargs == 1,
              frame[call.a + 2].isTable else { return nil }
        let table = frame[call.a + 2].table
        let count = table.length()
        // Elements in the array part only (AREF guards each index is inside it).
        guard count <= TraceRecorder.maxUnpacked, count < Int(table.pointee.arrayLimit) || count == 0 else { return nil }
        emitGuard(.EQ, .function, try read(offset + call.a, callee), ir.object(callee, .function))
        let t = try read(offset + call.a + 2, frame[call.a + 2])
        emitGuard(.EQ, .number, ir.emit(.ALEN, .number, t), ir.number(Double(count)))
        return try (1...max(count, 1)).prefix(count).map { k in
            let slot = emitGuard(.AREF, .pointer, t, ir.number(Double(k)))
            return try load(.ALOAD, slot, table.pointee.array.unsafelyUnwrapped[k - 1])
        }
    }

    static let maxUnpacked = 16
}

