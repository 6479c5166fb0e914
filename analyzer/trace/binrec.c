/* binrec.c - the binary records (common/tracebin.h) of formats 2 and 3
 * turned back into the JSON objects they stand for, with the same names
 * and values the JSON writer gives: the decoders of decode_*.c and
 * `connleak trace-dump` then see one kind of record. Nothing in a frame is
 * trusted: every length is checked against the frame, and a frame that
 * does not decode exactly (an unknown field, a value running past its end,
 * a string number its segment does not have) is damage; in version 3 it
 * also costs the rest of its segment, up to the next anchor frame. */
#include "trace/reader_internal.h"

#include "jsonline.h"
#include "tracebin.h"

#include <limits.h>
#include <sys/socket.h>

#define OBJ_DEPTH_MAX 4

struct dec {
    struct rec *rec; /* the index of the record's own fields, or NULL */
    const uint8_t *p;
    size_t at, end;
    struct binrec_state *st;
    uint64_t ts;
    bool have_ts;
    bool v3;
    bool pooled; /* the reader's: nodes from the frame pool (below), not malloc'ed */
    const char *err;
};

/* Field code -> enum field of the reader (-1: none); v3: a kind's bit ->
 * field code (0: none). Found once. */
static signed char field_of_code[TBF_COUNT];
static uint8_t code_of_bit[TBK_COUNT][32];

static void codes_map(void)
{
    static bool ready;
    if (ready) return;
    for (int c = 0; c < TBF_COUNT; c++) {
        field_of_code[c] = (signed char)(tb_fields[c].name ? field_of_name(tb_fields[c].name) : -1);
        for (int k = 0; k < TBK_COUNT; k++)
            if (tb_bit[k][c]) code_of_bit[k][tb_bit[k][c] - 1] = (uint8_t)c;
    }
    ready = true;
}

static bool dec_fail(struct dec *d, const char *why)
{
    if (!d->err) d->err = why;
    return false;
}

/* ---- the nodes of a decoded frame ----
 *
 * `connleak trace-dump` gets a cJSON object it prints and deletes. The
 * reader only indexes it and lets it go with the frame: its nodes and
 * strings come from this pool, reused by the next frame, with no
 * allocation per field (a third of what reading a big trace cost). */

#define POOL_NODES 160     /* > every field of a record and of its object */
#define POOL_STR   (16384) /* > the strings of a record */

static struct {
    cJSON node[POOL_NODES];
    unsigned int nodes;
    char str[POOL_STR];
    size_t used;
} pool;

static cJSON *node_new(struct dec *d, int type)
{
    if (pool.nodes == POOL_NODES) return dec_fail(d, "too many fields"), NULL;
    cJSON *n = &pool.node[pool.nodes++];
    memset(n, 0, sizeof(*n));
    n->type = type;
    return n;
}

static cJSON *mk_number(struct dec *d, double v)
{
    if (!d->pooled) return cJSON_CreateNumber(v);
    cJSON *n = node_new(d, cJSON_Number);
    if (n) {
        n->valuedouble = v;
        n->valueint = v >= INT_MAX ? INT_MAX : v <= (double)INT_MIN ? INT_MIN : (int)v;
    }
    return n;
}

static cJSON *mk_bool(struct dec *d, bool v)
{
    return d->pooled ? node_new(d, v ? cJSON_True : cJSON_False) : cJSON_CreateBool(v);
}

static cJSON *mk_object(struct dec *d)
{
    return d->pooled ? node_new(d, cJSON_Object) : cJSON_CreateObject();
}

/* A static string, not copied. */
static cJSON *mk_ref(struct dec *d, const char *s)
{
    if (!d->pooled) return cJSON_CreateStringReference(s);
    cJSON *n = node_new(d, cJSON_String | cJSON_IsReference);
    if (n) n->valuestring = (char *)s;
    return n;
}

/* n bytes as a NUL-terminated string. */
static cJSON *mk_string(struct dec *d, const uint8_t *s, size_t n)
{
    if (!d->pooled) {
        char tmp[TB_STR_MAX + 1];
        memcpy(tmp, s, n);
        tmp[n] = 0;
        return cJSON_CreateString(tmp);
    }
    if (n >= POOL_STR - pool.used) return dec_fail(d, "too many strings"), NULL;
    char *c = pool.str + pool.used;
    memcpy(c, s, n);
    c[n] = 0;
    pool.used += n + 1;
    return mk_ref(d, c);
}

