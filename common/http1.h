/* http1.h - the HTTP/1.x exchange tracker: follows the requests a client
 * socket writes and the responses it reads, incrementally, from the bytes
 * that pass through the read/write hooks (preload/) or that the kernel
 * copied of them (probe/): shared by both recorders, so it lives in common/.
 *
 * It runs inside every read and write of the traced program, possibly in a
 * signal handler: no allocation, no stdio, no locks, no libc beyond memchr
 * and memcpy. A caller may pass a per-thread head memo (struct http1_memo)
 * that replays heads seen before instead of parsing them.
 * The whole per-socket state is one struct http1 of 128 bytes, meant to be
 * embedded in the socket record; all-zero memory is the valid initial state
 * ("unknown yet"). It keeps no payload: only the request's method, its
 * target without the query string, the Host value, and the numbers framing
 * needs (Content-Length, chunk sizes, body byte counts). Query strings and
 * credentials in the target are never kept.
 *
 * Data may be split across calls at any byte boundary: the results are the
 * same as for the same bytes in one call.
 *
 * Usage (the caller owns the state and serialises calls per socket):
 *
 *     struct http1_events ev;
 *     while (n > 0) {
 *         size_t k = http1_on_write(&rec->http, buf, n, &ev);
 *         if (ev.flags) record(rec, &ev);   // method/target/host from rec->http
 *         buf += k, n -= k;
 *     }
 *
 * A call stops right after a request has been sent or a response has ended,
 * so that one struct http1_events describes at most one request or one
 * response (with pipelining, one buffer may hold several); it consumes the
 * whole buffer otherwise. */
#ifndef CONNLEAK_HTTP1_H
#define CONNLEAK_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP1_METHOD_MAX 8  /* bytes of the method kept */
#define HTTP1_TARGET_MAX 40 /* bytes of the target (query removed) kept */
#define HTTP1_HOST_MAX   29 /* bytes of the Host value kept */
#define HTTP1_FIFO_MAX   8  /* pipelined requests followed; more: lost sync */

/* What the tracker knows about the socket. The last three are final: every
 * later call returns at once. */
enum http1_state {
    HTTP1_UNKNOWN = 0, /* nothing written yet, or the first request line is incomplete */
    HTTP1_ACTIVE,      /* the first bytes written were an HTTP/1.0 or 1.1 request line */
    HTTP1_NOT_HTTP,    /* they were not (or the program read before it wrote) */
    HTTP1_LOST_SYNC,   /* malformed or ambiguous framing: no longer followed */
    HTTP1_TUNNEL,      /* 101 Switching Protocols or CONNECT 2xx: no longer HTTP */
};

/* How the current response's body is delimited (RFC 9112 section 6.3). */
enum http1_framing {
    HTTP1_FRAME_UNKNOWN = 0, /* its headers are not complete */
    HTTP1_FRAME_NOBODY,      /* HEAD, 204, 304 */
    HTTP1_FRAME_LENGTH,      /* Content-Length */
    HTTP1_FRAME_CHUNKED,     /* Transfer-Encoding: ...chunked */
    HTTP1_FRAME_EOF,         /* until the connection closes */
    HTTP1_FRAME_TUNNEL,      /* 101, CONNECT 2xx */
};

/* How a response ended. */
enum http1_end {
    HTTP1_END_NONE = 0,  /* not ended */
    HTTP1_END_NOBODY,    /* headers only */
    HTTP1_END_LENGTH,    /* Content-Length bytes read */
    HTTP1_END_CHUNKED,   /* last chunk and trailers read */
    HTTP1_END_EOF,       /* close-delimited body read to EOF */
    HTTP1_END_TRUNCATED, /* EOF before the length or the last chunk */
    HTTP1_END_TUNNEL,    /* the connection became a tunnel */
};

/* What the last request said (http1_request_flags). */
enum {
    HTTP1_RQ_HEAD = 1u << 0,       /* method HEAD */
    HTTP1_RQ_CONNECT = 1u << 1,    /* method CONNECT */
    HTTP1_RQ_CLOSE = 1u << 2,      /* Connection: close */
    HTTP1_RQ_QUERY = 1u << 3,      /* the target had a query string, removed */
    HTTP1_RQ_TARGET_CUT = 1u << 4, /* the target was longer than HTTP1_TARGET_MAX */
    HTTP1_RQ_HOST = 1u << 5,       /* a Host header was seen */
    HTTP1_RQ_HOST_CUT = 1u << 6,   /* the Host value was longer than HTTP1_HOST_MAX */
    HTTP1_RQ_USERINFO = 1u << 7,   /* "scheme://user:pass@" removed from the target */
};

