/// The collector's driver: debt-based incremental steps, full collections, pacing settings and the write barriers.
///
/// Incremental tri-colour mark and sweep as in Lua 5.1 (lgc.c): two whites so the sweep can
/// tell this cycle's garbage (the other white) from objects made since the flip (current
/// white); phases pause -> propagate -> atomic -> sweepstring -> sweep -> finalize. A step
/// is due when `totalBytes >= threshold`; the interpreter and compiled code test exactly that
/// at safepoints and call `step()`. The safepoints are the instructions that allocate (TNEW,
/// TDUP, FNEW, CAT) and the return of every builtin (`LuaVM.enterBuiltin`), so whatever a
/// library function allocates is paid off by the call that allocated it. Allocation never
/// steps by itself (only the memory limit can force a full collection).

/// Work units of one step, per `stepMultiplier` percent (Lua 5.1's GCSTEPSIZE).
let gcStepSize = 1024
/// Objects swept per sweep step, and the work each counts for.
let gcSweepMax = 40
let gcSweepCost = 10
/// Work a finalizer counts for.
let gcFinalizeCost = 100

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// True when the allocation debt calls for a GC step.
    @inline(__always) public var stepDue: Bool { pointee.totalBytes >= pointee.threshold }

    /// The safepoint check: one compare, and a step when one is due. False when a finalizer
    /// the step (or a collection since the last check) ran raised an error: the caller
    /// raises it, as luajit raises it from the GC step that called the finalizer.
    @inline(__always) public func checkGC() -> Bool {
        if pointee.totalBytes >= pointee.threshold { _ = step() }
        return !takeFinalizerFailure()
    }

    /// Whether a finalizer failed since the last check; clears the mark.
    @inline(__always) public func takeFinalizerFailure() -> Bool {
        guard pointee.finalizerFailed else { return false }
        pointee.finalizerFailed = false
        return true
    }

    /// One incremental step sized by the debt and `stepMultiplier`; true when it finished a cycle.
    @discardableResult
    public func step() -> Bool {
        var limit = (gcStepSize / 100) * pointee.stepMultiplier
        if limit == 0 { limit = Int.max / 2 }
        pointee.stepDebt += pointee.totalBytes - pointee.threshold
        repeat {
            limit -= singleStep()
            if pointee.phase == .pause || pointee.finalizerFailed { break }
        } while limit > 0
        if pointee.phase != .pause {
            if pointee.stepDebt < gcStepSize {
                pointee.threshold = pointee.totalBytes + gcStepSize
            } else {
                pointee.stepDebt -= gcStepSize
                pointee.threshold = pointee.totalBytes
            }
            if pointee.stopped { pointee.threshold = Int.max }
            return false
        }
        setThreshold()
        return true
    }

    /// `collectgarbage("step", kilobytes)`: steps as if that much had been allocated (one
    /// step for 0); true when a cycle finished.
    public func collectStep(kilobytes: Int) -> Bool {
        let bytes = max(kilobytes, 0) << 10
        pointee.threshold = bytes <= pointee.totalBytes ? pointee.totalBytes - bytes : 0
        var finished = false
        repeat {
            if step() { finished = true; break }
        } while pointee.threshold <= pointee.totalBytes && !pointee.stopped && !pointee.finalizerFailed
        if pointee.stopped { pointee.threshold = Int.max }
        return finished
    }

    /// A whole collection: finishes or abandons the current cycle, then runs a complete one.
    /// Without `runFinalizers` the unreached finalizable userdata stay queued for a later step.
    public func fullCollect(runFinalizers: Bool = true) {
        if pointee.phase == .pause || pointee.phase == .propagate { abandonMarks() }
        while pointee.phase != .finalize && pointee.phase != .pause { _ = singleStep() }
        markRoots()
        while pointee.phase != .pause {
            if pointee.phase == .finalize && !runFinalizers {
                pointee.phase = .pause
                break
            }
            _ = singleStep()
            // The queued finalizers after a failing one wait for later steps.
            if pointee.finalizerFailed { break }
        }
        pointee.stepDebt = 0
        setThreshold()
    }

    /// Abandons the marks of a cycle that has not reached its atomic phase: sweeping now
    /// frees nothing and whitens everything.
    func abandonMarks() {
        pointee.sweepStringBucket = 0
        startSweep()
        pointee.gray = nil
        pointee.grayAgain = nil
        pointee.weakTables = nil
        pointee.phase = .sweepString
    }

    /// `collectgarbage("stop")`.
    public func stopCollector() {
        pointee.stopped = true
        pointee.threshold = Int.max
    }

    /// `collectgarbage("restart")`.
    public func restartCollector() {
        pointee.stopped = false
        pointee.threshold = pointee.totalBytes
    }

    /// `collectgarbage("setpause", percent)`; returns the previous value.
    public func setPause(_ percent: Int) -> Int {
        let old = pointee.pause
        pointee.pause = max(percent, 0)
        return old
    }

    /// `collectgarbage("setstepmul", percent)`; returns the previous value.
    public func setStepMultiplier(_ percent: Int) -> Int {
        let old = pointee.stepMultiplier
        pointee.stepMultiplier = max(percent, 0)
        return old
    }

    /// `collectgarbage("count")`: kilobytes in use.
    public var kilobytesInUse: Double { Double(pointee.totalBytes) / 1024 }

    /// The next cycle starts once memory grows to `pause` percent of the live estimate.
    func setThreshold() {
        pointee.threshold = pointee.stopped ? Int.max : (pointee.estimate / 100) * pointee.pause
    }

    /// One unit of collector work; returns how much it counted for.
    func singleStep() -> Int {
        pointee.collecting = true
        defer { pointee.collecting = false }
        switch pointee.phase {
        case .pause:
            markRoots()
            return 0
        case .propagate:
            if pointee.gray != nil { return propagateMark() }
            atomic()
            return 0
        case .atomic:
            return 0
        case .sweepString:
            let before = pointee.totalBytes
            _ = sweep(pointee.stringBuckets + pointee.sweepStringBucket, count: Int.max)
            pointee.sweepStringBucket += 1
            if pointee.sweepStringBucket > pointee.stringMask { pointee.phase = .sweep }
            pointee.estimate -= before - pointee.totalBytes
            return gcSweepCost
        case .sweep:
            let before = pointee.totalBytes
            if sweepObjectsAndTables(count: gcSweepMax) {
                shrinkStringTable()
                pointee.phase = .finalize
            }
            pointee.estimate -= before - pointee.totalBytes
            return gcSweepMax * gcSweepCost
        case .finalize:
            if pointee.finalizeHead != nil || pointee.pendingFinalizerCount > 0 {
                pointee.collecting = false
                let before = pointee.totalBytes
                if pointee.finalizeHead != nil { runOneFinalizer() } else { runOneCDataFinalizer() }
                // What the finalizer gave back (a string buffer's storage, say) leaves the
                // live estimate too: otherwise the estimate keeps every finalized object's
                // memory, the next threshold doubles it, and each cycle waits for twice
                // the garbage of the last.
                let freed = max(before - pointee.totalBytes, 0)
                pointee.estimate = max(pointee.estimate - freed, 0)
                if pointee.estimate > gcFinalizeCost { pointee.estimate -= gcFinalizeCost }
                return gcFinalizeCost
            }
            pointee.phase = .pause
            pointee.stepDebt = 0
            return 0
        }
    }

    /// Points the sweep's cursors at the heads of the all-objects list and the table lists.
    func startSweep() {
        pointee.sweepCursor = link(\GlobalState.allObjects)
        pointee.sweepCursorEven = link(\GlobalState.tablesEven)
        pointee.sweepCursorOdd = link(\GlobalState.tablesOdd)
    }

    /// The head of an object list, as the link a sweep starts from.
    private func link(_ list: WritableKeyPath<GlobalState, ObjectRef?>) -> UnsafeMutablePointer<ObjectRef?> {
        (UnsafeMutableRawPointer(self) + MemoryLayout<GlobalState>.offset(of: list)!).assumingMemoryBound(to: ObjectRef?.self)
    }

    // MARK: barriers

    /// Forward barrier: black `object` now refers to `value`. While marking, `value` is
    /// marked; during the sweep `object` turns white instead, so it is not hit again.
    @inline(__always)
    public func barrierForward(_ object: ObjectRef, _ value: ObjectRef) {
        if object.isBlack && value.isWhite { barrierForwardSlow(object, value) }
    }

    @inline(never)
    func barrierForwardSlow(_ object: ObjectRef, _ value: ObjectRef) {
        if pointee.phase == .propagate || pointee.phase == .atomic {
            mark(value)
        } else {
            object.pointee.marked = (object.pointee.marked & ~(GCMark.black | GCMark.whites)) | pointee.currentWhite
        }
    }

    /// Backward barrier for a black table that is written to: it turns gray and is traversed
    /// again in the atomic phase (tables are written often; one re-traversal beats marking
    /// every stored value).
    @inline(never)
    public func barrierBack(_ table: TableRef) {
        let o = header(table)
        o.pointee.marked &= ~GCMark.black
        table.pointee.gclist = pointee.grayAgain
        pointee.grayAgain = o
    }
}
