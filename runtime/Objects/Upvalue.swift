/// Upvalues: open ones point at a stack slot of their thread, closed ones hold their value.
///
/// Layout of `GCUpvalue` (size 48):
///
///     0  next      open: the thread's open list (sorted by slot, highest first);
///                  closed: the all-objects list
///     8  marked  9 gct (= 5)
///     10 closed    UInt8  1 once closed
///     16 v         UnsafeMutablePointer<Value>  the stack slot, or `&closedValue` once closed
///     24 closedValue Value
///     32 openPrev  40 openNext   every open upvalue of every thread, for the atomic phase
///
/// Reads and writes go through `v` whatever the state: `uv->v` is the one load compiled code
/// needs. A stack reallocation rebases `v` of the thread's open upvalues.

public struct GCUpvalue {
    public var next: ObjectRef?
    public var marked: UInt8
    public var gct: UInt8
    public var closed: UInt8
    public var v: UnsafeMutablePointer<Value>
    public var closedValue: Value
    public var openPrev: UpvalueRef?
    public var openNext: UpvalueRef?
}

public typealias UpvalueRef = UnsafeMutablePointer<GCUpvalue>

extension UnsafeMutablePointer where Pointee == GCUpvalue {
    @inline(__always) public var value: Value { pointee.v.pointee }

    /// Stores through the upvalue; a closed one that is black gets the forward barrier.
    @inline(__always) public func set(_ value: Value, _ g: GlobalRef) {
        pointee.v.pointee = value
        if value.isCollectable && pointee.marked & GCMark.black != 0 {
            g.barrierForward(header(self), value.object)
        }
    }

    @inline(__always) var closedSlot: UnsafeMutablePointer<Value> {
        UnsafeMutableRawPointer(self).advanced(by: MemoryLayout<GCUpvalue>.offset(of: \GCUpvalue.closedValue)!)
            .assumingMemoryBound(to: Value.self)
    }
}

extension UnsafeMutablePointer where Pointee == GCThread {
    /// The open upvalue for stack slot `slot`, created if there is none; nil when memory runs out.
    public func findUpvalue(slot: Int, _ g: GlobalRef) -> UpvalueRef? {
        let target = pointee.stack + slot
        var link = (UnsafeMutableRawPointer(self) + MemoryLayout<GCThread>.offset(of: \GCThread.openUpvalues)!)
            .assumingMemoryBound(to: ObjectRef?.self)
        while let o = link.pointee {
            let uv = o.cast(to: GCUpvalue.self)
            if uv.pointee.v < target { break }
            if uv.pointee.v == target {
                // Unreached but not yet swept: it is wanted again, so it lives.
                if o.pointee.marked & g.otherWhite != 0 { o.pointee.marked ^= GCMark.whites }
                return uv
            }
            link = UnsafeMutableRawPointer(o).assumingMemoryBound(to: ObjectRef?.self)
        }
        guard let raw = g.allocate(MemoryLayout<GCUpvalue>.stride) else { return nil }
        let uv = raw.bindMemory(to: GCUpvalue.self, capacity: 1)
        let head = g.pointee.openUpvalues
        uv.pointee = GCUpvalue(next: link.pointee, marked: g.pointee.currentWhite, gct: GCObjectType.upvalue,
                               closed: 0, v: target, closedValue: .nil, openPrev: nil, openNext: head)
        head?.pointee.openPrev = uv
        g.pointee.openUpvalues = uv
        link.pointee = header(uv)
        return uv
    }

    /// Closes every open upvalue at stack slot `level` or above (a block or function ends).
    public func closeUpvalues(from level: Int, _ g: GlobalRef) {
        let limit = pointee.stack + level
        while let o = pointee.openUpvalues, o.cast(to: GCUpvalue.self).pointee.v >= limit {
            let uv = o.cast(to: GCUpvalue.self)
            pointee.openUpvalues = o.pointee.next
            g.unlinkOpen(uv)
            // Unreached in a cycle whose sweep has not come to it yet: nothing can see it.
            if o.pointee.marked & g.otherWhite != 0 {
                g.release(uv, size: MemoryLayout<GCUpvalue>.stride)
            } else {
                g.close(uv)
            }
        }
    }
}

extension UnsafeMutablePointer where Pointee == GlobalState {
    /// A closed upvalue holding nil (for functions loaded from a dump); nil when memory runs out.
    func newClosedUpvalue() -> UpvalueRef? {
        guard let o = newObject(size: MemoryLayout<GCUpvalue>.stride, type: GCObjectType.upvalue) else { return nil }
        let uv = o.cast(to: GCUpvalue.self)
        uv.pointee.closed = 1
        uv.pointee.closedValue = .nil
        uv.pointee.v = uv.closedSlot
        uv.pointee.openPrev = nil
        uv.pointee.openNext = nil
        return uv
    }

    /// Removes an open upvalue from the global open list.
    func unlinkOpen(_ uv: UpvalueRef) {
        if let prev = uv.pointee.openPrev { prev.pointee.openNext = uv.pointee.openNext } else { pointee.openUpvalues = uv.pointee.openNext }
        uv.pointee.openNext?.pointee.openPrev = uv.pointee.openPrev
        uv.pointee.openPrev = nil
        uv.pointee.openNext = nil
    }

    /// Copies the slot's value into the upvalue and moves it onto the all-objects list.
    func close(_ uv: UpvalueRef) {
        uv.pointee.closedValue = uv.pointee.v.pointee
        uv.pointee.v = uv.closedSlot
        uv.pointee.closed = 1
        let o = header(uv)
        o.pointee.next = pointee.allObjects
        pointee.allObjects = o
        if o.isGray {
            // Open upvalues stay gray; a closed one is black while marking, or white again
            // once the sweep has passed the list head it now sits in front of.
            if pointee.phase == .propagate {
                o.pointee.marked |= GCMark.black
                if uv.pointee.closedValue.isCollectable { barrierForward(o, uv.pointee.closedValue.object) }
            } else {
                o.pointee.marked = (o.pointee.marked & ~(GCMark.black | GCMark.whites)) | pointee.currentWhite
            }
        }
    }
}