/* Appends v to obj under the (static) name. */
static void obj_add(struct dec *d, cJSON *obj, const char *name, cJSON *v)
{
    if (!d->pooled) {
        cJSON_AddItemToObjectCS(obj, name, v);
        return;
    }
    v->string = (char *)name;
    v->type |= cJSON_StringIsConst;
    if (!obj->child) {
        obj->child = v;
        v->prev = v; /* cJSON's convention: the first child's prev is the last */
        return;
    }
    cJSON *last = obj->child->prev;
    last->next = v;
    v->prev = last;
    obj->child->prev = v;
}

static bool dec_varint(struct dec *d, uint64_t *v)
{
    return tb_get_varint(d->p, d->end, &d->at, v) || dec_fail(d, "a number runs past its end");
}

static bool dec_bytes(struct dec *d, uint64_t n, const uint8_t **out)
{
    if (n > d->end - d->at) return dec_fail(d, "a value runs past its end");
    *out = d->p + d->at;
    d->at += (size_t)n;
    return true;
}

/* v3: the segment's string number k, or a new inline one numbered. */
static cJSON *seg_str(struct dec *d, uint64_t n, bool numbered)
{
    struct binrec_state *st = d->st;
    const uint8_t *s;
    if ((n & 3) == 2) {
        if (!numbered) return dec_fail(d, "a string number in a field that has none"), NULL;
        if ((n >> 2) >= st->nstr) return dec_fail(d, "a string number its segment lacks"), NULL;
        return mk_string(d, (const uint8_t *)st->str[n >> 2], st->str_len[n >> 2]);
    }
    n >>= 2;
    if (n > TB_STR_MAX) return dec_fail(d, "a string too long"), NULL;
    if (!dec_bytes(d, n, &s)) return NULL;
    if (memchr(s, 0, (size_t)n)) return dec_fail(d, "a NUL inside a string"), NULL;
    if (numbered && n <= TB_SEG_STR_MAX && st->nstr < TB_SEG_STRS) {
        memcpy(st->str[st->nstr], s, (size_t)n);
        st->str_len[st->nstr++] = (uint8_t)n;
    }
    return mk_string(d, s, (size_t)n);
}

/* A string: a word (odd), or v2: n >> 1 bytes; v3: see seg_str. */
static cJSON *dec_str(struct dec *d, bool numbered)
{
    uint64_t n;
    const uint8_t *s;
    if (!dec_varint(d, &n)) return NULL;
    if (n & 1) {
        if ((n >> 1) >= TBW_COUNT) return dec_fail(d, "an unknown word"), NULL;
        return mk_ref(d, tb_words[n >> 1]);
    }
    if (d->v3) return seg_str(d, n, numbered);
    if ((n >> 1) > TB_STR_MAX) return dec_fail(d, "a string too long"), NULL;
    if (!dec_bytes(d, n >> 1, &s)) return NULL;
    if (memchr(s, 0, (size_t)(n >> 1))) return dec_fail(d, "a NUL inside a string"), NULL;
    return mk_string(d, s, (size_t)(n >> 1));
}

/* The port: v2 a varint, v3 two bytes, big-endian. */
static bool dec_port(struct dec *d, uint64_t *port)
{
    const uint8_t *b;
    if (!d->v3) return dec_varint(d, port) && *port <= UINT16_MAX;
    if (!dec_bytes(d, 2, &b)) return false;
    *port = (uint64_t)b[0] << 8 | b[1];
    return true;
}

/* An address, formatted as the JSON writer formats it ("127.0.0.1:80"). */
static cJSON *dec_addr(struct dec *d)
{
    struct cl_addr a = {0};
    uint64_t fam, n = 0, port = 0;
    const uint8_t *bytes = NULL;
    if (!dec_varint(d, &fam) || fam > UINT16_MAX) return dec_fail(d, "a bad address"), NULL;
    a.family = (uint16_t)fam;
    if (fam == AF_INET || fam == AF_INET6) n = fam == AF_INET ? 4 : 16;
    if (fam == AF_UNIX && (!dec_varint(d, &n) || n >= sizeof(a.a)))
        return dec_fail(d, "a bad address"), NULL;
    if (n && !dec_bytes(d, n, &bytes)) return NULL;
    if (n) memcpy(a.a, bytes, (size_t)n);
    if ((fam == AF_INET || fam == AF_INET6) && !dec_port(d, &port))
        return dec_fail(d, "a bad port"), NULL;
    a.port = fam == AF_UNIX ? 1 : (uint16_t)port;
    char mem[sizeof(a.a) * 6 + 64];
    if (fam == AF_UNIX) { /* "unix:" and the name as it is (jb_addr would JSON-escape it) */
        memcpy(mem, "unix:", 5);
        memcpy(mem + 5, a.a, (size_t)n);
        if (memchr(a.a, 0, (size_t)n)) return dec_fail(d, "a NUL inside an address"), NULL;
        return mk_string(d, (const uint8_t *)mem, 5 + (size_t)n);
    }
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_addr(&b, &a); /* no byte of an inet, inet6 or other address needs escaping */
    if (b.overflow || b.len < 2) return dec_fail(d, "a bad address"), NULL;
    return mk_string(d, (const uint8_t *)mem + 1, b.len - 2); /* without its quotes */
}

