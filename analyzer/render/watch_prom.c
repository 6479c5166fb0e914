/* watch_prom.c - `connleak watch --prometheus FILE`: after every sample, the
 * process seen from outside as Prometheus text-format metrics, for
 * node_exporter's textfile collector: open fds and their limit, its TCP
 * sockets by state, and the findings so far by kind (the same kinds, and
 * their socket counts, as the final report). Written atomically: a
 * temporary file next to FILE, then rename. The preload writes the same
 * fd and state gauges from inside a program (preload/prom.c). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "render/watch_render.h"

static void label_put(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') fputc('\\', f);
        if (*s == '\n') {
            fputs("\\n", f);
            continue;
        }
        fputc(*s, f);
    }
}

static void series(FILE *f, const struct watch_report *r, const char *name)
{
    fprintf(f, "%s{pid=\"%d\",program=\"", name, r->pid);
    label_put(f, r->comm);
    fputc('"', f);
}

static void header(FILE *f, const char *name, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void findings_put(FILE *f, const struct watch_report *r)
{
    static const enum finding_kind kinds[] = {KIND_CLOSE_WAIT, KIND_FD_GROWTH, KIND_TIME_WAIT,
                                              KIND_POOL};
    header(f, "connleak_findings", "Findings so far, by kind (0: none).");
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        size_t n = 0;
        for (size_t i = 0; i < r->f.n; i++) n += r->f.v[i].kind == kinds[k];
        series(f, r, "connleak_findings");
        fprintf(f, ",kind=\"%s\"} %zu\n", kind_name(kinds[k]), n);
    }
}

static void metrics_put(FILE *f, const struct watch_report *r)
{
    static const char *const states[] = {NULL,         "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                         "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                         "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
    header(f, "connleak_open_fds", "Open file descriptors of the process.");
    series(f, r, "connleak_open_fds");
    fprintf(f, "} %d\n", r->s.fds_last);
    if (r->s.nofile > 0) {
        header(f, "connleak_fd_limit", "Its RLIMIT_NOFILE soft limit.");
        series(f, r, "connleak_fd_limit");
        fprintf(f, "} %ld\n", r->s.nofile);
    }
    if (!r->s.diag_err && r->s.totals) {
        header(f, "connleak_tcp_sockets", "The process's TCP sockets by the kernel's state.");
        for (int i = 1; i < WATCH_NSTATES; i++) {
            series(f, r, "connleak_tcp_sockets");
            fprintf(f, ",state=\"%s\"} %u\n", states[i], r->s.totals[i]);
        }
    }
    findings_put(f, r);
    header(f, "connleak_watch_samples", "Samples taken so far.");
    series(f, r, "connleak_watch_samples");
    fprintf(f, "} %u\n", r->s.nsamples);
}

int watch_render_prom(const char *path, const struct watch_report *r)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp)) return -1;
    FILE *f = fopen(tmp, "we");
    if (!f) return -1;
    metrics_put(f, r);
    bool ok = fflush(f) == 0 && !ferror(f);
    if (fclose(f) != 0) ok = false;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}
