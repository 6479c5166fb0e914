/* render_text.c - the report for a person reading a terminal.
 *
 * The most important finding first, one block per call site: a headline
 * that says what and where, one line of numbers, then the stack with the
 * program's own frames in bold and library frames dimmed. A clean run is a
 * single line. Colour only when asked (render_text's caller decides).
 * The HTTP and client-handle findings add a line of advice under their
 * headline: what to change in the program.
 * Every string that comes from a trace (names, paths, peers, notes) goes
 * through esc(): a trace must not be able to drive the terminal.
 * The blocks of the HTTP, client-handle and sampler findings are in
 * render_text_kinds.c; `connleak watch` prints its findings (seen from
 * outside: no stacks) one by one with render_text_finding. */
#define _GNU_SOURCE
#include "render/text_internal.h"

/* s with its control characters escaped; valid until ESC_RING more calls. */
const char *esc(struct text *t, const char *s)
{
    unsigned i = t->next++ % ESC_RING;
    free(t->ring[i]);
    t->ring[i] = str_escape_controls(s ? s : "");
    return t->ring[i];
}

static void styled(struct text *t, const char *style, const char *s)
{
    if (t->color)
        fprintf(t->out, "%s%s%s", style, s, STYLE_RESET);
    else
        fputs(s, t->out);
}

const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- numbers -------------------------------------------------------- */

void bytes_fmt(uint64_t b, char *buf, size_t n)
{
    if (b < 1024)
        snprintf(buf, n, "%" PRIu64 " B", b);
    else if (b < 1024 * 1024)
        snprintf(buf, n, "%.1f KiB", b / 1024.0);
    else if (b < 1024ULL * 1024 * 1024)
        snprintf(buf, n, "%.1f MiB", b / (1024.0 * 1024));
    else
        snprintf(buf, n, "%.1f GiB", b / (1024.0 * 1024 * 1024));
}

void ms_fmt(uint64_t ms, char *buf, size_t n)
{
    if (ms < 1000)
        snprintf(buf, n, "%" PRIu64 " ms", ms);
    else if (ms < 60 * 1000)
        snprintf(buf, n, "%.1f s", ms / 1000.0);
    else if (ms < 3600 * 1000)
        snprintf(buf, n, "%.1f min", ms / 60000.0);
    else
        snprintf(buf, n, "%.1f h", ms / 3600000.0);
}

/* "2–40 ms", "3 ms–4.1 s", "41 ms" */
void range_fmt(uint64_t min_ns, uint64_t max_ns, char *buf, size_t n)
{
    uint64_t lo = min_ns == UINT64_MAX ? 0 : min_ns / 1000000, hi = max_ns / 1000000;
    char a[24], b[24];
    ms_fmt(lo, a, sizeof(a));
    ms_fmt(hi, b, sizeof(b));
    if (lo == hi || strcmp(a, b) == 0)
        snprintf(buf, n, "%s", a);
    else if (hi < 1000)
        snprintf(buf, n, "%" PRIu64 "–%" PRIu64 " ms", lo, hi);
    else
        snprintf(buf, n, "%s–%s", a, b);
}

/* ---- processes ------------------------------------------------------ */

/* "leaky (pid 42)", "worker (pids 4, 5)", "server (pid 3) and 2 other processes" */
static char *procs_describe(const struct report *r, const long *pids, size_t n)
{
    const struct process *first = report_process(r, pids[0]);
    const char *name = first ? process_name(first) : "?";
    bool same = true;
    for (size_t i = 1; i < n; i++) {
        const struct process *p = report_process(r, pids[i]);
        same &= p && strcmp(process_name(p), name) == 0;
    }
    struct strbuf sb = {0};
    if (n == 1 || !same) {
        if (pids[0] == 0) /* a trace whose damaged header left its pid unknown */
            strbuf_addf(&sb, "%s (pid unknown)", name);
        else
            strbuf_addf(&sb, "%s (pid %ld)", name, pids[0]);
        if (n > 1) strbuf_addf(&sb, " and %zu other process%s", n - 1, n == 2 ? "" : "es");
        return strbuf_steal(&sb);
    }
    strbuf_addf(&sb, "%s (pids ", name);
    for (size_t i = 0; i < n && i < MAX_PIDS; i++)
        strbuf_addf(&sb, "%s%ld", i ? ", " : "", pids[i]);
    strbuf_add(&sb, n > MAX_PIDS ? ", …)" : ")");
    return strbuf_steal(&sb);
}