/* What happened during one call (struct http1_events.flags). */
enum {
    HTTP1_EV_REQUEST_SENT = 1u << 0,     /* a request's headers were written */
    HTTP1_EV_RESPONSE_HEADERS = 1u << 1, /* a final response's headers were read */
    HTTP1_EV_RESPONSE_DONE = 1u << 2,    /* a response ended */
    HTTP1_EV_NOT_HTTP = 1u << 3,         /* the socket was found not to carry HTTP/1.x */
    HTTP1_EV_LOST_SYNC = 1u << 4,        /* framing could no longer be followed */
    HTTP1_EV_TUNNEL = 1u << 5,           /* the connection became a tunnel */
    HTTP1_EV_REPLAYED = 1u << 6,         /* the head was replayed from the memo */
};

/* Filled by every call (zeroed first). The response fields describe the
 * response of RESPONSE_HEADERS / RESPONSE_DONE, as it was at its end when
 * the call saw RESPONSE_DONE, as it was after its headers otherwise. For
 * REQUEST_SENT the request is in the state (http1_method, http1_target,
 * http1_host, http1_request_flags), valid until the next call that writes. */
struct http1_events {
    unsigned int flags; /* HTTP1_EV_* */
    uint16_t status;    /* response status */
    uint8_t framing;    /* enum http1_framing */
    uint8_t end;        /* enum http1_end, with RESPONSE_DONE */
    bool keep_alive;    /* the server keeps the connection open after it */
    int64_t expected;   /* body bytes expected, -1 if not known (yet) */
    uint64_t body_read; /* body bytes the program read (chunked: data bytes) */
    /* REQUEST_SENT with a memo: the word of the memo entry its head was kept
     * in (then 0) or replayed from, the caller's to keep what it derives
     * from method, target and Host (equal in every head the entry replays);
     * NULL when the head was not kept. */
    uint32_t *memo_word;
};

/* One direction's parser position. */
struct http1_dir {
    uint8_t st;    /* internal state (http1.c) */
    uint8_t hdr;   /* the header whose name is being matched or value read */
    uint8_t mask;  /* list element: candidates still matching */
    uint8_t pos;   /* position in the line, name, element or value */
    uint8_t flags; /* what this message's headers said so far */
};

/* Per-socket state. Read it through the accessors below. */
struct http1 {
    uint64_t rs_len;    /* response Content-Length, or bytes left in the current chunk */
    uint64_t rs_read;   /* response body bytes read; in headers: Content-Length being parsed */
    uint64_t rq_left;   /* request body bytes left (length or chunk); in headers: Content-Length */
    uint32_t requests;  /* requests sent */
    uint32_t responses; /* final responses ended */
    uint16_t status;    /* last (or current) response status */
    uint16_t fifo;      /* kinds of the requests awaiting a response, 2 bits each */
    uint8_t state;      /* enum http1_state */
    uint8_t nfifo;      /* requests awaiting a response */
    uint8_t framing;    /* enum http1_framing of the current / last response */
    uint8_t end;        /* enum http1_end of the current / last response */
    uint8_t rq_info;    /* HTTP1_RQ_* of the last request */
    struct http1_dir rq, rs;
    char method[HTTP1_METHOD_MAX]; /* NUL-padded, not terminated when full */
    char target[HTTP1_TARGET_MAX]; /* the same */
    char host[HTTP1_HOST_MAX];     /* the same */
};
_Static_assert(sizeof(struct http1) <= 128, "struct http1 is embedded in every socket record");

/* The head memo (http1_memo.c). A client that sends the same request head
 * again and again, and reads response heads that differ only in headers the
 * tracker skips (Date, ...), need not have them parsed again. A memo keeps
 * the last heads parsed whole from the start of one call, the state that
 * parse left, and which of their bytes mattered to it: the start line, each
 * header's name and ':', the whole line of a followed header, every LF. A
 * head that starts a later call, equal to one kept at those bytes and with
 * no LF elsewhere, would be parsed to the same state: it is replayed (the
 * state copied, the same request-sent / response-headers step run).
 * A head that misses is kept only while misses are few in a row, then one
 * in 16: heads that never repeat cost a lookup each, not a copy.
 * Per thread: no locks; any struct http1 may use any memo (the heads are
 * taken from the start of a message, which depends on nothing before it).
 * All-zero memory is an empty memo. */
