/* backend.c - the choice between the two recorders, and the probe as the
 * commands drive it. The preload needs nothing here (run.c sets its
 * environment); the probe is opened before the child execs, told the pid,
 * polled while the program runs and finished when it ends. */
#define _GNU_SOURCE
#include "cli/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"
#include "util/util.h"
#ifdef CONNLEAK_HAVE_PROBE
#include "probe.h"
#endif

/* PROG as execvp will find it, or NULL. */
static char *prog_resolve(const char *prog)
{
    if (strchr(prog, '/')) return xstrdup(prog);
    const char *path = getenv("PATH");
    if (!path) path = "/bin:/usr/bin";
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        char *cand = xasprintf("%.*s%s%s", (int)(end - p), p, end == p ? "" : "/", prog);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) return cand;
        free(cand);
        if (!*end) return NULL;
        p = end;
    }
}

static struct probe *probe_start(const char *dir, char *why, size_t len)
{
#ifdef CONNLEAK_HAVE_PROBE
    struct probe_opts po = {.dir = dir, .depth = 32, .http = true};
    return probe_open(&po, why, len);
#else
    (void)dir;
    snprintf(why, len, "this connleak was built without the probe backend (eBPF)");
    return NULL;
#endif
}

/* The line that says LD_PRELOAD cannot see PROG, and why the probe could
 * not be used instead. */
static char *observe_line(const char *prog, enum bin_kind kind, const char *probe_why)
{
    const char *what = kind == BIN_GO ? "is a Go binary: it makes its own system calls, so"
                                      : "is statically linked: the loader ignores LD_PRELOAD, so";
    return xasprintf("connleak: %s %s LD_PRELOAD cannot observe its sockets and no leak report is "
                     "possible; the probe backend (eBPF) could not be used: %s; run connleak as "
                     "root for it, or watch the program from outside: connleak watch -- %s",
                     prog, what, probe_why, prog);
}

int backend_choose(struct backend *b, const struct options *o, const char *dir, struct report *r)
{
    char why[512] = "";
    memset(b, 0, sizeof(*b));
    b->path = prog_resolve(o->args[0]);
    b->kind = b->path ? binkind_detect(b->path, why, sizeof(why)) : BIN_UNKNOWN;
    if (b->path && !binkind_native(b->path)) { /* 32-bit: nothing would be seen */
        r->backend = "preload";
        r->observe_line = xasprintf("connleak: %s is not an x86_64 program (32-bit?): neither "
                                    "LD_PRELOAD nor the probe can observe its sockets, and no leak "
                                    "report is possible",
                                    o->args[0]);
        return 0;
    }
    bool unseen = b->kind == BIN_GO || b->kind == BIN_STATIC;
    /* A shell or another launcher may exec a Go or static program the
     * preload would not see at all: the probe sees whatever it starts. */
    bool launcher = b->path && binkind_launcher(b->path);
    r->backend = "preload";
    if (o->backend == BACKEND_PROBE ||
        (o->backend == BACKEND_AUTO && (unseen || launcher) && b->path)) {
        if (!b->path && o->backend == BACKEND_PROBE) return 0; /* exec fails: said by run.c */
        b->probe = probe_start(dir, why, sizeof(why));
        if (b->probe) {
            r->backend = "probe";
            return 0;
        }
        if (o->backend == BACKEND_PROBE) {
            fprintf(stderr, "connleak: --backend probe: %s\n", why);
            return -1;
        }
    } else if (unseen) {
        snprintf(why, sizeof(why), "--backend preload was asked for");
    }
    if (unseen) r->observe_line = observe_line(o->args[0], b->kind, why);
    return 0;
}

int backend_probe_open(struct backend *b, const char *dir)
{
    char why[512];
    memset(b, 0, sizeof(*b));
    b->probe = probe_start(dir, why, sizeof(why));
    if (!b->probe) fprintf(stderr, "connleak: attach needs the probe backend: %s\n", why);
    return b->probe ? 0 : -1;
}

#ifdef CONNLEAK_HAVE_PROBE
static int follow(struct backend *b, pid_t pid, const char *exe)
{
    char why[512];
    if (probe_trace(b->probe, pid, exe, why, sizeof(why)) == 0) return 0;
    fprintf(stderr, "connleak: cannot follow pid %d: %s\n", (int)pid, why);
    return -1;
}

int backend_follow(struct backend *b, pid_t pid)
{
    return follow(b, pid, b->path ? b->path : "");
}

int backend_attach(struct backend *b, pid_t pid)
{
    return follow(b, pid, NULL);
}

void backend_poll(struct backend *b, int ms)
{
    if (b->probe) probe_poll(b->probe, ms);
}

int backend_live(const struct backend *b)
{
    return b->probe ? probe_live_processes(b->probe) : 0;
}

void backend_finish(struct backend *b)
{
    if (!b->probe) return;
    probe_poll(b->probe, 0);
    probe_finish(b->probe, "detach");
}

void backend_close(struct backend *b)
{
    if (b->probe) probe_close(b->probe);
    free(b->path);
    memset(b, 0, sizeof(*b));
}
#else
int backend_follow(struct backend *b, pid_t pid)
{
    (void)b, (void)pid;
    return -1;
}
int backend_attach(struct backend *b, pid_t pid)
{
    (void)b, (void)pid;
    return -1;
}
void backend_poll(struct backend *b, int ms)
{
    (void)b, (void)ms;
}
int backend_live(const struct backend *b)
{
    (void)b;
    return 0;
}
void backend_finish(struct backend *b)
{
    (void)b;
}
void backend_close(struct backend *b)
{
    free(b->path);
    memset(b, 0, sizeof(*b));
}
#endif
