/// C calls without libffi, for the interpreter and for compiled code that calls through
/// the runtime: a function whose parameters are numbers and pointers, at most 6 of the
/// integer class and 8 floating-point ones, and whose result is a scalar or nothing, is
/// called with its arguments put straight into the argument registers
/// (`perigee_register_args` in CSupport.h says why one call shape fits them all). The
/// arguments must convert without error (numbers for number parameters; a string, for a
/// `void *` or `char *` parameter, or nil for any pointer); anything else takes the
/// general path (`callC`), which converts, calls through libffi and reports errors as
/// before. Conversions are the general path's own (`CTypeCore.store`, `cValue`).
import CSupport
import Glibc

/// How each argument of a C function type goes into the registers, worked out beside its
/// call plan (nil when the type does not fit).
struct CRegisterPlan {
    /// (Their raw values are `PERIGEE_C_ARGUMENT_*`, CFunctionCalls.h.)
    enum Argument: UInt8 { case double, float, integer, pointer, text }
    enum Result: UInt8 { case void, double, float, other }

    /// Per parameter: its kind (high byte) and its register (an index into `i` or `d` of
    /// the arguments, low byte). Allocated once, kept for the state's life (as the call
    /// plans are).
    let arguments: UnsafeMutablePointer<UInt16>
    /// The parameters' C types (the call plan's own list).
    let types: UnsafeBufferPointer<CTypeID>
    let result: Result
    let resultType: CTypeID
    var count: Int { types.count }

    init?(_ function: CTypeID, _ parameters: UnsafeBufferPointer<CTypeID>, _ table: CTypeTable) {
        #if !(os(Linux) && (arch(x86_64) || arch(arm64)))
        return nil  // The register files are those of these ABIs only.
        #endif
        var integers = 0, floats = 0
        var list: [UInt16] = []
        for id in parameters {
            let t = table.core(id)
            let kind: Argument
            switch t.kind {
            case .float where t.size == 8: kind = .double
            case .float where t.size == 4: kind = .float
            case .integer where t.size <= 8, .enumeration: kind = .integer
            case .pointer:
                let pointee = table.core(t.element)
                kind = pointee.kind == .void || (pointee.kind == .integer && pointee.size == 1) ? .text : .pointer
            default: return nil
            }
            let register: Int
            if kind == .double || kind == .float {
                guard floats < 8 else { return nil }
                register = floats
                floats += 1
            } else {
                guard integers < 6 else { return nil }
                register = integers
                integers += 1
            }
            list.append(UInt16(kind.rawValue) << 8 | UInt16(register))
        }
        let r = table.core(table.core(function).element)
        switch r.kind {
        case .void: result = .void
        case .float where r.size == 8: result = .double
        case .float where r.size == 4: result = .float
        // Results that read without allocating only: boxing a 64-bit integer or a pointer
        // could fail after the call, and the general path must not make it a second time.
        case .integer where r.size <= 4, .enumeration, .bool: result = .other
        default: return nil
        }
        resultType = table.core(function).element
        types = parameters
        arguments = UnsafeMutablePointer<UInt16>.allocate(capacity: max(list.count, 1))
        arguments.initialize(from: list, count: list.count)
    }

    @inline(__always) func kind(_ n: Int) -> Argument { Argument(rawValue: UInt8(arguments[n] >> 8))! }
    @inline(__always) func register(_ n: Int) -> Int { Int(arguments[n] & 0xff) }
}

