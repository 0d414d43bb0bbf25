/// The exits of a trace with sunk tables (see AllocationSinking): the trace never makes them,
/// so an exit whose snapshot names one makes it there (new, or a copy of its template), and
/// replays into it the trace's stores that come before the exit, in their order. A sunk table stored
/// into another is made first (each exit makes each table once).
import CLLVM
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

extension TraceLowering {
    /// Whether exit `snapshot` names a sunk table (and so makes it).
    func namesSunkTable(_ snapshot: Int) -> Bool {
        ir.snapshots[snapshot].entries.contains { sinking.isSunk($0.ref) }
    }

    /// Sunk table `ref` as exit `snapshot` makes it, boxed.
    func materializedTable(_ ref: IRRef) -> LLVMValueRef {
        b.or(b.ptrToInt(materialize(ref), cx.i64), bits(tag(.table) << Value.tagShift))
    }

    /// Makes sunk table `ref` in the exit being lowered: its template's copy, filled by its
    /// stores before the exit's snapshot.
    private func materialize(_ ref: IRRef) -> LLVMValueRef {
        if let t = materialized[ref.raw] { return t }
        let allocation = ir[ref]
        let t = allocation.op == .TNEW ? callRuntime(.materializeNewTable, [i64(Int(allocation.op1))])
            : callRuntime(.materializeTable, [value(allocation.ref1)])
        materialized[ref.raw] = t
        for store in sinking.stores[ref.raw]! where store < materializingBefore! {
            let ins = ir[store], slot = ir[ins.ref1]
            if ins.op == .CALLS {
                let (_, key, stored) = LoadForwarding.newKeyStore(ir, ins)
                _ = callRuntime(.materializeStore, [t, boxed(key), boxed(stored)])
            } else if ins.op == .ASTORE {
                let index = Int(ir.numberValue(slot.ref2)!)
                let array = b.pointerCast(loadPointerField(t, RuntimeLayout.tableArray), rt.i64p)
                let slot = b.gep(cx.i64, array, [i64(index - 1)])
                let old = b.load(cx.i64, slot, memory: .tableValue)
                noteArrayStore(t, slot: slot, key: i64(index), old: old, value: boxed(ins.ref2),
                               isNil: ir[ins.ref2].type == IRType.nil)
                b.store(boxed(ins.ref2), slot, memory: .tableValue)
            } else if ins.op == .FSTORE {
                b.store(value(ins.ref2), b.pointerCast(b.gep(cx.i8, t, [i64(RuntimeLayout.tableMetatable)]),
                                                      cx.pointer(to: rt.i8p)))
            } else {
                let index = ir.slotKey(slot.ref2).index
                let node = b.gep(cx.i8, loadPointerField(t, RuntimeLayout.tableNode), [i64(index * RuntimeLayout.nodeSize)])
                b.store(boxed(ins.ref2), fieldAddress(node, RuntimeLayout.nodeValue, cx.i64), memory: .tableValue)
            }
        }
        // The table is new, so the collector has not marked it: its stores need no barrier.
        return t
    }

    /// The code of exit `snapshot`, which names a sunk table: it makes the tables, writes
    /// the slots, and leaves.
    func leaveMakingTables(_ snapshot: Int, number: LLVMValueRef, frame exitBase: LLVMValueRef, rounds: LLVMValueRef?) {
        materialized = [:]
        materializingBefore = ir.snapshots[snapshot].ref
        // The frame's address as the body last computed it may not be this exit's (a call
        // through the runtime may have moved the stack since).
        if memoryMode { frame = b.gep(cx.i64, stackBase(thread), [base]) }
        if writesThrough {
            // The stack holds the snapshot's state but for the sunk tables' slots.
            store(ir.snapshots[snapshot].entries.filter { sinking.isSunk($0.ref) })
        } else {
            writeBack(snapshot)
        }
        materializingBefore = nil
        b.store(exitBase, cellPointer(.exitFrame))
        if let rounds, reportsLoopRounds { b.store(rounds, cellPointer(.loopRounds)) }
        b.ret(number)
    }
}
