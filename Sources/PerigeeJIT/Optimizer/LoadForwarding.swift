/// FWD: store-to-load and load-to-load forwarding on table, upvalue and object memory,
/// applied to each load as it is emitted. Walking back from the end of the trace, a load
/// finds either the same load (its value, type guard included) or a store to the same
/// address (the stored value), unless something that may write that memory comes first.
/// Alias analysis (luajit's no / may / must, must being the same address reference):
/// - array slots: constant indexes that differ, or indexes `i + c1` and `i + c2` with
///   different constants, are different slots; hash slots: different constant keys are;
/// - slots of two different tables: a table made in the trace (TNEW, TDUP) is neither
///   another one made there nor any table the trace had before making it;
/// - upvalues: two upvalues of the same closure are different cells;
/// - array slots, hash slots, upvalue cells and object fields never overlap one another;
/// - C memory (cdata elements and members, and what pointers point to) is none of those:
///   two places at constant offsets from the same address are different when their bytes
///   do not overlap; anything else may be the same place;
/// - a call through the runtime (which may run any Lua code, or grow a table) ends the walk
///   for every kind of memory that can change;
/// - a table made in the trace has no metatable until a store gives it one.
import PerigeeRuntime

enum LoadForwarding {
    /// The memory a load reads.
    private enum Memory {
        case array, hash, upvalue, metatable, absentMetamethods, environment, length, lookup
        /// C memory (CLOAD, CSTORE).
        case c
        /// Never written while the object lives (a string's bytes and length, a function's
        /// prototype).
        case immutable
    }

    private static func memory(_ op: IROp, _ literal: UInt16) -> Memory? {
        switch op {
        case .ALOAD: return .array
        case .HLOAD: return .hash
        case .ULOAD: return .upvalue
        case .XLOAD: return .immutable
        case .CLOAD: return .c
        case .ALEN: return .length
        case .CALLL: return literal == IRCall.lookup.rawValue ? .lookup : nil
        case .FLOAD:
            switch IRField(rawValue: literal) {
            case .tableMetatable: return .metatable
            case .absentMetamethods: return .absentMetamethods
            case .functionEnv: return .environment
            // A cdata's type and the address a pointer or reference cdata holds never change.
            case .stringLength, .functionTarget, .cdataType, .cdataAddress: return .immutable
            case .nextKey, .nextValue, .cdataPayload, nil: return nil
            }
        default: return nil
        }
    }

    /// The value load `op` of `a` (literal `b`) of type `type` would read, when the trace
    /// already has it; nil when the load must be emitted.
    static func forward(_ ir: TraceIR, _ op: IROp, _ type: IRType, _ a: UInt16, _ b: UInt16, guard isGuard: Bool) -> IRRef? {
        guard let memory = memory(op, b) else { return nil }
        let address = IRRef(raw: a)
        var index = ir.count - 1
        while index >= 0 {
            let ins = ir.instructions[index]
            let ref = IRRef(raw: IRRef.bias + 1 + UInt16(index))
            // Nothing before the address is about it; a table made in the trace starts
            // without a metatable.
            if ref <= address {
                let made = ref == address && (ins.op == .TNEW || ins.op == .TDUP)
                if made && memory == .metatable && type == .pointer { return ir.pointer(0) }
                return ref == address && (memory == .hash || memory == .array) ? newTableSlot(ir, type, address) : nil
            }
            index -= 1
            if ins.op == op && ins.op1 == a && ins.op2 == b { return ins.type == type && (ins.isGuard || !isGuard) ? ref : nil }
            switch interference(ir, ins, memory, address) {
            case .none: continue
            case .conflict: return nil
            case .stores(let value):
                // A metatable (a table) is what a metatable field's load reads (a pointer).
                let same = ir[value].type == type || type == .pointer && ir[value].type == .table
                return same ? value : nil
            }
        }
        return nil
    }

