/* watch.c - `connleak watch PID` and `connleak watch -- PROG ARGS`: samples
 * a process from outside every --interval, shows a live view, and reports
 * the trend findings when the watch ends (the process exits, --duration
 * passes, --once, or Ctrl-C / SIGTERM / SIGHUP).
 *
 * Nothing is preloaded: PROG runs as it is. Waits use ppoll with the
 * handled signals blocked otherwise, so a signal or the child's exit can
 * never slip in between a check and a sleep. A PID is followed by its
 * start time too, so a pid reused by another process ends the watch. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/watch_cmd.h"

struct target {
    int pid;
    bool child;                   /* started by us (watch -- PROG) */
    unsigned long long starttime; /* /proc/PID/stat field 22 */
    bool reaped;
    int status; /* wait status once reaped */
};

struct watch_run {
    const struct watch_opts *o;
    struct target tg;
    sigset_t orig_mask;
    struct timespec t0;
    FILE *out;     /* the report */
    FILE *live;    /* the live view, or NULL */
    bool in_place; /* live view on a terminal */
};

static volatile sig_atomic_t stop_signal, child_changed;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void on_child(int sig)
{
    (void)sig;
    child_changed = 1;
}

/* ---- the process ------------------------------------------------------ */

/* State letter and start time from /proc/PID/stat; false when it is gone. */
static bool stat_read(int pid, char *state, unsigned long long *starttime)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
    if (!p || sscanf(p + 1,
                     " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                     "%*d %*d %*d %llu",
                     state, starttime) != 2)
        return false;
    return true;
}

/* Still the process we started watching, and not a zombie? */
static bool target_alive(struct watch_run *w)
{
    struct target *tg = &w->tg;
    if (tg->child && !tg->reaped && child_changed) {
        child_changed = 0;
        if (waitpid(tg->pid, &tg->status, WNOHANG) == tg->pid) tg->reaped = true;
    }
    if (tg->reaped) return false;
    char state;
    unsigned long long start;
    if (!stat_read(tg->pid, &state, &start)) return false;
    return state != 'Z' && state != 'X' && start == tg->starttime;
}

static void process_names(struct watch_report *r)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/comm", r->pid);
    FILE *f = fopen(path, "re");
    snprintf(r->comm, sizeof(r->comm), "?");
    if (f && fgets(r->comm, sizeof(r->comm), f)) r->comm[strcspn(r->comm, "\n")] = '\0';
    if (f) fclose(f);
    char *safe = str_escape_controls(r->comm);
    snprintf(r->comm_text, sizeof(r->comm_text), "%s", safe);
    free(safe);
    snprintf(path, sizeof(path), "/proc/%d/exe", r->pid);
    r->exe = realpath(path, NULL);
}

/* A note when the process lives in another network namespace: sock_diag
 * answers for ours only. */
static void netns_check(struct watch_report *r)
{
    char path[64];
    struct stat mine, its;
    snprintf(path, sizeof(path), "/proc/%d/ns/net", r->pid);
    if (stat("/proc/self/ns/net", &mine) != 0 || stat(path, &its) != 0) return;
    if (mine.st_ino == its.st_ino && mine.st_dev == its.st_dev) return;
    notes_addf(&r->notes,
               "pid %d is in another network namespace: its TCP states are not visible from "
               "here; run connleak inside it (nsenter -t %d -n connleak watch %d)",
               r->pid, r->pid, r->pid);
}

/* ---- signals and time -------------------------------------------------- */

static void signals_setup(struct watch_run *w)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &w->orig_mask);
    struct sigaction stop = {.sa_handler = on_stop}, chld = {.sa_handler = on_child};
    sigemptyset(&stop.sa_mask);
    sigemptyset(&chld.sa_mask);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGHUP, &stop, NULL);
    sigaction(SIGCHLD, &chld, NULL);
}

static double elapsed(const struct watch_run *w)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - w->t0.tv_sec) + (double)(now.tv_nsec - w->t0.tv_nsec) / 1e9;
}

/* Sleeps until `until` seconds into the watch, a stop signal, or the
 * child's exit. */
static void wait_until(struct watch_run *w, double until)
{
    for (;;) {
        if (stop_signal || (w->tg.child && child_changed)) return;
        double left = until - elapsed(w);
        if (left <= 0) return;
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        ppoll(NULL, 0, &ts, &w->orig_mask);
    }
}

/* ---- watch -- PROG -------------------------------------------------------- */

/* Starts PROG; exec failures come back over a CLOEXEC pipe. Returns 0, or
 * the exit code (127 not found, 126 not executable, 125) after one line. */
