/// Metamethods the recorder calls inlined besides the operators' (see `callMetamethod`).
import PerigeeFrontend
import PerigeeRuntime

extension TraceRecorder {
    /// CALL or CALLM of a table whose `__call` is a Lua function: the handler called
    /// inlined. Nil when the callee is not such a table (nothing emitted); true when the
    /// trace ends at the handler.
    func recordTableCall(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>, _ pc: UnsafePointer<UInt32>) throws -> Bool? {
        try undoingOnAbort {
            guard let handler = try callHandler(call, frame) else { return nil }
            return try recordCall(CallShape(a: call.a, nargs: call.nargs + 1, wanted: call.wanted), frame, pc, callee: handler)
        }
    }

    /// CALLT or CALLMT of such a table: the handler replaces the frame.
    func recordTableTailCall(_ i: Instruction, nargs: Int, _ frame: UnsafeMutablePointer<Value>) throws -> Bool? {
        try undoingOnAbort {
            guard let handler = try callHandler(CallShape(a: i.ra, nargs: nargs, wanted: -1), frame) else { return nil }
            return try recordTailCall(i, nargs: nargs + 1, frame, callee: handler)
        }
    }

    /// Runs `body`, which changes the recorded slots before it may give up: when it does,
    /// the slots are as they were (a side trace that stops before the instruction leaves
    /// the interpreter the state the instruction expects).
    func undoingOnAbort<T>(_ body: () throws -> T) throws -> T {
        let saved = (slots, modified, frames, stackNeeded)
        do {
            return try body()
        } catch {
            (slots, modified, frames, stackNeeded) = saved
            throw error
        }
    }

    /// A table called like a function (`call`'s callee in register A): when its metatable's
    /// `__call` is a Lua function, guards that the metatable and the handler are the ones
    /// seen, then lays out the call as the interpreter does (the handler in the function's
    /// slot, the table as its first argument, the arguments one slot up) and answers the
    /// handler. Nil when it is not such a call (nothing is emitted).
    func callHandler(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>) throws -> Value? {
        let live = frame[call.a]
        guard live.isTable, let mt = live.table.pointee.metatable else { return nil }
        let handler = g.metamethod(.call, in: mt)
        guard handler.isFunction, handler.function.isLua else { return nil }
        let t = try read(offset + call.a, live)
        let args = try (0..<call.nargs).map { try read(offset + call.a + 2 + $0, frame[call.a + 2 + $0]) }
        emitGuard(.EQ, .pointer, ir.emit(.FLOAD, .pointer, t.raw, IRField.tableMetatable.rawValue),
                  ir.pointer(UInt64(UInt(bitPattern: mt))))
        let name = g.name(of: .call)
        let slot = hashSlot(ir.object(Value(table: mt), .table), mt, ir.object(Value(string: name), .string), name)
        let function = ir.object(handler, .function)
        emitGuard(.EQ, .function, try load(.HLOAD, slot, handler), function)
        write(offset + call.a, function)
        write(offset + call.a + 2, t)
        for (n, ref) in args.enumerated() { write(offset + call.a + 3 + n, ref) }
        stackNeeded = max(stackNeeded, offset + call.a + 3 + call.nargs + FrameLayout.entrySlack)
        return handler
    }
}