/* The distinct pids of all findings, sorted (or of all processes). */
static size_t pids_collect(const struct report *r, bool from_findings, long **out)
{
    struct finding all = {0};
    for (size_t i = 0; from_findings && i < r->findings.n; i++)
        for (size_t j = 0; j < r->findings.v[i].npids; j++)
            finding_add_pid(&all, r->findings.v[i].pids[j]);
    for (size_t i = 0; !from_findings && i < r->nprocs; i++) finding_add_pid(&all, r->procs[i].pid);
    *out = all.pids;
    return all.npids;
}

/* ---- headline ------------------------------------------------------- */

/* " and closed them all", " and closed all but 1 listener (not counted ...)" */
static void clean_tail(struct text *t, uint64_t opened, const struct report_sockets *k)
{
    uint64_t listeners = k->listeners, inherited = k->inherited, pooled = k->pooled;
    uint64_t kept = listeners + inherited + pooled + k->keepalive + k->lone + k->accepted + k->ipc;
    if (opened == 0) return;
    if (!kept) {
        fputs(opened == 1 ? " and closed it" : " and closed them all", t->out);
        return;
    }
    fputs(kept >= opened ? " and kept" : " and closed all but", t->out);
    if (listeners)
        fprintf(t->out, " %" PRIu64 " listener%s", listeners, plural(listeners, "", "s"));
    if (listeners && inherited) fputs(" and", t->out);
    if (inherited)
        fprintf(t->out, " %" PRIu64 " inherited socket%s", inherited, plural(inherited, "", "s"));
    fputs(kept >= opened && (listeners || inherited) ? " open" : "", t->out);
    if ((listeners || inherited) && pooled) fputs(" and", t->out);
    if (pooled) /* "open" would read twice */
        fprintf(t->out, " %" PRIu64 " connection%s idle in Go's HTTP pool", pooled,
                plural(pooled, "", "s"));
    bool some = listeners || inherited || pooled;
    if (k->keepalive) /* rules_exit.c */
        fprintf(t->out, "%s %" PRIu64 " idle keep-alive connection%s", some ? " and" : "",
                k->keepalive, plural(k->keepalive, "", "s"));
    some |= k->keepalive != 0;
    if (k->lone) /* rules_exit.c */
        fprintf(t->out, "%s %" PRIu64 " answered connection%s idle at exit", some ? " and" : "",
                k->lone, plural(k->lone, "", "s"));
    some |= k->lone != 0;
    if (k->accepted)
        fprintf(t->out, "%s %" PRIu64 " accepted connection%s still open at exit",
                some ? " and" : "", k->accepted, plural(k->accepted, "", "s"));
    some |= k->accepted != 0;
    if (k->ipc) /* rules_ipc.c */
        fprintf(t->out, "%s %" PRIu64 " IPC socket%s", some ? " and" : "", k->ipc,
                plural(k->ipc, "", "s"));
    fputs(" (not counted as leaks)", t->out);
}

static void text_clean(struct text *t, const struct report *r)
{
    struct report_sockets totals;
    report_sockets(r, &totals);
    uint64_t opened = totals.opened;
    bool partial = totals.partial || r->still_running || r->untraced;
    long *pids;
    size_t n = pids_collect(r, false, &pids);
    char *who = procs_describe(r, pids, n);
    /* a trace cut short says nothing about what came after its last flush */
    fprintf(t->out, "connleak: %s: %s opened ",
            partial ? "no leaks seen up to the last flush" : "no leaks", esc(t, who));
    if (opened == 0)
        fputs("no sockets", t->out);
    else
        fprintf(t->out, "%" PRIu64 " socket%s", opened, plural(opened, "", "s"));
    clean_tail(t, opened, &totals);
    fputs(".\n", t->out);
    free(who);
    free(pids);
}

static uint64_t findings_count(const struct findings *fs, enum finding_kind kind)
{
    uint64_t n = 0;
    for (size_t i = 0; i < fs->n; i++) n += fs->v[i].kind == kind;
    return n;
}

static uint64_t held_total(const struct findings *fs)
{
    uint64_t n = 0;
    for (size_t i = 0; i < fs->n; i++) n += fs->v[i].kind == KIND_HANDLE_LEAK ? fs->v[i].held : 0;
    return n;
}

/* Some TIME_WAIT peak of the report is an estimate (sampled closes). */
static bool timewait_estimated(const struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->v[i].kind == KIND_TIME_WAIT && fs->v[i].estimated) return true;
    return false;
}

