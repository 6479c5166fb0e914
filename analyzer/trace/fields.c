/* fields.c - record decoding, common part: cJSON parses each line into a
 * per-line arena, and a record's members are indexed once (struct rec). */
#include "trace/reader_internal.h"

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
void arena_reset(void)
{
    while (arena_head && arena_head->next) {
        struct arena_chunk *next = arena_head->next;
        free(arena_head);
        arena_head = next;
    }
    if (arena_head) arena_head->used = 0;
}

void arena_begin(void)
{
    cJSON_Hooks hooks = {arena_alloc, arena_free};
    cJSON_InitHooks(&hooks);
}

/* Keeps one chunk for the next trace: a report of 10,000 small traces must
 * not map and unmap a chunk per trace. */
void arena_end(void)
{
    cJSON_InitHooks(NULL);
    arena_reset();
}

/* ---- field access ----------------------------------------------------
 *
 * A record's members are indexed in one pass (struct rec) instead of one
 * linear cJSON_GetObjectItem walk per field: on a big trace the lookups
 * cost more than the parse. */

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
                                                 [F_PASSED] = "passed",
                                                 [F_FAM] = "fam",
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
                                                 [F_EXAMPLE] = "example",
                                                 [F_POOL] = "pool",
                                                 [F_GO] = "go",
                                                 [F_BEFORE_ATTACH] = "before_attach",
                                                 [F_WHY] = "why",
                                                 [F_PY] = "py",
                                                 [F_F] = "f",
                                                 [F_FIN] = "fin",
                                                 [F_READ_LAST] = "read_last",
                                                 [F_TCP] = "tcp",
                                                 [F_TESTNAME] = "test",
                                                 [F_SAMPLED] = "sampled",
                                                 [F_REQ_STK] = "req_stk",
                                                 [F_EST] = "est"};

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

int field_of_name(const char *name)
{
    if (!field_slots_ready) field_slots_init();
    return field_lookup(name);
}

void rec_index(struct rec *rec, const cJSON *o)
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

bool value_bool_or(const cJSON *v, bool dflt)
{
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

bool parse_hex(const char *s, uint64_t *out)
{
    if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2]) return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s + 2, &end, 16);
    if (errno || *end || s[2] == '-' || s[2] == '+' || s[2] == ' ') return false;
    *out = v;
    return true;
}

bool rec_u64(const struct rec *o, enum field f, uint64_t *out)
{
    return value_u64(o->f[f], out);
}

uint64_t rec_u64_or(const struct rec *o, enum field f, uint64_t dflt)
{
    uint64_t v;
    return value_u64(o->f[f], &v) ? v : dflt;
}

uint32_t rec_id(const struct rec *o, enum field f)
{
    uint64_t v = rec_u64_or(o, f, 0);
    return v <= UINT32_MAX ? (uint32_t)v : 0;
}

const char *rec_str(const struct rec *o, enum field f)
{
    return value_str(o->f[f]);
}

bool rec_bool_or(const struct rec *o, enum field f, bool dflt)
{
    return value_bool_or(o->f[f], dflt);
}

bool rec_hex(const struct rec *o, enum field f, uint64_t *out)
{
    return parse_hex(rec_str(o, f), out);
}

/* The header is read once: plain lookups. */
bool json_u64(const cJSON *o, const char *key, uint64_t *out)
{
    return value_u64(cJSON_GetObjectItemCaseSensitive(o, key), out);
}

uint64_t json_u64_or(const cJSON *o, const char *key, uint64_t dflt)
{
    uint64_t v;
    return json_u64(o, key, &v) ? v : dflt;
}

const char *json_str(const cJSON *o, const char *key)
{
    return value_str(cJSON_GetObjectItemCaseSensitive(o, key));
}