    /// A load from a constant key's slot of a table the trace made (TNEW, TDUP), once the
    /// walk back has reached the slot's address: a store into that table under that key
    /// before it, or else what the table had when made (a constant of its template).
    private static func newTableSlot(_ ir: TraceIR, _ type: IRType, _ address: IRRef) -> IRRef? {
        let slot = ir[address]
        guard slot.op == .HREF || slot.op == .HREFK || slot.op == .AREF, let key = constantKey(ir, slot),
              key.isString || slot.op == .AREF && key.isNumber else { return nil }
        let table = slot.ref1
        guard !table.isConstant, ir[table].op == .TNEW || ir[table].op == .TDUP else { return nil }
        // Whether a store into `target` under `stored` is this slot's (true), another's
        // (false), or may be (nil).
        func isThisSlot(_ target: IRRef, _ stored: IRRef) -> Bool? {
            if target != table { return areDifferentTables(ir, target, table) ? false : nil }
            guard let k = ir.constantValue(stored) else { return nil }
            return k.isNumber && key.isNumber ? k.number == key.number : k.bits == key.bits
        }
        var ref = IRRef(raw: address.raw - 1)
        while ref > table {
            let ins = ir[ref]
            ref = IRRef(raw: ref.raw - 1)
            var same: Bool?, value = ins.ref2
            switch ins.op {
            case .HSTORE, .ASTORE:
                // (By key, not by part: a new key's store may move keys between the parts.)
                let target = ir[ins.ref1]
                same = isThisSlot(target.ref1, target.op == .HREFK && ir[target.ref2].op == .KSLOT
                                  ? ir.slotKey(target.ref2).key : target.ref2)
            case .USTORE, .FSTORE, .CSTORE, .XSTORE, .TBAR, .OBAR:
                continue
            case .CALLS where ins.op2 == IRCall.store.rawValue:
                let store = newKeyStore(ir, ins)
                same = isThisSlot(store.table, store.key)
                value = store.value
            default:
                // A call through the runtime, and anything else that writes.
                if ins.op.info.effect == .store || ins.op == .CALLA { return nil }
                continue
            }
            guard let same else { return nil }
            if same { return ir[value].type == type ? value : nil }
        }
        // What the table had when made: nothing, or its template's constant.
        var initial = Value.nil
        if ir[table].op == .TDUP {
            guard let template = AllocationSinking.template(ir, table) else { return nil }
            initial = slot.op == .AREF ? template.get(number: key.number) : template.get(key)
        }
        guard let constant = ir.constant(for: initial), ir[constant].type == type else { return nil }
        return constant
    }

    /// The table, key and value of a new key's store (CALLS of `IRCall.store` over
    /// CARG(CARG(table, key), value)).
    static func newKeyStore(_ ir: TraceIR, _ calls: IRIns) -> (table: IRRef, key: IRRef, value: IRRef) {
        let outer = ir[calls.ref1], inner = ir[outer.ref1]
        return (inner.ref1, inner.ref2, outer.ref2)
    }

    /// The key of an HREF or HREFK whose key is a constant.
    private static func constantKey(_ ir: TraceIR, _ slot: IRIns) -> Value? {
        let key = slot.op == .HREFK && ir[slot.ref2].op == .KSLOT ? ir.slotKey(slot.ref2).key : slot.ref2
        return ir.constantValue(key)
    }

    /// What an instruction does to the memory a load reads.
    enum Interference: Equatable {
        case none
        /// It stores this value at the load's address.
        case stores(IRRef)
        /// It may change what the load reads.
        case conflict
    }

    /// What `ins` does to memory `memory` at `address`.
    private static func interference(_ ir: TraceIR, _ ins: IRIns, _ memory: Memory, _ address: IRRef) -> Interference {
        if memory == .immutable { return .none }
        switch ins.op {
        case .ASTORE where memory == .array, .HSTORE where memory == .hash, .USTORE where memory == .upvalue:
            if ins.ref1 == address { return .stores(ins.ref2) }
            return mayAlias(ir, ins.ref1, address) ? .conflict : .none
        case .ASTORE, .HSTORE:
            let conflict = memory == .length || memory == .lookup || memory == .absentMetamethods && ins.op == .HSTORE
            return conflict ? .conflict : .none
        case .FSTORE:
            // (The only field a trace stores is a table's metatable.)
            let table = ir[ins.ref1].ref1
            if memory == .metatable && table == address { return .stores(ins.ref2) }
            if (memory == .metatable || memory == .absentMetamethods) && areDifferentTables(ir, table, address) { return .none }
            return memory == .metatable || memory == .absentMetamethods || memory == .lookup ? .conflict : .none
        case .CSTORE:
            guard memory == .c else { return .none }
            // A store converts to the C type: only a double's store of a number, and a 64-bit
            // integer's of an integer of its type, give their value back.
            if ins.ref1 == address {
                let exact = ins.type == ir[ins.ref2].type && [.number, .int64, .uint64].contains(ins.type)
                return exact ? .stores(ins.ref2) : .conflict
            }
            return mayOverlap(ir, ins.ref1, ins.type, address) ? .conflict : .none
        case .XSTORE:
            // A stack slot: an upvalue may be open on the stack.
            return memory == .upvalue ? .conflict : .none
        case .CALLS where ins.op2 == IRCall.store.rawValue:
            // A new key's raw store into one table: it may grow (move) that table's parts,
            // and change its length, never another table, a metatable or other memory.
            // (Its own key's load comes after it, through an address made after it.)
            let table = ir[ir[ins.ref1].ref1].ref1
            switch memory {
            case .metatable, .upvalue, .c, .environment, .immutable: return .none
            case .hash, .array:
                return areDifferentTables(ir, table, ir[address].ref1) ? .none : .conflict
            case .length, .absentMetamethods:
                return areDifferentTables(ir, table, address) ? .none : .conflict
            case .lookup: return .conflict
            }
        case .CALLL:
            // A lookup through __index tables notes the metamethods it found absent.
            return memory == .absentMetamethods ? .conflict : .none
        case .USTORE, .TBAR, .OBAR, .SNEW, .TNEW, .TDUP:
            return .none
        default:
            // Calls through the runtime, new keys, and anything else that writes.
            return ins.op.info.effect == .store || ins.op == .CALLA ? .conflict : .none
        }
    }

