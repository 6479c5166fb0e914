/* run.c - `connleak run PROG ARGS...`: run a program with libconnleak.so
 * preloaded, wait for it, then report on the traces it (and every process
 * it forked) left in the trace directory.
 *
 * connleak stays out of the program's way: the program keeps the terminal
 * (Ctrl-C goes to it; connleak ignores SIGINT/SIGQUIT while waiting and
 * passes SIGTERM/SIGHUP on), and the exit code is the program's own unless
 * --fail-on asks otherwise. Exec failures come back over a CLOEXEC pipe so
 * "not found" (127) and "not executable" (126) are told apart like a shell. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/backend.h"
#include "dumpsig.h"
#include "redact.h"
#include "cli/tracedir.h"
#include "util/binkind.h"
#include "cli/commands.h"
#include "cli/ci.h"
#include "cli/emit.h"
#include "cli/libpath.h"
#include "cli/options.h"
#include "cli/notify.h"
#include "cli/procs.h"
#include "report/report.h"
#include "util/util.h"

/* ---- the child ------------------------------------------------------ */

static int notify_fd = -1;    /* processes that cannot be traced say so here */
static char notify_name[100]; /* its abstract name, for CONNLEAK_NOTIFY */

static volatile sig_atomic_t child_pid;

static void signal_forward(int sig)
{
    if (child_pid > 0) kill((pid_t)child_pid, sig);
}

struct sigsave {
    sigset_t mask;
    struct sigaction intr, quit, term, hup;
};

/* Blocks the signals we handle until the child exists (see signals_take). */
static void signals_block(struct sigsave *s)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &s->mask);
}

/* While the child runs: Ctrl-C is the child's business, SIGTERM/SIGHUP are
 * passed on to it. */
static void signals_take(struct sigsave *s)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = signal_forward};
    sigemptyset(&ign.sa_mask);
    sigemptyset(&fwd.sa_mask);
    sigaction(SIGINT, &ign, &s->intr);
    sigaction(SIGQUIT, &ign, &s->quit);
    sigaction(SIGTERM, &fwd, &s->term);
    sigaction(SIGHUP, &fwd, &s->hup);
    sigprocmask(SIG_SETMASK, &s->mask, NULL);
}

static volatile sig_atomic_t stop_waiting;

/* After a Ctrl-C or SIGTERM that stopped the wait for what PROG left
 * running, the signals stay ignored: the report is what was asked for (and
 * `timeout` sends SIGTERM twice, to the command and to its group). */
static void signals_restore(struct sigsave *s)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, stop_waiting ? &ign : &s->intr, NULL);
    sigaction(SIGQUIT, &s->quit, NULL);
    sigaction(SIGTERM, stop_waiting ? &ign : &s->term, NULL);
    sigaction(SIGHUP, stop_waiting ? &ign : &s->hup, NULL);
    child_pid = 0;
}

static void child_setenv_int(const char *name, int v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", v);
    setenv(name, buf, 1);
}

/* In the child (single-threaded: setenv is fine here). */
static void child_env(const char *lib, const char *dir, const struct options *o, bool asan)
{
    if (asan) { /* binkind_needs_asan; first, so that the user's own setting wins */
        const char *old = getenv("ASAN_OPTIONS");
        char *opts =
            xasprintf("verify_asan_link_order=0%s%s", old && *old ? ":" : "", old ? old : "");
        setenv("ASAN_OPTIONS", opts, 1);
        free(opts);
    }
    const char *old = getenv("LD_PRELOAD");
    char *preload = old && *old ? xasprintf("%s:%s", lib, old) : xstrdup(lib);
    setenv("LD_PRELOAD", preload, 1);
    free(preload);
    setenv("CONNLEAK_DIR", dir, 1);
    child_setenv_int("CONNLEAK_ROOT_PID", (int)getpid()); /* this process, once exec'd */
    if (o->depth) child_setenv_int("CONNLEAK_DEPTH", o->depth);
    if (o->flush_ms) child_setenv_int("CONNLEAK_FLUSH_MS", o->flush_ms);
    if (!o->no_follow_exec) setenv("CONNLEAK_FOLLOW_EXEC", "1", 1);
    if (o->close_stacks) setenv("CONNLEAK_CLOSE_STACKS", "1", 1);
    if (o->tw_min > 0) child_setenv_int("CONNLEAK_TW_MIN", o->tw_min); /* sampler_final */
    if (notify_fd >= 0) setenv("CONNLEAK_NOTIFY", notify_name, 1);
}