#define HTTP1_MEMO_HEAD 384 /* longest head kept */
#define HTTP1_MEMO_WAYS 2   /* heads kept per direction */
struct http1_memo_head {
    uint16_t len;                         /* 0: empty */
    uint32_t word;                        /* the caller's (ev.memo_word); 0 when kept */
    struct http1 after;                   /* the state at the head's last byte */
    uint8_t sig[HTTP1_MEMO_HEAD / 8 + 4]; /* a bit per byte that mattered */
    uint8_t bytes[HTTP1_MEMO_HEAD];
};
struct http1_memo {
    struct http1_memo_head rq[HTTP1_MEMO_WAYS], rs[HTTP1_MEMO_WAYS];
    uint8_t rq_next, rs_next;      /* the way the next head goes to */
    uint16_t rq_misses, rs_misses; /* lookups in a row that found none */
};

/* Bytes the program wrote / read (n > 0), with a memo or NULL. Return the
 * bytes consumed: n, or fewer when the call stopped right after
 * REQUEST_SENT / RESPONSE_DONE; call again with the rest. */
__attribute__((warn_unused_result)) size_t http1_on_write_memo(struct http1 *h,
                                                               struct http1_memo *m,
                                                               const void *buf, size_t n,
                                                               struct http1_events *ev);
__attribute__((warn_unused_result)) size_t http1_on_read_memo(struct http1 *h, struct http1_memo *m,
                                                              const void *buf, size_t n,
                                                              struct http1_events *ev);
__attribute__((warn_unused_result)) static inline size_t
http1_on_write(struct http1 *h, const void *buf, size_t n, struct http1_events *ev)
{
    return http1_on_write_memo(h, NULL, buf, n, ev);
}
__attribute__((warn_unused_result)) static inline size_t
http1_on_read(struct http1 *h, const void *buf, size_t n, struct http1_events *ev)
{
    return http1_on_read_memo(h, NULL, buf, n, ev);
}
/* A read returned 0: ends a close-delimited body (or truncates another). */
void http1_on_eof(struct http1 *h, struct http1_events *ev);

/* Where the response side is. */
enum http1_phase {
    HTTP1_PHASE_IDLE = 0, /* no response in progress */
    HTTP1_PHASE_HEADERS,  /* status line or headers being read */
    HTTP1_PHASE_BODY,     /* headers complete, body not ended */
};

static inline enum http1_state http1_state(const struct http1 *h)
{
    return (enum http1_state)h->state;
}
static inline bool http1_is_final(const struct http1 *h)
{
    return h->state >= HTTP1_NOT_HTTP;
}
static inline uint32_t http1_requests(const struct http1 *h)
{
    return h->requests;
}
static inline uint32_t http1_responses(const struct http1 *h)
{
    return h->responses;
}
/* Requests sent whose final response has not started its body yet. */
static inline unsigned int http1_outstanding(const struct http1 *h)
{
    return h->nfifo;
}
static inline unsigned int http1_status(const struct http1 *h)
{
    return h->status;
}
/* NUL-padded, at most HTTP1_*_MAX bytes, no terminator when full. */
static inline const char *http1_method(const struct http1 *h)
{
    return h->method;
}
static inline const char *http1_target(const struct http1 *h)
{
    return h->target;
}
static inline const char *http1_host(const struct http1 *h)
{
    return h->host;
}
static inline unsigned int http1_request_flags(const struct http1 *h)
{
    return h->rq_info;
}
static inline enum http1_framing http1_framing(const struct http1 *h)
{
    return (enum http1_framing)h->framing;
}
static inline enum http1_end http1_end(const struct http1 *h)
{
    return (enum http1_end)h->end;
}
enum http1_phase http1_phase(const struct http1 *h);
/* Of the current (or last) response: body bytes expected, -1 if not known
 * (headers incomplete; chunked or close-delimited and not ended), and body
 * bytes the program read. */
int64_t http1_body_expected(const struct http1 *h);
uint64_t http1_body_read(const struct http1 *h);
/* The current (or last) response lets the connection be reused. */
bool http1_keep_alive(const struct http1 *h);

#endif