extension LuaVM {
    /// A call of the cdata in slot `funcSlot` with the `nargs` arguments above it, through
    /// registers: its result (one or none) in slot `funcSlot + 2`, `L.top` after it, and
    /// the number of results. Nil when the call must take the general path (not a C
    /// function of a shape that fits, arguments that need converting or may fail, callbacks
    /// existing: they may run Lua code, which the general path allows for).
    func registerCall(_ L: ThreadRef, _ funcSlot: Int, _ nargs: Int) -> Int32? {
        let state = ffi
        guard state.errnoCell[1] == 0 else { return nil }
        let types = state.types
        let stack = L.pointee.stack
        let cd = stack[funcSlot].cdata
        // The function and its address as `cdataCall` finds them.
        let (target, place) = cdataTarget(cd)
        let t = types.core(target)
        let id: CTypeID, address: UnsafeMutableRawPointer?
        if t.kind == .function {
            (id, address) = (target, cd.address)
        } else if t.kind == .pointer && types.core(t.element).kind == .function {
            (id, address) = (t.element, place.load(as: UnsafeMutableRawPointer?.self))
        } else {
            return nil
        }
        guard let address, let plan = state.calls.plan(id, types), let registers = plan.registers,
              registers.count == nargs else { return nil }
        var args = perigee_register_args()
        var scratch: UInt64 = 0
        let ok = withUnsafeMutableBytes(of: &args.i) { integers in
            withUnsafeMutableBytes(of: &args.d) { doubles in
                for n in 0..<nargs {
                    let v = stack[funcSlot + 2 + n]
                    let r = registers.register(n)
                    switch registers.kind(n) {
                    case .double:
                        guard v.isNumber else { return false }
                        doubles.storeBytes(of: v.number, toByteOffset: 8 * r, as: Double.self)
                    case .float:
                        guard v.isNumber else { return false }
                        doubles.storeBytes(of: UInt64(Float(v.number).bitPattern), toByteOffset: 8 * r, as: UInt64.self)
                    case .integer:
                        guard v.isNumber else { return false }
                        let c = types.core(registers.types[n])
                        scratch = 0
                        withUnsafeMutableBytes(of: &scratch) { c.store(.double(v.number), at: $0.baseAddress!) }
                        integers.storeBytes(of: CRegisterPlan.extended(scratch, c), toByteOffset: 8 * r, as: Int64.self)
                    case .text, .pointer:
                        let pointer: UInt
                        if v.isNil {
                            pointer = 0
                        } else if v.isString, registers.kind(n) == .text {
                            pointer = UInt(bitPattern: v.string.bytes)
                        } else {
                            return false
                        }
                        integers.storeBytes(of: pointer, toByteOffset: 8 * r, as: UInt.self)
                    }
                }
                return true
            }
        }
        guard ok else { return nil }
        errno = state.savedErrno
        var result = Value.nil
        switch registers.result {
        case .void:
            _ = perigee_register_call_integer(address, &args)
            state.savedErrno = errno
        case .double:
            let d = perigee_register_call_double(address, &args)
            state.savedErrno = errno
            result = Value(normalizingNaN: d)
        case .float:
            let f = perigee_register_call_float(address, &args)
            state.savedErrno = errno
            result = Value(normalizingNaN: Double(f))
        case .other:
            var bits = perigee_register_call_integer(address, &args)
            state.savedErrno = errno
            // A number or boolean (the plan takes no result that needs boxing).
            result = withUnsafeMutableBytes(of: &bits, { cValue(registers.resultType, at: $0.baseAddress!) }) ?? .nil
        }
        let count: Int32 = registers.result == .void ? 0 : 1
        stack[funcSlot + 2] = result
        L.pointee.top = UInt32(funcSlot + 2 + Int(count))
        return count
    }
}

extension LuaVM {
    /// Fills compiled code's inline cache `site` of a call that met `callee`
    /// (CFunctionCalls.h): a C function cdata's type, and the compact plan of that type's
    /// register calls, or none (the general path) when it has no register plan.
    func fillCCallSite(_ site: UnsafeMutablePointer<UInt64>, _ callee: Value) {
        guard callee.isCData else { return }
        let id = callee.cdata.pointee.ctype
        let state = ffi, types = state.types
        var plan: UnsafeMutablePointer<perigee_c_call_plan>? = nil
        if types.core(id).kind == .function, let registers = state.calls.plan(id, types)?.registers {
            plan = state.calls.compactPlan(id, registers, errnoCell: state.errnoCell, types)
        }
        site[1] = UInt64(UInt(bitPattern: plan))
        site[0] = UInt64(id) + 1
    }
}

