/* trace_read.c - parses a JSON-Lines trace into a struct process.
 *
 * One cJSON parse per line, the fields we need copied out, the tree freed at
 * once: memory stays proportional to the sockets and stacks, not to the file.
 * Socket ids are serials per process, but a forked child continues its
 * parent's counter, so they are looked up in a hash map (sid -> index in a
 * dense array): memory follows the number of open records, never the value
 * of a sid, which keeps a hostile trace from making us allocate gigabytes.
 * The socket table only lives while its trace is read. Stack ids are
 * whatever the preload chose: a hash map renumbers them densely. Lines are
 * read with plain read(2) and capped at MAX_LINE; only regular files are
 * read at all (a FIFO or a device named like a trace is skipped).
 * HTTP state and client handles go straight into the process (model.h
 * says which): nothing of them is kept per socket in the reader.
 * Bounded traces: a late `open` record (a quiet socket that came to matter)
 * dates the socket from its `opened`; `agg` records (quiet sockets only
 * counted) are summed per (stack, peer) into process.aggs. */
#include "trace/trace_read.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_STACK_DEPTH 1024      /* frames kept per stk record */
#define MAX_LINE        (1 << 20) /* longer lines are skipped */
#define READ_CHUNK      (1 << 16)
#define DENSE_SLACK     65536

enum sock_state { SOCK_OPEN = 1, SOCK_CLOSED };

/* One socket as the events describe it (the live set of a cut-short trace is
 * rebuilt from these). */
struct sock {
    uint64_t sid;
    uint64_t opened; /* ts of its open record */
    uint32_t stk;
    uint32_t peer; /* index into process.peers; 0 = unknown */
    uint16_t nfds; /* fds currently referring to it (saturates) */
    uint8_t state; /* enum sock_state */
    uint8_t role;  /* enum sock_role */
    bool inherited;
    bool stream; /* SOCK_STREAM (or type not given) */
};

/* What the sampler's ktcp records said of one socket. */
struct ksock {
    uint64_t cw_since; /* ts of the first record with CLOSE_WAIT; 0 = none */
    uint32_t rq;
    uint8_t kstate; /* enum kstate */
};

/* sid -> index in reader.socks + 1. The sids of one process are mostly
 * consecutive from the first one it saw: those index a dense window
 * (dense[sid - base]), which stays within twice the sockets opened plus
 * DENSE_SLACK; other sids go to a hash table (open addressing, sid 0 =
 * empty). Either way memory follows the records, not the sids' values. */
struct sidmap {
    uint64_t base;
    uint32_t *dense;
    size_t ndense;
    uint64_t *keys;
    uint32_t *vals;
    size_t n, nslots;
};

struct reader {
    struct process *p;
    struct strlist *notes;
    const char *name;
    size_t lineno;
    size_t bad_lines, first_bad;
    size_t long_lines, first_long;
    size_t after_end, first_after_end; /* records after the end record */
    bool stop;                         /* a second header: the rest is not this trace */
    struct sock *socks;                /* in the order of their first open record */
    size_t nsocks, capsocks;
    struct sidmap sids;
    struct sidmap hids;      /* handle id -> index in p->handles + 1 */
    struct hindex mod_index; /* modules by path and lo */
    struct idmap stk_ids;    /* trace stack id -> index in p->stacks */
    bool in_live_batch;      /* no socket event since the last live record */
    uint32_t batch_dump;     /* the dump of the current live batch; 0 = at exit */
    struct ksock *ksocks;    /* what ktcp records said, by socket */
    size_t nksocks, capksocks;
    struct sidmap kids;      /* sid -> index in ksocks + 1 */
    size_t tw_last;          /* index + 1 of the tw_site of the last client close */
    struct hindex agg_index; /* process.aggs by (stk, peer) */
};

/* ---- a per-line arena for cJSON ----------------------------------------
 *
 * Parsing a line allocates a dozen small cJSON nodes that die with the
 * line. While a trace is read, cJSON allocates from a bump arena that is
 * reset after every line, which halves the cost of reading a big trace. */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    max_align_t data[];
};

static struct arena_chunk *arena_head;