static bool dec_fields(struct dec *d, cJSON *obj, int depth);
static bool dec_masked(struct dec *d, cJSON *obj, unsigned int kind);

/* The value of one field of type t, or NULL (d->err says why). */
static cJSON *dec_value(struct dec *d, uint8_t t, int depth)
{
    uint64_t v;
    const uint8_t *b;
    switch (t) {
    case TBT_U:
        return dec_varint(d, &v) ? mk_number(d, (double)v) : NULL;
    case TBT_I:
        if (!dec_varint(d, &v)) return NULL;
        return mk_number(d, (double)tb_unzigzag(v));
    case TBT_REL: /* 0: none; else ts - (v - 1) */
        if (!dec_varint(d, &v)) return NULL;
        if (!d->have_ts) return dec_fail(d, "a time before the record's ts"), NULL;
        return mk_number(d, v == 0 || v - 1 > d->ts ? 0.0 : (double)(d->ts - (v - 1)));
    case TBT_B:
        if (!dec_bytes(d, 1, &b) || *b > 1) return dec_fail(d, "a bad boolean"), NULL;
        return mk_bool(d, *b);
    case TBT_S:
    case TBT_SI:
        return dec_str(d, t == TBT_SI);
    case TBT_A:
        return dec_addr(d);
    case TBT_O: {
        cJSON *o = mk_object(d);
        if (!o) return NULL;
        if (depth >= OBJ_DEPTH_MAX) return dec_fail(d, "objects nested too deep"), o;
        if (d->v3)
            dec_masked(d, o, TBK_HTTP);
        else
            dec_fields(d, o, depth + 1);
        return o;
    }
    case TBT_T:
        return mk_bool(d, true);
    }
    return dec_fail(d, "an unknown field"), NULL;
}

/* The record's ts: in full, or a delta from the previous binary record's. */
static bool dec_ts(struct dec *d, uint8_t t)
{
    uint64_t v;
    if (d->have_ts) return dec_fail(d, "two times in one record");
    if (!dec_varint(d, &v)) return false;
    if (t == TBT_TSD && !d->st->have_ts) return dec_fail(d, "a time relative to a lost record");
    d->ts = t == TBT_TS ? v : d->st->last_ts + (uint64_t)tb_unzigzag(v);
    d->have_ts = true;
    return true;
}

/* A field decoded: into obj, and (top level) into the record's index. */
static void dec_add(struct dec *d, cJSON *obj, uint8_t code, cJSON *v, bool top)
{
    obj_add(d, obj, tb_fields[code].name, v);
    int f = top && d->rec ? field_of_code[code] : -1;
    if (f >= 0 && !d->rec->f[f]) d->rec->f[f] = v; /* the first, as rec_index */
}

/* Fields up to the end of the payload (depth 0) or to code 0 (inside an object). */
static bool dec_fields(struct dec *d, cJSON *obj, int depth)
{
    while (!d->err && d->at < d->end) {
        uint8_t code = d->p[d->at++];
        if (code == TBF_END) return depth > 0 || dec_fail(d, "an object ends outside one");
        if (code >= TBF_COUNT || !tb_fields[code].name) return dec_fail(d, "an unknown field code");
        uint8_t t = tb_fields[code].type;
        cJSON *v;
        if (t == TBT_TS || t == TBT_TSD) {
            if (depth > 0 || !dec_ts(d, t)) return dec_fail(d, "a time inside an object");
            v = mk_number(d, (double)d->ts);
        } else {
            v = dec_value(d, t, depth);
        }
        if (v) dec_add(d, obj, code, v, depth == 0);
    }
    return !d->err && (depth == 0 || dec_fail(d, "an object not ended"));
}

/* v3: the values of a mask's fields, in bit order (a flag has none). */
static bool dec_values3(struct dec *d, cJSON *obj, unsigned int kind, uint64_t mask)
{
    for (unsigned int bit = 0; mask && !d->err; bit++, mask >>= 1) {
        if (!(mask & 1)) continue;
        uint8_t code = bit < 32 ? code_of_bit[kind][bit] : 0;
        if (!code) return dec_fail(d, "an unknown field");
        cJSON *v = dec_value(d, tb_type3(code), 1);
        if (v) dec_add(d, obj, code, v, kind != TBK_HTTP);
    }
    return !d->err;
}

