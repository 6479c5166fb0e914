/* decode_python.c - the `pystk` record: the Python frames (function, file,
 * line, entry) that a `stk` record names with "py". Written by the preload
 * when the program is CPython (preload/pyframes.c); older traces have none. */
#include "trace/reader_internal.h"

#define MAX_PY_DEPTH 256

/* One frame: ["qualname", "file", line, entry]. */
static bool pyframe_read(const cJSON *a, struct pyframe *out)
{
    const cJSON *fn = cJSON_GetArrayItem(a, 0), *file = cJSON_GetArrayItem(a, 1);
    const cJSON *line = cJSON_GetArrayItem(a, 2), *entry = cJSON_GetArrayItem(a, 3);
    if (!cJSON_IsArray(a) || !cJSON_IsString(fn) || !cJSON_IsString(file) || !cJSON_IsNumber(line))
        return false;
    *out = (struct pyframe){
        .function = xstrdup(fn->valuestring),
        .file = xstrdup(file->valuestring),
        .line = line->valuedouble > 0 && line->valuedouble < 1e9 ? (int)line->valuedouble : 0,
        .entry = cJSON_IsNumber(entry) && entry->valuedouble != 0,
    };
    return true;
}

bool read_pystk(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint32_t id = rec_id(o, F_ID);
    const cJSON *frames = o->f[F_F];
    if (!id || !cJSON_IsArray(frames)) return false;
    if (idmap_get(&r->py_ids, id)) return true; /* ids are written once; keep the first */
    int n = cJSON_GetArraySize(frames);
    if (n > MAX_PY_DEPTH) n = MAX_PY_DEPTH;
    struct pystack s = {.v = xcalloc((size_t)n + 1, sizeof(*s.v))};
    const cJSON *e;
    cJSON_ArrayForEach(e, frames)
    {
        if (s.n == (uint32_t)n) break;
        if (!pyframe_read(e, &s.v[s.n])) {
            pystack_free(&s);
            return false;
        }
        s.n++;
    }
    if (p->npystacks == 0) {
        ALLOC_GROW(p->pystacks, 1, p->cappystacks);
        p->pystacks[p->npystacks++] = (struct pystack){0}; /* [0] is "none" */
    }
    ALLOC_GROW(p->pystacks, p->npystacks + 1, p->cappystacks);
    p->pystacks[p->npystacks] = s;
    idmap_put(&r->py_ids, id, (uint32_t)p->npystacks++);
    return true;
}

/* The dense index of the pystk a stk record names ("py"), 0 if none. */
uint32_t pystk_ref(struct reader *r, const struct rec *o)
{
    uint32_t id = rec_id(o, F_PY);
    return id ? idmap_get(&r->py_ids, id) : 0;
}

/* A socket whose last close came while CPython was finalizing ("fin"): the
 * interpreter closed it at exit, the program never did. It is kept as live
 * at exit (an orphan, or an unclosed body), not as closed by the program.
 * Returns false for any other close. */
bool close_by_finalizer(struct reader *r, const struct sock *s, const struct rec *o)
{
    if (!rec_bool_or(o, F_FIN, false)) return false;
    ALLOC_GROW(r->fin, r->nfin + 1, r->capfin);
    r->fin[r->nfin++] = (struct live_sock){
        .sid = s->sid,
        .opened = s->opened,
        .at = rec_u64_or(o, F_TS, r->p->last_ts),
        .last_io = rec_u64_or(o, F_LAST_IO, 0),
        .in = rec_u64_or(o, F_IN, 0),
        .out = rec_u64_or(o, F_OUT, 0),
        .stk = s->stk,
        .peer = s->peer,
        .http = live_http(r, o),
        .role = s->role,
        .inherited = s->inherited,
        .eof = rec_bool_or(o, F_EOF, false),
    };
    return true; /* the socket stays open in the reader's view */
}

/* At the end record: the finalizer's closes join the live set. */
void fin_add_live(struct reader *r)
{
    struct process *p = r->p;
    for (size_t i = 0; i < r->nfin; i++) {
        ALLOC_GROW(p->live, p->nlive + 1, p->caplive);
        p->live[p->nlive] = r->fin[i];
        live_kernel(r, &p->live[p->nlive++]);
    }
    p->totals.live += r->nfin;
    p->totals.closed -= r->nfin < p->totals.closed ? r->nfin : p->totals.closed;
    r->nfin = 0;
}
