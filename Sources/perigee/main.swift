/// The `perigee` command line, in the conventions of `lua` and `luajit`.
#if canImport(Glibc)
import Glibc
#endif
import PerigeeFrontend
import PerigeeRuntime

let arguments = Array(CommandLine.arguments.dropFirst())
exit(CommandLineDriver(arguments: arguments).run())