    /// The instructions of a trace that may change memory some load reads (for
    /// `isUnwritten`, which then need not look at the others).
    static func writers(_ ir: TraceIR) -> [IRIns] {
        ir.instructions.filter { $0.op.info.effect == .store || $0.op == .CALLL || $0.op == .CALLA }
    }

    /// Whether load `load` reads memory that none of the trace's `writers` may write (so
    /// it reads the same in every iteration of a loop whose other operands stay the same).
    static func isUnwritten(_ ir: TraceIR, _ load: IRIns, writers: [IRIns]) -> Bool {
        guard let memory = memory(load.op, load.op2) else { return false }
        return !writers.contains { interference(ir, $0, memory, load.ref1) != .none }
    }

    /// Whether a C store of storage type `type` at `p` may change the C memory a load at
    /// `q` reads: both at constant offsets from one address, their bytes must overlap.
    private static func mayOverlap(_ ir: TraceIR, _ p: IRRef, _ type: IRType, _ q: IRRef) -> Bool {
        let x = ir[p], y = ir[q]
        guard !p.isConstant, !q.isConstant, x.op == .CADDR, y.op == .CADDR, x.ref1 == y.ref1,
              let m = ir.intValue(ifConstant: x.ref2), let n = ir.intValue(ifConstant: y.ref2) else { return true }
        // The load's width is not known here: at most 8 bytes, as any scalar.
        let (a, b) = (Int(m), Int(n))
        return a < b + 8 && b < a + storageSize(type)
    }

    /// The bytes a CSTORE of storage type `type` writes.
    static func storageSize(_ type: IRType) -> Int {
        switch type {
        case .int8, .uint8, .true: return 1
        case .int16, .uint16: return 2
        case .int, .uint32, .float: return 4
        default: return 8
        }
    }

    /// Whether two address references of the same kind may name the same memory.
    private static func mayAlias(_ ir: TraceIR, _ p: IRRef, _ q: IRRef) -> Bool {
        let x = ir[p], y = ir[q]
        if isTableSlot(x.op), isTableSlot(y.op), areDifferentTables(ir, x.ref1, y.ref1) { return false }
        switch (x.op, y.op) {
        case (.AREF, .AREF):
            let (i, c) = offset(ir, x.ref2), (j, d) = offset(ir, y.ref2)
            return !(i == j && c != d)
        case (.HREFK, .HREFK):
            guard ir[x.ref2].op == .KSLOT, ir[y.ref2].op == .KSLOT else { return true }
            let k = ir.slotKey(x.ref2).key, l = ir.slotKey(y.ref2).key
            if let m = ir.numberValue(k), let n = ir.numberValue(l) { return m == n }
            return k == l
        case (.UREFO, .UREFO), (.UREFC, .UREFC), (.UREFO, .UREFC), (.UREFC, .UREFO):
            return !(x.op1 == y.op1 && x.op2 != y.op2)
        default:
            return true
        }
    }

    private static func isTableSlot(_ op: IROp) -> Bool { op == .AREF || op == .HREFK || op == .HREF }

    /// Whether two table references surely name different tables: a table made in the trace
    /// is new when made, so it differs from another made there and from every table
    /// reference before it (in a loop too: an older iteration's table is another object).
    private static func areDifferentTables(_ ir: TraceIR, _ s: IRRef, _ t: IRRef) -> Bool {
        if s == t { return false }
        func isNew(_ r: IRRef) -> Bool { !r.isConstant && (ir[r].op == .TNEW || ir[r].op == .TDUP) }
        switch (isNew(s), isNew(t)) {
        case (true, true): return true
        case (true, false): return t < s
        case (false, true): return s < t
        case (false, false): return false
        }
    }

    /// An index as a base and a constant offset: `i + c` is (i, c), a constant c is
    /// (none, c), anything else (i, 0).
    private static func offset(_ ir: TraceIR, _ key: IRRef) -> (IRRef, Double) {
        if let c = ir.numberValue(key) { return (.none, c) }
        let ins = ir[key]
        if ins.op == .ADD, let c = ir.numberValue(ins.ref2) { return (ins.ref1, c) }
        if ins.op == .SUB, let c = ir.numberValue(ins.ref2) { return (ins.ref1, -c) }
        return (key, 0)
    }
}
