/* The LLVM C API as Perigee uses it: declarations from LLVM's own headers, bound at run time. */
#ifndef PERIGEE_CLLVM_H
#define PERIGEE_CLLVM_H
#include <llvm-c/Core.h>

/* Opens libLLVM on first call; returns 0 on success, or -1 with a message in *error. */
int perigee_llvm_load(const char **error);
#endif