/* v3: an object, its mask then its values. */
static bool dec_masked(struct dec *d, cJSON *obj, unsigned int kind)
{
    uint64_t mask;
    return dec_varint(d, &mask) && dec_values3(d, obj, kind, mask);
}

/* v3: the frame's socket, written or the previous frame's (TB_SAME). */
static bool dec_sock3(struct dec *d, cJSON *o, unsigned int code, uint8_t tag)
{
    struct binrec_state *st = d->st;
    uint64_t sid, fd;
    if (!tb_has_sock[code])
        return !(tag & TB_SAME) || dec_fail(d, "a socket in a record that has none");
    if (!(tag & TB_SAME)) {
        if (!dec_varint(d, &sid) || !dec_varint(d, &fd)) return false;
        st->sid += (uint64_t)tb_unzigzag(sid);
        st->fd = tb_unzigzag(fd);
        st->have_sock = true;
    } else if (!st->have_sock) {
        return dec_fail(d, "the socket of a lost record");
    }
    cJSON *vs = mk_number(d, (double)st->sid), *vf = mk_number(d, (double)st->fd);
    if (!vs || !vf) return false;
    dec_add(d, o, TBF_SID, vs, true);
    dec_add(d, o, TBF_FD, vf, true);
    return true;
}

/* v3: time, mask, socket and fields of a frame of known kind `code`; an
 * anchor starts a segment, anything else needs its segment in step. */
static void dec_frame3(struct dec *d, cJSON *o, unsigned int code, uint8_t tag)
{
    struct binrec_state *st = d->st;
    uint64_t v, mask;
    if (tag & TB_ANCHOR) {
        st->nstr = 0, st->sid = 0, st->have_sock = false;
    } else if (!st->have_ts) {
        dec_fail(d, "a record relative to a lost one");
        return;
    }
    if (!dec_varint(d, &v)) return;
    d->ts = tag & TB_ANCHOR ? v : st->last_ts + (uint64_t)tb_unzigzag(v);
    d->have_ts = true;
    cJSON *vt = mk_number(d, (double)d->ts);
    if (!vt) return;
    dec_add(d, o, TBF_TS, vt, true);
    if (dec_varint(d, &mask) && dec_sock3(d, o, code, tag)) dec_values3(d, o, code, mask);
}

cJSON *binrec_decode(struct binrec_state *st, const uint8_t *frame, size_t n, struct rec *rec,
                     const char **err)
{
    uint64_t len;
    size_t hdr;
    *err = NULL;
    if (!tb_frame_header(frame, n, &len, &hdr) || hdr + len + 1 != n || frame[n - 1] != '\n') {
        st->have_ts = false;
        *err = "a malformed frame";
        return NULL;
    }
    bool v3 = st->version == 0 || st->version >= 3;
    unsigned int code = frame[0] & (v3 ? TB_CODE3 : ~TB_TAG);
    char unknown[16];
    struct dec d = {.rec = rec,
                    .p = frame,
                    .at = hdr,
                    .end = hdr + (size_t)len,
                    .st = st,
                    .v3 = v3,
                    .pooled = rec != NULL};
    if (d.pooled) pool.nodes = 0, pool.used = 0; /* the previous frame's are done with */
    codes_map();
    cJSON *o = mk_object(&d);
    cJSON *t;
    if (code < TBR_COUNT && tb_recs[code]) {
        t = mk_ref(&d, tb_recs[code]);
    } else { /* v2: a record kind of a later version: decoded, and ignored as unknown */
        snprintf(unknown, sizeof(unknown), "bin-%u", code);
        t = mk_string(&d, (const uint8_t *)unknown, strlen(unknown));
    }
    obj_add(&d, o, "t", t);
    if (rec) {
        memset(rec, 0, sizeof(*rec));
        rec->f[F_T] = o->child;
    }
    if (!v3)
        dec_fields(&d, o, 0);
    else if (code >= TBR_COUNT || !tb_recs[code])
        dec_fail(&d, "an unknown record code"); /* (a later kind comes with a later version) */
    else
        dec_frame3(&d, o, code, frame[0]);
    if (!d.err && d.at != d.end) d.err = "bytes after the record's fields";
    if (!d.err && !d.have_ts) d.err = "a record without its time";
    if (d.err) { /* v2: a time read before the damage still anchors the next delta */
        st->last_ts = d.ts;
        st->have_ts = d.have_ts && !v3;
        *err = d.err;
        if (!d.pooled) cJSON_Delete(o);
        return NULL;
    }
    st->last_ts = d.ts;
    st->have_ts = true;
    return o;
}
