/// libffi (the system's, from libffi-dev) for the FFI's calls into C and its callbacks.
#ifndef PERIGEE_CLIBFFI_H
#define PERIGEE_CLIBFFI_H

#include <ffi.h>

/// The address of the calling thread's `errno` (Swift cannot take it from the macro).
int *_Nonnull perigee_errno_location(void);

#endif
