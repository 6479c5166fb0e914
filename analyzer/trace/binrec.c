/* binrec.c - format 2's binary records (common/tracebin.h) turned back into
 * the JSON objects they stand for, with the same names and values the
 * JSON writer gives: the decoders of decode_*.c and `connleak trace-dump`
 * then see one kind of record. Nothing in a frame is trusted: every length
 * is checked against the frame, and a frame that does not decode exactly
 * (an unknown field code, a value running past its end) is damage. */
#include "trace/reader_internal.h"

#include "jsonline.h"
#include "tracebin.h"

#include <sys/socket.h>

#define OBJ_DEPTH_MAX 4

struct dec {
    struct rec *rec; /* the index of the record's own fields, or NULL */
    const uint8_t *p;
    size_t at, end;
    struct binrec_state *st;
    uint64_t ts;
    bool have_ts;
    const char *err;
};

/* Field code -> enum field of the reader (-1: none), found once. */
static signed char field_of_code[TBF_COUNT];

static void codes_map(void)
{
    static bool ready;
    if (ready) return;
    for (int c = 0; c < TBF_COUNT; c++)
        field_of_code[c] = (signed char)(tb_fields[c].name ? field_of_name(tb_fields[c].name) : -1);
    ready = true;
}

static bool dec_fail(struct dec *d, const char *why)
{
    if (!d->err) d->err = why;
    return false;
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

/* n bytes as a NUL-terminated string (arena memory, freed with the record). */
static cJSON *string_of(const uint8_t *s, size_t n)
{
    char tmp[TB_STR_MAX + 1];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    return cJSON_CreateString(tmp);
}

static cJSON *dec_str(struct dec *d)
{
    uint64_t n;
    const uint8_t *s;
    if (!dec_varint(d, &n)) return NULL;
    if (n & 1) {
        if ((n >> 1) >= TBW_COUNT) return dec_fail(d, "an unknown word"), NULL;
        return cJSON_CreateString(tb_words[n >> 1]);
    }
    if ((n >> 1) > TB_STR_MAX) return dec_fail(d, "a string too long"), NULL;
    if (!dec_bytes(d, n >> 1, &s)) return NULL;
    if (memchr(s, 0, (size_t)(n >> 1))) return dec_fail(d, "a NUL inside a string"), NULL;
    return string_of(s, (size_t)(n >> 1));
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
    if ((fam == AF_INET || fam == AF_INET6) && (!dec_varint(d, &port) || port > UINT16_MAX))
        return dec_fail(d, "a bad port"), NULL;
    a.port = fam == AF_UNIX ? 1 : (uint16_t)port;
    char mem[sizeof(a.a) * 6 + 64];
    if (fam == AF_UNIX) { /* "unix:" and the name as it is (jb_addr would JSON-escape it) */
        memcpy(mem, "unix:", 5);
        memcpy(mem + 5, a.a, (size_t)n);
        if (memchr(a.a, 0, (size_t)n)) return dec_fail(d, "a NUL inside an address"), NULL;
        return string_of((const uint8_t *)mem, 5 + (size_t)n);
    }
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_addr(&b, &a); /* no byte of an inet, inet6 or other address needs escaping */
    if (b.overflow || b.len < 2) return dec_fail(d, "a bad address"), NULL;
    return string_of((const uint8_t *)mem + 1, b.len - 2); /* without its quotes */
}

static bool dec_fields(struct dec *d, cJSON *obj, int depth);

/* The value of one field of type t, or NULL (d->err says why). */
static cJSON *dec_value(struct dec *d, uint8_t t, int depth)
{
    uint64_t v;
    const uint8_t *b;
    switch (t) {
    case TBT_U:
        return dec_varint(d, &v) ? cJSON_CreateNumber((double)v) : NULL;
    case TBT_I:
        if (!dec_varint(d, &v)) return NULL;
        return cJSON_CreateNumber((double)tb_unzigzag(v));
    case TBT_REL: /* 0: none; else ts - (v - 1) */
        if (!dec_varint(d, &v)) return NULL;
        if (!d->have_ts) return dec_fail(d, "a time before the record's ts"), NULL;
        return cJSON_CreateNumber(v == 0 || v - 1 > d->ts ? 0.0 : (double)(d->ts - (v - 1)));
    case TBT_B:
        if (!dec_bytes(d, 1, &b) || *b > 1) return dec_fail(d, "a bad boolean"), NULL;
        return cJSON_CreateBool(*b);
    case TBT_S:
        return dec_str(d);
    case TBT_A:
        return dec_addr(d);
    case TBT_O: {
        cJSON *o = cJSON_CreateObject();
        if (depth >= OBJ_DEPTH_MAX) return dec_fail(d, "objects nested too deep"), o;
        dec_fields(d, o, depth + 1);
        return o;
    }
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
            v = cJSON_CreateNumber((double)d->ts);
        } else {
            v = dec_value(d, t, depth);
        }
        if (!v) continue;
        cJSON_AddItemToObjectCS(obj, tb_fields[code].name, v);
        int f = depth == 0 && d->rec ? field_of_code[code] : -1;
        if (f >= 0 && !d->rec->f[f]) d->rec->f[f] = v; /* the first, as rec_index */
    }
    return !d->err && (depth == 0 || dec_fail(d, "an object not ended"));
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
    unsigned int code = frame[0] & ~TB_TAG;
    char unknown[16];
    cJSON *o = cJSON_CreateObject();
    if (code < TBR_COUNT && tb_recs[code]) {
        cJSON_AddItemToObjectCS(o, "t", cJSON_CreateString(tb_recs[code]));
    } else { /* a record kind of a later version: decoded, and ignored as unknown */
        snprintf(unknown, sizeof(unknown), "bin-%u", code);
        cJSON_AddItemToObject(o, "t", cJSON_CreateString(unknown));
    }
    struct dec d = {.rec = rec, .p = frame, .at = hdr, .end = hdr + (size_t)len, .st = st};
    if (rec) {
        codes_map();
        memset(rec, 0, sizeof(*rec));
        rec->f[F_T] = o->child;
    }
    dec_fields(&d, o, 0);
    if (!d.err && !d.have_ts) d.err = "a record without its time";
    if (d.err) { /* a time read before the damage still anchors the next delta */
        st->last_ts = d.ts;
        st->have_ts = d.have_ts;
        *err = d.err;
        cJSON_Delete(o);
        return NULL;
    }
    st->last_ts = d.ts;
    st->have_ts = true;
    return o;
}
