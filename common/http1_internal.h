/* http1_internal.h - what the two halves of the HTTP/1.x tracker share:
 * the states and flags of struct http1_dir, the byte classes, and the
 * header section and chunked-body parsers (http1_hdr.c) that both
 * directions call from http1.c. Private to common/http1*.c; the API is
 * http1.h. */
#ifndef CONNLEAK_HTTP1_INTERNAL_H
#define CONNLEAK_HTTP1_INTERNAL_H

#include "http1.h"

#include <string.h>

/* struct http1_dir.st. Zero is the start of a message in both directions. */
enum {
    ST_START = 0,       /* request line: method / status line */
    ST_TARGET,          /* request line: target */
    ST_VERSION,         /* request line: HTTP/1.x CRLF */
    ST_REASON,          /* status line: reason phrase */
    ST_HLINE,           /* start of a header line */
    ST_HNAME,           /* header name */
    ST_HVALUE,          /* value of a header we follow */
    ST_HSKIP,           /* rest of a header line we ignore */
    ST_BODY_LEN,        /* Content-Length body */
    ST_BODY_EOF,        /* close-delimited body */
    ST_CH_SIZE,         /* chunk size (hex) */
    ST_CH_EXT,          /* chunk extensions, up to LF */
    ST_CH_DATA,         /* chunk data */
    ST_CH_DATA_END,     /* CRLF after chunk data */
    ST_CH_TRAILER,      /* start of a trailer line, or the final empty line */
    ST_CH_TRAILER_SKIP, /* rest of a trailer line */
    ST_HOLD,            /* request side after CONNECT: wait for its response */
};

/* struct http1_dir.flags: what the current message's headers said. */
enum {
    F_CL = 1u << 0,        /* Content-Length */
    F_TE = 1u << 1,        /* Transfer-Encoding */
    F_CHUNKED = 1u << 2,   /* ... whose last coding so far is chunked */
    F_CLOSE = 1u << 3,     /* Connection: close */
    F_KEEPALIVE = 1u << 4, /* Connection: keep-alive */
    F_V10 = 1u << 5,       /* HTTP/1.0 response */
    F_ELEM = 1u << 6,      /* the Content-Length line being read had a number */
};

enum res { R_MORE = 0, R_DONE, R_BAD };

/* Run on every read and write of an HTTP socket: grouped with the preload's
 * other hot functions (.text.hot; preload.h, CL_HOT). */
#define HTTP1_HOT __attribute__((hot))
#define NUM_MAX   (1ull << 60)

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* RFC 9110 tchar: a visible ASCII character other than "(),/:;<=>?@[\]{} */
static inline bool is_tchar(uint8_t c)
{
    static const uint64_t map[2] = {0x03ff6cfa00000000ull, 0x57ffffffc7fffffeull};
    return c < 128 && (map[c >> 6] >> (c & 63) & 1);
}

/* Bytes up to and including the next LF; *lf says whether there was one. */
static inline size_t line_skip(const uint8_t *p, size_t n, bool *lf)
{
    const uint8_t *e = memchr(p, '\n', n);
    *lf = e != NULL;
    return e ? (size_t)(e - p) + 1 : n;
}

static inline void dir_goto(struct http1_dir *d, uint8_t st)
{
    d->st = st;
    d->pos = 0;
    d->hdr = 0;
    d->mask = 0;
}

/* The header section, up to and including its empty line (*res R_DONE). */
size_t http1_hdr_feed(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t n,
                      enum res *res);

/* A chunked body (http1_hdr.c); *data counts chunk data bytes (may be
 * NULL). Stops after the final empty line (*res R_DONE). */
size_t http1_chunk_feed(struct http1_dir *d, uint64_t *left, uint64_t *data, const uint8_t *p,
                        size_t n, enum res *res);

/* The steps a head ends with (http1.c), run by a replayed head too. */
void http1_request_sent(struct http1 *h, struct http1_events *ev);
void http1_response_headers(struct http1 *h, struct http1_events *ev);

/* ---- the head memo (http1_memo.c) ---- */

/* A head that starts at base, the start of this call's buffer: kept in the
 * memo m when it ends in this call (m NULL: not kept). */
struct arm {
    struct http1_memo *m;
    const uint8_t *base;
};

/* The way of ways whose head p[0..n) starts with, or NULL; *misses counts
 * the lookups in a row that found none. */
struct http1_memo_head *memo_find(struct http1_memo_head *ways, uint16_t *misses, const uint8_t *p,
                                  size_t n);
/* Whether a head that missed is worth keeping: the first MEMO_BACKOFF / 2
 * misses in a row, then one in MEMO_BACKOFF (a client whose heads never
 * repeat, e.g. an id in every target, pays a lookup per head, and a keep,
 * the copy and its scan, only now and then). */
#define MEMO_BACKOFF 16
static inline bool memo_worth_keeping(uint16_t misses)
{
    return misses <= MEMO_BACKOFF / 2 || !(misses % MEMO_BACKOFF);
}
/* The head ending at end was parsed to h (before its last step): kept if
 * armed. A response head disarms (what follows an interim one starts
 * later in the buffer). */
void memo_rq_keep(const struct http1 *h, struct arm *arm, const uint8_t *end,
                  struct http1_events *ev);
void memo_rs_keep(const struct http1 *h, struct arm *arm, const uint8_t *end);
/* A kept head, again: its state copied, its last step run. Return the bytes
 * used, as http1_on_write_memo / http1_on_read_memo count them. */
size_t memo_rq_replay(struct http1 *h, struct http1_memo_head *e, size_t n,
                      struct http1_events *ev);
size_t memo_rs_replay(struct http1 *h, const struct http1_memo_head *e, struct http1_events *ev);

#endif
