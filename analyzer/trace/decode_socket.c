/* decode_socket.c - record decoding: modules and stacks (mod, stk) and the
 * socket events open, conn, listen, dup, close, badclose, live, end. */
#include "trace/reader_internal.h"

/* ---- records ------------------------------------------------------------ */

/* Each handler returns false when the record lacks what it needs. */

bool read_mod(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    const char *path = rec_str(o, F_PATH);
    struct module m = {0};
    if (!path || !rec_hex(o, F_BASE, &m.base) || !rec_hex(o, F_LO, &m.lo) ||
        !rec_hex(o, F_HI, &m.hi) || m.lo >= m.hi)
        return false;
    uint64_t h64 = fnv1a64(FNV1A64_INIT ^ m.lo, path, strlen(path));
    uint32_t h = (uint32_t)(h64 ^ h64 >> 32);
    size_t cur = 0, i;
    while ((i = hindex_next(&r->mod_index, h, &cur)) != SIZE_MAX)
        if (p->mods[i].lo == m.lo && strcmp(p->mods[i].path, path) == 0)
            return true; /* written again: keep one */
    const char *bid = rec_str(o, F_BID);
    m.path = xstrdup(path);
    m.bid = xstrdup(bid ? bid : "");
    ALLOC_GROW(p->mods, p->nmods + 1, p->capmods);
    p->mods[p->nmods++] = m;
    hindex_add(&r->mod_index, h, p->nmods - 1);
    return true;
}

bool read_stk(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint32_t id = rec_id(o, F_ID);
    const cJSON *pcs = o->f[F_PC];
    if (!id || !cJSON_IsArray(pcs)) return false;
    if (idmap_get(&r->stk_ids, id)) return true; /* ids are written once; keep the first */
    int n = cJSON_GetArraySize(pcs);
    if (n > MAX_STACK_DEPTH) n = MAX_STACK_DEPTH;
    uint64_t *pc = xcalloc((size_t)n, sizeof(*pc));
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, pcs)
    {
        if (i == n) break;
        if (!cJSON_IsString(e) || !parse_hex(e->valuestring, &pc[i++])) {
            free(pc);
            return false;
        }
    }
    if (p->nstacks == 0) {
        ALLOC_GROW(p->stacks, 1, p->capstacks);
        p->stacks[p->nstacks++] = (struct stack){0}; /* [0] is "no stack" */
    }
    ALLOC_GROW(p->stacks, p->nstacks + 1, p->capstacks);
    p->stacks[p->nstacks] =
        (struct stack){.pc = pc, .n = (uint32_t)n, .id = id, .py = pystk_ref(r, o)};
    idmap_put(&r->stk_ids, id, (uint32_t)p->nstacks++);
    return true;
}

/* A late open record (a quiet socket written when it came to matter) is
 * dated by its `opened`, the ts it was really opened at. */
bool read_open(struct reader *r, const struct rec *o)
{
    uint64_t sid, ts = rec_u64_or(o, F_TS, 0);
    if (!rec_u64(o, F_SID, &sid)) return false;
    struct sock *s = sock_get(r, sid, true);
    if (!s) return false;
    const char *type = rec_str(o, F_TYPE);
    *s = (struct sock){
        .sid = sid,
        .opened = rec_bool_or(o, F_LATE, false) ? rec_u64_or(o, F_OPENED, ts) : ts,
        .seq = s->seq ? s->seq : ++r->nopens,
        .stk = stack_ref(r, o, F_STK),
        .peer = strtab_intern(&r->p->peers, rec_str(o, F_PEER)),
        .nfds = 1,
        .state = SOCK_OPEN,
        .role = (uint8_t)role_parse(rec_str(o, F_ROLE)),
        .inherited = rec_bool_or(o, F_INHERITED, false),
        .stream = !type || strcmp(type, "stream") == 0,
    };
    r->p->opened++;
    site_opens_add(r->p, s->stk, 1);
    if (s->inherited && s->role == ROLE_PAIR) { /* for the IPC sockets (report.c) */
        ALLOC_GROW(r->p->inh_pairs, r->p->ninh_pairs + 1, r->p->capinh_pairs);
        r->p->inh_pairs[r->p->ninh_pairs++] = sid;
    }
    return true;
}

/* The socket an event names; NULL (and the record is ignored) when the
 * trace never opened it. */
struct sock *event_sock(struct reader *r, const struct rec *o, bool *ok)
{
    uint64_t sid;
    *ok = rec_u64(o, F_SID, &sid);
    struct sock *s = *ok ? sock_get(r, sid, false) : NULL;
    return s && s->state == SOCK_OPEN ? s : NULL;
}

bool read_conn(struct reader *r, const struct rec *o)
{
    bool ok;
    struct sock *s = event_sock(r, o, &ok);
    if (s && !rec_str(o, F_ERR)) {
        s->role = ROLE_CLIENT;
        const char *peer = rec_str(o, F_PEER);
        if (peer) s->peer = strtab_intern(&r->p->peers, peer);
        s->noconn = false; /* connected (again) */
    } else if (s && s->role == ROLE_CLIENT && !rec_str(o, F_PEER) &&
               strcmp(rec_str(o, F_ERR), "ENOTCONN") == 0) {
        s->noconn = true; /* the preload's mark at close: it never connected */
    }
    return ok;
}

