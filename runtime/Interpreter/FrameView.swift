/// Each instruction's slow path, once: the interpreter's handlers and the helpers compiled
/// code calls are two thin doors into these operations on a frame. The ones that run in
/// loops (tables, closures, varargs, iterator calls) inline into both doors. An operation answers nil
/// when done, or `.error` with the error value set (the caller adds the traceback and
/// unwinds, each engine in its own way).
import PerigeeFrontend

/// A Lua frame as the slow paths see it, whichever engine runs it: the thread, the frame's
/// base slot, its closure and the index of the running instruction. Making one publishes
/// the frame to the thread (`L.base`, and `L.top` at the end of its registers).
struct FrameView {
    /// Unowned: the VM outlives every instruction (no retain and release per slow path).
    unowned(unsafe) let vm: LuaVM
    let L: ThreadRef
    let base: Int
    let closure: FunctionRef
    let pc: Int

    /// `top`: the thread's top to publish (nil: the end of the frame's registers).
    @inline(__always) init(_ vm: LuaVM, _ L: ThreadRef, base: Int, pc: Int, top: Int? = nil) {
        self.init(vm, L, base: base, closure: L.pointee.stack[base + FrameLayout.functionSlot].function, pc: pc, top: top)
    }

    /// The frame of `closure`, already known to the caller.
    @inline(__always) init(_ vm: LuaVM, _ L: ThreadRef, base: Int, closure: FunctionRef, pc: Int, top: Int? = nil) {
        self.vm = vm
        self.L = L
        self.base = base
        self.pc = pc
        self.closure = closure
        L.pointee.base = UInt32(base)
        L.pointee.top = UInt32(top ?? base + Int(closure.proto.pointee.frameSize))
    }

    var g: GlobalRef { vm.g }

    /// Register `i` (re-read from the stack, which may have moved).
    @inline(__always) subscript(i: Int) -> Value {
        get { L.pointee.stack[base + i] }
        nonmutating set { L.pointee.stack[base + i] = newValue }
    }

    /// Number constant `d` at `k[d]`, object constant `d` at `k[-1 - d]`.
    @inline(__always) var k: UnsafeMutablePointer<Value> { closure.proto.pointee.numbers }

    /// The address of the running instruction.
    var instructionAddress: UnsafePointer<UInt32> { UnsafePointer(closure.proto.pointee.bytecode + pc) }

    /// The PC after this instruction, as frame links and continuations record it.
    var resumePC: UnsafePointer<UInt32> { instructionAddress + 1 }

    /// Raises `message` at this instruction's position.
    func error(_ message: String) -> CallStatus { vm.errorAt(L, closure, pc, message) }

    func outOfMemory() -> CallStatus { vm.outOfMemory(L) }

    // MARK: Operators

    /// The operands of an arithmetic instruction (UNM included) and the registers they came
    /// from (-1 for a constant), for the error message.
    func arithmeticOperands(_ i: Instruction) -> (x: Value, y: Value, slots: (Int, Int)) {
        switch i.verifiedOpcode.arithmetic.unsafelyUnwrapped.operands {
        case .unary: return (self[i.rd], self[i.rd], (i.rd, i.rd))
        case .variableNumber: return (self[i.rb], k[i.rc], (i.rb, -1))
        case .numberVariable: return (k[i.rc], self[i.rb], (-1, i.rb))
        case .variableVariable: return (self[i.rb], self[i.rc], (i.rb, i.rc))
        }
    }

    /// Arithmetic whose operands `x`, `y` are not both numbers: coercion or a metamethod.
    func arithmeticFallback(_ i: Instruction, _ x: Value, _ y: Value) -> MetaOutcome {
        let form = i.verifiedOpcode.arithmetic.unsafelyUnwrapped
        return vm.resolveArithmetic(L, closure, pc, form.op, x, y, operandSlots: arithmeticOperands(i).slots)
    }

