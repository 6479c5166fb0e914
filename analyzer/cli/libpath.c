/* libpath.c - locates libconnleak.so relative to the connleak binary, so a
 * build tree and a relocated install both work without configuration, and
 * $CONNLEAK_LIB overrides everything (tests, odd layouts). */
#define _GNU_SOURCE
#include "cli/libpath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

#define LIB_NAME "libconnleak.so"

static char *readable_realpath(const char *path)
{
    if (access(path, R_OK) != 0) return NULL;
    char *abs = realpath(path, NULL);
    if (!abs && errno == ENOMEM) {
        fputs("connleak: out of memory\n", stderr);
        exit(EXIT_TOOL);
    }
    return abs;
}

/* The directory of the running connleak binary, or "" when unknown. */
static void self_dir(char *dir, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", dir, len - 1);
    dir[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir[0] = '\0';
}

char *libpath_find(char *why, size_t why_len)
{
    const char *env = getenv("CONNLEAK_LIB");
    if (env && *env) {
        char *abs = readable_realpath(env);
        if (!abs) snprintf(why, why_len, "CONNLEAK_LIB=%s: %s", env, strerror(errno));
        return abs;
    }
    char dir[PATH_MAX], path[PATH_MAX + 64];
    self_dir(dir, sizeof(dir));
    char *abs = NULL;
    if (dir[0]) {
        snprintf(path, sizeof(path), "%s/" LIB_NAME, dir);
        abs = readable_realpath(path);
        if (!abs) {
            snprintf(path, sizeof(path), "%s/" CONNLEAK_BIN_TO_PKGLIB "/" LIB_NAME, dir);
            abs = readable_realpath(path);
        }
    }
    if (!abs) abs = readable_realpath(CONNLEAK_INSTALL_LIB);
    if (!abs)
        snprintf(why, why_len,
                 "cannot find " LIB_NAME " next to %s, in %s/" CONNLEAK_BIN_TO_PKGLIB " or at %s "
                 "(set CONNLEAK_LIB)",
                 dir[0] ? dir : "connleak", dir[0] ? dir : "", CONNLEAK_INSTALL_LIB);
    return abs;
}
