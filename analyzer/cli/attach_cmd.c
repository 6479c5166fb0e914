/* attach_cmd.c - `connleak attach PID`: follows a process that is already
 * running, in any language, with the probe backend (eBPF), for --duration
 * seconds or until it ends or connleak gets Ctrl-C / SIGTERM, then reports.
 * The sockets it had before the attach are in the report as "open before
 * attach" (no stack: connleak did not see them open). The process is not
 * stopped, signalled nor changed: only observed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/backend.h"
#include "cli/commands.h"
#include "cli/ci.h"
#include "cli/emit.h"
#include "cli/options.h"
#include "cli/procs.h"
#include "report/report.h"
#include "cli/tracedir.h"
#include "util/util.h"

static volatile sig_atomic_t stop_asked;

static void stop_on_signal(int sig)
{
    (void)sig;
    stop_asked = 1;
}

static bool pid_parse(const char *s, pid_t *pid)
{
    long v;
    if (!options_long_parse(s, 1, 0x3fffffff, &v)) return false;
    *pid = (pid_t)v;
    return true;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Follows pid until the duration is over, it ended, or we are told to stop. */
static void attach_follow(struct backend *b, int duration_s)
{
    struct sigaction sa = {.sa_handler = stop_on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    double end = duration_s ? now_s() + duration_s : 0;
    while (!stop_asked && backend_live(b) > 0 && (!end || now_s() < end)) backend_poll(b, 100);
    backend_finish(b);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

static int attach_report(const struct options *o, struct tracedir *td, struct report *r)
{
    struct output out;
    if (output_open(&out, o) < 0) return EXIT_TOOL;
    tracedir_read(r, td);
    struct rule_opts ro;
    options_rule_opts(o, &ro);
    options_http_opts(o, &r->http);
    report_analyze(r, &ro);
    ci_filter(o, r); /* suppressions, --baseline */
    bool keep = td->temp && (o->keep_traces || report_has_problems(r));
    if (keep) notes_addf(&r->notes, "traces kept in %s", td->path);
    if (output_report(&out, o, r) < 0 || output_close(&out) != 0) {
        fputs("connleak: could not write the report\n", stderr);
        if (td->temp) fprintf(stderr, "connleak: traces kept in %s\n", td->path);
        return EXIT_TOOL;
    }
    if (td->temp && !keep) tracedir_remove(td);
    /* a CI gate must not pass on what could not be fully seen */
    bool gate = report_has_kinds(r, o->fail_on) || r->status == STATUS_NOT_OBSERVABLE;
    if (o->fail_on && r->status == STATUS_INCOMPLETE) return EXIT_INCOMPLETE;
    return o->fail_on && gate ? o->error_exitcode : 0;
}

/* The process a thread id belongs to (the probe follows processes). */
static pid_t tgid_of(pid_t pid)
{
    char path[64], line[256];
    long tgid = pid;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "Tgid: %ld", &tgid) == 1) break;
    if (f) fclose(f);
    return (pid_t)tgid;
}

#define ATTACH_CHILDREN_MAX 1024

/* The processes pid already had as children (and theirs), each followed
 * from now on as pid is; a count of those the probe could not follow. */
static void attach_children(struct backend *b, pid_t pid, struct report *r)
{
    pid_t kids[ATTACH_CHILDREN_MAX];
    size_t n = procs_descendants(pid, kids, ATTACH_CHILDREN_MAX), missed = 0;
    for (size_t i = 0; i < n; i++)
        if (backend_attach(b, kids[i]) != 0) missed++;
    if (n == ATTACH_CHILDREN_MAX)
        notes_addf(&r->notes,
                   "process %d has %d or more descendants: only the first %d are followed",
                   (int)pid, ATTACH_CHILDREN_MAX, ATTACH_CHILDREN_MAX);
    if (missed)
        notes_addf(&r->notes, "%zu of the %zu processes under %d could not be followed", missed, n,
                   (int)pid);
}

static int attach_pid(const struct options *o, pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH) {
        fprintf(stderr, "connleak: attach: no process %d\n", (int)pid);
        return EXIT_TOOL;
    }
    pid_t tgid = tgid_of(pid);
    if (tgid != pid) {
        fprintf(stderr, "connleak: attach: %d is a thread of process %d: following the process\n",
                (int)pid, (int)tgid);
        pid = tgid;
    }
    struct tracedir td;
    struct backend b;
    struct report r;
    int rc = EXIT_TOOL;
    if (tracedir_prepare(&td, o->trace_dir) < 0) return EXIT_TOOL;
    report_init(&r);
    r.backend = "probe";
    r.pid = pid;
    if (backend_probe_open(&b, td.path) == 0) {
        if (backend_attach(&b, pid) == 0) {
            attach_children(&b, pid, &r);
            attach_follow(&b, o->duration_s);
            rc = attach_report(o, &td, &r);
        }
        backend_close(&b);
    }
    if (rc == EXIT_TOOL && td.temp) tracedir_remove(&td);
    tracedir_free(&td);
    report_free(&r);
    return rc;
}

int cmd_attach(int argc, char **argv)
{
    struct options o;
    pid_t pid = 0;
    int rc = EXIT_TOOL;
    if (options_parse(&o, CMD_ATTACH, argc, argv) < 0) {
        rc = EXIT_TOOL;
    } else if (options_answer_help(&o)) {
        rc = 0;
    } else if (o.nargs != 1 || !pid_parse(o.args[0], &pid)) {
        fputs("connleak: attach needs one process id (see connleak --help)\n", stderr);
    } else {
        rc = attach_pid(&o, pid);
    }
    options_free(&o);
    return rc;
}