    /// LEN of something other than a string or a table.
    func lengthFallback(_ i: Instruction, _ v: Value) -> MetaOutcome {
        vm.resolveLength(L, closure, pc, v, slot: i.rd)
    }

    /// The key of a TGET*/TSET* instruction.
    func tableKey(_ i: Instruction) -> Value {
        switch i.verifiedOpcode {
        case .TGETS, .TSETS: return k[-1 - i.rc]
        case .TGETB, .TSETB: return Value(number: Double(i.rc))
        default: return self[i.rc]
        }
    }

    /// GSET, TSETV, TSETS, TSETB, TSETR whose fast path could not store.
    func storeFallback(_ i: Instruction) -> MetaOutcome {
        if i.verifiedOpcode == .GSET {
            let env = closure.pointee.env.unsafelyUnwrapped
            return vm.resolveNewIndex(L, closure, pc, Value(table: env), k[-1 - i.rd], self[i.ra], slot: -1)
        }
        return vm.resolveNewIndex(L, closure, pc, self[i.rb], tableKey(i), self[i.ra], slot: i.rb)
    }

    // MARK: Objects

    /// TNEW, TDUP.
    @inline(__always)
    func newTable(_ i: Instruction) -> CallStatus? {
        let g = self.g
        let t = i.verifiedOpcode == .TNEW ? g.newTable(sizes: i.rd) : g.duplicateTable(k[-1 - i.rd].table)
        guard let t else { return outOfMemory() }
        self[i.ra] = Value(table: t)
        return g.checkGC() ? nil : .error
    }

    /// FNEW: a closure of the prototype constant D, its upvalues from this frame's registers
    /// or this closure's upvalues.
    @inline(__always)
    func newClosure(_ i: Instruction) -> CallStatus? {
        let g = self.g
        let p = k[-1 - i.rd].proto
        p.pointee.flags |= p.pointee.flags & ProtoFlag.closureMade != 0 ? ProtoFlag.manyClosures : ProtoFlag.closureMade
        guard let f = g.newLuaClosure(p, env: closure.pointee.env) else { return outOfMemory() }
        self[i.ra] = Value(function: f)
        let descriptors = p.pointee.upvalueDescriptors
        for n in 0..<Int(p.pointee.upvalueCount) {
            let d = descriptors[n]
            if d & upvalueIsLocal != 0 {
                guard let uv = L.findUpvalue(slot: base + Int(d & 0xff), g) else { return outOfMemory() }
                f.setUpvalue(n, uv, g)
            } else {
                f.setUpvalue(n, closure.upvalueObjects[Int(d)].unsafelyUnwrapped, g)
            }
        }
        return g.checkGC() ? nil : .error
    }

    /// USETS, USETN, USETP (USETV is inline in every engine).
    @inline(__always)
    func setUpvalue(_ i: Instruction) {
        let value: Value
        switch i.verifiedOpcode {
        case .USETS: value = k[-1 - i.rd]
        case .USETN: value = k[i.rd]
        default: value = primitive(i.rd)
        }
        closure.upvalueObjects[i.ra].unsafelyUnwrapped.set(value, g)
    }

    /// TSETM's first index, from its operand D: a number constant holding it plus 2^52.
    @inline(__always) static func storeMultipleStart(_ constant: Value) -> Int {
        Int(constant.number - 4_503_599_627_370_496)
    }

    /// TSETM: stores registers A ..< A + `count` at t[start...], t in register A - 1 (a table
    /// in emitted code; checked for bytecode loaded from a dump). Leaves `L.top` after them.
    @inline(__always)
    func storeMultiple(_ i: Instruction, count: Int) -> CallStatus? {
        let a = i.ra
        guard self[a - 1].isTable else { return error("internal error: TSETM on a non-table") }
        let start = FrameView.storeMultipleStart(k[i.rd])
        L.pointee.top = UInt32(base + a + count)
        return vm.storeMultiple(self[a - 1].table, from: L.pointee.stack + base + a, count: count, at: start) ? nil : outOfMemory()
    }

