import CSupport
/// Hot counting for the tracing JIT, as LuaJIT does it: 64 shared counters indexed by a hash
/// of the instruction's address; loop instructions subtract 2, function entries 1, and a
/// counter that drops below zero fires the hook and starts again.
///
/// With no hook installed (no JIT, or `-joff`) the interpreter does not count at all: one
/// predictable branch on `isCounting` per loop iteration and function entry.
public struct HotCounters {
    public static let slots = 64
    /// LuaJIT's default: 56 loop iterations (counted by 2) make a loop hot.
    public var hotLoop: Int = 56
    /// The counters; just before them (index -1), the flags the interpreter's fast stubs read
    /// (Sources/CSupport/DispatchFastPaths.h): whether loop edges and function entries count.
    let counters: UnsafeMutablePointer<Int16>
    /// Called with the address of the hot instruction (a loop or function header).
    public var onHot: ((UnsafePointer<UInt32>) -> Void)? {
        didSet {
            isCounting = onHot != nil
            isCountingFunctions = isCounting && countsFunctions
            publishFlags()
            reset()
        }
    }
    /// Whether function headers count too (FUNCF's fast path counts, and takes its slow path
    /// only when the counter runs out).
    public var countsFunctions = true {
        didSet {
            isCountingFunctions = isCounting && countsFunctions
            publishFlags()
        }
    }
    /// Whether a hook is installed (a plain flag: the interpreter tests it on every loop).
    public private(set) var isCounting = false
    /// Whether function headers count (tested on every call).
    public private(set) var isCountingFunctions = false

    init() {
        let block = UnsafeMutablePointer<Int16>.allocate(capacity: HotCounters.slots + 1)
        block.initialize(repeating: 0, count: HotCounters.slots + 1)
        counters = block + 1
    }

    private func publishFlags() {
        counters[-1] = Int16((isCounting ? PERIGEE_HOT_COUNTING_LOOPS : 0) | (isCountingFunctions ? PERIGEE_HOT_COUNTING_FUNCTIONS : 0))
    }

    /// Every counter back to its start value (`hotLoop * 2 - 1`).
    public func reset() {
        let start = Int16(clamping: hotLoop * 2 - 1)
        for i in 0..<HotCounters.slots { counters[i] = start }
    }

    /// Makes the instruction at `pc` wait `count` more executions (counted as loops count
    /// them) before it is hot again: the penalty of a recording that failed.
    public func delay(_ pc: UnsafePointer<UInt32>, by count: Int) {
        counters[Int((UInt(bitPattern: pc) >> 2) & UInt(HotCounters.slots - 1))] = Int16(clamping: count)
    }

    /// Counts one function entry at `pc` without firing: true when its counter ran out (the
    /// caller's slow path then calls `count(pc, by: 0)`, which fires the hook).
    @inline(__always) public func expires(_ pc: UnsafePointer<UInt32>) -> Bool {
        let slot = Int((UInt(bitPattern: pc) >> 2) & UInt(HotCounters.slots - 1))
        counters[slot] &-= 1
        return counters[slot] < 0
    }

    /// Counts one execution of the instruction at `pc`.
    @inline(__always) func count(_ pc: UnsafePointer<UInt32>, by amount: Int16) {
        let slot = Int((UInt(bitPattern: pc) >> 2) & UInt(HotCounters.slots - 1))
        counters[slot] &-= amount
        if counters[slot] < 0 {
            counters[slot] = Int16(clamping: hotLoop * 2 - 1)
            onHot?(pc)
        }
    }
}
