/* tracebin.h - the binary records of trace format version 2
 * (docs/trace-format.md, "Binary records"): what the preload writes for
 * its frequent records (open, conn, close, ...) instead of a JSON line, and
 * what the analyzer and `connleak trace-dump` turn back into the same
 * fields. Shared by both sides: the numbering below is the format, so
 * codes are only ever added, never changed or reused.
 *
 * A frame is: one tag byte (0x80 | record code), the payload length as an
 * unsigned LEB128 varint, the payload, and a '\n'. A JSON line starts with
 * '{', so a reader tells the two apart by the first byte; the '\n' lets it
 * find its way back to a record boundary after damage. The payload is a
 * list of fields, each a field code byte and a value whose encoding the
 * code's type gives (enum tb_type); an object value (the HTTP state) is a
 * list of fields ended by code 0.
 *
 * The encoder writes into a caller's buffer without allocating and never
 * past its end (overflow: the record is dropped whole, as with jsonline.h),
 * so it may run in a signal handler. */
#ifndef CONNLEAK_TRACEBIN_H
#define CONNLEAK_TRACEBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonline.h"

#define TB_TAG         0x80u /* tag = TB_TAG | record code */
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
    TBT_O,    /* object: fields up to code 0 */
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
    uint8_t type;     /* enum tb_type */
};
extern const struct tb_field_info tb_fields[TBF_COUNT];
extern const char *const tb_recs[TBR_COUNT]; /* record code -> "t" */

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

/* ---- the encoder ---- */

struct tb {
    uint8_t *p;
    size_t len, cap;
    bool overflow;
};

static inline void tb_init(struct tb *b, uint8_t *mem, size_t cap)
{
    *b = (struct tb){.p = mem, .cap = cap};
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

static inline void tb_u(struct tb *b, enum tb_field f, uint64_t v)
{
    if (!tb_room(b, 11)) return;
    b->p[b->len++] = (uint8_t)f;
    b->len += tb_varint_at(b->p + b->len, v);
}

static inline void tb_i(struct tb *b, enum tb_field f, int64_t v)
{
    tb_u(b, f, tb_zigzag(v));
}

static inline void tb_bool(struct tb *b, enum tb_field f, bool v)
{
    if (!tb_room(b, 2)) return;
    b->p[b->len++] = (uint8_t)f;
    b->p[b->len++] = v;
}

static inline void tb_word(struct tb *b, enum tb_field f, enum tb_word w)
{
    tb_u(b, f, (uint64_t)w << 1 | 1);
}

/* An object field: its fields follow, then tb_obj_end. */
static inline void tb_obj(struct tb *b, enum tb_field f)
{
    if (tb_room(b, 1)) b->p[b->len++] = (uint8_t)f;
}

static inline void tb_obj_end(struct tb *b)
{
    if (tb_room(b, 1)) b->p[b->len++] = TBF_END;
}

void tb_str(struct tb *b, enum tb_field f, const char *s, size_t max); /* inline, or a word */
void tb_addr(struct tb *b, enum tb_field f, const struct cl_addr *a);

/* ---- framing ---- */

#define TB_FRAME_ROOM 24 /* tag, length, ts field and '\n' around a payload */

/* Writes the frame of a record of type `type` whose payload is b, with
 * its time first: in full (delta false: ts) or as the delta from the
 * previous binary record's time (delta true: ts - prev). o has room for
 * b->len + TB_FRAME_ROOM bytes. Returns the frame's size. */
size_t tb_frame_put(uint8_t *o, enum tb_rec type, uint64_t ts, bool delta, uint64_t prev,
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

#endif