static void *arena_alloc(size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct arena_chunk *c = arena_head;
    if (!c || c->size - c->used < n) {
        size_t size = n > (1 << 18) ? n : (1 << 18);
        c = xmalloc(sizeof(*c) + size);
        *c = (struct arena_chunk){.next = arena_head, .size = size};
        arena_head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(void *p)
{
    (void)p; /* all freed at once by arena_reset */
}

/* Keeps the first (oldest) chunk for the next line, frees the others. */
static void arena_reset(void)
{
    while (arena_head && arena_head->next) {
        struct arena_chunk *next = arena_head->next;
        free(arena_head);
        arena_head = next;
    }
    if (arena_head) arena_head->used = 0;
}

static void arena_begin(void)
{
    cJSON_Hooks hooks = {arena_alloc, arena_free};
    cJSON_InitHooks(&hooks);
}

/* Keeps one chunk for the next trace: a report of 10,000 small traces must
 * not map and unmap a chunk per trace. */
static void arena_end(void)
{
    cJSON_InitHooks(NULL);
    arena_reset();
}

/* ---- field access ----------------------------------------------------
 *
 * A record's members are indexed in one pass (struct rec) instead of one
 * linear cJSON_GetObjectItem walk per field: on a big trace the lookups
 * cost more than the parse. */

enum field {
    F_T,
    F_TS,
    F_SID,
    F_FD,
    F_STK,
    F_PEER,
    F_ROLE,
    F_INHERITED,
    F_ERR,
    F_LAST,
    F_KIND,
    F_PREV_STK,
    F_PREV_CLOSE_STK,
    F_OPENED,
    F_LAST_IO,
    F_IN,
    F_OUT,
    F_ID,
    F_PC,
    F_PATH,
    F_BASE,
    F_LO,
    F_HI,
    F_BID,
    F_WHAT,
    F_DETAIL,
    F_LIVE,
    F_CLOSED,
    F_BADCLOSE_DROPPED,
    F_LOST,
    F_HTTP,
    F_EOF,
    F_H,
    F_URL,
    F_REQS,
    F_RESPS,
    F_AWAIT,
    F_PHASE,
    F_STATUS,
    F_EXPECT,
    F_READ,
    F_KA,
    F_METHOD,
    F_TARGET,
    F_HOST,
    F_TLS,
    F_TUNNEL,
    F_FDS,
    F_NOFILE,
    F_SOCKS,
    F_SITES,
    F_PEERS,
    F_TW,
    F_STATE,
    F_RQ,
    F_KSTATE,
    F_DUMP,
    F_N,
    F_TYPE,
    F_LATE,
    F_FIRST,
    F_ACTIVE,
    F_ONE_REQ_KA,
    F_DISCARDED,
    F_EXAMPLE,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {[F_T] = "t",
                                                 [F_TS] = "ts",
                                                 [F_SID] = "sid",
                                                 [F_FD] = "fd",
                                                 [F_STK] = "stk",
                                                 [F_PEER] = "peer",
                                                 [F_ROLE] = "role",
                                                 [F_INHERITED] = "inherited",
                                                 [F_ERR] = "err",
                                                 [F_LAST] = "last",
                                                 [F_KIND] = "kind",
                                                 [F_PREV_STK] = "prev_stk",
                                                 [F_PREV_CLOSE_STK] = "prev_close_stk",
                                                 [F_OPENED] = "opened",
                                                 [F_LAST_IO] = "last_io",
                                                 [F_IN] = "in",
                                                 [F_OUT] = "out",
                                                 [F_ID] = "id",
                                                 [F_PC] = "pc",
                                                 [F_PATH] = "path",
                                                 [F_BASE] = "base",
                                                 [F_LO] = "lo",
                                                 [F_HI] = "hi",
                                                 [F_BID] = "bid",
                                                 [F_WHAT] = "what",
                                                 [F_DETAIL] = "detail",
                                                 [F_LIVE] = "live",
                                                 [F_CLOSED] = "closed",
                                                 [F_BADCLOSE_DROPPED] = "badclose_dropped",
                                                 [F_LOST] = "lost",
                                                 [F_HTTP] = "http",
                                                 [F_EOF] = "eof",
                                                 [F_H] = "h",
                                                 [F_URL] = "url",
                                                 [F_REQS] = "reqs",
                                                 [F_RESPS] = "resps",
                                                 [F_AWAIT] = "await",
                                                 [F_PHASE] = "phase",
                                                 [F_STATUS] = "status",
                                                 [F_EXPECT] = "expect",
                                                 [F_READ] = "read",
                                                 [F_KA] = "ka",
                                                 [F_METHOD] = "method",
                                                 [F_TARGET] = "target",
                                                 [F_HOST] = "host",
                                                 [F_TLS] = "tls",
                                                 [F_TUNNEL] = "tunnel",
                                                 [F_FDS] = "fds",
                                                 [F_NOFILE] = "nofile",
                                                 [F_SOCKS] = "socks",
                                                 [F_SITES] = "sites",
                                                 [F_PEERS] = "peers",
                                                 [F_TW] = "tw",
                                                 [F_STATE] = "state",
                                                 [F_RQ] = "rq",
                                                 [F_KSTATE] = "kstate",
                                                 [F_DUMP] = "dump",
                                                 [F_N] = "n",
                                                 [F_TYPE] = "type",
                                                 [F_LATE] = "late",
                                                 [F_FIRST] = "first",
                                                 [F_ACTIVE] = "active",
                                                 [F_ONE_REQ_KA] = "one_req_ka",
                                                 [F_DISCARDED] = "discarded",
                                                 [F_EXAMPLE] = "example"};

struct rec {
    const cJSON *f[F_COUNT]; /* first member with that name, or NULL */
};

#define FIELD_SLOTS 128 /* a power of two, well above F_COUNT */
static signed char field_slots[FIELD_SLOTS];
static bool field_slots_ready;

static size_t field_hash(const char *key)
{
    return (size_t)fnv1a64(FNV1A64_INIT, key, strlen(key)) & (FIELD_SLOTS - 1);
}

static void field_slots_init(void)
{
    memset(field_slots, -1, sizeof(field_slots));
    for (int f = 0; f < F_COUNT; f++) {
        size_t j = field_hash(field_names[f]);
        while (field_slots[j] >= 0) j = (j + 1) & (FIELD_SLOTS - 1);
        field_slots[j] = (signed char)f;
    }
    field_slots_ready = true;
}

static int field_lookup(const char *key)
{
    for (size_t j = field_hash(key); field_slots[j] >= 0; j = (j + 1) & (FIELD_SLOTS - 1))
        if (strcmp(field_names[field_slots[j]], key) == 0) return field_slots[j];
    return -1;
}

static void rec_index(struct rec *rec, const cJSON *o)
{
    memset(rec, 0, sizeof(*rec));
    if (!field_slots_ready) field_slots_init();
    for (const cJSON *c = cJSON_IsObject(o) ? o->child : NULL; c; c = c->next) {
        int f = c->string ? field_lookup(c->string) : -1;
        if (f >= 0 && !rec->f[f]) rec->f[f] = c;
    }
}

static bool value_u64(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= 0 && d < 18446744073709551615.0) || (double)(uint64_t)d != d) return false;
    *out = (uint64_t)d;
    return true;
}

static const char *value_str(const cJSON *v)
{
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool value_bool_or(const cJSON *v, bool dflt)
{
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

static bool parse_hex(const char *s, uint64_t *out)
{
    if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2]) return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s + 2, &end, 16);
    if (errno || *end || s[2] == '-' || s[2] == '+' || s[2] == ' ') return false;
    *out = v;
    return true;
}

static bool rec_u64(const struct rec *o, enum field f, uint64_t *out)
{
    return value_u64(o->f[f], out);
}

static uint64_t rec_u64_or(const struct rec *o, enum field f, uint64_t dflt)
{
    uint64_t v;
    return value_u64(o->f[f], &v) ? v : dflt;
}

static uint32_t rec_id(const struct rec *o, enum field f)
{
    uint64_t v = rec_u64_or(o, f, 0);
    return v <= UINT32_MAX ? (uint32_t)v : 0;
}

static const char *rec_str(const struct rec *o, enum field f)
{
    return value_str(o->f[f]);
}

static bool rec_bool_or(const struct rec *o, enum field f, bool dflt)
{
    return value_bool_or(o->f[f], dflt);
}

static bool rec_hex(const struct rec *o, enum field f, uint64_t *out)
{
    return parse_hex(rec_str(o, f), out);
}

/* The header is read once: plain lookups. */
static bool json_u64(const cJSON *o, const char *key, uint64_t *out)
{
    return value_u64(cJSON_GetObjectItemCaseSensitive(o, key), out);
}

static uint64_t json_u64_or(const cJSON *o, const char *key, uint64_t dflt)
{
    uint64_t v;
    return json_u64(o, key, &v) ? v : dflt;
}

