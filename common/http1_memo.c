/* http1_memo.c - the head memo of the HTTP/1.x tracker (what and why:
 * http1.h, struct http1_memo): keeping a head with the bytes of it that
 * mattered to the parse, and finding a kept head that a new one equals at
 * those bytes, and replaying it. http1.c arms a call whose buffer starts
 * a head (struct arm) and looks a head up before parsing it.
 *
 * A byte mattered unless it lies in the value of a header line the parser
 * skips: after the line's first ':', before its LF, in a line whose name is
 * none of the followed ones (Content-Length, Transfer-Encoding, Connection,
 * Host; Host counts in responses too, to keep the rule simple), all of
 * whose bytes before that ':' are token bytes. The parser
 * finds such a line's end with memchr for LF and looks at nothing else in
 * it, whichever path (whole line or byte by byte) takes it; so a head that
 * differs from a kept one only there, and has no LF there, has the same
 * lines, the same names, the same followed values: the same parse. Start
 * lines, and lines folded, without ':' or starting with a CR (which the
 * parser skips there) matter whole. */
#include "http1_internal.h"

static const struct {
    const char *s;
    size_t len;
} followed[] = {{"content-length", 14}, {"transfer-encoding", 17}, {"connection", 10}, {"host", 4}};

static bool name_followed(const uint8_t *p, size_t n)
{
    for (size_t j = 0; j < sizeof(followed) / sizeof(followed[0]); j++) {
        if (n != followed[j].len) continue;
        size_t i = 0;
        while (i < n && lower(p[i]) == (uint8_t)followed[j].s[i]) i++;
        if (i == n) return true;
    }
    return false;
}

/* The n bytes before a line's first ':' are all token bytes: the parser
 * takes them as the name (a line may also start with CRs it skips, or be
 * folded, or be bad: such lines matter whole). */
static bool name_plain(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_tchar(p[i])) return false;
    return n > 0;
}

/* Marks bytes [a, b) as mattering. */
static void sig_set(uint8_t *sig, size_t a, size_t b)
{
    for (; a < b && (a & 7); a++) sig[a >> 3] |= (uint8_t)(1u << (a & 7));
    if (a < b && b - a >= 8) {
        memset(sig + (a >> 3), 0xff, (b - a) >> 3);
        a += (b - a) & ~(size_t)7;
    }
    for (; a < b; a++) sig[a >> 3] |= (uint8_t)(1u << (a & 7));
}

/* The bits of sig for bytes [k, k + 16), byte k in bit 0. */
static unsigned int sig_at(const uint8_t *sig, size_t k)
{
    uint32_t w;
    memcpy(&w, sig + (k >> 3), 4);
    return (unsigned int)(w >> (k & 7)) & 0xffffu;
}

#ifdef __SSE2__
#include <emmintrin.h>

/* Bytes [k, k + 16) of the new head p against the kept one: equal, or
 * different only where nothing mattered and with no LF there. */
static bool chunk_fits(const struct http1_memo_head *e, const uint8_t *p, size_t k)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(e->bytes + k));
    unsigned int diff = ~(unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(a, b)) & 0xffffu;
    if (!diff) return true;
    unsigned int lf = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(a, _mm_set1_epi8('\n')));
    return !(diff & (sig_at(e->sig, k) | lf));
}
#else
static bool chunk_fits(const struct http1_memo_head *e, const uint8_t *p, size_t k)
{
    unsigned int sig = sig_at(e->sig, k);
    for (size_t i = 0; i < 16; i++)
        if (p[k + i] != e->bytes[k + i] && ((sig >> i & 1) || p[k + i] == '\n')) return false;
    return true;
}
#endif

static bool head_fits(const struct http1_memo_head *e, const uint8_t *p, size_t n)
{
    size_t len = e->len, k = 0;
    if (!len || len > n) return false;
    for (; k + 16 <= len; k += 16)
        if (!chunk_fits(e, p, k)) return false;
    return k == len || chunk_fits(e, p, len - 16); /* the last 1-15 bytes (overlapping) */
}

