/// The collector's sweep side: freeing objects of the other white, and the finalizer queue for userdata with `__gc`.

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// Sweeps up to `count` objects of the list continuing at `link`: objects carrying the
    /// other white (and not fixed) are freed, the rest turn current white. Returns the link
    /// to continue from.
    func sweep(_ link: UnsafeMutablePointer<ObjectRef?>, count: Int) -> UnsafeMutablePointer<ObjectRef?> {
        var p = link
        var n = count
        let dead = otherWhite
        let white = pointee.currentWhite
        while n > 0, p.pointee != nil {
            n -= 1
            p = sweepOne(p, dead: dead, white: white)
        }
        return p
    }

    /// Sweeps up to `count` objects of the all-objects list and the two table lists, one
    /// object of each in turn (their cache misses overlap); true when all three are done.
    func sweepObjectsAndTables(count: Int) -> Bool {
        var objects = pointee.sweepCursor.unsafelyUnwrapped
        var even = pointee.sweepCursorEven.unsafelyUnwrapped
        var odd = pointee.sweepCursorOdd.unsafelyUnwrapped
        let dead = otherWhite
        let white = pointee.currentWhite
        var n = count
        while n > 0 {
            let before = n
            if objects.pointee != nil { objects = sweepOne(objects, dead: dead, white: white); n -= 1 }
            if even.pointee != nil { even = sweepOne(even, dead: dead, white: white); n -= 1 }
            if odd.pointee != nil { odd = sweepOne(odd, dead: dead, white: white); n -= 1 }
            if n == before { break }
        }
        pointee.sweepCursor = objects
        pointee.sweepCursorEven = even
        pointee.sweepCursorOdd = odd
        return objects.pointee == nil && even.pointee == nil && odd.pointee == nil
    }

    /// Sweeps the object at `p` (not nil); returns the link after it.
    @inline(__always)
    private func sweepOne(_ p: UnsafeMutablePointer<ObjectRef?>, dead: UInt8, white: UInt8) -> UnsafeMutablePointer<ObjectRef?> {
        let o = p.pointee.unsafelyUnwrapped
        if o.pointee.gct == GCObjectType.thread { sweepOpenUpvalues(o.cast(to: GCThread.self)) }
        if o.pointee.marked & dead == 0 || o.pointee.marked & GCMark.fixed != 0 {
            o.pointee.marked = (o.pointee.marked & ~(GCMark.black | GCMark.whites)) | white
            return UnsafeMutableRawPointer(o).assumingMemoryBound(to: ObjectRef?.self)
        }
        p.pointee = o.pointee.next
        freeObject(o)
        return p
    }

    /// A thread's open upvalues live on its own list, swept with the thread.
    private func sweepOpenUpvalues(_ t: ThreadRef) {
        let dead = otherWhite
        let white = pointee.currentWhite
        var p = (UnsafeMutableRawPointer(t) + MemoryLayout<GCThread>.offset(of: \GCThread.openUpvalues)!)
            .assumingMemoryBound(to: ObjectRef?.self)
        while let o = p.pointee {
            if o.pointee.marked & dead == 0 {
                o.pointee.marked = (o.pointee.marked & ~(GCMark.black | GCMark.whites)) | white
                p = UnsafeMutableRawPointer(o).assumingMemoryBound(to: ObjectRef?.self)
            } else {
                p.pointee = o.pointee.next
                unlinkOpen(o.cast(to: GCUpvalue.self))
                release(o, size: MemoryLayout<GCUpvalue>.stride)
            }
        }
    }

    func freeObject(_ o: ObjectRef) {
        switch o.pointee.gct {
        case GCObjectType.string:
            pointee.stringCount -= 1
            release(o, size: o.cast(to: GCString.self).allocationSize)
        case GCObjectType.table: freeTable(o.cast(to: GCTable.self))
        case GCObjectType.userdata: freeUserdata(o.cast(to: GCUserdata.self))
        case GCObjectType.cdata: freeCData(o.cast(to: GCCData.self))
        case GCObjectType.function: freeFunction(o.cast(to: GCFunction.self))
        case GCObjectType.proto: freeProto(o.cast(to: GCProto.self))
        case GCObjectType.thread: freeThread(o.cast(to: GCThread.self))
        default: release(o, size: MemoryLayout<GCUpvalue>.stride)
        }
    }

    /// Halves the string table when it is less than a quarter full.
    func shrinkStringTable() {
        let size = pointee.stringMask + 1
        if pointee.stringCount < size / 4 && size > 256 { resizeStringTable(size / 2) }
    }

    // MARK: finalizers

    /// Moves unreached userdata that have a `__gc` to the finalizer queue (each only once in
    /// its life); returns their bytes. Userdata sit right behind the main thread. `all`
    /// (closing the state) takes the reached ones too.
    func separateFinalizable(all: Bool = false) -> Int {
        var bytes = 0
        var p = UnsafeMutableRawPointer(pointee.mainThread).assumingMemoryBound(to: ObjectRef?.self)
        while let o = p.pointee {
            if (!all && !o.isWhite) || o.pointee.marked & GCMark.finalized != 0 {
                p = UnsafeMutableRawPointer(o).assumingMemoryBound(to: ObjectRef?.self)
                continue
            }
            let u = o.cast(to: GCUserdata.self)
            o.pointee.marked |= GCMark.finalized
            if metamethod(.gc, in: u.pointee.metatable).isNil {
                p = UnsafeMutableRawPointer(o).assumingMemoryBound(to: ObjectRef?.self)
                continue
            }
            bytes += GCUserdata.payloadOffset + Int(u.pointee.size)
            p.pointee = o.pointee.next
            o.pointee.next = nil
            if let tail = pointee.finalizeTail { tail.pointee.next = o } else { pointee.finalizeHead = o }
            pointee.finalizeTail = o
        }
        return bytes
    }

    /// Resurrects everything queued for finalization (their finalizers still need them).
    func markBeingFinalized() {
        var list = pointee.finalizeHead
        while let o = list {
            o.pointee.marked = (o.pointee.marked & ~(GCMark.black | GCMark.whites)) | pointee.currentWhite
            mark(o)
            list = o.pointee.next
        }
    }

    /// Takes the first queued userdata back to the object list (white, finalized: the next
    /// cycle frees it unless the finalizer stored it somewhere) and calls its `__gc`.
    /// (Closing the state runs the queue to its end: GCClose.swift.)
    func runOneFinalizer() {
        let o = pointee.finalizeHead.unsafelyUnwrapped
        pointee.finalizeHead = o.pointee.next
        if pointee.finalizeHead == nil { pointee.finalizeTail = nil }
        let anchor = header(pointee.mainThread)
        o.pointee.next = anchor.pointee.next
        anchor.pointee.next = o
        o.pointee.marked = (o.pointee.marked & ~(GCMark.black | GCMark.whites)) | pointee.currentWhite
        let u = o.cast(to: GCUserdata.self)
        let handler = metamethod(.gc, in: u.pointee.metatable)
        guard !handler.isNil, let hook = pointee.finalizerHook else { return }
        // No GC step may start inside the finalizer.
        let threshold = pointee.threshold
        pointee.threshold = Int.max
        if !hook(UnsafeMutableRawPointer(self), UnsafeMutableRawPointer(u), handler.bits) { pointee.finalizerFailed = true }
        pointee.threshold = pointee.stopped ? Int.max : threshold
    }
}
