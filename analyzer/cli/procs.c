/* procs.c - the processes under a process, read from /proc (procs.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/procs.h"
#include "util/util.h"

size_t procs_descendants(pid_t root, pid_t *out, size_t cap)
{
    struct pp {
        pid_t pid, ppid;
    } *all = NULL;
    size_t n = 0, ncap = 0, nout = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[64], buf[512];
        long pid = strtol(de->d_name, NULL, 10), ppid = 0;
        if (pid <= 0) continue;
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "re");
        size_t len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f) fclose(f);
        buf[len] = 0;
        const char *rp = strrchr(buf, ')'); /* the name may hold spaces and ')' */
        if (!rp || sscanf(rp + 1, " %*c %ld", &ppid) != 1) continue;
        ALLOC_GROW(all, n + 1, ncap);
        all[n++] = (struct pp){(pid_t)pid, (pid_t)ppid};
    }
    if (d) closedir(d);
    for (bool grew = true; grew && nout < cap;) { /* until no process joins */
        grew = false;
        for (size_t i = 0; i < n && nout < cap; i++) {
            bool under = all[i].ppid == root, seen = all[i].pid == root;
            for (size_t k = 0; k < nout; k++) {
                under |= all[i].ppid == out[k];
                seen |= all[i].pid == out[k];
            }
            if (under && !seen) {
                out[nout++] = all[i].pid;
                grew = true;
            }
        }
    }
    free(all);
    return nout;
}

void procs_name(pid_t pid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f || !fgets(buf, (int)len, f)) snprintf(buf, len, "?");
    if (f) fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}