static void text_headline(struct text *t, const struct report *r)
{
    static const char *const what[KIND_COUNT][2] = {
        [KIND_UNCLOSED_BODY] = {"unclosed body", "unclosed bodies"},
        [KIND_STUCK_REQUEST] = {"stuck request", "stuck requests"},
        [KIND_ORPHAN] = {"socket leaked", "sockets leaked"},
        [KIND_DOUBLE_CLOSE] = {"double close", "double closes"},
        [KIND_HANDLE_LEAK] = {"client handle leaked", "client handles leaked"},
        [KIND_DISCARDED_BODY] = {"discarded body", "discarded bodies"},
        [KIND_MISSING_CLOSE] = {"body never closed", "bodies never closed"},
        [KIND_NO_REUSE] = {"connection not reused", "connections not reused"},
        [KIND_FOREIGN_CLOSE] = {"close of a never-opened fd", "closes of never-opened fds"},
        [KIND_CLOSE_WAIT] = {"socket left in CLOSE_WAIT", "sockets left in CLOSE_WAIT"},
        [KIND_FD_GROWTH] = {"growing fd count", "growing fd counts"},
        [KIND_TIME_WAIT] = {"connection in TIME_WAIT at peak", "connections in TIME_WAIT at peak"},
        [KIND_POOL] = {"growing connection pool", "growing connection pools"},
    };
    int kinds[KIND_COUNT], nkinds = 0;
    for (int k = 0; k < KIND_COUNT; k++)
        if (findings_total(&r->findings, (enum finding_kind)k)) kinds[nkinds++] = k;
    fputs("connleak: ", t->out);
    for (int i = 0; i < nkinds; i++) {
        uint64_t n = findings_total(&r->findings, (enum finding_kind)kinds[i]);
        if (kinds[i] == KIND_FD_GROWTH || kinds[i] == KIND_POOL) /* trends: how many */
            n = findings_count(&r->findings, (enum finding_kind)kinds[i]);
        const char *sep = i == 0 ? "" : i == nkinds - 1 ? " and " : ", ";
        bool about = kinds[i] == KIND_TIME_WAIT && timewait_estimated(&r->findings);
        fprintf(t->out, "%s%s%" PRIu64 " %s", sep, about ? "about " : "", n,
                what[kinds[i]][n != 1]);
        if (kinds[i] == KIND_HANDLE_LEAK && held_total(&r->findings)) /* folded sockets */
            fprintf(t->out, " (holding %" PRIu64 " socket%s)", held_total(&r->findings),
                    plural(held_total(&r->findings), "", "s"));
    }
    long *pids;
    size_t n = pids_collect(r, true, &pids);
    char *who = procs_describe(r, pids, n);
    fprintf(t->out, " by %s from %zu call site%s\n", esc(t, who), r->findings.n,
            plural(r->findings.n, "", "s"));
    free(who);
    free(pids);
}

/* ---- one finding ---------------------------------------------------- */

/* The function column of a frame: "open_connection", "net::Pool::dial(int)",
 * "func+0x2d" (no debug info), "0x55d0..." (no symbol). Caller frees. */
static char *frame_func(const struct frame *f)
{
    if (!f->function) return xasprintf("0x%" PRIx64, f->pc);
    if (!f->file && f->offset) return xasprintf("%s+0x%" PRIx64, f->function, f->offset);
    return xstrdup(f->function);
}

/* "file:line"; without debug info "module+0xREL" (REL: the pc in the
 * module's file, as addr2line and objdump take it); "module" without a
 * symbol either. Caller frees. */
static char *frame_where(const struct frame *f)
{
    if (f->file) return xasprintf("%s:%d", path_display(f->file), f->line);
    if (!f->module) return xstrdup("??");
    if (f->function) return xasprintf("%s+0x%" PRIx64, path_basename(f->module), f->rel);
    return xstrdup(path_basename(f->module));
}

/* Columns left for frame i's function on a terminal t->columns wide (0:
 * no limit): "    #I FUNC  WHERE (inlined)". */
static size_t frame_room(const struct text *t, size_t i, const char *where, bool inlined)
{
    if (!t->columns) return 0;
    char num[24];
    size_t used = 4 + (size_t)snprintf(num, sizeof(num), "#%zu ", i) + 2 + str_columns(where) +
                  (inlined ? strlen(" (inlined)") : 0);
    return t->columns > used + 1 ? t->columns - used : 1;
}

