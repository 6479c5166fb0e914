/* report.c - drives the read -> interpret stages of a report.
 *
 * Each process is interpreted on its own (rules, then symbolisation of the
 * few stacks its findings use, then its symbolizer is freed), and only the
 * resolved findings are merged into the report: memory for DWARF never
 * accumulates across processes. Groups of the same kind and call site merge
 * across processes into one finding (findings_merge): one finding per root
 * cause. A new rule is called from analyze_process below. */
#define _GNU_SOURCE
#include "report/report.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "symbols/stackfmt.h"
#include "symbols/symbols.h"
#include "trace/trace_read.h"

const char *status_name(enum report_status status)
{
    switch (status) {
    case STATUS_CLEAN:
        return "clean";
    case STATUS_LEAKS:
        return "leaks";
    case STATUS_NOT_OBSERVABLE:
        return "not-observable";
    case STATUS_NO_TRACE:
        return "no-trace";
    case STATUS_INCOMPLETE:
        return "incomplete";
    }
    return "?";
}

void report_init(struct report *r)
{
    memset(r, 0, sizeof(*r));
    r->exit_code = -1;
    r->http = HTTP_OPTS_DEFAULT;
}

void report_free(struct report *r)
{
    for (size_t i = 0; i < r->nprocs; i++) process_free(&r->procs[i]);
    free(r->procs);
    findings_free(&r->findings);
    strlist_free(&r->notes);
    strlist_free(&r->argv);
    free(r->first_error);
    free(r->observe_line);
    free(r->incomplete_line);
    hindex_free(&r->traces);
    memset(r, 0, sizeof(*r));
}

static uint32_t file_hash(uint64_t dev, uint64_t ino)
{
    uint64_t h = (dev * 0x9e3779b97f4a7c15ULL) ^ ino;
    return (uint32_t)(h ^ h >> 32);
}

/* The process already read from this file, or NULL. */
static const struct process *trace_seen(const struct report *r, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return NULL;
    uint64_t dev = (uint64_t)st.st_dev, ino = (uint64_t)st.st_ino;
    size_t cur = 0, i;
    while ((i = hindex_next(&r->traces, file_hash(dev, ino), &cur)) != SIZE_MAX)
        if (i < r->nprocs && r->procs[i].dev == dev && r->procs[i].ino == ino) return &r->procs[i];
    return NULL;
}

int report_add_trace(struct report *r, const char *path)
{
    struct process p;
    char *why = NULL;
    const struct process *seen = trace_seen(r, path);
    if (seen) {
        notes_addf(&r->notes, "%s: the same file as %s: read once", path, seen->trace);
        return 0;
    }
    if (trace_read_file(path, &p, &r->notes, &why) < 0) {
        notes_addf(&r->notes, "%s", why);
        if (trace_marked_full(path)) { /* the disk was full from the start */
            long pid = 0;
            sscanf(path_basename(path), "connleak-%ld", &pid);
            notes_addf(&r->notes, "trace incomplete: disk full after 0 records (pid %ld: %s)", pid,
                       path);
            if (!r->write_failed++)
                r->incomplete_line = xasprintf("connleak: trace incomplete: disk full after 0 "
                                               "records (pid %ld): this report is incomplete",
                                               pid);
        }
        r->skipped++;
        if (!r->first_error)
            r->first_error = why;
        else
            free(why);
        return -1;
    }
    ALLOC_GROW(r->procs, r->nprocs + 1, r->capprocs);
    r->procs[r->nprocs++] = p;
    hindex_add(&r->traces, file_hash(p.dev, p.ino), r->nprocs - 1);
    return 0;
}

static bool is_trace_name(const char *name)
{
    return str_has_prefix(name, "connleak-") && str_has_suffix(name, ".jsonl");
}

int trace_dir_list(const char *dir, struct strlist *out)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    struct strlist names = {0};
    while ((e = readdir(d)))
        if (is_trace_name(e->d_name)) strlist_push(&names, xstrdup(e->d_name));
    closedir(d);
    strlist_sort(&names);
    for (size_t i = 0; i < names.n; i++) strlist_push(out, xasprintf("%s/%s", dir, names.v[i]));
    strlist_free(&names);
    return 0;
}

