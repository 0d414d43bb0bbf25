/// Finalizers of cdata (`ffi.gc` and a metatype's `__gc`): in the atomic phase the collector
/// moves each unreached cdata with a finalizer, and the finalizer, to a pending list that
/// keeps both alive; the finalize phase then calls them one per step, as it does for userdata.
import Glibc

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// Grays everything waiting to be finalized (a root set of its own).
    func markPendingFinalizers() {
        guard let list = pointee.pendingFinalizers else { return }
        for i in 0..<pointee.pendingFinalizerCount { markValue(list[i]) }
    }

    /// Moves the unreached keys of the finalizer table, with their finalizers, to the pending
    /// list; each entry leaves the table, so a finalizer runs once.
    func separateFinalizableCData() {
        guard let table = pointee.cdataFinalizers else { return }
        let node = table.pointee.node
        for i in 0..<table.nodeCount {
            let n = node + i
            let key = n.pointee.key
            if n.pointee.value.isNil || !key.isCollectable || !key.object.isWhite { continue }
            guard appendPending(key), appendPending(n.pointee.value) else { return }
            n.pointee.value = .nil
        }
    }

    /// Appends to the pending list outside the collector's accounting (no collection may start
    /// inside the atomic phase); false when the system has no memory left.
    private func appendPending(_ v: Value) -> Bool {
        if pointee.pendingFinalizerCount == pointee.pendingFinalizerCapacity {
            let capacity = max(16, pointee.pendingFinalizerCapacity * 2)
            guard let grown = realloc(pointee.pendingFinalizers, capacity * MemoryLayout<Value>.stride) else { return false }
            pointee.pendingFinalizers = grown.assumingMemoryBound(to: Value.self)
            pointee.pendingFinalizerCapacity = capacity
        }
        pointee.pendingFinalizers![pointee.pendingFinalizerCount] = v
        pointee.pendingFinalizerCount += 1
        return true
    }

    /// Calls the last pending cdata finalizer with its cdata (the order among one cycle's
    /// finalizers is unspecified, as in luajit; taking the last is O(1)).
    func runOneCDataFinalizer() {
        guard let list = pointee.pendingFinalizers, pointee.pendingFinalizerCount >= 2 else { return }
        pointee.pendingFinalizerCount -= 2
        let object = list[pointee.pendingFinalizerCount], handler = list[pointee.pendingFinalizerCount + 1]
        object.cdata.pointee.flags &= ~CDataFlag.finalizer
        guard let hook = pointee.finalizerHook else { return }
        let threshold = pointee.threshold
        pointee.threshold = Int.max
        if !hook(UnsafeMutableRawPointer(self), object.rawPointer, handler.bits) { pointee.finalizerFailed = true }
        pointee.threshold = pointee.stopped ? Int.max : threshold
    }
}
