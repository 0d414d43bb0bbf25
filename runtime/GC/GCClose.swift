/// Closing a state as luajit's lua_close does before the process ends: the finalizer of every
/// userdata with `__gc` and every cdata with a finalizer runs, reached or not.
import Glibc

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// Runs every finalizer that has not run yet: cdata finalizers first, then the userdata
    /// queue (newest userdata first), in rounds while finalizers make new finalizable
    /// userdata (ten at most), as lua_close does. An error in a finalizer is dropped and the
    /// round starts again with the rest. No collection starts on its own meanwhile; one a
    /// finalizer asks for (`collectgarbage()`) still works. The memory stays for the
    /// process's exit to return.
    public func finalizeAtClose() {
        settleCycle()
        pointee.stopped = true
        pointee.threshold = Int.max
        _ = separateFinalizable(all: true)
        var rounds = 0
        while true {
            guard finalizeRound() else { continue }
            rounds += 1
            if rounds >= 10 { break }
            _ = separateFinalizable(all: true)
            if pointee.finalizeHead == nil { break }
        }
        pointee.finalizerFailed = false
    }

    /// Ends the current cycle without running its finalizers (they stay queued): afterwards
    /// the collector is at rest, with no sweep or gray list pointing into the object lists.
    private func settleCycle() {
        if pointee.phase == .pause { return }
        if pointee.phase == .propagate { abandonMarks() }
        while pointee.phase != .finalize && pointee.phase != .pause { _ = singleStep() }
        pointee.phase = .pause
        pointee.stepDebt = 0
    }

    /// One round: the cdata finalizers, then the queued userdata. False when one raised an
    /// error (the rest wait for the next round).
    private func finalizeRound() -> Bool {
        pointee.finalizerFailed = false
        while pointee.pendingFinalizerCount >= 2 {
            runOneCDataFinalizer()
            if pointee.finalizerFailed { return false }
        }
        if let table = pointee.cdataFinalizers {
            // From the last node down, as lj_gc_finalize_cdata walks the finalizer table.
            var i = table.nodeCount - 1
            while i >= 0 {
                defer { i = min(i, table.nodeCount) - 1 }
                let n = table.pointee.node + i
                let key = n.pointee.key, handler = n.pointee.value
                if handler.isNil || !key.isCData { continue }
                n.pointee.value = .nil
                key.cdata.pointee.flags &= ~CDataFlag.finalizer
                guard let hook = pointee.finalizerHook else { continue }
                if !hook(UnsafeMutableRawPointer(self), key.rawPointer, handler.bits) { return false }
            }
        }
        while pointee.finalizeHead != nil {
            runOneFinalizer()
            if pointee.finalizerFailed { return false }
        }
        return true
    }
}
