/* Opens the LLVM shared library on first use, so processes that never compile skip it. */
#include "CLLVM.h"
#include <dlfcn.h>
#include <stddef.h>

static void *llvm_handle;

int perigee_llvm_load(const char **error) {
  if (llvm_handle) return 0;
  llvm_handle = dlopen(PERIGEE_LLVM_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (!llvm_handle) { *error = dlerror(); return -1; }
  return 0;
}
