/// SINK: luajit's allocation sinking, for tables the trace makes (TNEW, TDUP).
/// A table the trace makes, fills and reads only within itself (FWD has already turned its
/// reads into the stored values) needs to exist only where the trace leaves while the
/// interpreter can still see it: its exits. Such a table is sunk: the trace neither makes
/// it nor runs its stores, and each exit whose snapshot names it makes it there and replays
/// the stores that come before the exit (`TraceLowering+Sinking.swift`).
///
/// A table stays made in the trace (it escapes) when anything other than its own stores
/// uses it: a load left after forwarding, a comparison, a call argument, a store into a
/// table the trace did not make, or a snapshot of a state the trace leaves to the
/// interpreter or to another trace as a matter of course (the back edge of a loop, which
/// carries it into the next iteration; the end of the trace; the state written before a
/// call through the runtime). A table stored into a sunk table is sunk only if that one is.
import PerigeeRuntime

enum AllocationSinking {
    /// Which allocations a trace sinks.
    struct Plan {
        /// For each sunk allocation, its stores (HSTORE and ASTORE into its template's slots,
        /// FSTORE of its metatable, new keys' CALLS), in IR order.
        var stores: [UInt16: [IRRef]] = [:]
        /// The instructions the trace does not run: the sunk allocations, their slot and
        /// field references and their stores, and unused references into them.
        var skipped: Set<UInt16> = []

        func isSunk(_ ref: IRRef) -> Bool { !ref.isConstant && stores[ref.raw] != nil }
    }

    /// The plan for `ir`, whose snapshots `escaping` hand their state on as a matter of course.
    static func plan(_ ir: TraceIR, escaping: [Int]) -> Plan {
        var plan = Plan()
        guard ir.optimizations.contains(.sink) else { return plan }
        let refs = (0..<ir.count).map { IRRef(raw: IRRef.bias + 1 + UInt16($0)) }
        let candidates = refs.filter { ir[$0].op == .TDUP || ir[$0].op == .TNEW }
        guard !candidates.isEmpty else { return plan }
        var users: [UInt16: [IRRef]] = [:]
        for ref in refs {
            let ins = ir[ref]
            if ins.op.info.op1 == .ref && ins.op1 != 0 && !ins.ref1.isConstant { users[ins.op1, default: []].append(ref) }
            if ins.op.info.op2 == .ref && ins.op2 != 0 && !ins.ref2.isConstant && ins.op2 != ins.op1 {
                users[ins.op2, default: []].append(ref)
            }
        }
        var escaped: Set<UInt16> = []
        for index in escaping {
            for entry in ir.snapshots[index].entries where !entry.ref.isConstant { escaped.insert(entry.ref.raw) }
        }
        // Per candidate: its stores, the instructions it skips with them, and the sunk
        // candidates it is stored into (it escapes when they do).
        var stores: [UInt16: [IRRef]] = [:], skipped: [UInt16: [UInt16]] = [:], containers: [UInt16: [UInt16]] = [:]
        let isCandidate = Set(candidates.map(\.raw))
        for t in candidates where !escaped.contains(t.raw) {
            var own: [IRRef] = [], skip: [UInt16] = [t.raw], into: [UInt16] = [], escapes = false
            for user in users[t.raw] ?? [] {
                let ins = ir[user]
                let uses = users[user.raw] ?? []
                switch ins.op {
                case .HREFK where ins.ref1 == t && templateHolds(ir, t, ins.ref2):
                    // A slot the template has: every use must be a store into it.
                    guard uses.allSatisfy({ ir[$0].op == .HSTORE && ir[$0].ref1 == user && ir[$0].ref2 != user }) else {
                        escapes = true
                        break
                    }
                    own += uses
                    skip += [user.raw] + uses.map(\.raw)
                case .FREF where ins.ref1 == t && ins.op2 == IRField.tableMetatable.rawValue:
                    guard uses.allSatisfy({ ir[$0].op == .FSTORE && ir[$0].ref1 == user && ir[$0].ref2 != user }) else {
                        escapes = true
                        break
                    }
                    own += uses
                    skip += [user.raw] + uses.map(\.raw)
                case .AREF where ins.ref1 == t && isTemplateArraySlot(ir, t, ins.ref2):
                    // A slot of the template's array part: every use must be a store into it,
                    // and the table must have no metatable (none of those stores checks for
                    // __newindex, which a nil slot would consult).
                    guard uses.allSatisfy({ ir[$0].op == .ASTORE && ir[$0].ref1 == user && ir[$0].ref2 != user }),
                          !(users[t.raw] ?? []).contains(where: { ir[$0].op == .FREF }) else {
                        escapes = true
                        break
                    }
                    own += uses
                    skip += [user.raw] + uses.map(\.raw)
                case .HREF where ins.ref1 == t && uses.isEmpty, .HREFK where ins.ref1 == t && uses.isEmpty,
                     .AREF where ins.ref1 == t && uses.isEmpty:
                    // A lookup whose load was forwarded: nothing to run.
                    skip.append(user.raw)
                case .HSTORE where ins.ref2 == t && ins.ref1 != t, .ASTORE where ins.ref2 == t && ins.ref1 != t:
                    // Stored into a slot: of a table sunk too, or it escapes.
                    let slot = ir[ins.ref1]
                    if (slot.op == .HREFK || slot.op == .AREF) && isCandidate.contains(slot.op1) {
                        into.append(slot.op1)
                    } else {
                        escapes = true
                    }
                case .CARG:
                    // A new key's store (CALLS over CARG(CARG(table, key), value)): into it,
                    // or of it (as a key or value) into a table sunk too.
                    guard let store = newKeyStore(ir, user, users) else {
                        escapes = true
                        break
                    }
                    if store.table == t && store.inner == user && ins.ref2 != t {
                        guard isReplayable(ir, ins.ref2) else {
                            escapes = true
                            break
                        }
                        own.append(store.calls)
                        skip += [store.inner.raw, store.outer.raw, store.calls.raw]
                    } else if store.table == t && store.outer == user {
                        // Stored into itself: the store is its own (seen as the table's use).
                    } else if store.table != t && isCandidate.contains(store.table.raw) {
                        into.append(store.table.raw)
                    } else {
                        escapes = true
                    }
                default:
                    escapes = true
                }
                if escapes { break }
            }
            if escapes {
                escaped.insert(t.raw)
                continue
            }
            stores[t.raw] = own.sorted()
            skipped[t.raw] = skip
            containers[t.raw] = into
        }
        // A table stored into one that escapes escapes with it.
        var changed = true
        while changed {
            changed = false
            for (t, into) in containers where !escaped.contains(t) && into.contains(where: { escaped.contains($0) }) {
                escaped.insert(t)
                changed = true
            }
        }
        for (t, own) in stores where !escaped.contains(t) {
            plan.stores[t] = own
            plan.skipped.formUnion(skipped[t]!)
        }
        return plan
    }