static int cmp_process(const void *a, const void *b)
{
    const struct process *x = a, *y = b;
    if (x->start_unix_ns != y->start_unix_ns) return x->start_unix_ns < y->start_unix_ns ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Rules, then resolution of this process' stacks; the groups move into the
 * report (or into sweeps). */
static void analyze_process(struct report *r, const struct process *p, const struct rule_opts *o,
                            struct findings *sweeps)
{
    struct findings local = {0};
    rules_http(p, o, &r->http, &local);
    rules_orphan(p, o, &r->http, &local);
    rules_closewait(p, o, &r->http, &local);
    rules_close(p, &local);
    rules_handles(p, o, &r->http, &local);
    rules_timewait(p, &r->http, &local);
    rules_growth(p, &local);
    rules_pool(p, &local);
    rules_gobody(p, &local);
    rules_tests(p, o, &r->http, &local);
    report_note_python_buffered(&r->notes, p);
    report_note_tw_unread(&r->notes, p, &r->http);
    if (local.n == 0) return;
    struct symbolizer *sym = stackfmt_symbolizer(p, &local, 0);
    const struct skip_frames skip = {o->skip_frames, o->nskip_frames};
    for (size_t i = 0; i < local.n; i++) {
        struct finding *f = &local.v[i];
        stackfmt_resolve(sym, p, f->stk, &skip, &f->stack);
        stackfmt_resolve(sym, p, f->open_stk, &skip, &f->open_stack);
        stackfmt_resolve(sym, p, f->first_close_stk, &skip, &f->first_close_stack);
        for (size_t j = 0; j < f->ngsites; j++)
            stackfmt_resolve(sym, p, f->gsites[j].stk, &skip, &f->gsites[j].stack);
        f->fingerprint = frames_fingerprint(&f->stack);
        f->site = frames_site(&f->stack);
        findings_merge(f->sweep ? sweeps : &r->findings, f);
    }
    for (size_t i = 0; sym && i < symbolizer_note_count(sym); i++)
        notes_addf(&r->notes, "%s", symbolizer_note(sym, i));
    if (sym) symbolizer_free(sym);
    findings_free(&local);
}

static void sweeps_note(struct report *r, const struct findings *sweeps)
{
    for (size_t i = 0; i < sweeps->n; i++) {
        char *where = frames_where(&sweeps->v[i].stack);
        notes_addf(&r->notes,
                   "ignored %" PRIu64 " closes of never-opened fds from a close-all loop at %s",
                   sweeps->v[i].count, where);
        free(where);
    }
}

/* The headline of an incomplete report: the first trace a full disk cut. */
static void incomplete_say(struct report *r, const struct process *p)
{
    const char *e = p->write_errno;
    bool full = !*e || !strcmp(e, "ENOSPC") || !strcmp(e, "EDQUOT") || !strcmp(e, "EFBIG");
    r->incomplete_line =
        xasprintf("connleak: trace incomplete: %s%s after %" PRIu64
                  " records (pid %ld): this report is incomplete",
                  full ? "disk full" : "write error ", full ? "" : e, p->write_after, p->pid);
}

/* The same for damage: records that could not be read are records the
 * report did not see (a lost close shows a socket as open; a lost open
 * hides a leak), so a report with any is never clean. */
static void damaged_say(struct report *r)
{
    size_t n = 0, first = r->nprocs;
    for (size_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].damaged && (n += r->procs[i].damaged) && first == r->nprocs) first = i;
    if (!n) return;
    r->incomplete_line = xasprintf("connleak: trace damaged: %zu record%s could not be read (pid "
                                   "%ld%s): this report is incomplete",
                                   n, n == 1 ? "" : "s", r->procs[first].pid,
                                   n > r->procs[first].damaged ? " and others" : "");
}

void report_analyze(struct report *r, const struct rule_opts *o)
{
    struct findings sweeps = {0};
    if (r->nprocs > 1) sort_n(r->procs, r->nprocs, sizeof(*r->procs), cmp_process);
    hindex_free(&r->traces); /* the processes moved */
    r->include_ipc = o->include_ipc;
    ipc_mark_shared(r->procs, r->nprocs);
    for (size_t i = 0; i < r->nprocs; i++) {
        process_link_owners(&r->procs[i]);
        analyze_process(r, &r->procs[i], o, &sweeps);
        if (r->procs[i].probe && !r->backend) r->backend = "probe";
        if (r->procs[i].write_failed && !r->write_failed++) incomplete_say(r, &r->procs[i]);
        if (r->procs[i].events_lost && !r->observe_line) /* never clean when blind */
            r->observe_line = xasprintf("connleak: the kernel dropped events of pid %ld (the "
                                        "probe's ring buffer was full): this report is incomplete, "
                                        "a socket whose close was lost shows as open",
                                        r->procs[i].pid);
    }
    findings_sort(&r->findings);
    sweeps_note(r, &sweeps);
    findings_free(&sweeps);
    if (!r->observe_line && !r->write_failed) damaged_say(r);
    if (r->observe_line)
        r->status = STATUS_NOT_OBSERVABLE;
    else if (r->write_failed || r->incomplete_line)
        r->status = STATUS_INCOMPLETE;
    else if (r->nprocs == 0)
        r->status = STATUS_NO_TRACE;
    else
        r->status = r->findings.n ? STATUS_LEAKS : STATUS_CLEAN;
}

bool report_has_kinds(const struct report *r, unsigned kinds)
{
    for (size_t i = 0; i < r->findings.n; i++)
        if (kinds & finding_kinds(&r->findings.v[i])) return true;
    return false;
}

bool report_has_problems(const struct report *r)
{
    if (r->skipped || r->write_failed) return true;
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct process *p = &r->procs[i];
        /* a program killed by a signal leaves cut-short traces: expected */
        if (p->issues || (!r->signal && (p->cut_short || !p->complete))) return true;
    }
    return false;
}

const struct process *report_process(const struct report *r, long pid)
{
    for (size_t i = r->nprocs; i-- > 0;) /* the last: an exec'd image is named after it */
        if (r->procs[i].pid == pid) return &r->procs[i];
    return NULL;
}

void report_sockets(const struct report *r, struct report_sockets *out)
{
    *out = (struct report_sockets){0};
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct process *p = &r->procs[i];
        out->opened += p->totals.opened;
        out->partial |= !p->complete;
        for (size_t j = 0; j < p->nlive; j++) {
            const struct http_state *h = process_http(p, p->live[j].http);
            if (p->live[j].role == ROLE_LISTENER)
                out->listeners++;
            else if (p->live[j].inherited)
                out->inherited++;
            else if (!r->include_ipc && live_is_ipc(&p->live[j]))
                out->ipc++;
            else if (h && h->go == GO_POOLED)
                out->pooled++;
            else if (claim_idle_keepalive(p, &p->live[j], &r->http))
                out->keepalive++;
            else if (claim_lone_exchange(p, &p->live[j], &r->http))
                out->lone++;
            else if (claim_accepted_at_exit(p, &p->live[j], &r->http))
                out->accepted++;
        }
    }
}
