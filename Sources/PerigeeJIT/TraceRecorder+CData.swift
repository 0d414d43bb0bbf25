/// cdata in traces: elements and members of C data read and written as C does it, by the
/// trace itself. `a[i]`, `p.x`, `ps[i].x = v` on a cdata whose C type the trace guards
/// (its type id, loaded from the object) become an address (the payload, or the address a
/// pointer or reference holds, plus a member's offset or index × element size) and a load
/// or store of the C scalar there with luajit's conversions. The layout, the member lookup
/// and the choice of what reads as a number are the runtime's (`runtime/FFI/CDataTrace.swift`,
/// on the interpreter's member cache), so a trace reads and writes exactly what the
/// interpreter would.
///
/// An aggregate element or member (`ps[i]`, a nested struct) reads as a reference cdata,
/// a pointer member (`node.next`) or pointer arithmetic (`p + n`) as a pointer cdata: the
/// trace keeps either as CREF, an address and a C type, and makes the object only where
/// the value must exist (an exit, a store into a table, a call through the runtime); its
/// own accesses need no type guard, the type being known. An `int64_t` or `uint64_t`
/// reads as its integer, kept unboxed (CNEWI, TraceRecorder+CArithmetic.swift). Also here:
/// `ffi.C.name` and direct calls of C functions, and pointers compared with nil. What this
/// file does not compile (other 64-bit integer types, which read as new cdata; bitfields;
/// const members; a metatype's `__index` for names that are no member) runs through the
/// runtime's index helpers, as before.
import PerigeeFrontend
import PerigeeRuntime

extension TraceRecorder {
    /// A cdata place the trace computes: its address (an IR pointer) and C type.
    private struct CDataPlace {
        let address: IRRef
        let type: CTypeID
    }

    /// The IR type a CSTORE of `storage` carries; a CLOAD's literal is its raw value.
    static func irType(_ storage: CScalarStorage) -> IRType {
        switch storage {
        case .int8: return .int8
        case .uint8: return .uint8
        case .int16: return .int16
        case .uint16: return .uint16
        case .int32: return .int
        case .uint32: return .uint32
        case .int64: return .int64
        case .uint64: return .uint64
        case .float: return .float
        case .double: return .number
        case .bool: return .true
        }
    }

    /// TGETV, TGETB, TGETS on a cdata: the element or member loaded by the trace. False when
    /// the trace does not compute this read (the runtime's helper runs it).
    func recordCDataRead(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        guard let plan = cdataPlan(i, frame) else { return false }
        let result: IRRef
        if let storage = g.cdataStorage(plan.type, forStore: false) {
            let place = try emitPlace(plan, i, frame)
            if storage == .bool {
                // A bool reads as a Lua boolean: its value is guarded, as a loaded type is.
                guard let live = g.cdataIndexValue(frame[i.rb], plan.liveKey), live.isBoolean else { return false }
                let type: IRType = live.isTrue ? .true : .false
                emitGuard(.CLOAD, type, place.address, IRRef(raw: UInt16(storage.rawValue)))
                result = ir.primitive(type)
            } else {
                result = ir.emit(.CLOAD, .number, place.address.raw, UInt16(storage.rawValue))
            }
        } else if let unsigned = g.cdataInteger64Type(plan.type) {
            // An int64_t or uint64_t reads as a new cdata: the trace keeps the integer.
            let place = try emitPlace(plan, i, frame)
            let type: IRType = unsigned ? .uint64 : .int64
            let storage: CScalarStorage = unsigned ? .uint64 : .int64
            result = boxedInteger64(ir.emit(.CLOAD, type, place.address.raw, UInt16(storage.rawValue)), type)
        } else if g.cdataIsPlainPointer(plan.type), plan.type <= CTypeID(UInt16.max) {
            // A pointer reads as a new pointer cdata: the trace keeps the address it holds.
            let place = try emitPlace(plan, i, frame)
            let address = ir.emit(.CLOAD, .pointer, place.address.raw, CTraceStorage.pointer)
            result = ir.emit(.CREF, .cdata, address.raw, UInt16(plan.type))
            allocates = true
        } else if let reference = g.cdataReferenceType(plan.type), reference <= CTypeID(UInt16.max) {
            let place = try emitPlace(plan, i, frame)
            result = ir.emit(.CREF, .cdata, place.address.raw, UInt16(reference))
            // Made where it must exist, maybe inside the loop: the collector's debt is checked.
            allocates = true
        } else {
            return false
        }
        write(offset + i.ra, result)
        return true
    }

