/* skipframes.c - the matcher behind a finding's headline frame: the client
 * and runtime libraries skipped by default, and --skip-frames globs. */
#include "symbols/skipframes.h"

#include <fnmatch.h>

#include "util/util.h"

/* The C library and the loader, HTTP and TLS client libraries, the C++
 * runtime, CPython (libpython, and Debian's python3.X executable, which
 * links it in statically), and connleak itself. */
const char *const skip_frames_default[] = {
    "libc.so*",       "libc-*.so",   "libpthread*.so*", "ld-linux*",      "ld-*.so*",
    "libcurl*.so*",   "libssl*.so*", "libcrypto*.so*",  "libgnutls*.so*", "libstdc++*.so*",
    "libpython*.so*", "python3.*",   "python2.*",       "libconnleak*",   NULL,
};

static bool glob_match(const char *pattern, const char *module, const char *function)
{
    if (module && fnmatch(pattern, path_basename(module), 0) == 0) return true;
    return function && fnmatch(pattern, function, 0) == 0;
}

bool skip_frames_match(const struct skip_frames *s, const char *module, const char *function)
{
    for (size_t i = 0; skip_frames_default[i]; i++)
        if (glob_match(skip_frames_default[i], module, function)) return true;
    for (size_t i = 0; s && i < s->nextra; i++)
        if (s->extra[i] && glob_match(s->extra[i], module, function)) return true;
    return false;
}