    /// The new key's store a CARG is part of: the store, its two CARGs and its table.
    private static func newKeyStore(_ ir: TraceIR, _ carg: IRRef, _ users: [UInt16: [IRRef]])
        -> (calls: IRRef, inner: IRRef, outer: IRRef, table: IRRef)? {
        func only(_ ref: IRRef) -> IRRef? {
            let uses = users[ref.raw] ?? []
            return uses.count == 1 ? uses[0] : nil
        }
        var outer = carg
        if let next = only(carg), ir[next].op == .CARG { outer = next }
        guard let calls = only(outer), ir[calls].op == .CALLS, ir[calls].op2 == IRCall.store.rawValue,
              ir[calls].ref1 == outer, ir[outer].ref1 != outer, ir[ir[outer].ref1].op == .CARG else { return nil }
        let inner = ir[outer].ref1
        return (calls, inner, outer, ir[inner].ref1)
    }

    /// Whether a new key's store under `key` can be replayed by an exit without the checks
    /// the trace's store makes (a key that is never nil nor NaN).
    private static func isReplayable(_ ir: TraceIR, _ key: IRRef) -> Bool {
        if let k = ir.constantValue(key) { return !k.isNil && !(k.isNumber && k.number.isNaN) }
        return !key.isConstant && ir[key].type != .number && !ir[key].type.isPrimitive && ir[key].type.rawValue <= IRType.userdata.rawValue
    }

    /// Whether HREFK's slot constant `slot` names a node of TDUP `t`'s template that holds its
    /// key (so every copy of the template has it there, and the HREFK's guards hold).
    private static func templateHolds(_ ir: TraceIR, _ t: IRRef, _ slot: IRRef) -> Bool {
        guard slot.isConstant, ir[slot].op == .KSLOT, let template = template(ir, t) else { return false }
        let (key, index) = ir.slotKey(slot)
        guard let k = ir.constantValue(key), index <= Int(template.pointee.hashMask) else { return false }
        return template.pointee.node[index].key.bits == k.bits
    }

    /// Whether AREF's key `key` is a constant integer inside the array part of TDUP `t`'s
    /// template (so every copy has the slot, and the AREF's bounds check holds).
    private static func isTemplateArraySlot(_ ir: TraceIR, _ t: IRRef, _ key: IRRef) -> Bool {
        guard let template = template(ir, t), let k = ir.numberValue(key), k == k.rounded() else { return false }
        return k >= 0 && k < Double(template.pointee.arrayLimit)
    }

    /// The template a TDUP copies.
    static func template(_ ir: TraceIR, _ t: IRRef) -> TableRef? {
        let ins = ir[t]
        guard ins.op == .TDUP, ins.ref1.isConstant, ir[ins.ref1].op == .KGC else { return nil }
        return TableRef(bitPattern: UInt(ir.payload(ins.ref1)))
    }
}