    /// TSETV, TSETB, TSETS on a cdata: a number, boolean or 64-bit integer stored by the
    /// trace, converted to the C type. False when the trace does not compute this store.
    func recordCDataWrite(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let live = frame[i.ra]
        let integer = g.cdataInteger64(live)
        guard live.isNumber || live.isBoolean || integer != nil, let plan = cdataPlan(i, frame),
              let storage = g.cdataStorage(plan.type, forStore: true) else { return false }
        var value: IRRef
        if let integer {
            // Its 64 bits, converted from an integer (TraceLowering+CData).
            value = try integer64Operand(i.ra, live, integer ? .uint64 : .int64)
        } else {
            value = try read(offset + i.ra, live)
        }
        if live.isBoolean { value = ir.number(live.isTrue ? 1 : 0) }
        let place = try emitPlace(plan, i, frame)
        ir.emit(.CSTORE, TraceRecorder.irType(storage), place.address, value)
        return true
    }

    /// What a cdata access will compute, decided on the live values before anything is
    /// emitted: the object's own C type (or the reference the trace made), the element or
    /// member type and its constant offset, and whether a number index scales by a size.
    private struct CDataPlan {
        /// The object's guarded type id (nil for a CREF, whose type is known).
        let guardedID: CTypeID?
        /// The object holds an address (a pointer or reference cdata) rather than its data.
        let indirect: Bool
        /// Indexing through a pointer (the pointer value itself is what is indexed).
        let throughPointer: Bool
        let type: CTypeID
        /// A member's offset, or a constant index's byte offset.
        let offset: Int
        /// A number index register to scale by `elementSize` (nil for members and constants).
        let indexRegister: Int?
        let elementSize: Int
        let liveKey: Value
    }

    private func cdataPlan(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) -> CDataPlan? {
        let op = i.verifiedOpcode
        let object = frame[i.rb]
        let liveKey: Value
        switch op {
        case .TGETS, .TSETS: liveKey = k[-1 - i.rc]
        case .TGETB, .TSETB: liveKey = Value(number: Double(i.rc))
        default: liveKey = frame[i.rc]
        }
        // The object: a reference the trace made (type known), or a cdata guarded on its type.
        var guardedID: CTypeID? = nil
        var indirect = false
        var id: CTypeID
        var knownPointer = false
        if let ref = slots[offset + i.rb], !ref.isConstant, ir[ref].op == .CREF {
            guard let t = g.cdataTraceType(CTypeID(ir[ref].op2)) else { return nil }
            if t.kind == .pointer {
                // A pointer the trace loaded or computed: the CREF's operand is its value.
                id = t.id
                knownPointer = true
            } else {
                id = t.element
            }
        } else {
            id = g.cdataTypeID(object)
            guardedID = id
            guard let t = g.cdataTraceType(id) else { return nil }
            if t.kind == .reference {
                indirect = true
                id = t.element
            }
        }
        guard var t = g.cdataTraceType(id) else { return nil }
        var throughPointer = false
        if t.kind == .pointer {
            // Only a pointer cdata itself (its address is its payload) is indexed here.
            guard !indirect, guardedID != nil || knownPointer, let pointee = g.cdataTraceType(t.element) else { return nil }
            throughPointer = true
            if liveKey.isString {
                guard pointee.kind == .record else { return nil }
                t = pointee
            }
        }
        if liveKey.isNumber {
            guard t.kind == .array || throughPointer else { return nil }
            let element = t.element
            let size = g.cdataSize(element)
            guard size > 0, size <= Int(UInt16.max) else { return nil }
            // A constant index (TGETB) is a constant offset.
            let constant = op == .TGETB || op == .TSETB
            return CDataPlan(guardedID: guardedID, indirect: indirect, throughPointer: throughPointer,
                             type: element, offset: constant ? i.rc * size : 0, indexRegister: constant ? nil : i.rc,
                             elementSize: size, liveKey: liveKey)
        }
        guard liveKey.isString, t.kind == .record, let member = g.cdataMember(t.id, liveKey.string),
              member.offset <= Int(Int32.max) else { return nil }
        return CDataPlan(guardedID: guardedID, indirect: indirect, throughPointer: throughPointer,
                         type: member.type, offset: member.offset, indexRegister: nil, elementSize: 0, liveKey: liveKey)
    }

