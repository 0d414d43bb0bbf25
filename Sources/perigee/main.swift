/// The `perigee` command line, in the conventions of `lua` and `luajit`.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeFrontend
import PerigeeRuntime

let arguments = Array(CommandLine.arguments.dropFirst())
let status = CommandLineDriver(arguments: arguments).run()
// The process ends without running libLLVM's static destructors (it was opened at run time
// when a trace compiled): tearing LLVM down under a live ORC instance can abort. Output is
// flushed first, as exit() would.
fflush(nil)
_exit(status)
