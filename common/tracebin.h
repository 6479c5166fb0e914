/* tracebin.h - the binary records of the trace format (docs/trace-format.md,
 * "Binary records"): what the preload writes for its frequent records
 * (open, conn, close, ...) instead of a JSON line, and what the analyzer
 * and `connleak trace-dump` turn back into the same fields. Shared by both
 * sides: the numbering below is the format, so codes are only ever added,
 * never changed or reused.
 *
 * A frame is: one tag byte (0x80 | flags | record code), the payload length
 * as an unsigned LEB128 varint, the payload, and a '\n'. A JSON line starts
 * with '{', so a reader tells the two apart by the first byte; the '\n' lets
 * it find its way back to a record boundary after damage.
 *
 * Version 3 (written now): the payload is the record's time, a mask of the
 * fields present (each kind of record has its own list of fields, tb_bit),
 * the socket's sid and fd unless the tag says they are the previous
 * frame's, then the values of the fields present in the list's order, with
 * no field codes; a flag field costs only its bit. Times and sids are
 * deltas from the previous frame, and Host and target strings are written
 * once and then named by number, within a segment that starts at an anchor
 * frame (the first of each flushed buffer, and every 64th): damage costs at
 * most the rest of its segment.
 *
 * Version 2 (still read): the payload is a list of fields, each a field
 * code byte and a value; an object value is a list of fields ended by 0.
 *
 * The encoder writes into a caller's buffer without allocating and never
 * past its end (overflow: the record is dropped whole, as with jsonline.h),
 * so it may run in a signal handler. */
#ifndef CONNLEAK_TRACEBIN_H
#define CONNLEAK_TRACEBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jsonline.h"

#define TB_TAG         0x80u /* tag = TB_TAG | flags | record code */
#define TB_ANCHOR      0x40u /* v3: starts a segment: time and sid in full, no string known */
#define TB_SAME        0x20u /* v3: the sid and fd are the previous frame's (not written) */
#define TB_CODE3       0x1fu /* v3: the record code's bits of the tag */
#define TB_SEG_STRS    32u   /* v3: strings a segment names by number */
#define TB_SEG_STR_MAX 63u   /* v3: ...each at most this long */
#define TB_PAYLOAD_MAX 4096u /* a longer frame is damage */
#define TB_STR_MAX     1024u /* inline strings are cut to this */

/* Record codes: the "t" of the JSON record each one stands for. */
enum tb_rec {
    TBR_OPEN = 1,
    TBR_CONN,
    TBR_CLOSE,
    TBR_LISTEN,
    TBR_DUP,
    TBR_SHUT,
    TBR_HNEW,
    TBR_HUSE,
    TBR_HFREE,
    TBR_COUNT
};
#define TBK_HTTP  TBR_COUNT       /* v3: the field list of the close's "http" object */
#define TBK_COUNT (TBR_COUNT + 1) /* field lists: one per record kind, and TBK_HTTP */

/* How a field's value is encoded. */
enum tb_type {
    TBT_NONE, /* unknown code: damage */
    TBT_U,    /* unsigned varint */
    TBT_I,    /* signed: zigzag varint */
    TBT_TS,   /* the record's ts, absolute: unsigned varint ("ts") */
    TBT_TSD,  /* the record's ts, as zigzag delta from the previous binary record's */
    TBT_REL,  /* a time at or before the record's ts: varint, 0 = none, else 1 + (ts - value) */
    TBT_B,    /* one byte, 0 or 1 */
    TBT_S,    /* varint n; n odd: word n >> 1 of tb_words; even: n >> 1 bytes follow */
    TBT_A,    /* socket address: family varint, then its bytes (tb_put_addr) */
    TBT_O,    /* object: v2: fields up to code 0; v3: its own mask, then its values */
    TBT_T,    /* v3: a flag: true when its bit is set, no bytes */
    TBT_SI,   /* v3: a string a segment numbers (varint n: n odd: word n >> 1;
               * n % 4 == 2: the segment's string n >> 2; else n >> 2 bytes follow,
               * and if at most TB_SEG_STR_MAX they become the segment's next string) */
};

/* Field codes. The JSON name of each is in tb_fields[]. */
enum tb_field {
    TBF_END = 0, /* ends an object */
    TBF_TS,
    TBF_TSD,
    TBF_SID,
    TBF_FD,
    TBF_FAM,
    TBF_TYPE,
    TBF_ROLE,
    TBF_STK,
    TBF_INO,
    TBF_PEER,
    TBF_LOCAL,
    TBF_LSID,
    TBF_INHERITED,
    TBF_LATE,
    TBF_OPENED,
    TBF_INPROGRESS,
    TBF_ERR,
    TBF_NFD,
    TBF_HOW,
    TBF_LAST,
    TBF_IN,
    TBF_OUT,
    TBF_LAST_IO,
    TBF_EOF,
    TBF_FIN,
    TBF_HTTP,
    TBF_REQS,
    TBF_RESPS,
    TBF_AWAIT,
    TBF_PHASE,
    TBF_STATUS,
    TBF_EXPECT,
    TBF_READ,
    TBF_KA,
    TBF_METHOD,
    TBF_TARGET,
    TBF_HOST,
    TBF_LOST,
    TBF_TUNNEL,
    TBF_TLS,
    TBF_SAMPLED,
    TBF_H,
    TBF_KIND,
    TBF_URL,
    TBF_COUNT
};

