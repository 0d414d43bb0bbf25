/// Ahead-of-time compilation: function lowering, object emission, linker driver.
import PerigeeCodegen
import PerigeeLLVM
