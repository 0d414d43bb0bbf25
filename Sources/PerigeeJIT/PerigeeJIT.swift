/// The tracing JIT, on the shared code-generation layer (PerigeeCodegen). One file a part:
///
/// - IROp.swift: the trace IR's instruction set, defined once as a table.
/// - TraceIR.swift: one trace's IR (interned constants, CSE chains, snapshots).
/// - IRDump.swift: the IR part of `-jdump`.
/// - TraceRecorder.swift: records a hot loop's iteration into IR, guarding what it specialized on.
/// - TraceLowering.swift: a trace's IR to one LLVM function, guards to snapshot exits.
/// - TraceJIT.swift: hot counting to recording, compiling through ORC, installing at the
///   loop's FORL (patched to JFORL), `-jv`/`-jdump` reports, aborts and blacklisting.
/// - JITParameters (runtime/VM, so that built executables check `jit.opt.start` too):
///   luajit's parameters and `-O` flags.
///
/// The runtime's side is runtime/Interpreter/Traces.swift (the trace table, the recording
/// dispatch table, JFORL). This module never runs Lua code itself and loads libLLVM only
/// when the first trace compiles.
import PerigeeCodegen
import PerigeeLLVM