struct tb_field_info {
    const char *name; /* NULL: no such code */
    uint8_t type;     /* enum tb_type, in version 2 */
    uint8_t type3;    /* in version 3, where it differs (0: the same) */
};
extern const struct tb_field_info tb_fields[TBF_COUNT];
extern const char *const tb_recs[TBR_COUNT]; /* record code -> "t" */

/* v3: the bit of field f in the mask of kind k's records, plus 1 (0: not
 * one of k's fields). Bits are only ever added. Values are laid out in bit
 * order; a flag has no value, so its bit may come anywhere. */
extern const uint8_t tb_bit[TBK_COUNT][TBF_COUNT];
/* v3: kinds whose records carry a socket's sid and fd after the mask. */
extern const bool tb_has_sock[TBR_COUNT];

static inline uint8_t tb_type3(enum tb_field f)
{
    return tb_fields[f].type3 ? tb_fields[f].type3 : tb_fields[f].type;
}

/* Words a TBT_S value may name by number (append only). */
enum tb_word {
    TBW_NONE = 0, /* "" */
    TBW_INET,
    TBW_INET6,
    TBW_UNIX,
    TBW_NETLINK,
    TBW_PACKET,
    TBW_STREAM,
    TBW_DGRAM,
    TBW_SEQPACKET,
    TBW_RAW,
    TBW_ROLE_SOCKET, /* the six roles, in enum sock_role's order */
    TBW_ROLE_CLIENT,
    TBW_ROLE_LISTENER,
    TBW_ROLE_ACCEPTED,
    TBW_ROLE_PAIR,
    TBW_ROLE_RECEIVED,
    TBW_CLOSE,
    TBW_CLOSE_RANGE,
    TBW_DUP,
    TBW_DUP2,
    TBW_DUP3,
    TBW_FCNTL,
    TBW_FCLOSE,
    TBW_IMPLICIT,
    TBW_SYSCALL,
    TBW_RD,
    TBW_WR,
    TBW_RDWR,
    TBW_OTHER,
    TBW_IDLE,
    TBW_HEADERS,
    TBW_BODY,
    TBW_GET,
    TBW_POST,
    TBW_PUT,
    TBW_HEAD,
    TBW_DELETE,
    TBW_PATCH,
    TBW_OPTIONS,
    TBW_CONNECT,
    TBW_SLASH, /* "/" */
    TBW_CURL,
    TBW_CURLM,
    TBW_SSL,
    TBW_COUNT
};
extern const char *const tb_words[TBW_COUNT];

/* The word for a string, or TBW_COUNT if it has none (a linear search:
 * for the few short strings of one field, such as an HTTP method). */
unsigned int tb_word_find(const char *s, unsigned int first, unsigned int last);

/* ---- the encoder (version 3) ---- */

#define TB_SI_MAX 4 /* numbered strings one record may hold */

/* A record being encoded: its values, its mask, and what tb_frame_put
 * settles against the previous frame (sid, fd, numbered strings). */
struct tb {
    uint8_t *p;
    size_t len, cap;
    bool overflow;
    uint8_t kind;        /* enum tb_rec: the record's */
    bool in_obj;         /* between tb_obj and tb_obj_end */
    const uint8_t *bits; /* the field list being written: tb_bit[kind], or [TBK_HTTP] */
    uint32_t mask;       /* its fields present (the record's, once the object is ended) */
    uint8_t last;        /* its last bit with a value, + 1 (values go in bit order) */
    uint8_t rec_last;    /* the record's, while in the object */
    uint32_t rec_mask;   /* the same */
    uint32_t ostart;     /* where the object's mask and values start */
    bool sock;           /* sid and fd given (kinds of tb_has_sock) */
    uint64_t sid;
    int64_t fd;
    uint8_t nsi;
    struct tb_si {                   /* a TBT_SI string written inline, that may become a number */
        uint32_t at, str, end, hash; /* its varint, its bytes, their end, their hash */
    } si[TB_SI_MAX];                 /* (not cleared by tb_init: nsi says how many) */
};

static inline void tb_init(struct tb *b, uint8_t *mem, size_t cap, enum tb_rec kind)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->overflow = false;
    b->kind = (uint8_t)kind;
    b->in_obj = false;
    b->bits = tb_bit[kind];
    b->mask = 0;
    b->last = 0;
    b->sock = false;
    b->nsi = 0;
}

/* Room for n more bytes, or overflow. */
static inline bool tb_room(struct tb *b, size_t n)
{
    if (__builtin_expect(b->len + n > b->cap, 0)) b->overflow = true;
    return !b->overflow;
}

static inline size_t tb_varint_at(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline size_t tb_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) v >>= 7, n++;
    return n;
}

static inline void tb_varint(struct tb *b, uint64_t v)
{
    if (tb_room(b, 10)) b->len += tb_varint_at(b->p + b->len, v);
}