static void text_stack(struct text *t, const struct frames *s)
{
    if (s->n == 0) {
        styled(t, STYLE_LIB, "    (no stack recorded)");
        fputc('\n', t->out);
        return;
    }
    char **func = xcalloc(s->n, sizeof(*func)), **where = xcalloc(s->n, sizeof(*where));
    size_t width = 0;
    for (size_t i = 0; i < s->n; i++) { /* fitted to the terminal inside "<...>" only */
        char *full = frame_func(&s->v[i]);
        where[i] = frame_where(&s->v[i]);
        func[i] = signature_shorten(full, frame_room(t, i, where[i], s->v[i].inlined));
        free(full);
        size_t len = str_columns(func[i]);
        if (len > width) width = len < MAX_FUNC_COL ? len : MAX_FUNC_COL;
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct frame *f = &s->v[i];
        size_t len = str_columns(func[i]), pad = len < width ? width - len : 0;
        char *line = xasprintf("#%zu %s%*s  %s%s", i, func[i], (int)pad, "", where[i],
                               f->inlined ? " (inlined)" : "");
        fputs("    ", t->out);
        styled(t, f->user ? STYLE_USER : STYLE_LIB, esc(t, line));
        fputc('\n', t->out);
        free(line);
        free(func[i]);
        free(where[i]);
    }
    free(func);
    free(where);
}

void text_peers(struct text *t, const struct finding *f)
{
    enum sock_role role = finding_role(f);
    fprintf(t->out, "  %s", role == ROLE_SOCKET ? "unconnected socket" : role_name(role));
    if (f->npeers)
        fputs(role == ROLE_CLIENT ? " to " : role == ROLE_ACCEPTED ? " from " : ", peer ", t->out);
    for (size_t i = 0; i < f->npeers && i < MAX_PEERS; i++)
        fprintf(t->out, "%s%s (%" PRIu64 ")", i ? ", " : "", esc(t, f->peers[i].peer),
                f->peers[i].count);
    if (f->npeers > MAX_PEERS) fprintf(t->out, ", +%zu more", f->npeers - MAX_PEERS);
}

/* " · 1.2 KiB never read", if any bytes were left unread. */
void text_unread(struct text *t, uint64_t n)
{
    char unread[32];
    if (!n) return;
    bytes_fmt(n, unread, sizeof(unread));
    fprintf(t->out, " · %s never read", unread);
}

static void text_orphan_numbers(struct text *t, const struct finding *f)
{
    char age[80], idle[80], in[32], out[32];
    range_fmt(f->age_min, f->age_max, age, sizeof(age));
    range_fmt(f->idle_min, f->idle_max, idle, sizeof(idle));
    text_peers(t, f);
    fprintf(t->out, " · age %s · idle %s", age, idle);
    if (f->bytes_in || f->bytes_out) {
        bytes_fmt(f->bytes_in, in, sizeof(in));
        bytes_fmt(f->bytes_out, out, sizeof(out));
        fprintf(t->out, " · %s in, %s out", in, out);
    }
    text_unread(t, f->unread);
}

static void text_pids(struct text *t, const struct finding *f)
{
    if (f->npids < 2) return;
    fputs(" · pids ", t->out);
    for (size_t i = 0; i < f->npids && i < MAX_PIDS; i++)
        fprintf(t->out, "%s%ld", i ? ", " : "", f->pids[i]);
    if (f->npids > MAX_PIDS) fputs(", …", t->out);
}

/* " · in test a/b", " · in 4 tests: a/b, a/c, a/d, …" (connleak_mark) */
static void text_tests(struct text *t, const struct finding *f)
{
    if (!f->ntests) return;
    if (f->ntests == 1) {
        fprintf(t->out, " · in test %s", esc(t, f->tests[0]));
        return;
    }
    fprintf(t->out, " · in %zu tests: ", f->ntests);
    for (size_t i = 0; i < f->ntests && i < MAX_TESTS; i++)
        fprintf(t->out, "%s%s", i ? ", " : "", esc(t, f->tests[i]));
    if (f->ntests > MAX_TESTS) fputs(", …", t->out);
}

static void text_fds(struct text *t, const struct finding *f)
{
    fprintf(t->out, " (fd%s ", plural(f->nfds, "", "s"));
    for (size_t i = 0; i < f->nfds && i < MAX_FDS; i++)
        fprintf(t->out, "%s%d", i ? ", " : "", f->fds[i]);
    fputs(f->nfds > MAX_FDS ? ", …)" : ")", t->out);
}

