/* backend.h - which recorder watches a program for `connleak run` and
 * `connleak attach`: libconnleak.so preloaded (programs that call libc for
 * their sockets) or the probe (eBPF, probe/: Go and static programs, and
 * any running process). Hides whether the probe was built at all. */
#ifndef CONNLEAK_BACKEND_H
#define CONNLEAK_BACKEND_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/binkind.h"
#include "cli/options.h"

struct report;

struct backend {
    struct probe *probe; /* NULL: the preload */
    enum bin_kind kind;  /* of the program run */
    char *path;          /* the program as execvp finds it, NULL if not found */
};

/* Picks the backend for o->args[0] (auto: the probe for Go and static
 * programs when it can load, else the preload with the line saying what it
 * cannot see in r->observe_line). Sets r->backend. Returns 0, or -1 after one
 * line on stderr when --backend probe was asked for and cannot be had. */
int backend_choose(struct backend *b, const struct options *o, const char *dir, struct report *r);

/* Opens the probe for `connleak attach` (dir: the trace directory). */
int backend_probe_open(struct backend *b, const char *dir);

/* With the probe: follows pid (stopped before its exec of b->path, or with
 * path NULL already running); handles the events that came (up to ms). */
int backend_follow(struct backend *b, pid_t pid);
int backend_attach(struct backend *b, pid_t pid);
void backend_poll(struct backend *b, int ms);
int backend_live(const struct backend *b); /* traced processes still running */
/* Ends the traces: the live sockets of processes still running are written
 * as open at that moment ("detach"). */
void backend_finish(struct backend *b);
void backend_close(struct backend *b);

#endif
