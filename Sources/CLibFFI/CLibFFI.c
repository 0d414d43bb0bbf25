/// libffi for the FFI: this file only makes the target a C library; the calls are in Swift.
#include "CLibFFI.h"
#include <errno.h>

int *perigee_errno_location(void) { return &errno; }