    /// Emits the guards and the address of a planned access.
    private func emitPlace(_ plan: CDataPlan, _ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> CDataPlace {
        let object = try read(offset + i.rb, frame[i.rb])
        var base: IRRef
        if let id = plan.guardedID {
            emitGuard(.EQ, .int, ir.emit(.FLOAD, .int, object.raw, IRField.cdataType.rawValue), ir.int(id))
            if plan.indirect || plan.throughPointer {
                base = ir.emit(.FLOAD, .pointer, object.raw, IRField.cdataAddress.rawValue)
                // A NULL pointer is the runtime's error to report.
                emitGuard(.NE, .pointer, base, ir.pointer(0))
            } else {
                base = ir.emit(.FREF, .pointer, object.raw, IRField.cdataPayload.rawValue)
            }
        } else {
            // A reference the trace made: its address; a pointer: the address it holds.
            base = ir[object].ref1
            if plan.throughPointer { emitGuard(.NE, .pointer, base, ir.pointer(0)) }
        }
        let op = i.verifiedOpcode
        if plan.liveKey.isString && (op == .TGETV || op == .TSETV) {
            // A member named by a register: the same (interned) string.
            emitGuard(.EQ, .string, try read(offset + i.rc, plan.liveKey), ir.object(plan.liveKey, .string))
        }
        if let r = plan.indexRegister {
            let index = try read(offset + r, frame[r])
            if let d = ir.numberValue(index), d == d.rounded(), abs(d) * Double(plan.elementSize) < Double(Int32.max) {
                base = ir.emit(.CADDR, .pointer, base, ir.int(Int32(d) * Int32(plan.elementSize)))
            } else {
                base = ir.emit(.CADDR, .pointer, base, ir.emit(.CINDEX, .int64, index.raw, UInt16(plan.elementSize)))
            }
            return CDataPlace(address: base, type: plan.type)
        }
        return CDataPlace(address: ir.emit(.CADDR, .pointer, base, ir.int(Int32(plan.offset))), type: plan.type)
    }
}

/// CLOAD's literal for an address loaded as it is (a pointer member or element), beside
/// the `CScalarStorage` raw values.
enum CTraceStorage {
    static let pointer: UInt16 = 0xFF
}

/// A C function a trace calls (CCALL), with the cell `ffi.errno()` reads.
struct CFunctionCall {
    let function: CTraceFunction
    let errnoCell: UInt64
}

extension TraceRecorder {
    /// `lib.name` (TGETS) of a C library namespace that handed out function `name` before:
    /// that function cdata, a constant (the namespace guarded; its cache never changes).
    func recordCLibraryRead(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        guard i.verifiedOpcode == .TGETS else { return false }
        let lib = frame[i.rb]
        guard let f = g.cdataLibraryFunction(lib, k[-1 - i.rc]) else { return false }
        emitGuard(.EQ, .userdata, try read(offset + i.rb, lib), ir.object(lib, .userdata))
        write(offset + i.ra, ir.object(f, .cdata))
        return true
    }

