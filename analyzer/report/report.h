/* report.h - the report: the processes read, their findings, the notes, and
 * for `connleak run` the program's outcome. Built in three stages (heaptrack
 * style): traces are read (report_add_*), interpreted (report_analyze), then
 * printed by a renderer (render.h), which only formats. */
#ifndef CONNLEAK_REPORT_H
#define CONNLEAK_REPORT_H

#include <stdbool.h>

#include "model/findings.h"
#include "model/model.h"
#include "rules/rules.h"
#include "util/util.h"

enum report_status {
    STATUS_CLEAN,
    STATUS_LEAKS,
    STATUS_NOT_OBSERVABLE,
    STATUS_NO_TRACE,
    STATUS_INCOMPLETE /* a trace stops where a write failed: disk full */
};
const char *status_name(enum report_status status);

struct report {
    struct process *procs; /* sorted by start time once analysed */
    size_t nprocs, capprocs;
    struct findings findings;
    struct strlist notes;
    enum report_status status;
    unsigned skipped;      /* files that were not usable traces */
    unsigned write_failed; /* traces that stop where a write failed (disk full) */
    char *incomplete_line; /* what the first of them says (STATUS_INCOMPLETE) */
    char *first_error;     /* why the first of them was skipped */
    struct hindex traces;  /* procs by the device and inode of their trace */
    struct http_opts http; /* thresholds of the HTTP rules: report_init sets the defaults */
    bool include_ipc;      /* --include-ipc: IPC sockets are findings (report_analyze sets it) */

    const char *backend; /* "preload" or "probe" (run, attach; report: from the traces) */

    /* connleak run only */
    bool has_program;
    struct strlist argv;
    long pid;             /* the process connleak started */
    size_t still_running; /* run: processes it started, still running at the report */
    size_t untraced;      /* run: processes that said they could not be traced (notify.h) */
    int exit_code;        /* -1 when killed by a signal */
    int signal;           /* 0 when it exited */
    char *observe_line;   /* set when LD_PRELOAD cannot observe the program */
    bool observe_shown;   /* observe_line is already on the report's stream */
};

void report_init(struct report *r);
void report_free(struct report *r);

/* Reads one trace. A file that is not a usable trace is skipped with a note
 * (counted in r->skipped); returns -1 then, 0 otherwise. A file already read
 * (same device and inode, under any name) is read once, with a note. */
int report_add_trace(struct report *r, const char *path);

/* The connleak-*.jsonl files in dir, sorted, as paths. -1 (errno set) when
 * dir cannot be read. */
int trace_dir_list(const char *dir, struct strlist *out);

/* Applies the rules, symbolises what the findings use, merges, sorts, sets
 * the status. */
void report_analyze(struct report *r, const struct rule_opts *o);

/* True when the report has a finding of a kind in the bitmask (1u << kind). */
bool report_has_kinds(const struct report *r, unsigned kinds);
/* True when something went wrong while reading: skipped files or lines, or
 * traces cut short although the program was not killed by a signal. Worth
 * keeping the traces for. */
bool report_has_problems(const struct report *r);
/* The process pid was last (its latest image, when it exec'd), or NULL. */
const struct process *report_process(const struct report *r, long pid);

/* The tests the processes marked (connleak_mark), each once, in the order
 * met (processes by start time); and whether a finding names a test
 * (report_tests.c). */
void report_tests(const struct report *r, struct strlist *out);
bool finding_in_test(const struct finding *f, const char *test);

/* What a clean report says of the sockets, over all processes: how many were
 * opened, how many are still open but not leaks (listeners; sockets a
 * forked child inherited), and whether a trace was cut short. */
struct report_sockets {
    uint64_t opened, listeners, inherited;
    uint64_t pooled;    /* Go (probe): connections idle in net/http's pool at the end */
    uint64_t keepalive; /* a last idle keep-alive connection to a peer, at exit */
    uint64_t lone;      /* a program's one answered non-HTTP connection, at exit */
    uint64_t accepted;  /* connections a server still held at its exit (no pile) */
    uint64_t ipc;       /* IPC sockets (rules_ipc.c), unless --include-ipc */
    bool partial;
};
void report_sockets(const struct report *r, struct report_sockets *out);

/* Notes, for a Python process, the connections closed after one small
 * response that the socket view cannot say was consumed (pybuffered.c). */
void report_note_python_buffered(struct strlist *notes, const struct process *p);

/* Notes connections closed first, at least --tw-min to one peer from one
 * site, that no sample's read of TIME_WAIT came after (twunread.c). */
void report_note_tw_unread(struct strlist *notes, const struct process *p,
                           const struct http_opts *h);

#endif
