/* tracefile.c - creates a process's trace file (tracefile.h). */
#define _GNU_SOURCE
#include "tracefile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jsonline.h"

#define TRACEFILE_TRIES 100 /* .1 .. .99 after the plain name */

int tracefile_create(const char *dir, pid_t pid, char *path, size_t cap)
{
    for (int n = 0; n < TRACEFILE_TRIES; n++) {
        struct jb b;
        jb_init(&b, path, cap - 1);
        jb_raw(&b, dir);
        jb_raw(&b, "/connleak-");
        jb_u64(&b, (uint64_t)pid);
        if (n) {
            jb_raw(&b, ".");
            jb_u64(&b, (uint64_t)n);
        }
        jb_raw(&b, ".jsonl");
        if (b.overflow) {
            errno = ENAMETOOLONG;
            return -1;
        }
        path[b.len] = 0;
        int fd =
            (int)syscall(SYS_openat, AT_FDCWD, path,
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND, 0600);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}