    /// A call of a C function whose signature the trace converts itself (numbers to
    /// 32/64-bit integers, floats and doubles; the result back to a number), guarded to be
    /// the function seen: a direct call of its address, `errno` kept as the runtime keeps
    /// it. While callbacks into Lua exist, C code may run Lua code, which it cannot do while
    /// the trace holds its state in registers: every cdata call then runs through the
    /// runtime, on the state written back (the callback runs in the interpreter, and the
    /// call happens once). Other calls of a cdata with a fixed result count run through the
    /// runtime too; false for the rest. A C function gives one result or none, so a call
    /// whose results all go on (`floor(pow(x, y))`, `tonumber(strlen(s))`) gives that many.
    func recordCCall(_ call: CallShape, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        let live = frame[call.a]
        let results = g.cdataFunctionResults(live)
        guard call.wanted >= 0 || results != nil else { return false }
        guard !g.ffiCallbacksExist, let f = g.cdataCallable(live), f.parameters.count == call.nargs,
              (0..<call.nargs).allSatisfy({ n in
                  f.textParameters.contains(n) ? frame[call.a + 2 + n].isString : frame[call.a + 2 + n].isNumber
              }) else {
            // Any other call of a cdata (other signatures, a ctype's constructor, a metatype's
            // __call): as the interpreter makes it.
            for n in 0..<call.nargs where TraceRecorder.type(of: frame[call.a + 2 + n]) == nil { return false }
            runInRuntime(.call, failingCallee: call.a + 2)
            if call.wanted < 0, let results {
                multres = results
                multresFresh = true
            }
            return true
        }
        let callee = try read(offset + call.a, live)
        let constant = ir.object(live, .cdata)
        if callee != constant { emitGuard(.EQ, .cdata, callee, constant) }
        var chain = IRRef.none
        for n in 0..<call.nargs {
            let argument = try read(offset + call.a + 2 + n, frame[call.a + 2 + n])
            chain = chain == .none ? argument : ir.emit(.CARG, .nil, chain, argument)
        }
        ir.cFunctions.append(CFunctionCall(function: f, errnoCell: UInt64(UInt(bitPattern: g.ffiErrnoCell))))
        // A guard: no callback exists when the call is made (a trace recorded before one was
        // made leaves before the call, and the interpreter makes it; see TraceLowering+CData).
        // A 64-bit integer result stays unboxed, its cdata made only where needed.
        let type: IRType = f.result == .int64 ? .int64 : f.result == .uint64 ? .uint64 : f.result == nil ? .nil : .number
        let result = emitGuard(.CCALL, type, chain, IRRef(raw: UInt16(ir.cFunctions.count - 1)))
        let delivered = type == .int64 || type == .uint64 ? boxedInteger64(result, type) : result
        deliver(f.result == nil ? [] : [delivered], to: offset + call.a, wanted: call.wanted)
        return true
    }
}

extension TraceRecorder {
    /// `p == nil` / `p ~= nil` for a pointer cdata `p` (a NULL pointer equals nil): its C
    /// type guarded, its address guarded NULL or not as it is now. False for other cdata.
    func recordPointerIsNull(_ x: IRRef, _ live: Value) throws -> Bool {
        if !x.isConstant && ir[x].op == .CREF {
            // A pointer the trace loaded or computed: the address it holds.
            guard g.cdataTraceType(CTypeID(ir[x].op2))?.kind == .pointer else { return false }
            emitGuard(g.cdataIsNull(live) ? .EQ : .NE, .pointer, ir[x].ref1, ir.pointer(0))
            return true
        }
        let id = g.cdataTypeID(live)
        guard let t = g.cdataTraceType(id), t.kind == .pointer else { return false }
        emitGuard(.EQ, .int, ir.emit(.FLOAD, .int, x.raw, IRField.cdataType.rawValue), ir.int(id))
        let address = ir.emit(.FLOAD, .pointer, x.raw, IRField.cdataAddress.rawValue)
        emitGuard(g.cdataIsNull(live) ? .EQ : .NE, .pointer, address, ir.pointer(0))
        return true
    }
}

extension TraceRecorder {
    /// `p + n`, `p - n`, `n + p` for a pointer or array cdata `p` and a number `n`: the
    /// address moved by n elements, a new pointer cdata the trace keeps as its address
    /// (CREF) until it must exist. False for other operands (the runtime's arithmetic).
    func recordPointerArithmetic(_ i: Instruction, _ frame: UnsafeMutablePointer<Value>) throws -> Bool {
        guard let form = i.verifiedOpcode.arithmetic, form.op == .add || form.op == .sub else { return false }
        let pointerRegister: Int, number: () throws -> IRRef, liveNumber: Value
        switch form.operands {
        case .variableNumber:
            pointerRegister = i.rb
            liveNumber = k[i.rc]
            number = { self.ir.number(liveNumber.number) }
        case .variableVariable where frame[i.rb].isCData && frame[i.rc].isNumber:
            pointerRegister = i.rb
            liveNumber = frame[i.rc]
            number = { try self.read(self.offset + i.rc, liveNumber) }
        case .variableVariable where form.op == .add && frame[i.rc].isCData && frame[i.rb].isNumber:
            pointerRegister = i.rc
            liveNumber = frame[i.rb]
            number = { try self.read(self.offset + i.rb, liveNumber) }
        case .numberVariable where form.op == .add:
            pointerRegister = i.rb
            liveNumber = k[i.rc]
            number = { self.ir.number(liveNumber.number) }
        default:
            return false
        }
        let live = frame[pointerRegister]
        guard live.isCData, liveNumber.isNumber else { return false }
        // The address the operand stands for and its element type.
        let object = slots[offset + pointerRegister]
        let address: () throws -> IRRef
        let element: CTypeID
        if let ref = object, !ref.isConstant, ir[ref].op == .CREF {
            guard let t = g.cdataTraceType(CTypeID(ir[ref].op2)) else { return false }
            if t.kind == .pointer {
                element = t.element
            } else if t.kind == .reference, let target = g.cdataTraceType(t.element), target.kind == .array {
                element = target.element
            } else {
                return false
            }
            address = { self.ir[ref].ref1 }
        } else {
            let id = g.cdataTypeID(live)
            guard let t = g.cdataTraceType(id), t.kind == .pointer || t.kind == .array else { return false }
            element = t.element
            address = {
                let p = try self.read(self.offset + pointerRegister, live)
                self.emitGuard(.EQ, .int, self.ir.emit(.FLOAD, .int, p.raw, IRField.cdataType.rawValue), self.ir.int(id))
                return t.kind == .pointer ? self.ir.emit(.FLOAD, .pointer, p.raw, IRField.cdataAddress.rawValue)
                    : self.ir.emit(.FREF, .pointer, p.raw, IRField.cdataPayload.rawValue)
            }
        }
        let size = g.cdataSize(element)
        guard size > 0, size <= Int(UInt16.max) else { return false }
        let result = g.cdataPointerType(to: element)
        guard result <= CTypeID(UInt16.max) else { return false }
        let base = try address()
        var n = try number()
        if form.op == .sub { n = ir.emit(.NEG, .number, n) }
        let moved = ir.emit(.CADDR, .pointer, base, ir.emit(.CINDEX, .int64, n.raw, UInt16(size)))
        write(offset + i.ra, ir.emit(.CREF, .cdata, moved.raw, UInt16(result)))
        allocates = true
        return true
    }
}
