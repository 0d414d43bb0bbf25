// PerigeeRuntime: everything a Lua program needs at run time, linked into `perigee` and into
// every AOT-built executable.
//
// Owns values (Value), objects and their layouts (String, Table*, Function, Proto, Upvalue,
// Userdata, Thread), memory and the collector (Memory, GC*), the interpreter (Interpreter:
// entry points; InterpreterRun: a run's state and frame work; InterpreterHandlers,
// InterpreterCalls, InterpreterColdOps: one handler per opcode, which CSupport's dispatch
// stubs call and chain with guaranteed tail calls; Frames, Metamethods, RuntimeErrors,
// Traceback), coroutines, and the libraries (BaseLibrary,
// LibraryBasics, TableSort, DebugLibrary). It must never import LLVM or Foundation: the JIT
// plugs in through hooks, and AOT executables link this library with the static stdlib.