/* ---- one block ---------------------------------------------------------- */

static const char *const title[KIND_COUNT] = {
    [KIND_UNCLOSED_BODY] = "UNCLOSED BODIES",     [KIND_STUCK_REQUEST] = "STUCK REQUESTS",
    [KIND_ORPHAN] = "ORPHANED SOCKETS",           [KIND_DOUBLE_CLOSE] = "DOUBLE CLOSE",
    [KIND_HANDLE_LEAK] = "LEAKED CLIENT HANDLES", [KIND_DISCARDED_BODY] = "DISCARDED BODIES",
    [KIND_NO_REUSE] = "NO CONNECTION REUSE",      [KIND_FOREIGN_CLOSE] = "FOREIGN CLOSE",
    [KIND_CLOSE_WAIT] = "CLOSE_WAIT PILE",        [KIND_FD_GROWTH] = "FD GROWTH",
    [KIND_TIME_WAIT] = "TIME_WAIT STORM",         [KIND_POOL] = "UNBOUNDED POOL",
    [KIND_MISSING_CLOSE] = "MISSING BODY CLOSE",
};

static void text_closes(struct text *t, const struct finding *f, const char *where)
{
    bool dbl = f->kind == KIND_DOUBLE_CLOSE;
    fprintf(t->out, "  %" PRIu64 " close%s of %s", f->count, plural(f->count, "", "s"),
            dbl ? plural(f->count, "an already-closed fd", "already-closed fds")
                : plural(f->count, "a never-opened fd", "never-opened fds"));
    text_fds(t, f);
    fprintf(t->out, " in %s", esc(t, where));
}