    /// VARG: copies the varargs (below the frame, after the fixed parameters) to register A.
    /// For a multiple-result VARG, their number (the stack may have grown).
    @inline(__always)
    func varargs(_ i: Instruction) -> (status: CallStatus?, count: Int) {
        let a = i.ra
        let delta = self[FrameLayout.linkSlot].frameValue
        let params = Int(closure.proto.pointee.parameterCount)
        let available = max(0, delta - 2 - params)
        let wanted = i.rb - 1
        if wanted >= 0 {
            let stack = L.pointee.stack
            for n in 0..<wanted { stack[base + a + n] = n < available ? stack[base - delta + params + n] : .nil }
            return (nil, 0)
        }
        let needed = base + a + available + FrameLayout.entrySlack
        if needed > Int(L.pointee.stackSize) && !L.ensureStack(needed - Int(L.pointee.top), g) {
            return (error("stack overflow"), 0)
        }
        let stack = L.pointee.stack
        for n in 0..<available { stack[base + a + n] = stack[base - delta + params + n] }
        L.pointee.top = UInt32(max(Int(L.pointee.top), base + a + available))
        return (nil, available)
    }

    // MARK: Loops and calls

    /// FORI: checks and converts the loop's control values (numeric strings are converted and
    /// stored back). True to enter the loop, false to skip it, nil after an error.
    func forPrepare(_ i: Instruction) -> Bool? {
        let a = i.ra
        guard let start = vm.forNumber(self[a]), let stop = vm.forNumber(self[a + 1]),
              let step = vm.forNumber(self[a + 2]) else {
            let what = vm.forNumber(self[a]) == nil ? "initial value" : (vm.forNumber(self[a + 1]) == nil ? "limit" : "step")
            _ = error("'for' \(what) must be a number")
            return nil
        }
        self[a] = Value(number: start); self[a + 1] = Value(number: stop); self[a + 2] = Value(number: step)
        guard step >= 0 ? start <= stop : start >= stop else { return false }
        self[a + 3] = Value(number: start)
        return true
    }

    /// ISNEXT: when the loop really runs `next` over a table, a hidden traversal position
    /// (0) replaces the key and ITERN steps it in place (true); otherwise the pair becomes a
    /// plain JMP/ITERC for good (false).
    func beginNextTraversal(_ i: Instruction) -> Bool {
        let a = i.ra
        if self[a - 3].isFunction && self[a - 3].function == vm.nextFunction && self[a - 2].isTable && self[a - 1].isNil {
            self[a - 1] = Value(number: 0)
            return true
        }
        vm.despecializeIterator(instructionAddress)
        return false
    }

    /// ITERC (and ITERN not over `next`): the call base[A-3](base[A-2], base[A-1]) set up
    /// from register A, a callable value's `__call` in place. Its argument count, or nil
    /// after an error.
    @inline(__always)
    func iteratorCall(_ i: Instruction) -> Int? {
        let a = i.ra
        self[a] = self[a - 3]
        self[a + 2] = self[a - 2]
        self[a + 3] = self[a - 1]
        var n = 2
        L.pointee.top = UInt32(base + a + 4)
        if !self[a].isFunction && !resolveCall(a, &n, errorSlot: a - 3) { return nil }
        return n
    }

    /// A call of register `a` holding something other than a function, with `n` arguments
    /// up to `L.top`: its `__call` goes in place (n grows by one). False after "attempt to
    /// call" naming register `errorSlot`.
    func resolveCall(_ a: Int, _ n: inout Int, errorSlot: Int) -> Bool {
        guard vm.resolveCallable(L, base + a, &n) else {
            _ = vm.callError(L, closure, pc, slot: errorSlot)
            return false
        }
        return true
    }
}
