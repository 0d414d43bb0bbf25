/// The tracing JIT: trace recorder, trace IR, optimizer, snapshots, lowering, ORC engine.
/// Filled by the JIT issue; nothing here yet.
import PerigeeLLVM