/* The child: with the probe, it waits on `go` until the probe follows it. */
static _Noreturn void child_exec(const struct options *o, const char *lib, const char *dir,
                                 const sigset_t *mask, int errfd, int go, bool asan)
{
    sigprocmask(SIG_SETMASK, mask, NULL);
    if (go >= 0) {
        char c;
        while (read(go, &c, 1) < 0 && errno == EINTR)
            ;
        close(go);
    } else {
        child_env(lib, dir, o, asan);
    }
    execvp(o->args[0], o->args);
    int err = errno;
    if (write(errfd, &err, sizeof(err)) < 0) _exit(127);
    _exit(127);
}

/* Waits for the child; with the probe, handling its events meanwhile. */
static int child_wait(pid_t pid, int *status, struct backend *b)
{
    for (;;) {
        pid_t w = waitpid(pid, status, b->probe ? WNOHANG : 0);
        if (w == pid) return 0;
        if (w < 0 && errno != EINTR) return -1;
        if (w == 0) backend_poll(b, 100);
    }
}

/* ---- what the program left running ----------------------------------- */

#define RUNNING_SHOWN 5 /* processes named in the note and on stderr */

static void waiting_stop(int sig)
{
    (void)sig;
    stop_waiting = 1;
}

/* "pid 123 (leakyd), pid 124 (leakyd)" for the first of pids. */
static void running_list(const pid_t *pids, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < RUNNING_SHOWN && used < len; i++) {
        char name[64];
        procs_name(pids[i], name, sizeof(name));
        used += (size_t)snprintf(buf + used, len - used, "%spid %d (%s)", i ? ", " : "",
                                 (int)pids[i], name);
    }
    if (n > RUNNING_SHOWN && used < len) snprintf(buf + used, len - used, ", ...");
}

/* The processes under connleak. As their subreaper, connleak is the parent
 * of every process PROG left running or of one above it: with no child at
 * all (the common case) there is none, and /proc is not read. */
static size_t descendants_list(pid_t *pids, size_t cap)
{
    siginfo_t si;
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD) return 0;
    return procs_descendants(getpid(), pids, cap);
}

/* After PROG exited: waits for every process it started that still runs (a
 * daemon's child, a background job), which connleak inherits as their
 * subreaper, until none is left or Ctrl-C / SIGTERM. Those still running
 * then (or at once with --no-wait-children) are named in a note: their
 * traces end at their last flush, so the report is not the whole story. */
static void descendants_wait(const struct options *o, struct backend *b, struct report *r)
{
    pid_t pids[256];
    char list[512];
    size_t n = descendants_list(pids, 256);
    /* a child that is exiting (git's helpers) is not worth a line: 200 ms */
    for (int i = 0; n && i < 20 && !o->no_wait_children; i++) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if ((n = descendants_list(pids, 256))) usleep(10000);
    }
    if (n && !o->no_wait_children) {
        struct sigaction stop = {.sa_handler = waiting_stop}, old[3];
        int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
        sigemptyset(&stop.sa_mask); /* no SA_RESTART: waitpid returns */
        for (int i = 0; i < 3; i++) sigaction(sigs[i], &stop, &old[i]);
        running_list(pids, n, list, sizeof(list));
        fprintf(stderr,
                "connleak: %s exited; waiting for %zu process%s it started (%s): Ctrl-C to "
                "report now, --no-wait-children not to wait\n",
                path_basename(o->args[0]), n, n == 1 ? "" : "es", list);
        while (!stop_waiting) {
            pid_t w = waitpid(-1, NULL, b->probe ? WNOHANG : 0);
            if (w < 0 && errno == ECHILD) break;
            if (w == 0) backend_poll(b, 100);
        }
        for (int i = 0; i < 3 && !stop_waiting; i++) sigaction(sigs[i], &old[i], NULL);
    }
    while (waitpid(-1, NULL, WNOHANG) > 0) /* zombies of those that ended */
        ;
    n = descendants_list(pids, 256);
    if (!n) return;
    r->still_running = n;
    running_list(pids, n, list, sizeof(list));
    notes_addf(&r->notes,
               "%zu process%s started by %s still running at the report: %s; what %s after "
               "%s last flush is not in this report",
               n, n == 1 ? "" : "es", path_basename(o->args[0]), list,
               n == 1 ? "it did" : "they did", n == 1 ? "its" : "their");
}