static const char *json_str(const cJSON *o, const char *key)
{
    return value_str(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* ---- sockets and stacks by id ------------------------------------------ */

static size_t sid_slot(uint64_t sid, size_t nslots)
{
    return (size_t)((sid * 0x9e3779b97f4a7c15ULL) >> 20) & (nslots - 1);
}

static void sidmap_insert(struct sidmap *m, uint64_t sid, uint32_t val)
{
    size_t j = sid_slot(sid, m->nslots);
    while (m->keys[j]) j = (j + 1) & (m->nslots - 1);
    m->keys[j] = sid;
    m->vals[j] = val;
}

static void sidmap_grow(struct sidmap *m)
{
    struct sidmap old = *m;
    m->nslots = old.nslots ? old.nslots * 2 : 1024;
    m->keys = xcalloc(m->nslots, sizeof(*m->keys));
    m->vals = xcalloc(m->nslots, sizeof(*m->vals));
    for (size_t i = 0; i < old.nslots; i++)
        if (old.keys[i]) sidmap_insert(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

static uint32_t sidmap_get(const struct sidmap *m, uint64_t sid)
{
    uint64_t off = sid - m->base; /* wraps for sid < base: out of the window */
    if (off < m->ndense && m->dense[off]) return m->dense[off];
    if (!m->nslots) return 0;
    for (size_t j = sid_slot(sid, m->nslots); m->keys[j]; j = (j + 1) & (m->nslots - 1))
        if (m->keys[j] == sid) return m->vals[j];
    return 0;
}

/* Maps sid to val; nsocks (the sockets so far) bounds the dense window. */
static void sidmap_put(struct sidmap *m, uint64_t sid, uint32_t val, size_t nsocks)
{
    if (!m->dense && !m->nslots) m->base = sid;
    uint64_t off = sid - m->base, limit = 2 * (uint64_t)nsocks + DENSE_SLACK;
    if (off < limit) {
        if (off >= m->ndense) {
            size_t n = m->ndense ? m->ndense * 2 : 1024;
            while (n <= off) n *= 2;
            if (n > limit) n = (size_t)limit;
            m->dense = xreallocarray(m->dense, n, sizeof(*m->dense));
            memset(m->dense + m->ndense, 0, (n - m->ndense) * sizeof(*m->dense));
            m->ndense = n;
        }
        m->dense[off] = val;
        return;
    }
    if (2 * (m->n + 1) > m->nslots) sidmap_grow(m);
    sidmap_insert(m, sid, val);
    m->n++;
}

static void sidmap_free(struct sidmap *m)
{
    free(m->dense);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* The socket with this sid; a new one (zeroed) when `create` and the trace
 * has not opened it yet. Only open records create: the table grows with
 * the records, whatever the sids. */
static struct sock *sock_get(struct reader *r, uint64_t sid, bool create)
{
    if (sid == 0) return NULL;
    uint32_t i = sidmap_get(&r->sids, sid);
    if (i) return &r->socks[i - 1];
    if (!create || r->nsocks >= UINT32_MAX - 1) return NULL;
    ALLOC_GROW(r->socks, r->nsocks + 1, r->capsocks);
    r->socks[r->nsocks++] = (struct sock){.sid = sid};
    sidmap_put(&r->sids, sid, (uint32_t)r->nsocks, r->nsocks);
    return &r->socks[r->nsocks - 1];
}

/* The dense index of the stack a record names; 0 when no stk record
 * defined that id. */
static uint32_t stack_ref(struct reader *r, const struct rec *o, enum field f)
{
    uint32_t id = rec_id(o, f);
    return id ? idmap_get(&r->stk_ids, id) : 0;
}

static void ts_seen(struct reader *r, const struct rec *o)
{
    uint64_t ts;
    if (rec_u64(o, F_TS, &ts) && ts > r->p->last_ts) r->p->last_ts = ts;
}

/* ---- HTTP state ----------------------------------------------------------
 *
 * The `http` object of close and live records. Numbers saturate, strings
 * are cut to MAX_HTTP_TEXT bytes and interned, and only when a rule can
 * show them: a busy client's million closes cost no string table. */

#define MAX_HTTP_TEXT 256

/* s cut to MAX_HTTP_TEXT bytes, interned; NULL and "" are 0. */
static uint32_t intern_cut(struct strtab *t, const char *s)
{
    if (!s || !*s) return 0;
    size_t n = strnlen(s, MAX_HTTP_TEXT);
    if (!s[n]) return strtab_intern(t, s);
    char buf[MAX_HTTP_TEXT + 1];
    memcpy(buf, s, n);
    buf[n] = '\0';
    return strtab_intern(t, buf);
}

static uint32_t rec_u32_sat(const struct rec *o, enum field f)
{
    uint64_t v = rec_u64_or(o, f, 0);
    return v < UINT32_MAX ? (uint32_t)v : UINT32_MAX;
}

/* -1 (not known) unless a non-negative integer below 2^62. */
static int64_t rec_expect(const struct rec *o)
{
    uint64_t v;
    return rec_u64(o, F_EXPECT, &v) && v < (UINT64_C(1) << 62) ? (int64_t)v : -1;
}

/* The numbers of an `http` object into *h (o indexes it); false when the
 * record has none. */
static bool http_numbers(const cJSON *obj, struct rec *o, struct http_state *h)
{
    if (!cJSON_IsObject(obj)) return false;
    rec_index(o, obj);
    uint64_t status = rec_u64_or(o, F_STATUS, 0);
    *h = (struct http_state){
        .expect = rec_expect(o),
        .read = rec_u64_or(o, F_READ, 0),
        .reqs = rec_u32_sat(o, F_REQS),
        .resps = rec_u32_sat(o, F_RESPS),
        .await = rec_u32_sat(o, F_AWAIT),
        .status = status <= 999 ? (uint16_t)status : 0,
        .phase = (uint8_t)http_phase_parse(rec_str(o, F_PHASE)),
        .ka = rec_bool_or(o, F_KA, false),
        .tls = rec_bool_or(o, F_TLS, false),
        .lost = rec_bool_or(o, F_LOST, false),
        .tunnel = rec_bool_or(o, F_TUNNEL, false),
    };
    return true;
}

static void http_strings(struct process *p, const struct rec *o, struct http_state *h)
{
    h->host = intern_cut(&p->peers, rec_str(o, F_HOST));
    h->method = intern_cut(&p->texts, rec_str(o, F_METHOD));
    h->target = intern_cut(&p->texts, rec_str(o, F_TARGET));
}

/* Keeps h; its id for live_sock.http and http_closed.http (0 when full). */
static uint32_t http_push(struct process *p, const struct http_state *h)
{
    if (p->nhttp >= UINT32_MAX - 1) return 0;
    ALLOC_GROW(p->http, p->nhttp + 1, p->caphttp);
    p->http[p->nhttp++] = *h;
    return (uint32_t)p->nhttp;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void peer_reqs_add(struct process *p, uint32_t peer, uint64_t reqs)
{
    if (!peer || !reqs) return;
    if (peer >= p->npeer_reqs) {
        size_t n = p->npeer_reqs ? p->npeer_reqs : 64;
        while (n <= peer) n *= 2;
        p->peer_reqs = xreallocarray(p->peer_reqs, n, sizeof(*p->peer_reqs));
        memset(p->peer_reqs + p->npeer_reqs, 0, (n - p->npeer_reqs) * sizeof(*p->peer_reqs));
        p->npeer_reqs = n;
    }
    p->peer_reqs[peer] = add_sat(p->peer_reqs[peer], reqs);
}

/* A single keep-alive request, then closed by the program, not the peer. */
static bool http_one_request(const struct http_state *h, bool eof)
{
    return h->reqs == 1 && h->resps == 1 && h->phase == HTTP_IDLE && h->ka && !eof;
}

/* What the rules need of a closed socket's HTTP state: a body left unread
 * (discarded-body), or one keep-alive request (no-connection-reuse). */
static void close_http(struct reader *r, const struct sock *s, const struct rec *rec)
{
    struct process *p = r->p;
    struct http_state h;
    struct rec o;
    if (!http_numbers(rec->f[F_HTTP], &o, &h)) return;
    peer_reqs_add(p, s->peer, h.reqs);
    if (h.lost || h.tunnel) return; /* what it says can no longer be trusted */
    uint64_t ts = rec_u64_or(rec, F_TS, p->last_ts);
    if (h.phase == HTTP_BODY) {
        http_strings(p, &o, &h);
        ALLOC_GROW(p->discarded, p->ndiscarded + 1, p->capdiscarded);
        p->discarded[p->ndiscarded++] = (struct http_closed){
            .opened = s->opened,
            .closed = ts,
            .last_io = rec_u64_or(rec, F_LAST_IO, 0),
            .stk = s->stk,
            .peer = s->peer,
            .http = http_push(p, &h),
        };
    } else if (http_one_request(&h, rec_bool_or(rec, F_EOF, false))) {
        ALLOC_GROW(p->reuse, p->nreuse + 1, p->capreuse);
        p->reuse[p->nreuse++] = (struct reuse_cand){
            .opened = s->opened,
            .closed = ts,
            .stk = s->stk,
            .peer = s->peer,
            .host = intern_cut(&p->peers, rec_str(&o, F_HOST)),
        };
    }
}

/* The HTTP state of a live record, kept whole; 0 when it has none. */
static uint32_t live_http(struct reader *r, const struct rec *rec)
{
    struct http_state h;
    struct rec o;
    if (!http_numbers(rec->f[F_HTTP], &o, &h)) return 0;
    http_strings(r->p, &o, &h);
    return http_push(r->p, &h);
}

/* ---- client handles ------------------------------------------------------ */

static int handle_kind_parse(const char *s)
{
    for (int k = 0; s && k < HANDLE_COUNT; k++)
        if (strcmp(s, handle_kind_name((enum handle_kind)k)) == 0) return k;
    return -1;
}

static struct handle *handle_of(struct reader *r, const struct rec *o, bool *ok)
{
    uint64_t h;
    *ok = rec_u64(o, F_H, &h);
    uint32_t i = *ok && h ? sidmap_get(&r->hids, h) : 0;
    return i ? &r->p->handles[i - 1] : NULL;
}

static bool read_hnew(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint64_t id;
    int kind = handle_kind_parse(rec_str(o, F_KIND));
    if (!rec_u64(o, F_H, &id) || id == 0 || !rec_str(o, F_KIND)) return false;
    if (kind < 0 || p->nhandles >= UINT32_MAX - 1) return true; /* a kind we do not know */
    struct handle h = {
        .created = rec_u64_or(o, F_TS, 0), .stk = stack_ref(r, o, F_STK), .kind = (uint8_t)kind};
    uint32_t i = sidmap_get(&r->hids, id);
    if (i) { /* the id again: a new handle in its place */
        p->handles[i - 1] = h;
        return true;
    }
    ALLOC_GROW(p->handles, p->nhandles + 1, p->caphandles);
    p->handles[p->nhandles++] = h;
    sidmap_put(&r->hids, id, (uint32_t)p->nhandles, p->nhandles);
    return true;
}

/* A use like the handle's latest is not kept again: a handle performing in
 * a loop over one connection costs one entry. */
static bool read_huse(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    bool ok;
    struct handle *h = handle_of(r, o, &ok);
    if (!h || p->nhuses >= UINT32_MAX - 1) return ok; /* not created in this trace */
    uint64_t sid = rec_u64_or(o, F_SID, 0);
    uint32_t url = intern_cut(&p->texts, rec_str(o, F_URL));
    const struct handle_use *last = h->uses ? &p->huses[h->uses - 1] : NULL;
    if ((!sid && !url) || (last && last->sid == sid && last->url == url)) return true;
    ALLOC_GROW(p->huses, p->nhuses + 1, p->caphuses);
    p->huses[p->nhuses++] = (struct handle_use){.sid = sid, .url = url, .next = h->uses};
    h->uses = (uint32_t)p->nhuses;
    return true;
}

static bool read_hfree(struct reader *r, const struct rec *o)
{
    bool ok;
    struct handle *h = handle_of(r, o, &ok);
    if (h) h->freed = true;
    return ok;
}

/* ---- records ------------------------------------------------------------ */

static void tw_close(struct reader *r, const struct sock *s, const struct rec *o);
static void live_kernel(const struct reader *r, struct live_sock *l);

/* Each handler returns false when the record lacks what it needs. */

static bool read_mod(struct reader *r, const struct rec *o)
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

static bool read_stk(struct reader *r, const struct rec *o)
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
    p->stacks[p->nstacks] = (struct stack){.pc = pc, .n = (uint32_t)n, .id = id};
    idmap_put(&r->stk_ids, id, (uint32_t)p->nstacks++);
    return true;
}

/* A late open record (a quiet socket written when it came to matter) is
 * dated by its `opened`, the ts it was really opened at. */
static bool read_open(struct reader *r, const struct rec *o)
{
    uint64_t sid, ts = rec_u64_or(o, F_TS, 0);
    if (!rec_u64(o, F_SID, &sid)) return false;
    struct sock *s = sock_get(r, sid, true);
    if (!s) return false;
    const char *type = rec_str(o, F_TYPE);
    *s = (struct sock){
        .sid = sid,
        .opened = rec_bool_or(o, F_LATE, false) ? rec_u64_or(o, F_OPENED, ts) : ts,
        .stk = stack_ref(r, o, F_STK),
        .peer = strtab_intern(&r->p->peers, rec_str(o, F_PEER)),
        .nfds = 1,
        .state = SOCK_OPEN,
        .role = (uint8_t)role_parse(rec_str(o, F_ROLE)),
        .inherited = rec_bool_or(o, F_INHERITED, false),
        .stream = !type || strcmp(type, "stream") == 0,
    };
    r->p->opened++;
    return true;
}

/* The socket an event names; NULL (and the record is ignored) when the
 * trace never opened it. */
static struct sock *event_sock(struct reader *r, const struct rec *o, bool *ok)
{
    uint64_t sid;
    *ok = rec_u64(o, F_SID, &sid);
    struct sock *s = *ok ? sock_get(r, sid, false) : NULL;
    return s && s->state == SOCK_OPEN ? s : NULL;
}

static bool read_conn(struct reader *r, const struct rec *o)
{
    bool ok;
    struct sock *s = event_sock(r, o, &ok);
    if (s && !rec_str(o, F_ERR)) {
        s->role = ROLE_CLIENT;
        const char *peer = rec_str(o, F_PEER);
        if (peer) s->peer = strtab_intern(&r->p->peers, peer);
    }
    return ok;
}

static bool read_listen(struct reader *r, const struct rec *o)
{
    bool ok;
    struct sock *s = event_sock(r, o, &ok);
    if (s) s->role = ROLE_LISTENER;
    return ok;
}

static bool read_dup(struct reader *r, const struct rec *o)
{
    bool ok;
    struct sock *s = event_sock(r, o, &ok);
    if (s && s->nfds < UINT16_MAX) s->nfds++;
    return ok;
}

/* The socket is closed when the record says this was its last fd; a record
 * without `last` closes it when no fd we know of is left. */
static bool read_close(struct reader *r, const struct rec *o)
{
    bool ok;
    struct sock *s = event_sock(r, o, &ok);
    if (!s) return ok;
    if (s->nfds > 0 && s->nfds < UINT16_MAX) s->nfds--;
    bool last = rec_bool_or(o, F_LAST, s->nfds == 0);
    if (last) {
        s->state = SOCK_CLOSED;
        r->p->closed++;
        close_http(r, s, o);
        tw_close(r, s, o);
    }
    return true;
}

static bool value_i64(const cJSON *v, int64_t *out);

/* A negative fd is a well-formed record (close(-1) on an error path is a
 * foreign close), but such a close cannot close anything: not kept. */
static bool read_badclose(struct reader *r, const struct rec *o)
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
static bool read_live(struct reader *r, const struct rec *o)
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
        .eof = rec_bool_or(o, F_EOF, false),
        .kstate = (uint8_t)kstate_parse(rec_str(o, F_KSTATE)),
    };
    live_kernel(r, &p->live[p->nlive - 1]);
    return true;
}

/* The live set is the batch of live records written just before the end
 * record: an earlier batch (a dump) that socket events followed is stale,
 * and no batch at all means nothing was live. */
static bool read_end(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    if (!r->in_live_batch) p->nlive = 0;
    p->complete = true;
    p->totals.opened = rec_u64_or(o, F_OPENED, p->opened);
    p->totals.closed = rec_u64_or(o, F_CLOSED, p->closed);
    p->totals.live = rec_u64_or(o, F_LIVE, p->nlive);
    p->totals.badclose_dropped = rec_u64_or(o, F_BADCLOSE_DROPPED, 0);
    p->totals.lost = rec_u64_or(o, F_LOST, 0);
    return true;
}

/* ---- the sampler: sample, ktcp, dump --------------------------------- */

/* The tw_site of (peer, stk), created when new. The last one used is
 * tried first: a churning client closes to one peer from one stack. */
/* The hindex hash of a (peer, stack) pair. */
static uint32_t pair_hash(uint32_t peer, uint32_t stk)
{
    return (uint32_t)((((uint64_t)peer << 32 | stk) * 0x9e3779b97f4a7c15ULL) >> 32);
}

static struct tw_site *tw_site_get(struct reader *r, uint32_t peer, uint32_t stk)
{
    struct process *p = r->p;
    if (r->tw_last) {
        struct tw_site *t = &p->tw[r->tw_last - 1];
        if (t->peer == peer && t->stk == stk) return t;
    }
    uint32_t h = pair_hash(peer, stk);
    size_t cur = 0, i;
    while ((i = hindex_next(&p->tw_index, h, &cur)) != SIZE_MAX)
        if (p->tw[i].peer == peer && p->tw[i].stk == stk) break;
    if (i == SIZE_MAX) {
        ALLOC_GROW(p->tw, p->ntw + 1, p->captw);
        p->tw[p->ntw] = (struct tw_site){.peer = peer, .stk = stk};
        i = p->ntw++;
        hindex_add(&p->tw_index, h, i);
    }
    r->tw_last = i + 1;
    return &p->tw[i];
}

/* A TCP client socket's last close, the program's first (no EOF read):
 * counted towards its (peer, stk), like an agg record's `active`. */
/* n closes first, between first and last, of connections to peer from stk. */
static void tw_closes_add(struct reader *r, uint32_t peer, uint32_t stk, uint64_t n, uint64_t first,
                          uint64_t last)
{
    struct tw_site *t = tw_site_get(r, peer, stk);
    if (!t->closes || first < t->first_close) t->first_close = first;
    if (last > t->last_close) t->last_close = last;
    t->closes = add_sat(t->closes, n);
}

static void tw_close(struct reader *r, const struct sock *s, const struct rec *o)
{
    if (s->role != ROLE_CLIENT || !s->peer || !s->stream || rec_bool_or(o, F_EOF, false)) return;
    uint64_t ts = rec_u64_or(o, F_TS, r->p->last_ts);
    tw_closes_add(r, s->peer, s->stk, 1, ts, ts);
}

static bool value_i64(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d > -9007199254740992.0 && d < 9007199254740992.0) || (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}

/* The entries of a sample's `sites` or `peers` into *out; the count. */
static uint32_t sample_series(struct reader *r, const cJSON *a, bool peers, struct series_pt **out,
                              size_t *n, size_t *cap)
{
    const cJSON *e;
    struct rec o;
    uint32_t count = 0;
    const cJSON *arr = cJSON_IsArray(a) ? a : NULL;
    cJSON_ArrayForEach(e, arr)
    {
        rec_index(&o, e);
        uint64_t v;
        uint32_t id =
            peers ? strtab_intern(&r->p->peers, rec_str(&o, F_PEER)) : stack_ref(r, &o, F_STK);
        if (!rec_u64(&o, F_N, &v) || v > UINT32_MAX) continue;
        count++;
        if (!id) continue;
        ALLOC_GROW(*out, *n + 1, *cap);
        (*out)[(*n)++] = (struct series_pt){(uint32_t)r->p->nsamples, id, (uint32_t)v};
    }
    return count;
}

static void sample_tw(struct reader *r, const cJSON *a)
{
    const cJSON *e;
    struct rec o;
    const cJSON *arr = cJSON_IsArray(a) ? a : NULL;
    cJSON_ArrayForEach(e, arr)
    {
        rec_index(&o, e);
        uint64_t v;
        uint32_t peer = strtab_intern(&r->p->peers, rec_str(&o, F_PEER));
        if (!peer || !rec_u64(&o, F_N, &v)) continue;
        struct tw_site *t = tw_site_get(r, peer, stack_ref(r, &o, F_STK));
        uint32_t n = rec_u32_sat(&o, F_N);
        if (n > t->peak) t->peak = n;
    }
}

static bool read_sample(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    struct sample_pt pt = {.fds = -1};
    if (!rec_u64(o, F_TS, &pt.ts) || (p->nsamples && pt.ts < p->samples[p->nsamples - 1].ts))
        return false; /* samples come in time order */
    if (!value_i64(o->f[F_FDS], &pt.fds)) pt.fds = -1;
    pt.nofile = rec_u64_or(o, F_NOFILE, 0);
    pt.socks = rec_u32_sat(o, F_SOCKS);
    const cJSON *sites = o->f[F_SITES], *peers = o->f[F_PEERS], *tw = o->f[F_TW];
    pt.nsites = sample_series(r, sites, false, &p->sites, &p->nsites, &p->capsites);
    pt.npeers = sample_series(r, peers, true, &p->peer_pts, &p->npeer_pts, &p->cappeer_pts);
    sample_tw(r, tw);
    ALLOC_GROW(p->samples, p->nsamples + 1, p->capsamples);
    p->samples[p->nsamples++] = pt;
    return true;
}

static bool read_ktcp(struct reader *r, const struct rec *o)
{
    bool ok;
    const struct sock *s = event_sock(r, o, &ok);
    const char *state = rec_str(o, F_STATE);
    if (!ok || !state) return false;
    if (!s) return true;
    uint32_t i = sidmap_get(&r->kids, s->sid);
    if (!i) {
        ALLOC_GROW(r->ksocks, r->nksocks + 1, r->capksocks);
        r->ksocks[r->nksocks++] = (struct ksock){0};
        i = (uint32_t)r->nksocks;
        sidmap_put(&r->kids, s->sid, i, r->nksocks);
    }
    struct ksock *k = &r->ksocks[i - 1];
    k->kstate = (uint8_t)kstate_parse(state);
    k->rq = rec_u32_sat(o, F_RQ);
    if (k->kstate == KSTATE_CLOSE_WAIT && !k->cw_since) {
        uint64_t ts = rec_u64_or(o, F_TS, r->p->last_ts);
        k->cw_since = ts ? ts : 1;
    }
    return true;
}

/* A dump starts a batch of live records of its own. */
static bool read_dump(struct reader *r, const struct rec *o)
{
    uint64_t n;
    if (!rec_u64(o, F_DUMP, &n) || n == 0 || n > UINT32_MAX) return false;
    r->p->nlive = 0;
    r->in_live_batch = true;
    r->batch_dump = (uint32_t)n;
    return true;
}

/* What the ktcp records said of a live socket (a live record's own kstate
 * stands when there was none). */
static void live_kernel(const struct reader *r, struct live_sock *l)
{
    uint32_t i = sidmap_get(&r->kids, l->sid);
    if (!i) return;
    const struct ksock *k = &r->ksocks[i - 1];
    l->kstate = k->kstate;
    l->rq = k->rq;
    l->cw_since = k->cw_since;
}

/* ---- agg: the quiet sockets of a bounded trace ------------------------- */

/* The agg_site of (stk, peer), created when new. */
static struct agg_site *agg_site_get(struct reader *r, uint32_t stk, uint32_t peer)
{
    struct process *p = r->p;
    uint32_t h = pair_hash(peer, stk);
    size_t cur = 0, i;
    while ((i = hindex_next(&r->agg_index, h, &cur)) != SIZE_MAX)
        if (p->aggs[i].stk == stk && p->aggs[i].peer == peer) return &p->aggs[i];
    ALLOC_GROW(p->aggs, p->naggs + 1, p->capaggs);
    p->aggs[p->naggs] = (struct agg_site){.stk = stk, .peer = peer};
    hindex_add(&r->agg_index, h, p->naggs);
    return &p->aggs[p->naggs++];
}

/* The request of the latest discarded body, as the HTTP state of a socket
 * in the middle of its body; one slot per site, overwritten. */
static void agg_example(struct reader *r, struct agg_site *a, const cJSON *ex)
{
    struct process *p = r->p;
    struct rec o;
    if (!cJSON_IsObject(ex)) return;
    rec_index(&o, ex);
    uint64_t status = rec_u64_or(&o, F_STATUS, 0);
    struct http_state h = {
        .expect = rec_expect(&o),
        .read = rec_u64_or(&o, F_READ, 0),
        .reqs = 1,
        .method = intern_cut(&p->texts, rec_str(&o, F_METHOD)),
        .target = intern_cut(&p->texts, rec_str(&o, F_TARGET)),
        .status = status <= 999 ? (uint16_t)status : 0,
        .phase = HTTP_BODY,
    };
    if (a->example)
        p->http[a->example - 1] = h;
    else
        a->example = http_push(p, &h);
}

/* What an agg record counts goes where the same socket's close record
 * would have gone: the totals, the requests per peer, the TIME_WAIT
 * closes per (peer, stk); the HTTP counts stay in its agg_site. A count
 * above `closed` is cut to it. */
static bool read_agg(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint64_t closed;
    if (!rec_u64(o, F_CLOSED, &closed)) return false;
    uint32_t peer = strtab_intern(&p->peers, rec_str(o, F_PEER));
    struct agg_site *a = agg_site_get(r, stack_ref(r, o, F_STK), peer);
    uint64_t first = rec_u64_or(o, F_FIRST, 0), last = rec_u64_or(o, F_LAST, first);
    uint64_t n[4], *sum[4] = {&a->active, &a->reqs, &a->one_req_ka, &a->discarded};
    const enum field f[4] = {F_ACTIVE, F_REQS, F_ONE_REQ_KA, F_DISCARDED};
    for (int i = 0; i < 4; i++) {
        n[i] = rec_u64_or(o, f[i], 0);
        if (f[i] != F_REQS && n[i] > closed) n[i] = closed;
        *sum[i] = add_sat(*sum[i], n[i]);
    }
    if (!a->closed || first < a->first) a->first = first;
    if (last > a->last) a->last = last;
    a->closed = add_sat(a->closed, closed);
    p->opened = add_sat(p->opened, closed);
    p->closed = add_sat(p->closed, closed);
    peer_reqs_add(p, peer, n[1]);
    if (n[3]) agg_example(r, a, o->f[F_EXAMPLE]);
    if (n[0] && peer) tw_closes_add(r, peer, a->stk, n[0], first, last);
    return true;
}

static bool read_note(struct reader *r, const struct rec *o)
{
    const char *what = rec_str(o, F_WHAT), *detail = rec_str(o, F_DETAIL);
    if (!what && !detail) return false;
    if (detail && what)
        notes_addf(r->notes, "pid %ld: %s (%s)", r->p->pid, detail, what);
    else
        notes_addf(r->notes, "pid %ld: %s", r->p->pid, detail ? detail : what);
    return true;
}

static bool read_ignored(struct reader *r, const struct rec *o)
{
    (void)r;
    (void)o;
    return true;
}

struct record_type {
    const char *name;
    bool (*read)(struct reader *r, const struct rec *o);
    bool socket_event; /* ends a batch of live records */
};

static const struct record_type record_types[] = {
    {"close", read_close, true},       {"open", read_open, true},    {"conn", read_conn, true},
    {"dup", read_dup, true},           {"shut", read_ignored, true}, {"listen", read_listen, true},
    {"badclose", read_badclose, true}, {"live", read_live, false},   {"stk", read_stk, false},
    {"mod", read_mod, false},          {"end", read_end, false},     {"note", read_note, false},
    {"hnew", read_hnew, false},        {"huse", read_huse, false},   {"hfree", read_hfree, false},
    {"sample", read_sample, false},    {"ktcp", read_ktcp, false},   {"dump", read_dump, false},
    {"agg", read_agg, false},
};

/* A header in the middle of a file: another trace was appended to this
 * one. It is not this process: stop reading here. */
static void second_header(struct reader *r)
{
    r->stop = true;
    r->p->issues++;
    notes_addf(r->notes,
               "%s: a second header at line %zu (two traces in one file?): the rest of the "
               "file is ignored",
               r->name, r->lineno);
}

/* Returns false for a line that is not a usable record. */
static bool read_record(struct reader *r, const char *line, size_t len)
{
    cJSON *json = cJSON_ParseWithLength(line, len);
    struct rec rec;
    rec_index(&rec, json);
    const char *t = rec_str(&rec, F_T);
    bool ok = t != NULL;
    if (ok && strcmp(t, "hdr") == 0) {
        second_header(r);
        ok = false, t = NULL;
    } else if (ok && r->p->complete) { /* nothing follows the end record */
        if (r->after_end++ == 0) r->first_after_end = r->lineno;
        t = NULL;
    }
    for (size_t i = 0; t && i < sizeof(record_types) / sizeof(record_types[0]); i++) {
        const struct record_type *rt = &record_types[i];
        if (strcmp(t, rt->name) != 0) continue;
        if (rt->socket_event) r->in_live_batch = false;
        ts_seen(r, &rec);
        ok = rt->read(r, &rec);
        break;
    }
    cJSON_Delete(json);
    arena_reset();
    return ok || r->stop; /* unknown record types are fine */
}

/* ---- header, file, end of trace --------------------------------------- */

static void header_argv(struct process *p, const cJSON *o)
{
    const cJSON *e, *argv = cJSON_GetObjectItemCaseSensitive(o, "argv");
    if (!cJSON_IsArray(argv)) return;
    cJSON_ArrayForEach(e, argv)
    {
        if (cJSON_IsString(e)) strlist_push(&p->argv, xstrdup(e->valuestring));
    }
}

static int read_header(struct reader *r, const char *line, size_t len, char **why)
{
    struct process *p = r->p;
    cJSON *o = cJSON_ParseWithLength(line, len);
    const char *t = json_str(o, "t"), *format = json_str(o, "format");
    uint64_t version = 0;
    int rc = -1;
    if (!t || strcmp(t, "hdr") != 0 || !format || strcmp(format, "connleak-trace") != 0 ||
        !json_u64(o, "version", &version) || version == 0) {
        *why = xasprintf("%s: not a connleak trace", r->name);
    } else if (version > TRACE_VERSION) {
        *why = xasprintf("%s: trace format version %" PRIu64
                         " is newer than this connleak reads (%d): skipped",
                         r->name, version, TRACE_VERSION);
    } else {
        p->pid = (long)json_u64_or(o, "pid", 0);
        p->ppid = (long)json_u64_or(o, "ppid", 0);
        p->forked = value_bool_or(cJSON_GetObjectItemCaseSensitive(o, "forked"), false);
        p->exe = xstrdup(json_str(o, "exe"));
        p->start_unix_ns = json_u64_or(o, "start_unix_ns", 0);
        uint64_t flush = json_u64_or(o, "flush_ms", 0);
        p->flush_ms = flush <= 3600000 ? (unsigned)flush : 0;
        header_argv(p, o);
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

static bool line_is_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') return false;
    return true;
}

static void line_bad(struct reader *r)
{
    if (r->bad_lines++ == 0) r->first_bad = r->lineno;
}

/* ---- lines ---------------------------------------------------------------
 *
 * A buffered reader over read(2) that hands out lines in place, at most
 * MAX_LINE bytes each: a longer line is reported once and skipped up to its
 * newline, so one hostile line costs a bounded buffer. */

enum line_status { LINE_OK, LINE_PARTIAL, LINE_LONG, LINE_EOF, LINE_ERROR };

struct lines {
    int fd, err;
    char *buf;
    size_t start, scan, end, cap; /* the current line starts at start; no \n before scan */
    bool skipping;                /* inside a line that was too long */
};

/* Reads more; 1 when something came, 0 at end of file, -1 on an error. */
static int lines_fill(struct lines *l)
{
    if (l->start > 0 && l->cap - l->end < READ_CHUNK) {
        memmove(l->buf, l->buf + l->start, l->end - l->start);
        l->end -= l->start;
        l->scan -= l->start;
        l->start = 0;
    }
    if (l->cap - l->end < READ_CHUNK) {
        l->cap = l->end + 2 * READ_CHUNK;
        l->buf = xreallocarray(l->buf, l->cap, 1);
    }
    ssize_t n;
    while ((n = read(l->fd, l->buf + l->end, l->cap - l->end)) < 0 && errno == EINTR)
        ;
    if (n < 0) l->err = errno;
    if (n <= 0) return n < 0 ? -1 : 0;
    l->end += (size_t)n;
    return 1;
}

/* The next line, without its \n. LINE_PARTIAL: the last line, cut short
 * (no \n); LINE_LONG: a line longer than MAX_LINE (no text). */
static enum line_status lines_next(struct lines *l, char **line, size_t *len)
{
    for (;;) {
        char *nl = memchr(l->buf + l->scan, '\n', l->end - l->scan);
        if (nl) {
            size_t at = l->start;
            l->start = l->scan = (size_t)(nl - l->buf) + 1;
            if (l->skipping) {
                l->skipping = false;
                continue;
            }
            *line = l->buf + at;
            *len = (size_t)(nl - l->buf) - at;
            return LINE_OK;
        }
        l->scan = l->end;
        if (l->skipping || l->end - l->start > MAX_LINE) {
            bool first = !l->skipping;
            l->skipping = true;
            l->start = l->scan = l->end = 0; /* drop what we have of it */
            if (first) return LINE_LONG;
        }
        int rc = lines_fill(l);
        if (rc < 0) return LINE_ERROR;
        if (rc > 0) continue;
        if (l->start == l->end) return LINE_EOF;
        *line = l->buf + l->start;
        *len = l->end - l->start;
        l->start = l->scan = l->end;
        return LINE_PARTIAL;
    }
}

/* Line 1. */
static int first_line(struct reader *r, enum line_status st, char *line, size_t n, char **why)
{
    if (st == LINE_OK) return read_header(r, line, n, why);
    if (st == LINE_LONG)
        *why = xasprintf("%s: header line longer than %d bytes: not a connleak trace", r->name,
                         MAX_LINE);
    else
        *why = xasprintf("%s: cut short inside its header line: not a usable trace", r->name);
    return -1;
}

static void line_long(struct reader *r)
{
    if (r->long_lines++ == 0) r->first_long = r->lineno;
}

static int read_lines(struct reader *r, struct lines *in, char **why)
{
    enum line_status st = LINE_OK;
    char *line = NULL;
    size_t n = 0;
    int rc = 0;
    while (!r->stop && (st = lines_next(in, &line, &n)) != LINE_EOF && st != LINE_ERROR) {
        r->lineno++;
        if (r->lineno == 1) {
            if ((rc = first_line(r, st, line, n, why)) < 0) break;
        } else if (st == LINE_PARTIAL) {
            notes_addf(r->notes, "%s: ignored an incomplete last line (the trace was cut short)",
                       r->name);
            r->p->cut_short = true;
        } else if (st == LINE_LONG) {
            line_long(r);
        } else if (!line_is_blank(line, n) && !read_record(r, line, n)) {
            line_bad(r);
        }
    }
    if (rc == 0 && st == LINE_ERROR && r->lineno == 0) {
        *why = xasprintf("%s: read error: %s", r->name, strerror(in->err));
        rc = -1;
    } else if (rc == 0 && st == LINE_ERROR) {
        notes_addf(r->notes, "%s: read error after line %zu: %s: the rest is ignored", r->name,
                   r->lineno, strerror(in->err));
        r->p->issues++;
    } else if (rc == 0 && r->lineno == 0) {
        *why = xasprintf("%s: empty file: not a connleak trace", r->name);
        rc = -1;
    }
    return rc;
}

static int cmp_live_sid(const void *a, const void *b)
{
    uint64_t x = ((const struct live_sock *)a)->sid, y = ((const struct live_sock *)b)->sid;
    return x < y ? -1 : x > y;
}

/* The sockets whose last close the trace never recorded. What the latest
 * batch of live records (a dump) said of one of them is kept: its last
 * I/O, bytes, EOF and HTTP state. */
static void live_rebuild(struct reader *r)
{
    struct process *p = r->p;
    struct live_sock *dump = p->live;
    size_t ndump = p->nlive;
    if (ndump > 1) qsort(dump, ndump, sizeof(*dump), cmp_live_sid);
    p->live = NULL;
    p->nlive = p->caplive = 0;
    for (size_t i = 0; i < r->nsocks; i++) {
        const struct sock *s = &r->socks[i];
        if (s->state != SOCK_OPEN) continue;
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
            ndump ? bsearch(&key, dump, ndump, sizeof(*dump), cmp_live_sid) : NULL;
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

static void trace_finish(struct reader *r)
{
    struct process *p = r->p;
    if (r->bad_lines) {
        notes_addf(r->notes, "%s: skipped %zu malformed line%s (first at line %zu)", r->name,
                   r->bad_lines, r->bad_lines == 1 ? "" : "s", r->first_bad);
        p->issues += (unsigned)r->bad_lines;
    }
    if (r->long_lines) {
        notes_addf(r->notes, "%s: skipped %zu line%s longer than 1 MiB (first at line %zu)",
                   r->name, r->long_lines, r->long_lines == 1 ? "" : "s", r->first_long);
        p->issues += (unsigned)r->long_lines;
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
        notes_addf(r->notes,
                   "trace of pid %ld ends without an exit record (killed, crashed or exec'd): "
                   "report is as of its last flush",
                   p->pid);
    } else if (p->totals.live != p->nlive) {
        notes_addf(r->notes,
                   "%s: the end record counts %" PRIu64 " live sockets, the trace lists %zu",
                   r->name, p->totals.live, p->nlive);
    }
    if (p->totals.lost)
        notes_addf(r->notes,
                   "pid %ld: %" PRIu64 " sockets were not tracked (fd beyond connleak's table)",
                   p->pid, p->totals.lost);
    if (p->totals.badclose_dropped)
        notes_addf(r->notes, "pid %ld: %" PRIu64 " more bad closes were not recorded (capped)",
                   p->pid, p->totals.badclose_dropped);
}

static void reader_free(struct reader *r)
{
    idmap_free(&r->stk_ids);
    sidmap_free(&r->sids);
    sidmap_free(&r->hids);
    sidmap_free(&r->kids);
    hindex_free(&r->agg_index);
    free(r->ksocks);
    hindex_free(&r->mod_index);
    free(r->socks);
}

/* Opens a trace without blocking and without taking a terminal; only a
 * regular file is a trace (a FIFO would hang us, /dev/zero never ends). */
static int trace_open(const char *path, struct stat *st, char **why)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        *why = xasprintf("cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        *why = xasprintf("%s: not a regular file: skipped", path);
        close(fd);
        return -1;
    }
    return fd;
}

int trace_read_file(const char *path, struct process *p, struct strlist *notes, char **why)
{
    memset(p, 0, sizeof(*p));
    *why = NULL;
    struct stat st;
    int fd = trace_open(path, &st, why);
    if (fd < 0) return -1;
    /* the read buffer, too, is kept from one trace to the next */
    static char *buf;
    static size_t cap;
    struct lines in = {.fd = fd, .buf = buf, .cap = cap};
    struct reader r = {.p = p, .notes = notes, .name = path};
    arena_begin();
    int rc = read_lines(&r, &in, why);
    arena_end();
    close(fd);
    buf = in.buf;
    cap = in.cap;
    if (rc == 0) {
        p->trace = xstrdup(path);
        p->dev = (uint64_t)st.st_dev;
        p->ino = (uint64_t)st.st_ino;
        trace_finish(&r);
    } else {
        process_free(p);
    }
    reader_free(&r);
    return rc;
}