extension CCallLayout {
    /// The register plan of function type `id` in the form C reads (`perigee_c_call_plan`),
    /// made once and kept for the state's life.
    func compactPlan(_ id: CTypeID, _ registers: CRegisterPlan, errnoCell: UnsafeMutablePointer<Int32>,
                     _ types: CTypeTable) -> UnsafeMutablePointer<perigee_c_call_plan> {
        if let plan = compactPlans[id] { return plan }
        var c = perigee_c_call_plan(errno_cell: errnoCell, count: UInt8(registers.count), result: 0,
                                    result_size: 0, result_unsigned: 0, doubles: 0, kind: zeros(), reg: zeros(),
                                    size: zeros(), is_unsigned: zeros())
        let doubles = (0..<registers.count).allSatisfy { registers.kind($0) == .double }
        if doubles && registers.result == .double && registers.count <= Int(PERIGEE_C_DOUBLE_PARAMETERS) { c.doubles = 1 }
        withUnsafeMutableBytes(of: &c.kind) { kind in
            withUnsafeMutableBytes(of: &c.reg) { reg in
                withUnsafeMutableBytes(of: &c.size) { size in
                    withUnsafeMutableBytes(of: &c.is_unsigned) { unsigned in
                        for n in 0..<registers.count {
                            kind[n] = registers.kind(n).rawValue
                            reg[n] = UInt8(registers.register(n))
                            let t = types.core(registers.types[n])
                            size[n] = UInt8(t.kind == .enumeration ? 4 : t.size)
                            unsigned[n] = t.isUnsigned ? 1 : 0
                        }
                    }
                }
            }
        }
        let r = types.core(registers.resultType)
        switch registers.result {
        case .void: c.result = UInt8(PERIGEE_C_RESULT_VOID)
        case .double: c.result = UInt8(PERIGEE_C_RESULT_DOUBLE)
        case .float: c.result = UInt8(PERIGEE_C_RESULT_FLOAT)
        case .other where r.kind == .bool: c.result = UInt8(PERIGEE_C_RESULT_BOOL)
        case .other:
            c.result = UInt8(PERIGEE_C_RESULT_INTEGER)
            c.result_size = UInt8(r.kind == .enumeration ? 4 : r.size)
            c.result_unsigned = r.isUnsigned ? 1 : 0
        }
        let plan = UnsafeMutablePointer<perigee_c_call_plan>.allocate(capacity: 1)
        plan.initialize(to: c)
        compactPlans[id] = plan
        return plan
    }
}

/// A C array of zeros (a tuple) of `perigee_c_call_plan`'s parameter lists.
private func zeros() -> (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) {
    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

extension CRegisterPlan {
    /// An integer argument of C type `c` stored (little-endian) in `bits`, extended to the
    /// whole register as C extends it (signed or unsigned).
    @inline(__always) static func extended(_ bits: UInt64, _ c: CTypeCore) -> Int64 {
        let size = c.kind == .enumeration ? 4 : c.size
        switch (size, c.isUnsigned) {
        case (1, false): return Int64(Int8(truncatingIfNeeded: bits))
        case (1, true): return Int64(UInt8(truncatingIfNeeded: bits))
        case (2, false): return Int64(Int16(truncatingIfNeeded: bits))
        case (2, true): return Int64(UInt16(truncatingIfNeeded: bits))
        case (4, false): return Int64(Int32(truncatingIfNeeded: bits))
        case (4, true): return Int64(UInt32(truncatingIfNeeded: bits))
        default: return Int64(bitPattern: bits)
        }
    }
}
