/* finish.c - validation at the end of a trace: what a cut-short trace
 * lacks gets a note, and its live set is rebuilt from the socket events
 * (or taken from its last dump). */
#include "trace/reader_internal.h"

static int cmp_live_sid(const void *a, const void *b)
{
    uint64_t x = ((const struct live_sock *)a)->sid, y = ((const struct live_sock *)b)->sid;
    return x < y ? -1 : x > y;
}

static int cmp_sock_seq(const void *a, const void *b)
{
    uint64_t x = (*(const struct sock *const *)a)->seq, y = (*(const struct sock *const *)b)->seq;
    return x < y ? -1 : x > y;
}

/* The sockets still open, in the order of their first open record (slots
 * of closed sockets are reused, so the table's order is not that). */
static const struct sock **socks_open_in_order(const struct reader *r, size_t *n)
{
    const struct sock **v = xcalloc(r->nsocks ? r->nsocks : 1, sizeof(*v));
    *n = 0;
    for (size_t i = 0; i < r->nsocks; i++)
        if (r->socks[i].state == SOCK_OPEN) v[(*n)++] = &r->socks[i];
    if (*n > 1) sort_n(v, *n, sizeof(*v), cmp_sock_seq);
    return v;
}

/* The sockets whose last close the trace never recorded. What the latest
 * batch of live records (a dump) said of one of them is kept: its last
 * I/O, bytes, EOF and HTTP state. */
static void live_rebuild(struct reader *r)
{
    struct process *p = r->p;
    struct live_sock *dump = p->live;
    size_t ndump = p->nlive;
    if (ndump > 1) sort_n(dump, ndump, sizeof(*dump), cmp_live_sid);
    p->live = NULL;
    p->nlive = p->caplive = 0;
    size_t nopen;
    const struct sock **open = socks_open_in_order(r, &nopen);
    for (size_t i = 0; i < nopen; i++) {
        const struct sock *s = open[i];
        struct live_sock key = {.sid = s->sid}, l = {
                                                    .sid = s->sid,
                                                    .opened = s->opened,
                                                    .at = p->last_ts,
                                                    .stk = s->stk,
                                                    .peer = s->peer,
                                                    .role = s->role,
                                                    .inherited = s->inherited,
                                                };
        const struct live_sock *d =
            ndump ? search_n(&key, dump, ndump, sizeof(*dump), cmp_live_sid) : NULL;
        if (d) {
            l.last_io = d->last_io;
            l.in = d->in;
            l.out = d->out;
            l.http = d->http;
            l.eof = d->eof;
            l.kstate = d->kstate;
        }
        live_kernel(r, &l);
        ALLOC_GROW(p->live, p->nlive + 1, p->caplive);
        p->live[p->nlive++] = l;
    }
    free(open);
    free(dump);
}

/* A trace whose last dump came after its last socket event: the dump's
 * live set is the report's, as of the dump (ktcp records after it still
 * count). */
static void live_as_of_dump(struct reader *r)
{
    struct process *p = r->p;
    p->dump = r->batch_dump;
    for (size_t i = 0; i < p->nlive; i++) live_kernel(r, &p->live[i]);
    p->totals.opened = p->opened;
    p->totals.closed = p->closed;
    p->totals.live = p->nlive;
}

/* The write of the trace failed (common/tracefile.h): where it stops and
 * why. A marker file gives no errno: it is made when the disk is full. */
static void write_failed_note(struct reader *r)
{
    const struct process *p = r->p;
    const char *e = p->write_errno;
    if (!*e || !strcmp(e, "ENOSPC"))
        notes_addf(r->notes, "trace incomplete: disk full after %" PRIu64 " records (pid %ld)",
                   p->write_after, p->pid);
    else if (!strcmp(e, "EDQUOT") || !strcmp(e, "EFBIG"))
        notes_addf(r->notes,
                   "trace incomplete: disk full after %" PRIu64 " records (pid %ld, %s: %s)",
                   p->write_after, p->pid, e, e[1] == 'D' ? "quota" : "file size limit");
    else
        notes_addf(r->notes, "trace incomplete: write error %s after %" PRIu64 " records (pid %ld)",
                   e, p->write_after, p->pid);
}

void trace_finish(struct reader *r)
{
    struct process *p = r->p;
    if (r->bad_lines) {
        notes_addf(r->notes, "%s: skipped %zu malformed line%s (first at line %zu)", r->name,
                   r->bad_lines, r->bad_lines == 1 ? "" : "s", r->first_bad);
        p->issues += (unsigned)r->bad_lines;
        p->damaged += r->bad_lines;
    }
    if (r->long_lines) {
        notes_addf(r->notes, "%s: skipped %zu line%s longer than 1 MiB (first at line %zu)",
                   r->name, r->long_lines, r->long_lines == 1 ? "" : "s", r->first_long);
        p->issues += (unsigned)r->long_lines;
        p->damaged += r->long_lines;
    }
    if (r->after_end) {
        notes_addf(r->notes, "%s: ignored %zu record%s after the end record (first at line %zu)",
                   r->name, r->after_end, r->after_end == 1 ? "" : "s", r->first_after_end);
        p->issues += (unsigned)r->after_end;
    }
    if (!p->complete && r->in_live_batch && r->batch_dump) {
        live_as_of_dump(r);
        notes_addf(r->notes,
                   "trace of pid %ld ends without an exit record (still running, or killed): "
                   "report is as of its dump %" PRIu32,
                   p->pid, p->dump);
    } else if (!p->complete) {
        live_rebuild(r);
        p->totals.opened = p->opened;
        p->totals.closed = p->closed;
        p->totals.live = p->nlive;
        if (!p->write_failed) /* else write_failed_note says why it ends there */
            notes_addf(r->notes,
                       "trace of pid %ld ends without an exit record (killed, crashed or "
                       "exec'd): report is as of its last flush",
                       p->pid);
    } else if (p->totals.live != p->nlive) {
        notes_addf(r->notes,
                   "%s: the end record counts %" PRIu64 " live sockets, the trace lists %zu",
                   r->name, p->totals.live, p->nlive);
    }
    if (p->write_failed) write_failed_note(r);
    if (p->totals.lost)
        notes_addf(r->notes,
                   "pid %ld: %" PRIu64 " sockets were not tracked (fd beyond connleak's table)",
                   p->pid, p->totals.lost);
    if (p->totals.badclose_dropped)
        notes_addf(r->notes, "pid %ld: %" PRIu64 " more bad closes were not recorded (capped)",
                   p->pid, p->totals.badclose_dropped);
}
