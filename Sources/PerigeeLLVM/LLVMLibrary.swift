/// Shared LLVM plumbing for the JIT and the AOT compiler.
import CLLVM