/* Runs the program to its end. Returns 0 with its wait status, or the
 * errno of a failed exec in *exec_err; -1 when it could not be started. */
static int child_run(const struct options *o, const char *lib, const char *dir, int *status,
                     int *exec_err, struct report *r, struct backend *b)
{
    long *child = &r->pid;
    struct sigsave s;
    int pipefd[2], gofd[2] = {-1, -1};
    *exec_err = 0;
    if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
    if (b->probe && pipe2(gofd, O_CLOEXEC) != 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    bool asan = !b->probe && binkind_needs_asan(b->path);
    if (!b->probe) notify_fd = notify_open(notify_name, sizeof(notify_name));
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* what PROG leaves running becomes ours */
    signals_block(&s);
    pid_t pid = fork();
    int fork_err = errno;
    if (pid == 0) {
        close(pipefd[0]);
        if (gofd[1] >= 0) close(gofd[1]);
        child_exec(o, lib, dir, &s.mask, pipefd[1], gofd[0], asan);
    }
    close(pipefd[1]);
    if (gofd[0] >= 0) close(gofd[0]);
    child_pid = pid > 0 ? pid : 0;
    *child = pid;
    if (pid > 0 && b->probe && backend_follow(b, pid) < 0) {
        kill(pid, SIGKILL); /* never run a program connleak cannot see */
        pid = -1;
        fork_err = EPERM;
    }
    if (gofd[1] >= 0) close(gofd[1]); /* the child may exec now */
    signals_take(&s);
    ssize_t n = -1;
    while (pid > 0 && (n = read(pipefd[0], exec_err, sizeof(*exec_err))) < 0 && errno == EINTR)
        ;
    close(pipefd[0]);
    if (n != sizeof(*exec_err)) *exec_err = 0;
    int rc = pid > 0 ? child_wait(pid, status, b) : -1;
    if (rc == 0 && !*exec_err) descendants_wait(o, b, r);
    if (pid < 0 && *child > 0) waitpid((pid_t)*child, NULL, 0);
    backend_finish(b);
    signals_restore(&s);
    if (pid < 0) errno = fork_err;
    return rc;
}

/* ---- after the run -------------------------------------------------- */

/* The program's outcome into the report; returns its shell-style code. */
static int program_outcome(struct report *r, const struct options *o, int status)
{
    r->has_program = true;
    bool secret = false; /* the report shows argv as the traces do: secrets out */
    for (int i = 0; i < o->nargs; i++) {
        char arg[4096];
        redact_arg(o->args[i], secret, arg, sizeof(arg));
        secret = !secret && redact_flag_takes_secret(o->args[i]);
        strlist_push(&r->argv, xstrdup(arg));
    }
    if (WIFSIGNALED(status)) {
        r->signal = WTERMSIG(status);
        r->exit_code = -1;
        return 128 + r->signal;
    }
    r->exit_code = WEXITSTATUS(status);
    return r->exit_code;
}

static int exec_failed(const struct options *o, const struct tracedir *td, int err)
{
    fprintf(stderr, "connleak: cannot run '%s': %s\n", o->args[0], strerror(err));
    if (td->temp) tracedir_remove(td);
    return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

static int run_and_report(const struct options *o, const char *lib, struct tracedir *td,
                          struct output *out, struct report *r, struct backend *b)
{
    int status = 0, exec_err = 0;
    if (child_run(o, lib, td->path, &status, &exec_err, r, b) < 0) {
        fprintf(stderr, "connleak: cannot start '%s': %s\n", o->args[0], strerror(errno));
        return EXIT_TOOL;
    }
    if (exec_err) return exec_failed(o, td, exec_err);
    int code = program_outcome(r, o, status);
    notify_drain(notify_fd, r);
    notify_fd = -1;
    /* a Go or static program's traces, if any, say nothing (a Go program
     * even exits past libc, leaving them "cut short"): not read */
    if (!r->observe_line) tracedir_read(r, td);
    struct rule_opts ro;
    options_rule_opts(o, &ro);
    options_http_opts(o, &r->http);
    report_analyze(r, &ro);
    ci_filter(o, r); /* suppressions, --baseline */
    /* still-running processes write there: never removed under them */
    bool keep =
        td->temp && (o->keep_traces || report_has_problems(r) || r->still_running || r->untraced);
    if (keep) notes_addf(&r->notes, "traces kept in %s", td->path);
    if (output_report(out, o, r) < 0 || output_close(out) != 0) {
        fputs("connleak: could not write the report\n", stderr);
        if (td->temp) fprintf(stderr, "connleak: traces kept in %s\n", td->path);
        return EXIT_TOOL;
    }
    if (td->temp && !keep) tracedir_remove(td);
    /* a CI gate must not pass when nothing could be observed, nor when the
     * program left no trace at all (setuid, LD_PRELOAD dropped, ...) */
    bool gate = report_has_kinds(r, o->fail_on) || r->status == STATUS_NOT_OBSERVABLE ||
                r->status == STATUS_NO_TRACE || r->still_running || r->untraced;
    if (o->fail_on && code == 0 && r->status == STATUS_INCOMPLETE) /* disk full */
        code = EXIT_INCOMPLETE;
    else if (o->fail_on && code == 0 && gate)
        code = o->error_exitcode;
    return code;
}

static int run_program(const struct options *o)
{
    const char *dump = getenv("CONNLEAK_DUMP_SIGNAL");
    if (dumpsig_parse(dump) < 0) { /* said before the program runs, not in its output */
        fprintf(stderr,
                "connleak: CONNLEAK_DUMP_SIGNAL=%s: only USR1, USR2 or RTMIN+n (or off) may be "
                "used: another signal would change how the program handles it\n",
                dump);
        return EXIT_TOOL;
    }
    char why[PATH_MAX + 256];
    char *lib = libpath_find(why, sizeof(why));
    struct report r;
    struct tracedir td;
    struct output out = {0};
    struct backend b = {0};
    int rc = EXIT_TOOL;
    report_init(&r);
    if (tracedir_prepare(&td, o->trace_dir) == 0) {
        if (backend_choose(&b, o, td.path, &r) < 0) {
            if (td.temp) rmdir(td.path);
        } else if (!b.probe && !lib) {
            fprintf(stderr, "connleak: %s\n", why);
            if (td.temp) rmdir(td.path);
        } else if (output_open(&out, o) == 0) {
            if (r.observe_line) fprintf(stderr, "%s\n", r.observe_line);
            /* a text report on stderr need not say it again */
            r.observe_shown = out.f == stderr && o->format == FORMAT_TEXT;
            rc = run_and_report(o, lib, &td, &out, &r, &b);
        } else if (td.temp) {
            rmdir(td.path);
        }
    }
    backend_close(&b);
    output_close(&out);
    tracedir_free(&td);
    report_free(&r);
    free(lib);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct options o;
    int rc = EXIT_TOOL;
    if (options_parse(&o, CMD_RUN, argc, argv) < 0) {
        rc = EXIT_TOOL;
    } else if (options_answer_help(&o)) {
        rc = 0;
    } else if (o.nargs == 0) {
        fputs("connleak: run needs a program to run (see connleak --help)\n", stderr);
    } else {
        rc = run_program(&o);
    }
    options_free(&o);
    return rc;
}