static bool str_eq_or_null(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Whether two stacks have the same headline frame (function, file, line). */
static bool same_top(const struct frames *a, const struct frames *b)
{
    if (a->top < 0 || b->top < 0) return a->top == b->top;
    const struct frame *x = &a->v[a->top], *y = &b->v[b->top];
    return x->line == y->line && str_eq_or_null(x->function, y->function) &&
           str_eq_or_null(x->file, y->file) && (x->function || x->pc == y->pc);
}

/* An HTTP finding located at its request site: that stack first, then
 * the socket's opening when its headline is another line of the user's
 * (requests.get both opens and sends: one stack says it). */
static void text_request_site(struct text *t, const struct finding *f)
{
    fputs(f->req_sampled ? "  request site (sampled):\n" : "  request sent at:\n", t->out);
    text_stack(t, &f->stack);
    if (!f->open_stack.n || same_top(&f->stack, &f->open_stack)) return;
    fputs("  socket opened at:\n", t->out);
    text_stack(t, &f->open_stack);
}

static void text_finding(struct text *t, const struct finding *f)
{
    char *where = frames_where(&f->stack);
    styled(t, STYLE_KIND, title[f->kind]);
    if (f->kind == KIND_ORPHAN) {
        char when[32];
        if (f->before_attach == f->count) /* their opening was not seen: no stack */
            fprintf(t->out, "  %" PRIu64 " still open %s, opened before connleak attached\n",
                    f->count, when_of(f, when, sizeof(when)));
        else
            fprintf(t->out, "  %" PRIu64 " still open %s, opened in %s\n", f->count,
                    when_of(f, when, sizeof(when)), esc(t, where));
        text_orphan_numbers(t, f);
        text_orphan_http(t, f);
    } else if (f->kind == KIND_UNCLOSED_BODY || f->kind == KIND_STUCK_REQUEST ||
               f->kind == KIND_DISCARDED_BODY) {
        text_body(t, f, where);
    } else if (f->kind == KIND_MISSING_CLOSE) {
        text_missing_close(t, f, where);
    } else if (f->kind == KIND_NO_REUSE) {
        text_reuse(t, f, where);
    } else if (f->kind == KIND_HANDLE_LEAK) {
        text_handles(t, f, where);
    } else if (f->kind == KIND_CLOSE_WAIT) {
        text_closewait(t, f, where);
    } else if (f->kind == KIND_TIME_WAIT) {
        text_timewait(t, f, where);
    } else if (f->kind == KIND_FD_GROWTH) {
        text_growth(t, f);
    } else if (f->kind == KIND_POOL) {
        text_pool(t, f);
    } else {
        text_closes(t, f, where);
    }
    text_pids(t, f);
    text_tests(t, f);
    fputc('\n', t->out);
    if (f->req_site) {
        text_request_site(t, f);
    } else if (!f->outside && f->kind != KIND_POOL && (f->kind != KIND_FD_GROWTH || f->stack.n))
        text_stack(t, &f->stack);
    if (f->kind == KIND_DOUBLE_CLOSE && f->first_close_stack.n) {
        fputs("  it was first closed at:\n", t->out);
        text_stack(t, &f->first_close_stack);
    }
    if (f->kind == KIND_DOUBLE_CLOSE && f->open_stack.n) {
        fputs("  the socket on that fd was opened at:\n", t->out);
        text_stack(t, &f->open_stack);
    }
    free(where);
}

void render_text_finding(FILE *out, const struct finding *f, bool color)
{
    struct text t = {.out = out, .color = color};
    text_finding(&t, f);
    for (unsigned i = 0; i < ESC_RING; i++) free(t.ring[i]);
}

/* ---- the whole report ----------------------------------------------- */

static const char *sig_name(int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    return abbrev ? abbrev : "?";
}

static void text_no_trace(struct text *t, const struct report *r)
{
    const char *prog = esc(t, r->argv.n ? r->argv.v[0] : "the program");
    if (r->signal)
        fprintf(t->out,
                "connleak: no trace: %s was killed by signal %d (SIG%s) before connleak's "
                "first flush, so there is nothing to report\n",
                prog, r->signal, sig_name(r->signal));
    else
        fprintf(t->out,
                "connleak: no trace: %s left no trace, so there is nothing to report "
                "(a setuid program, or one that drops LD_PRELOAD?)\n",
                prog);
}

/* One line when the program connleak ran was killed by a signal. */
static void text_killed(struct text *t, const struct report *r)
{
    const struct process *p = r->pid > 0 ? report_process(r, r->pid) : NULL;
    const char *name = p ? process_name(p) : path_basename(r->argv.n ? r->argv.v[0] : NULL);
    unsigned flush = p && p->flush_ms ? p->flush_ms : 200;
    fprintf(t->out, "connleak: %s (pid %ld) was killed by signal %d (SIG%s)",
            esc(t, *name ? name : "the program"), r->pid, r->signal, sig_name(r->signal));
    if (p && p->probe) /* the kernel saw it to the end: nothing waited in a buffer */
        fputs("\n", t->out);
    else
        fprintf(t->out, ": the report is as of its last flush (%u ms)\n", flush);
}

void render_text(FILE *out, const struct report *r, bool color)
{
    render_text_with(out, r, color, NULL);
}

void render_text_fit(FILE *out, const struct report *r, bool color, unsigned columns)
{
    struct render_opts ro = {.columns = columns};
    render_text_with(out, r, color, &ro);
}

void render_text_with(FILE *out, const struct report *r, bool color, const struct render_opts *ro)
{
    struct text t = {.out = out, .color = color, .columns = ro ? ro->columns : 0};
    if (r->backend && strcmp(r->backend, "probe") == 0)
        fputs("connleak: seen from the kernel (probe backend, eBPF): no preload in the program\n",
              out);
    if (r->status == STATUS_NOT_OBSERVABLE && !r->observe_shown)
        fprintf(out, "%s\n", esc(&t, r->observe_line));
    else if (r->status == STATUS_NO_TRACE)
        text_no_trace(&t, r);
    else if (r->status == STATUS_INCOMPLETE)
        fprintf(out, "%s\n", esc(&t, r->incomplete_line));
    if (r->has_program && r->signal && r->status != STATUS_NO_TRACE &&
        r->status != STATUS_NOT_OBSERVABLE)
        text_killed(&t, r);
    if (r->status == STATUS_CLEAN)
        text_clean(&t, r);
    else if (r->status == STATUS_LEAKS || (r->status == STATUS_INCOMPLETE && r->findings.n))
        text_headline(&t, r);
    for (size_t i = 0; i < r->findings.n; i++) {
        fputc('\n', out);
        text_finding(&t, &r->findings.v[i]);
        if (ro && ro->gen_suppressions) text_gen_suppression(&t, &r->findings.v[i]);
    }
    if (r->notes.n && r->findings.n) fputc('\n', out);
    text_notes(&t, &r->notes);
    if (ro && ro->filter) text_filtered(&t, ro->filter);
    for (unsigned i = 0; i < ESC_RING; i++) free(t.ring[i]);
}
