/// The tracing JIT. Built so far: the trace IR, defined once as a table (IROp: operand kinds,
/// effects, commutativity, guard comparisons and their inversions), the IR buffer with
/// interned constants, CSE chains and snapshots (TraceIR), and its `-jdump` listing (IRDump).
/// The recorder, the optimizer passes, the lowering to LLVM (on PerigeeCodegen) and the ORC
/// engine that installs traces come next; the interpreter does not start traces yet.
import PerigeeCodegen
import PerigeeLLVM