static int child_start(struct watch_run *w)
{
    const struct watch_opts *o = w->o;
    int pipefd[2], err = 0;
    if (pipe2(pipefd, O_CLOEXEC) != 0) return EXIT_TOOL;
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        sigprocmask(SIG_SETMASK, &w->orig_mask, NULL);
        execvp(o->args[0], o->args);
        err = errno;
        if (write(pipefd[1], &err, sizeof(err)) < 0) _exit(127);
        _exit(127);
    }
    int fork_err = errno;
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        fprintf(stderr, "connleak: cannot start '%s': %s\n", o->args[0], strerror(fork_err));
        return EXIT_TOOL;
    }
    ssize_t n;
    while ((n = read(pipefd[0], &err, sizeof(err))) < 0 && errno == EINTR)
        ;
    close(pipefd[0]);
    w->tg.pid = pid;
    w->tg.child = true;
    if (n != sizeof(err)) return 0;
    waitpid(pid, NULL, 0);
    fprintf(stderr, "connleak: cannot run '%s': %s\n", o->args[0], strerror(err));
    return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

/* Ends PROG if it still runs: SIGTERM, then SIGKILL after 3 s. */
static void child_finish(struct watch_run *w)
{
    struct target *tg = &w->tg;
    if (!tg->child || tg->reaped) return;
    kill(tg->pid, SIGTERM);
    for (int i = 0; i < 60; i++) {
        if (waitpid(tg->pid, &tg->status, WNOHANG) == tg->pid) {
            tg->reaped = true;
            return;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(tg->pid, SIGKILL);
    tg->reaped = waitpid(tg->pid, &tg->status, 0) == tg->pid;
}

/* ---- the loop ------------------------------------------------------------ */

/* The first sample failed: why, in one line. */
static int first_sample_failed(const struct watch_run *w, int err)
{
    if (err == -ENOENT)
        fprintf(stderr, "connleak: no process with pid %d\n", w->tg.pid);
    else if (err == -EACCES || err == -EPERM)
        fprintf(stderr,
                "connleak: not permitted to read the fds of pid %d (/proc/%d/fd): run connleak "
                "as its user or as root\n",
                w->tg.pid, w->tg.pid);
    else
        fprintf(stderr, "connleak: cannot read /proc/%d/fd: %s\n", w->tg.pid, strerror(-err));
    return EXIT_TOOL;
}

static void live_show(struct watch_run *w, struct watch_report *r, const struct watch_model *m)
{
    if (!w->live) return;
    if (!w->in_place && m->nsamples > 1) fputc('\n', w->live);
    watch_summary_fill(&r->s, m);
    watch_live_text(w->live, r, w->in_place);
    watch_summary_free(&r->s);
    fflush(w->live);
}

/* One sample into the model. 1: taken; 0: the process is gone; < 0: -errno. */
static int sample_take(struct watch_run *w, struct watch_model *m, struct watch_snap *s)
{
    int rc = watch_sample(s, w->tg.pid, elapsed(w));
    if (!target_alive(w)) return 0; /* what was read may be a zombie's empty table */
    if (rc < 0) return rc;
    watch_model_add(m, s);
    return 1;
}

static double next_tick(const struct watch_run *w, double t)
{
    double step = w->o->interval_ms / 1000.0;
    double next = ((double)(long long)(t / step) + 1) * step;
    if (w->o->duration_s > 0 && next > w->o->duration_s) next = w->o->duration_s;
    return next;
}

/* Samples until the watch ends; -1 after one line when the first sample
 * fails. */
static int watch_loop(struct watch_run *w, struct watch_report *r, struct watch_model *m)
{
    struct watch_snap s = {0};
    int rc = 0;
    if (w->o->once && w->tg.child) wait_until(w, w->o->interval_ms / 1000.0);
    for (;;) {
        if (stop_signal) {
            r->end = END_INTERRUPTED;
            break;
        }
        int got = sample_take(w, m, &s);
        if (got == 0) {
            r->end = END_EXITED;
            break;
        }
        if (got < 0 && m->nsamples == 0) {
            rc = first_sample_failed(w, got);
            break;
        }
        if (got < 0) {
            notes_addf(&r->notes, "stopped: /proc/%d/fd could not be read any more: %s", w->tg.pid,
                       strerror(-got));
            r->end = END_LOST;
            break;
        }
        live_show(w, r, m);
        double t = m->t_last;
        if (w->o->once || (w->o->duration_s > 0 && t >= w->o->duration_s)) {
            r->end = w->o->once ? END_ONCE : END_DURATION;
            break;
        }
        wait_until(w, next_tick(w, t));
    }
    watch_snap_free(&s);
    return rc;
}

/* ---- the command ---------------------------------------------------------- */

static int target_open(struct watch_run *w)
{
    char state;
    if (w->o->nargs) {
        int rc = child_start(w);
        if (rc) return rc;
    } else {
        w->tg.pid = w->o->pid;
    }
    if (!stat_read(w->tg.pid, &state, &w->tg.starttime)) {
        if (w->tg.child) return 0; /* it already ended: the loop says so */
        fprintf(stderr, "connleak: no process with pid %d\n", w->tg.pid);
        return EXIT_TOOL;
    }
    if (!w->tg.child && (state == 'Z' || state == 'X')) {
        fprintf(stderr, "connleak: pid %d has already exited (a zombie: nothing to watch)\n",
                w->tg.pid);
        return EXIT_TOOL;
    }
    return 0;
}

static int outputs_open(struct watch_run *w)
{
    const struct watch_opts *o = w->o;
    bool to_stdout = !o->output || strcmp(o->output, "-") == 0;
    w->out = stdout;
    if (!to_stdout && !(w->out = fopen(o->output, "we"))) {
        fprintf(stderr, "connleak: cannot write '%s': %s\n", o->output, strerror(errno));
        return -1;
    }
    bool tty = isatty(STDOUT_FILENO);
    /* the live view goes to stdout: always when the text report goes there
     * too, otherwise only to a terminal */
    if ((to_stdout && o->format == FORMAT_TEXT) || (!to_stdout && tty)) w->live = stdout;
    w->in_place = tty;
    return 0;
}

static void report_fill(struct watch_run *w, struct watch_report *r, const struct watch_model *m)
{
    if (w->tg.child) {
        r->has_program = true;
        r->exit_code = -1;
        if (w->tg.reaped && WIFEXITED(w->tg.status)) r->exit_code = WEXITSTATUS(w->tg.status);
        if (w->tg.reaped && WIFSIGNALED(w->tg.status)) r->signal = WTERMSIG(w->tg.status);
    }
    if (m->diag_err)
        notes_addf(&r->notes, "no TCP states: sock_diag failed (%s); fd counts only",
                   strerror(-m->diag_err));
    watch_findings_compute(m, r->pid, &r->f);
    watch_summary_fill(&r->s, m);
}

static bool findings_have_kinds(const struct findings *f, unsigned kinds)
{
    for (size_t i = 0; i < f->n; i++)
        if (kinds & (1u << f->v[i].kind)) return true;
    return false;
}

static int report_emit(struct watch_run *w, struct watch_report *r)
{
    if (w->live && w->out == w->live && r->s.nsamples) fputc('\n', w->out);
    if (w->o->format == FORMAT_JSON)
        watch_render_json(w->out, r);
    else
        watch_render_text(w->out, r);
    bool ok = fflush(w->out) == 0 && !ferror(w->out);
    if (w->out != stdout && fclose(w->out) != 0) ok = false;
    w->out = NULL;
    if (!ok) fputs("connleak: could not write the watch report\n", stderr);
    return ok ? 0 : -1;
}

static int watch_run(const struct watch_opts *o)
{
    struct watch_run w = {.o = o};
    struct watch_model m = {0};
    struct watch_report r = {.interval_ms = o->interval_ms, .args = o->args, .nargs = o->nargs};
    signals_setup(&w);
    int rc = outputs_open(&w);
    if (rc == 0 && (rc = target_open(&w)) == 0) {
        r.pid = w.tg.pid;
        process_names(&r);
        netns_check(&r);
        clock_gettime(CLOCK_MONOTONIC, &w.t0);
        rc = watch_loop(&w, &r, &m);
        child_finish(&w);
        if (rc == 0) {
            report_fill(&w, &r, &m);
            rc = report_emit(&w, &r) < 0                               ? EXIT_TOOL
                 : o->fail_on && findings_have_kinds(&r.f, o->fail_on) ? o->error_exitcode
                                                                       : 0;
        }
    } else if (rc < 0) {
        rc = EXIT_TOOL;
    }
    if (w.out && w.out != stdout) fclose(w.out);
    findings_free(&r.f);
    watch_summary_free(&r.s);
    strlist_free(&r.notes);
    free(r.exe);
    watch_model_free(&m);
    return rc;
}

int cmd_watch(int argc, char **argv)
{
    struct watch_opts o;
    if (watch_opts_parse(&o, argc, argv) < 0) return EXIT_TOOL;
    if (o.help) {
        usage_print();
        return 0;
    }
    return watch_run(&o);
}
