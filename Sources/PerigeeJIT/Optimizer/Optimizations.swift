import PerigeeRuntime

/// The trace optimizer's passes, switched by luajit's `-O` flags (`-O3` all, `-O-fwd` one off).
/// Their order, in one place:
/// 1. while recording, each instruction on its way into the IR (`TraceIR.emit`): FOLD
///    (`Fold`), then FWD (`LoadForwarding`) for loads, then CSE (the per-opcode chains);
///    NARROW of a root `for` loop's index is the recorder's (`TraceRecorder.narrowedIndex`),
///    and FOLD's TOBIT rule narrows sums of 32-bit integers (`WrappingSums`);
/// 2. while recording, each exit's snapshot: DCE leaves out the slots the bytecode no
///    longer reads (`SlotLiveness`, luajit's snapshot purging), so exits store less and
///    fewer values stay alive; dead instructions themselves are left to LLVM;
/// 3. once the trace is recorded: SINK (`AllocationSinking`) picks the tables the trace makes
///    that only its exits need, which it then makes there instead;
/// 4. while lowering a loop: LOOP (`LoopInvariants`) picks what runs once before it.
/// `abc`, `dse` and `fuse` are accepted and have no pass of their own yet.
public struct Optimizations: OptionSet {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let fold = Optimizations(rawValue: 1 << 0)
    public static let cse = Optimizations(rawValue: 1 << 1)
    public static let dce = Optimizations(rawValue: 1 << 2)
    public static let narrow = Optimizations(rawValue: 1 << 3)
    public static let loop = Optimizations(rawValue: 1 << 4)
    public static let fwd = Optimizations(rawValue: 1 << 5)
    public static let sink = Optimizations(rawValue: 1 << 6)
    public static let all: Optimizations = [.fold, .cse, .dce, .narrow, .loop, .fwd, .sink]

    /// The passes luajit's flags in `parameters` turn on (flags Perigee has no pass for,
    /// such as `abc` and `dse`, are accepted and change nothing).
    public init(_ parameters: JITParameters) {
        let names: [(String, Optimizations)] = [("fold", .fold), ("cse", .cse), ("dce", .dce), ("narrow", .narrow),
                                                 ("loop", .loop), ("fwd", .fwd), ("sink", .sink)]
        self = Optimizations(names.filter { parameters.enabled.contains($0.0) }.map(\.1))
    }
}