HTTP1_HOT struct http1_memo_head *memo_find(struct http1_memo_head *ways, uint16_t *misses,
                                            const uint8_t *p, size_t n)
{
    for (unsigned int w = 0; w < HTTP1_MEMO_WAYS; w++) {
        if (head_fits(&ways[w], p, n)) {
            *misses = 0;
            return &ways[w];
        }
    }
    if (++*misses == 0) *misses = MEMO_BACKOFF; /* wrapped: go on keeping 1 in MEMO_BACKOFF */
    return NULL;
}

/* Which bytes of head p[0..len) mattered (see the top of the file). */
static void sig_fill(uint8_t *sig, const uint8_t *p, size_t len)
{
    const uint8_t *lf = memchr(p, '\n', len);
    size_t a = (size_t)(lf - p) + 1;
    memset(sig, 0, HTTP1_MEMO_HEAD / 8 + 4);
    sig_set(sig, 0, a); /* the start line */
    while (a < len) {
        size_t end = (size_t)((const uint8_t *)memchr(p + a, '\n', len - a) - p);
        const uint8_t *colon = memchr(p + a, ':', end - a);
        if (!colon || !name_plain(p + a, (size_t)(colon - p) - a) ||
            name_followed(p + a, (size_t)(colon - p) - a)) {
            sig_set(sig, a, end + 1);
        } else {
            sig_set(sig, a, (size_t)(colon - p) + 1);
            sig_set(sig, end, end + 1);
        }
        a = end + 1;
    }
}

#define MEMO_HEAD_MIN 16 /* shorter heads are not kept (head_fits reads 16 at a time) */

static struct http1_memo_head *memo_keep(struct http1_memo_head *ways, uint8_t *next,
                                         const struct http1 *h, const uint8_t *p, size_t len)
{
    struct http1_memo_head *e = &ways[*next % HTTP1_MEMO_WAYS];
    *next = (uint8_t)((*next + 1) % HTTP1_MEMO_WAYS);
    memcpy(e->bytes, p, len);
    sig_fill(e->sig, p, len);
    e->after = *h;
    e->word = 0;
    e->len = (uint16_t)len;
    return e;
}

void memo_rq_keep(const struct http1 *h, struct arm *arm, const uint8_t *end,
                  struct http1_events *ev)
{
    size_t len = (size_t)(end - arm->base);
    if (!arm->m || len < MEMO_HEAD_MIN || len > HTTP1_MEMO_HEAD) return;
    ev->memo_word = &memo_keep(arm->m->rq, &arm->m->rq_next, h, arm->base, len)->word;
}

void memo_rs_keep(const struct http1 *h, struct arm *arm, const uint8_t *end)
{
    size_t len = (size_t)(end - arm->base);
    if (arm->m && len >= MEMO_HEAD_MIN && len <= HTTP1_MEMO_HEAD &&
        (h->status >= 200 || h->status == 101))
        memo_keep(arm->m->rs, &arm->m->rs_next, h, arm->base, len);
    arm->m = NULL;
}

HTTP1_HOT size_t memo_rq_replay(struct http1 *h, struct http1_memo_head *e, size_t n,
                                struct http1_events *ev)
{
    const struct http1 *a = &e->after;
    memcpy(h->method, a->method, sizeof(h->method));
    memcpy(h->target, a->target, sizeof(h->target));
    memcpy(h->host, a->host, sizeof(h->host));
    h->rq_info = a->rq_info;
    h->rq = a->rq;
    h->rq_left = a->rq_left;
    h->state = HTTP1_ACTIVE;
    http1_request_sent(h, ev);
    ev->flags |= HTTP1_EV_REPLAYED;
    ev->memo_word = &e->word;
    return h->state >= HTTP1_NOT_HTTP ? n : e->len; /* a bad state takes the whole buffer */
}

HTTP1_HOT size_t memo_rs_replay(struct http1 *h, const struct http1_memo_head *e,
                                struct http1_events *ev)
{
    const struct http1 *a = &e->after;
    h->status = a->status;
    h->rs = a->rs;
    h->rs_len = a->rs_len;
    h->rs_read = a->rs_read;
    h->framing = a->framing;
    h->end = a->end;
    http1_response_headers(h, ev);
    ev->flags |= HTTP1_EV_REPLAYED;
    return e->len;
}