bool read_listen(struct reader *r, const struct rec *o)
{
    bool ok;
    struct sock *s = event_sock(r, o, &ok);
    if (s) s->role = ROLE_LISTENER;
    return ok;
}

bool read_dup(struct reader *r, const struct rec *o)
{
    bool ok;
    struct sock *s = event_sock(r, o, &ok);
    if (s && s->nfds < UINT16_MAX) s->nfds++;
    return ok;
}

/* The socket is closed when the record says this was its last fd; a record
 * without `last` closes it when no fd we know of is left. */
bool read_close(struct reader *r, const struct rec *o)
{
    bool ok;
    struct sock *s = event_sock(r, o, &ok);
    if (!s) return ok;
    if (s->nfds > 0 && s->nfds < UINT16_MAX) s->nfds--;
    bool last = rec_bool_or(o, F_LAST, s->nfds == 0);
    if (last && close_by_finalizer(r, s, o)) return true;
    if (last) {
        s->state = SOCK_CLOSED;
        r->p->closed++;
        close_http(r, s, o);
        tw_close(r, s, o);
        sock_fold(r, s);
    }
    return true;
}

/* A negative fd is a well-formed record (close(-1) on an error path is a
 * foreign close), but such a close cannot close anything: not kept. */
bool read_badclose(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    const char *kind = rec_str(o, F_KIND);
    int64_t fd;
    if (!kind || !value_i64(o->f[F_FD], &fd) || fd > INT32_MAX || fd < INT32_MIN) return false;
    if (fd < 0) return true;
    struct badclose b = {
        .ts = rec_u64_or(o, F_TS, 0),
        .fd = (int)fd,
        .stk = stack_ref(r, o, F_STK),
        .prev_stk = stack_ref(r, o, F_PREV_STK),
        .prev_close_stk = stack_ref(r, o, F_PREV_CLOSE_STK),
    };
    if (strcmp(kind, "double") == 0)
        b.kind = BADCLOSE_DOUBLE;
    else if (strcmp(kind, "foreign") == 0)
        b.kind = BADCLOSE_FOREIGN;
    else
        return true; /* a kind we do not know: skip it */
    ALLOC_GROW(p->bad, p->nbad + 1, p->capbad);
    p->bad[p->nbad++] = b;
    return true;
}

/* The interned peer of a live record: usually the one its conn record had,
 * which saves a hash lookup per live socket. */
static uint32_t live_peer(struct reader *r, uint64_t sid, const char *peer)
{
    const struct sock *s = peer ? sock_get(r, sid, false) : NULL;
    if (s && s->peer && strcmp(strtab_get(&r->p->peers, s->peer), peer) == 0) return s->peer;
    return strtab_intern(&r->p->peers, peer);
}

/* Live records come as one batch at exit (or at a dump). A batch that
 * socket events follow is stale: the next batch replaces it. */
bool read_live(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint64_t sid;
    if (!rec_u64(o, F_SID, &sid)) return false;
    uint64_t dump = rec_u64_or(o, F_DUMP, 0);
    if (!r->in_live_batch || dump != r->batch_dump) { /* the exit batch after a dump */
        p->nlive = 0;
        r->batch_dump = dump <= UINT32_MAX ? (uint32_t)dump : 0;
    }
    r->in_live_batch = true;
    ALLOC_GROW(p->live, p->nlive + 1, p->caplive);
    p->live[p->nlive++] = (struct live_sock){
        .sid = sid,
        .opened = rec_u64_or(o, F_OPENED, 0),
        .at = rec_u64_or(o, F_TS, p->last_ts),
        .last_io = rec_u64_or(o, F_LAST_IO, 0),
        .in = rec_u64_or(o, F_IN, 0),
        .out = rec_u64_or(o, F_OUT, 0),
        .stk = stack_ref(r, o, F_STK),
        .peer = live_peer(r, sid, rec_str(o, F_PEER)),
        .http = live_http(r, o),
        .role = (uint8_t)role_parse(rec_str(o, F_ROLE)),
        .inherited = rec_bool_or(o, F_INHERITED, false),
        .before_attach = rec_bool_or(o, F_BEFORE_ATTACH, false),
        .eof = rec_bool_or(o, F_EOF, false),
        .passed = rec_bool_or(o, F_PASSED, false),
        .read_last = rec_bool_or(o, F_READ_LAST, false),
        .unix_fam = rec_str(o, F_FAM) && strcmp(rec_str(o, F_FAM), "unix") == 0,
        .kstate = (uint8_t)kstate_parse(rec_str(o, F_KSTATE)),
    };
    live_kernel(r, &p->live[p->nlive - 1]);
    return true;
}

/* The live set is the batch of live records written just before the end
 * record: an earlier batch (a dump) that socket events followed is stale,
 * and no batch at all means nothing was live. */
bool read_end(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    if (!r->in_live_batch) p->nlive = 0;
    p->complete = true;
    const char *why = rec_str(o, F_WHY);
    p->detached = why && strcmp(why, "detach") == 0;
    p->totals.opened = rec_u64_or(o, F_OPENED, p->opened);
    p->totals.closed = rec_u64_or(o, F_CLOSED, p->closed);
    p->totals.live = rec_u64_or(o, F_LIVE, p->nlive);
    p->totals.badclose_dropped = rec_u64_or(o, F_BADCLOSE_DROPPED, 0);
    p->totals.lost = rec_u64_or(o, F_LOST, 0);
    fin_add_live(r);
    return true;
}