static inline uint64_t tb_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t tb_unzigzag(uint64_t v)
{
    return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* Sets f's bit; false (and the record dropped as overflow) when f is not
 * one of the kind's fields, or a value would go out of bit order: a
 * writer's mistake, which the tests see as a missing record. */
static inline bool tb_field(struct tb *b, enum tb_field f, bool has_value)
{
    unsigned int bit = b->bits[f];
    if (__builtin_expect(bit <= (has_value ? b->last : 0u), 0)) { /* (bit 0: not a field) */
        b->overflow = true;
        return false;
    }
    if (has_value) b->last = (uint8_t)bit;
    b->mask |= 1u << (bit - 1);
    return true;
}

static inline void tb_u(struct tb *b, enum tb_field f, uint64_t v)
{
    if ((f == TBF_SID || f == TBF_FD) && !b->in_obj && tb_has_sock[b->kind]) {
        b->sock = true; /* in the frame's head: tb_frame_put */
        if (f == TBF_SID)
            b->sid = v;
        else
            b->fd = tb_unzigzag(v);
        return;
    }
    if (tb_room(b, 10) && tb_field(b, f, true)) b->len += tb_varint_at(b->p + b->len, v);
}

static inline void tb_i(struct tb *b, enum tb_field f, int64_t v)
{
    tb_u(b, f, tb_zigzag(v));
}

/* A flag field (TBT_T) only when v; a boolean (TBT_B) always, as a byte. */
static inline void tb_bool(struct tb *b, enum tb_field f, bool v)
{
    if (tb_type3(f) == TBT_T) {
        if (v) tb_field(b, f, false);
    } else if (tb_room(b, 1) && tb_field(b, f, true)) {
        b->p[b->len++] = v;
    }
}

static inline void tb_word(struct tb *b, enum tb_field f, enum tb_word w)
{
    tb_u(b, f, (uint64_t)w << 1 | 1);
}

/* An object field: its fields follow, then tb_obj_end (one level only). */
void tb_obj(struct tb *b, enum tb_field f);
void tb_obj_end(struct tb *b);

void tb_str(struct tb *b, enum tb_field f, const char *s, size_t max); /* inline, or a word */
void tb_addr(struct tb *b, enum tb_field f, const struct cl_addr *a);

/* A record that may be framed as `type`: nothing overflowed, its object
 * ended, and a kind that carries a socket was given its sid and fd (else
 * the reader would read them where the writer wrote none). */
static inline bool tb_complete(const struct tb *b, enum tb_rec type)
{
    return !b->overflow && !b->in_obj && b->kind == type && (!tb_has_sock[type] || b->sock);
}

/* ---- framing ---- */

/* What a writer keeps between frames: the previous frame's time and
 * socket, and its segment's numbered strings. All-zero: nothing written. */
struct tb_seg {
    uint64_t ts, sid;
    int64_t fd;
    bool sock;           /* sid and fd hold a frame's */
    unsigned int frames; /* frames written since the last anchor */
    unsigned int nstr;   /* numbered strings */
    uint32_t hash[TB_SEG_STRS];
    uint8_t len[TB_SEG_STRS];
    char str[TB_SEG_STRS][TB_SEG_STR_MAX];
};

#define TB_FRAME_ROOM   48 /* tag, length, time, mask, sid, fd and '\n' around a payload */
#define TB_ANCHOR_EVERY 64 /* frames: at most this many lost to one damaged frame */

/* Writes the frame of a record of kind `type` whose values are b, at time
 * ts; an anchor (a segment's first frame) if `anchor` or its segment has
 * TB_ANCHOR_EVERY frames. o has room for b->len + TB_FRAME_ROOM bytes.
 * Updates seg; returns the frame's size. */
size_t tb_frame_put(uint8_t *o, struct tb_seg *seg, enum tb_rec type, uint64_t ts, bool anchor,
                    const struct tb *b);

/* Bytes of the record that starts at p (a JSON line up to its '\n', or a
 * frame), or 0 when the n bytes do not hold all of it. */
size_t tb_record_size(const uint8_t *p, size_t n);

/* Decoding a frame's header: its payload length and where the payload
 * starts (bytes of tag and length), or false for a malformed header (or
 * fewer than 6 bytes holding no whole length yet). */
bool tb_frame_header(const uint8_t *p, size_t n, uint64_t *len, size_t *hdr);

/* Reads a varint at p[*at] (at most end); false if cut short or over 64 bits. */
bool tb_get_varint(const uint8_t *p, size_t end, size_t *at, uint64_t *v);

/* A string's hash, as tb_frame_put compares numbered strings by it: its
 * length and its first and last 8 bytes (a Host or a path differs there). */
static inline uint32_t tb_hash(const uint8_t *s, size_t n)
{
    uint64_t a = n, z = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&z, s + n - 8, 8);
    } else {
        for (size_t i = 0; i < n; i++) a = a << 8 | s[i];
    }
    uint64_t h = (a ^ (z * 0x9e3779b97f4a7c15ull) ^ n) * 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> 32);
}

#endif
