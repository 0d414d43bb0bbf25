// PerigeeRuntime: everything a Lua program needs at run time, linked into `perigee` and into
// every AOT-built executable. Its folders are its layers:
//
// - Values/       the NaN-boxed Value, strings and the string table, metamethod names
// - Objects/      tables, functions, prototypes, upvalues, userdata, threads: their layouts
// - GC/           the allocator every object goes through, the incremental collector
// - VM/           one Lua universe (LuaVM, GlobalState), errors, tracebacks, coroutines,
//                 debug hooks, hot counters
// - Interpreter/  the frame layout (Frames), each instruction's slow path once (FrameView),
//                 the run's state (InterpreterRun), one handler per opcode (Interpreter*,
//                 chained by CSupport's generated dispatch stubs), operator metamethods
// - CompiledCode/ the ABI native code uses: entering it, the helpers it calls (thin doors
//                 into FrameView), fast-function ids, the layout table (RuntimeLayout)
// - Library/      the standard library, string patterns and formatting, string buffers
//
// It must never import LLVM or Foundation: the JIT plugs in through hooks, and AOT
// executables link this library with the static stdlib.
