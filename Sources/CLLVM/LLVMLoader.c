/* Opens the LLVM shared library on first use and fills the function table from the list. */
#include "CLLVM.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PERIGEE_LLVM_LIBRARY
#error "PERIGEE_LLVM_LIBRARY must be defined by the build (see Package.swift)"
#endif
#ifndef PERIGEE_LLVM_SONAME
#define PERIGEE_LLVM_SONAME ""
#endif
#ifndef PERIGEE_LINK_DIRECTORY
#define PERIGEE_LINK_DIRECTORY ""
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static PerigeeLLVMAPI table;
static const PerigeeLLVMAPI *_Atomic loaded;
static char load_error[1024];

/* Appends `text` to the message in `buf`, truncating with "..." when it is full. */
static void append(char *buf, size_t size, const char *text) {
  size_t used = strlen(buf);
  if (used + 1 >= size) return;
  size_t room = size - used - 1, len = strlen(text);
  if (len <= room) { memcpy(buf + used, text, len + 1); return; }
  memcpy(buf + used, text, room);
  buf[size - 1] = 0;
  if (size > 4) memcpy(buf + size - 4, "...", 3);
}

/* Opens `path` and resolves every listed function into `out`. Returns the handle, or NULL
 * with a message in `error` (the handle is closed again when a symbol is missing). */
static void *open_into(const char *path, PerigeeLLVMAPI *out, char *error, size_t size) {
  error[0] = 0;
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    snprintf(error, size, "cannot load the LLVM library '%s': %s", path, why ? why : "unknown error");
    return NULL;
  }
  int missing = 0;
#define PERIGEE_LLVM_RESOLVE(name)                                             \
  out->name = (__typeof__(out->name))dlsym(handle, #name);                    \
  if (!out->name) {                                                           \
    if (missing++ == 0) {                                                     \
      snprintf(error, size, "the library '%s' is not a usable LLVM: missing", path); \
    }                                                                         \
    append(error, size, " " #name);                                           \
  }
  PERIGEE_LLVM_FUNCTIONS(PERIGEE_LLVM_RESOLVE)
#undef PERIGEE_LLVM_RESOLVE
  if (missing) { dlclose(handle); return NULL; }
  return handle;
}

const char *perigee_llvm_default_library(void) { return PERIGEE_LLVM_LIBRARY; }

const char *perigee_link_directory(void) { return PERIGEE_LINK_DIRECTORY; }

const PerigeeLLVMAPI *perigee_llvm_loaded(void) { return loaded; }

const PerigeeLLVMAPI *perigee_llvm_api(const char **error) {
  const PerigeeLLVMAPI *ready = loaded;
  if (ready) return ready;
  pthread_mutex_lock(&lock);
  if (!loaded) {
    const char *override = getenv("PERIGEE_LLVM_LIBRARY");
    void *handle;
    if (override && *override) {
      /* An explicit choice is honoured exactly: no silent fallback to another LLVM. */
      handle = open_into(override, &table, load_error, sizeof load_error);
    } else if (access(PERIGEE_LLVM_LIBRARY, F_OK) == 0 || !*PERIGEE_LLVM_SONAME) {
      handle = open_into(PERIGEE_LLVM_LIBRARY, &table, load_error, sizeof load_error);
    } else {
      /* The build machine's path is gone (another machine): let the loader find the soname. */
      handle = open_into(PERIGEE_LLVM_SONAME, &table, load_error, sizeof load_error);
    }
    if (handle) loaded = &table;
  }
  ready = loaded;
  if (!ready) *error = load_error;
  pthread_mutex_unlock(&lock);
  return ready;
}

int perigee_llvm_probe(const char *path, char *error, size_t error_size) {
  PerigeeLLVMAPI scratch;
  void *handle = open_into(path, &scratch, error, error_size);
  if (!handle) return -1;
  dlclose(handle);
  return 0;
}
