/* http1.c - the HTTP/1.x exchange tracker (API and rules in http1.h).
 *
 * Two byte-driven state machines, one per direction (requests written,
 * responses read), share the header and chunked-body code. Bodies are
 * skipped in O(1) per call and lines of no interest with memchr; only the
 * start lines and the few headers that frame a message (Content-Length,
 * Transfer-Encoding, Connection, and Host on requests) are looked at, and
 * most header lines stop at their first letter. A header line that arrives
 * whole in one buffer (the usual case) is taken in bulk; one split across
 * buffers goes byte by byte, to the same state. Header names and
 * list elements ("chunked", "close", "keep-alive") are matched
 * case-insensitively against a handful of candidates as the bytes come, so
 * nothing is ever buffered: every piece of state lives in struct http1, and
 * a split at any byte boundary leaves it the same.
 *
 * Over 600 lines on purpose: the two machines are one concern (an exchange:
 * a request's method and framing decide how its response is read, HEAD and
 * 1xx/204/304 have no body, pipelined requests pair with responses in
 * order) and they share every state of the header and chunk parsers;
 * split, each half would need the other's internals. */
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
enum kind { K_OTHER = 0, K_HEAD, K_CONNECT }; /* request kinds in the FIFO */

struct tok {
    char s[18];
    uint8_t len;
};
/* struct http1_dir.hdr is an index + 1 into hdr_names. */
enum { H_NONE = 0, H_CLEN, H_TE, H_CONN, H_HOST };
static const struct tok hdr_names[4] = {
    {"content-length", 14}, {"transfer-encoding", 17}, {"connection", 10}, {"host", 4}};
static const struct tok te_codings[1] = {{"chunked", 7}};
static const struct tok conn_opts[2] = {{"close", 5}, {"keep-alive", 10}};
#define ENDED   0x80u /* struct http1_dir.mask: whitespace after the element's token */
#define NUM_MAX (1ull << 60)

/* ---- small helpers ---- */

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

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Bytes up to and including the next LF; *lf says whether there was one. */
static size_t line_skip(const uint8_t *p, size_t n, bool *lf)
{
    const uint8_t *e = memchr(p, '\n', n);
    *lf = e != NULL;
    return e ? (size_t)(e - p) + 1 : n;
}

/* Keeps in mask the candidates whose byte at pos is c, case-insensitively. */
static uint8_t tok_narrow(const struct tok *t, unsigned int nt, uint8_t mask, uint8_t pos,
                          uint8_t c)
{
    c = lower(c);
    for (unsigned int m = mask & ((1u << nt) - 1); m; m &= m - 1) {
        unsigned int i = (unsigned int)__builtin_ctz(m);
        if (pos >= t[i].len || (uint8_t)t[i].s[pos] != c) mask &= (uint8_t) ~(1u << i);
    }
    return mask;
}

/* The candidate (index + 1) matched in full by pos bytes, or 0. */
static unsigned int tok_matched(const struct tok *t, unsigned int nt, uint8_t mask, uint8_t pos)
{
    for (unsigned int i = 0; i < nt; i++)
        if ((mask & (1u << i)) && t[i].len == pos) return i + 1;
    return 0;
}

static void go_bad(struct http1 *h, struct http1_events *ev)
{
    if (h->state == HTTP1_UNKNOWN) {
        h->state = HTTP1_NOT_HTTP;
        ev->flags |= HTTP1_EV_NOT_HTTP;
    } else {
        h->state = HTTP1_LOST_SYNC;
        ev->flags |= HTTP1_EV_LOST_SYNC;
    }
}

static bool fifo_push(struct http1 *h, unsigned int kind)
{
    if (h->nfifo >= HTTP1_FIFO_MAX) return false;
    h->fifo |= (uint16_t)(kind << (2 * h->nfifo));
    h->nfifo++;
    return true;
}

static unsigned int fifo_pop(struct http1 *h)
{
    if (!h->nfifo) return K_OTHER; /* an answer to nothing we saw (e.g. 408) */
    unsigned int kind = h->fifo & 3u;
    h->fifo >>= 2;
    h->nfifo--;
    return kind;
}

static void dir_goto(struct http1_dir *d, uint8_t st)
{
    d->st = st;
    d->pos = 0;
    d->hdr = 0;
    d->mask = 0;
}

/* ---- header fields (both directions) ---- */

/* Content-Length is parsed into the direction's scratch number. */
static uint64_t *clen_acc(struct http1 *h, struct http1_dir *d)
{
    return d == &h->rq ? &h->rq_left : &h->rs_read;
}

/* End of one number of a Content-Length list ("5" or "5, 5"): a response's
 * numbers must all agree; a request may carry only one. */
static enum res clen_elem_end(struct http1 *h, struct http1_dir *d)
{
    if (!d->pos) return R_MORE; /* empty list element */
    d->pos = 0;
    bool seen = d->flags & F_CL;
    d->flags |= F_CL | F_ELEM;
    if (d == &h->rq) return seen ? R_BAD : R_MORE;
    if (seen && h->rs_len != h->rs_read) return R_BAD;
    h->rs_len = h->rs_read;
    h->rs_read = 0;
    return R_MORE;
}

/* pos: 0 before a number, 1 in its digits, 2 in whitespace after it. */
static enum res clen_byte(struct http1 *h, struct http1_dir *d, uint8_t c)
{
    uint64_t *acc = clen_acc(h, d);
    if (c >= '0' && c <= '9') {
        if (d->pos == 2 || *acc > NUM_MAX / 10) return R_BAD;
        *acc = *acc * 10 + (uint64_t)(c - '0');
        d->pos = 1;
        return R_MORE;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
        if (d->pos) d->pos = 2;
        return R_MORE;
    }
    return c == ',' ? clen_elem_end(h, d) : R_BAD;
}

static void list_reset(struct http1_dir *d)
{
    d->pos = 0;
    d->mask = d->hdr == H_TE ? 0x1u : 0x3u;
}

/* What one element of Transfer-Encoding or Connection said: any (it had a
 * byte other than whitespace), id (the candidate it was, whole, or 0). */
static void list_elem_apply(struct http1_dir *d, bool any, unsigned int id)
{
    if (any && d->hdr == H_TE) {
        d->flags = (uint8_t)((d->flags | F_TE) & ~F_CHUNKED);
        if (id) d->flags |= F_CHUNKED;
    } else if (any) {
        if (id == 1) d->flags |= F_CLOSE;
        if (id == 2) d->flags |= F_KEEPALIVE;
    }
}

/* End of one element of Transfer-Encoding or Connection. */
static void list_elem_end(struct http1_dir *d)
{
    if (d->pos) {
        const struct tok *t = d->hdr == H_TE ? te_codings : conn_opts;
        unsigned int nt = d->hdr == H_TE ? 1 : 2;
        list_elem_apply(d, true, tok_matched(t, nt, d->mask & ~ENDED, d->pos));
    }
    list_reset(d);
}

static void list_byte(struct http1_dir *d, uint8_t c)
{
    if (c == ',') {
        list_elem_end(d);
    } else if (c == ' ' || c == '\t' || c == '\r') {
        if (d->pos) d->mask |= ENDED;
    } else {
        if (d->mask & ENDED)
            d->mask = 0; /* "chunked x": a token after the whitespace */
        else if (d->hdr == H_TE)
            d->mask = tok_narrow(te_codings, 1, d->mask, d->pos, c);
        else
            d->mask = tok_narrow(conn_opts, 2, d->mask, d->pos, c);
        if (d->pos < 255) d->pos++;
    }
}

/* Host: kept up to HTTP1_HOST_MAX bytes, surrounding whitespace dropped. */
static void host_byte(struct http1 *h, struct http1_dir *d, uint8_t c)
{
    if (c == '\r' || ((c == ' ' || c == '\t') && !d->pos)) return;
    if (d->pos < HTTP1_HOST_MAX)
        h->host[d->pos++] = (char)c;
    else
        h->rq_info |= HTTP1_RQ_HOST_CUT;
}

static enum res value_end(struct http1 *h, struct http1_dir *d)
{
    d->st = ST_HLINE;
    switch (d->hdr) {
    case H_CLEN:
        if (clen_elem_end(h, d) == R_BAD || !(d->flags & F_ELEM)) return R_BAD;
        break;
    case H_HOST:
        while (d->pos && (h->host[d->pos - 1] == ' ' || h->host[d->pos - 1] == '\t'))
            h->host[--d->pos] = 0;
        h->rq_info |= HTTP1_RQ_HOST;
        break;
    default:
        list_elem_end(d);
    }
    return R_MORE;
}

static enum res value_byte(struct http1 *h, struct http1_dir *d, uint8_t c)
{
    if (c == '\n') return value_end(h, d);
    if (d->hdr == H_CLEN) return clen_byte(h, d, c);
    if (d->hdr == H_HOST)
        host_byte(h, d, c);
    else
        list_byte(d, c);
    return R_MORE;
}

/* The ':' after a header name: follow its value or skip it. */
static enum res name_end(struct http1 *h, struct http1_dir *d)
{
    unsigned int id = d->hdr && d->pos == hdr_names[d->hdr - 1].len ? d->hdr : H_NONE;
    dir_goto(d, ST_HVALUE);
    d->hdr = (uint8_t)id;
    switch (id) {
    case H_CLEN:
        if (d == &h->rq && (d->flags & F_CL)) return R_BAD;
        d->flags &= (uint8_t)~F_ELEM;
        break;
    case H_TE:
    case H_CONN:
        list_reset(d);
        break;
    case H_HOST:
        if (h->rq_info & HTTP1_RQ_HOST) d->st = ST_HSKIP; /* the first one counts */
        break;
    default:
        d->st = ST_HSKIP;
    }
    return R_MORE;
}

/* Header names are matched against one candidate at a time (d->hdr, with
 * d->pos bytes matched); on a mismatch, a later candidate with the same
 * prefix takes over ("con" -> content-length, then connection). */
static uint8_t name_next(bool rq, unsigned int from, uint8_t pos, uint8_t c)
{
    for (unsigned int j = from; j < 4; j++) {
        const struct tok *t = &hdr_names[j];
        if (j + 1 == H_HOST && !rq) continue;
        if (pos >= t->len || (uint8_t)t->s[pos] != c) continue;
        if (!from || !memcmp(t->s, hdr_names[from - 1].s, pos)) return (uint8_t)(j + 1);
    }
    return H_NONE;
}

/* A byte of the name that does not continue the candidate. */
static enum res name_byte(struct http1 *h, struct http1_dir *d, uint8_t c)
{
    if (c == ':') return name_end(h, d);
    if (!is_tchar(c)) return R_BAD;
    d->hdr = name_next(d == &h->rq, d->hdr, d->pos, lower(c));
    if (!d->hdr) d->st = ST_HSKIP; /* not a header we follow: skip the line */
    d->pos++;
    return R_MORE;
}

/* The rest of a header name: matching bytes in a tight loop (the hot path). */
static size_t name_feed(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t n,
                        enum res *r)
{
    size_t i = 0;
    while (i < n && d->st == ST_HNAME && *r == R_MORE) {
        const struct tok *t = &hdr_names[d->hdr - 1];
        uint8_t pos = d->pos;
        while (i < n && pos < t->len && lower(p[i]) == (uint8_t)t->s[pos]) i++, pos++;
        d->pos = pos;
        if (i < n) *r = name_byte(h, d, p[i++]);
    }
    return i;
}

static enum res hdr_byte(struct http1 *h, struct http1_dir *d, uint8_t c)
{
    switch (d->st) {
    case ST_HLINE:
        if (c == '\r') return R_MORE;
        if (c == '\n') return R_DONE; /* the empty line: headers complete */
        if (c == ' ' || c == '\t') {  /* obs-fold continuation: ignored */
            d->st = ST_HSKIP;
            return R_MORE;
        }
        if (!is_tchar(c)) return R_BAD;
        dir_goto(d, ST_HNAME);
        d->hdr = name_next(d == &h->rq, H_NONE, 0, lower(c));
        d->pos = 1;
        if (!d->hdr) d->st = ST_HSKIP; /* most lines stop here */
        return R_MORE;
    default:
        return value_byte(h, d, c);
    }
}

/* ---- whole lines: the same results as byte by byte, in bulk ----
 * Most header lines arrive whole in one buffer. Then the name is matched
 * against the candidates at once, and a followed value is scanned in a
 * tight loop per kind; anything unusual (a split line, a line starting
 * with whitespace or a non-token byte) goes byte by byte. fuzz_http1
 * checks that any split of the input gives the same events. */

/* The candidate sharing the longest prefix with the name at p (case
 * insensitive), as name_next's chain finds it; *len is that prefix. */
static uint8_t name_best(bool rq, const uint8_t *p, size_t n, uint8_t *len)
{
    uint8_t best = H_NONE, best_len = 0, c0 = lower(p[0]);
    for (unsigned int j = 0; j < 4; j++) {
        const struct tok *t = &hdr_names[j];
        if ((uint8_t)t->s[0] != c0 || (j + 1 == H_HOST && !rq)) continue; /* most lines */
        uint8_t k = 1;
        while (k < t->len && k < n && lower(p[k]) == (uint8_t)t->s[k]) k++;
        if (k > best_len) best = (uint8_t)(j + 1), best_len = k;
    }
    *len = best_len;
    return best;
}

/* A header line whose first byte is a token byte and whose LF is p[eol]:
 * its name up to ':' (then name_end), or the whole line when it is not a
 * header we follow. Returns the bytes used. */
static size_t hline_whole(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t eol,
                          enum res *r)
{
    uint8_t m;
    uint8_t best = name_best(d == &h->rq, p, eol, &m);
    dir_goto(d, ST_HNAME); /* every field as byte by byte leaves it */
    d->hdr = best;
    d->pos = m;
    if (p[m] == ':') { /* (m <= eol: p[eol] is LF, in no name) */
        *r = name_end(h, d);
        return (size_t)m + 1;
    }
    if (!is_tchar(p[m])) { /* where byte by byte would still be in the name */
        *r = R_BAD;
        return (size_t)m + 1;
    }
    d->st = ST_HLINE; /* not followed: the line is skipped */
    d->hdr = H_NONE;
    d->pos = (uint8_t)(m + 1);
    return eol + 1;
}

/* One element of a list value, p[0..n): any byte but whitespace, and which
 * candidate it is when it is one token equal to it. */
static void list_elem_whole(struct http1_dir *d, const uint8_t *p, size_t n)
{
    size_t a = 0, b = n;
    while (a < b && (p[a] == ' ' || p[a] == '\t' || p[a] == '\r')) a++;
    while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r')) b--;
    const struct tok *t = d->hdr == H_TE ? te_codings : conn_opts;
    unsigned int nt = d->hdr == H_TE ? 1 : 2, id = 0;
    for (unsigned int k = 0; k < nt && !id; k++) {
        if (b - a != t[k].len) continue;
        size_t i = 0;
        while (i < b - a && lower(p[a + i]) == (uint8_t)t[k].s[i]) i++;
        if (i == b - a) id = k + 1;
    }
    list_elem_apply(d, a < b, id);
}

/* The value of a followed header, p[0..eol) then its LF at p[eol]. */
static size_t value_whole(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t eol,
                          enum res *r)
{
    if (d->hdr == H_TE || d->hdr == H_CONN) {
        if (d->pos || (d->mask & ENDED) || d->mask != (d->hdr == H_TE ? 0x1u : 0x3u))
            goto bytes; /* an element already begun byte by byte */
        size_t from = 0;
        for (size_t i = 0; i < eol; i++) {
            if (p[i] != ',') continue;
            list_elem_whole(d, p + from, i - from);
            from = i + 1;
        }
        list_elem_whole(d, p + from, eol - from);
        list_reset(d); /* the last element done: value_end finds nothing left */
        *r = value_end(h, d);
        return eol + 1;
    }
    if (d->hdr == H_HOST) {
        for (size_t i = 0; i < eol; i++) host_byte(h, d, p[i]);
        *r = value_end(h, d);
        return eol + 1;
    }
bytes:
    for (size_t i = 0; i <= eol; i++) {
        *r = value_byte(h, d, p[i]);
        if (*r != R_MORE || d->st != ST_HVALUE) return i + 1;
    }
    return eol + 1;
}

/* The header section, up to and including its empty line (*res R_DONE). */
static size_t hdr_feed(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t n,
                       enum res *res)
{
    enum res r = R_MORE;
    size_t i = 0;
    while (i < n && r == R_MORE) {
        if (d->st == ST_HSKIP) {
            bool lf;
            i += line_skip(p + i, n - i, &lf);
            if (lf) d->st = ST_HLINE;
        } else if (d->st == ST_HNAME) {
            i += name_feed(h, d, p + i, n - i, &r);
        } else if ((d->st == ST_HLINE && is_tchar(p[i])) || d->st == ST_HVALUE) {
            const uint8_t *lf = memchr(p + i, '\n', n - i);
            if (!lf) { /* the line goes on in a later buffer: byte by byte */
                r = hdr_byte(h, d, p[i++]);
                while (i < n && r == R_MORE && d->st == ST_HVALUE) r = hdr_byte(h, d, p[i++]);
            } else if (d->st == ST_HLINE)
                i += hline_whole(h, d, p + i, (size_t)(lf - (p + i)), &r);
            else
                i += value_whole(h, d, p + i, (size_t)(lf - (p + i)), &r);
        } else {
            r = hdr_byte(h, d, p[i++]);
        }
    }
    *res = r;
    return i;
}

/* ---- chunked bodies (both directions) ---- */

static void chunk_size_end(struct http1_dir *d, uint64_t left)
{
    d->st = left ? ST_CH_DATA : ST_CH_TRAILER;
    d->pos = 0;
}

static enum res chunk_byte(struct http1_dir *d, uint64_t *left, uint8_t c)
{
    int v = hex_value(c);
    switch (d->st) {
    case ST_CH_SIZE:
        if (v >= 0) {
            if (*left > NUM_MAX >> 4) return R_BAD;
            *left = *left << 4 | (uint64_t)v;
            d->pos = 1;
            return R_MORE;
        }
        if (!d->pos) return R_BAD;
        if (c == '\n')
            chunk_size_end(d, *left);
        else if (c == ';' || c == ' ' || c == '\t' || c == '\r')
            d->st = ST_CH_EXT;
        else
            return R_BAD;
        return R_MORE;
    case ST_CH_DATA_END:
        if (c == '\r' && !d->pos) {
            d->pos = 1;
            return R_MORE;
        }
        if (c != '\n') return R_BAD;
        dir_goto(d, ST_CH_SIZE);
        return R_MORE;
    default: /* ST_CH_TRAILER */
        if (c == '\r') return R_MORE;
        if (c == '\n') return R_DONE;
        d->st = ST_CH_TRAILER_SKIP;
        return R_MORE;
    }
}

/* A chunked body; *data counts chunk data bytes (may be NULL). Stops after
 * the final empty line (*res R_DONE). */
static size_t chunk_feed(struct http1_dir *d, uint64_t *left, uint64_t *data, const uint8_t *p,
                         size_t n, enum res *res)
{
    bool lf;
    size_t k = 0;
    *res = R_MORE;
    switch (d->st) {
    case ST_CH_DATA:
        k = *left < n ? (size_t)*left : n;
        *left -= k;
        if (data) *data += k;
        if (!*left) dir_goto(d, ST_CH_DATA_END);
        return k;
    case ST_CH_EXT:
    case ST_CH_TRAILER_SKIP:
        k = line_skip(p, n, &lf);
        if (lf && d->st == ST_CH_EXT) chunk_size_end(d, *left);
        if (lf && d->st == ST_CH_TRAILER_SKIP) d->st = ST_CH_TRAILER;
        return k;
    default:
        while (k < n &&
               (d->st == ST_CH_SIZE || d->st == ST_CH_DATA_END || d->st == ST_CH_TRAILER)) {
            *res = chunk_byte(d, left, p[k++]);
            if (*res != R_MORE) break;
        }
        return k;
    }
}

/* ---- requests (bytes written) ---- */

static void request_begin(struct http1 *h)
{
    memset(h->method, 0, sizeof(h->method));
    memset(h->target, 0, sizeof(h->target));
    memset(h->host, 0, sizeof(h->host));
    h->rq_info = 0;
    h->rq.flags = 0;
    h->rq_left = 0;
}

static enum res method_byte(struct http1 *h, uint8_t c)
{
    struct http1_dir *d = &h->rq;
    if (!d->pos) {
        if ((c == '\r' || c == '\n') && h->state == HTTP1_ACTIVE) return R_MORE; /* stray CRLF */
        if (c < 'A' || c > 'Z') return R_BAD; /* the one cheap check on a new socket */
        request_begin(h);
    }
    if (c == ' ') {
        if (d->pos == 4 && !memcmp(h->method, "HEAD", 4)) h->rq_info |= HTTP1_RQ_HEAD;
        if (d->pos == 7 && !memcmp(h->method, "CONNECT", 7)) h->rq_info |= HTTP1_RQ_CONNECT;
        dir_goto(d, ST_TARGET);
        return R_MORE;
    }
    if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_') || d->pos >= 20) return R_BAD;
    if (d->pos < HTTP1_METHOD_MAX) h->method[d->pos] = (char)c;
    d->pos++;
    return R_MORE;
}

/* An absolute-form target ("http://user:pass@host/..."): at the '@' of its
 * authority, what was kept since "://" (the userinfo) is dropped. */
static bool target_drop_userinfo(struct http1 *h)
{
    struct http1_dir *d = &h->rq;
    if (h->target[0] == '/') return false;
    for (unsigned int i = 0; i + 3 <= d->pos; i++) {
        if (memcmp(h->target + i, "://", 3) != 0) continue;
        if (memchr(h->target + i + 3, '/', d->pos - i - 3)) return false; /* '@' in the path */
        memset(h->target + i + 3, 0, HTTP1_TARGET_MAX - i - 3);
        d->pos = (uint8_t)(i + 3);
        h->rq_info = (uint8_t)((h->rq_info & ~HTTP1_RQ_TARGET_CUT) | HTTP1_RQ_USERINFO);
        return true;
    }
    return false;
}

/* The target is kept without query string, path parameters or userinfo, up
 * to HTTP1_TARGET_MAX. */
static enum res target_byte(struct http1 *h, uint8_t c)
{
    struct http1_dir *d = &h->rq;
    if (c == ' ') {
        if (!d->pos && !(h->rq_info & HTTP1_RQ_QUERY)) return R_BAD;
        dir_goto(d, ST_VERSION);
        return R_MORE;
    }
    if (c < 0x21 || c == 0x7f) return R_BAD;
    if (h->rq_info & HTTP1_RQ_QUERY) return R_MORE;
    if (c == '?' || c == ';') { /* a query or path parameters (;jsessionid=...) */
        h->rq_info |= HTTP1_RQ_QUERY;
        return R_MORE;
    }
    if (c == '@' && target_drop_userinfo(h)) return R_MORE;
    if (d->pos < HTTP1_TARGET_MAX)
        h->target[d->pos++] = (char)c;
    else
        h->rq_info |= HTTP1_RQ_TARGET_CUT;
    return R_MORE;
}

/* "HTTP/1.0" or "HTTP/1.1", then CRLF (or a bare LF). */
static enum res version_byte(struct http1_dir *d, uint8_t c)
{
    static const char v[] = "HTTP/1.";
    if (d->pos < 7) {
        if (c != (uint8_t)v[d->pos]) return R_BAD;
    } else if (d->pos == 7) {
        if (c != '0' && c != '1') return R_BAD;
    } else if (c == '\n') {
        return R_DONE;
    } else if (d->pos != 8 || c != '\r') {
        return R_BAD;
    }
    d->pos++;
    return R_MORE;
}

static size_t rq_line_feed(struct http1 *h, const uint8_t *p, size_t n, struct http1_events *ev)
{
    for (size_t i = 0; i < n; i++) {
        enum res r;
        if (h->rq.st == ST_START)
            r = method_byte(h, p[i]);
        else if (h->rq.st == ST_TARGET)
            r = target_byte(h, p[i]);
        else
            r = version_byte(&h->rq, p[i]);
        if (r == R_BAD) {
            go_bad(h, ev);
            return n;
        }
        if (r == R_DONE) {
            h->state = HTTP1_ACTIVE;
            dir_goto(&h->rq, ST_HLINE);
            return i + 1;
        }
    }
    return n;
}

static uint8_t rq_next(const struct http1 *h)
{
    return (h->rq_info & HTTP1_RQ_CONNECT) ? ST_HOLD : ST_START;
}

/* The request's headers are complete: it is sent; its body follows. */
static void request_sent(struct http1 *h, struct http1_events *ev)
{
    struct http1_dir *d = &h->rq;
    unsigned int kind = (h->rq_info & HTTP1_RQ_HEAD)      ? K_HEAD
                        : (h->rq_info & HTTP1_RQ_CONNECT) ? K_CONNECT
                                                          : K_OTHER;
    if (d->flags & F_CLOSE) h->rq_info |= HTTP1_RQ_CLOSE;
    h->requests++;
    ev->flags |= HTTP1_EV_REQUEST_SENT;
    if (d->flags & F_TE) {
        h->rq_left = 0;
        dir_goto(d, ST_CH_SIZE);
        if (!(d->flags & F_CHUNKED)) go_bad(h, ev); /* unframeable request */
    } else {
        dir_goto(d, h->rq_left ? ST_BODY_LEN : rq_next(h));
    }
    if (!fifo_push(h, kind)) go_bad(h, ev);
}

static size_t rq_body_feed(struct http1 *h, const uint8_t *p, size_t n, struct http1_events *ev)
{
    struct http1_dir *d = &h->rq;
    enum res r = R_MORE;
    size_t k;
    if (d->st == ST_BODY_LEN) {
        k = h->rq_left < n ? (size_t)h->rq_left : n;
        h->rq_left -= k;
        if (!h->rq_left) r = R_DONE;
    } else {
        k = chunk_feed(d, &h->rq_left, NULL, p, n, &r);
    }
    if (r == R_BAD) go_bad(h, ev);
    if (r == R_DONE) dir_goto(d, rq_next(h));
    return k;
}

static size_t rq_step(struct http1 *h, const uint8_t *p, size_t n, struct http1_events *ev)
{
    enum res r;
    size_t k;
    switch (h->rq.st) {
    case ST_START:
    case ST_TARGET:
    case ST_VERSION:
        return rq_line_feed(h, p, n, ev);
    case ST_HLINE:
    case ST_HNAME:
    case ST_HVALUE:
    case ST_HSKIP:
        k = hdr_feed(h, &h->rq, p, n, &r);
        if (r == R_BAD) go_bad(h, ev);
        if (r == R_DONE) request_sent(h, ev);
        return k;
    case ST_HOLD:
        return n; /* CONNECT sent: nothing to follow until its answer */
    default:
        return rq_body_feed(h, p, n, ev);
    }
}

size_t http1_on_write(struct http1 *h, const void *buf, size_t n, struct http1_events *ev)
{
    ev->flags = 0;
    if (h->state >= HTTP1_NOT_HTTP) return n;
    *ev = (struct http1_events){0};
    const uint8_t *p = buf;
    size_t i = 0;
    while (i < n) {
        i += rq_step(h, p + i, n - i, ev);
        if (h->state >= HTTP1_NOT_HTTP) return n;
        if (ev->flags & HTTP1_EV_REQUEST_SENT) break;
    }
    return i;
}

/* ---- responses (bytes read) ---- */

static void response_begin(struct http1 *h)
{
    h->rs_len = 0;
    h->rs_read = 0;
    h->status = 0;
    h->framing = HTTP1_FRAME_UNKNOWN;
    h->end = HTTP1_END_NONE;
    h->rs.flags = 0;
}

/* "HTTP/1.x 123" then SP, CR or LF; pos 12 is the byte after the code. Stray
 * CRLFs between responses are skipped; garbage leaves the last response's
 * numbers in place for the report. */
static enum res status_byte(struct http1 *h, uint8_t c)
{
    static const char v[] = "HTTP/1.";
    struct http1_dir *d = &h->rs;
    bool digit = c >= '0' && c <= '9';
    if (!d->pos) {
        if (c == '\r' || c == '\n') return R_MORE;
        if (c != 'H') return R_BAD;
        response_begin(h);
    }
    if (d->pos < 7) {
        if (c != (uint8_t)v[d->pos]) return R_BAD;
    } else if (d->pos == 7) {
        if (!digit) return R_BAD;
        if (c == '0') d->flags |= F_V10;
    } else if (d->pos == 8) {
        if (c != ' ') return R_BAD;
    } else if (d->pos < 12) {
        if (!digit) return R_BAD;
        h->status = (uint16_t)(h->status * 10 + (c - '0'));
    } else {
        if (h->status < 100) return R_BAD;
        if (c == '\n') return R_DONE;
        if (c != ' ' && c != '\r') return R_BAD;
        d->st = ST_REASON;
        return R_MORE;
    }
    d->pos++;
    return R_MORE;
}

static size_t rs_line_feed(struct http1 *h, const uint8_t *p, size_t n, struct http1_events *ev)
{
    bool lf;
    if (h->rs.st == ST_REASON) {
        size_t k = line_skip(p, n, &lf);
        if (lf) dir_goto(&h->rs, ST_HLINE);
        return k;
    }
    for (size_t i = 0; i < n; i++) {
        enum res r = status_byte(h, p[i]);
        if (r == R_BAD) {
            go_bad(h, ev);
            return n;
        }
        if (r == R_DONE) dir_goto(&h->rs, ST_HLINE);
        if (h->rs.st != ST_START) return i + 1;
    }
    return n;
}

static void response_done(struct http1 *h, struct http1_events *ev, enum http1_end end)
{
    h->end = (uint8_t)end;
    h->responses++;
    dir_goto(&h->rs, ST_START);
    ev->flags |= HTTP1_EV_RESPONSE_DONE;
    ev->status = h->status;
    ev->framing = h->framing;
    ev->keep_alive = http1_keep_alive(h);
    ev->end = (uint8_t)end;
    ev->expected = http1_body_expected(h);
    ev->body_read = h->rs_read;
}

/* RFC 9112 section 6.3, for a final response to a request of this kind. */
static uint8_t framing_of(const struct http1 *h, unsigned int kind)
{
    unsigned int s = h->status, f = h->rs.flags;
    if (s == 101 || (kind == K_CONNECT && s / 100 == 2)) return HTTP1_FRAME_TUNNEL;
    if (kind == K_HEAD || s == 204 || s == 304) return HTTP1_FRAME_NOBODY;
    if (f & F_TE) return (f & F_CHUNKED) ? HTTP1_FRAME_CHUNKED : HTTP1_FRAME_EOF;
    return (f & F_CL) ? HTTP1_FRAME_LENGTH : HTTP1_FRAME_EOF;
}

static void response_headers(struct http1 *h, struct http1_events *ev)
{
    if (h->status < 200 && h->status != 101) { /* interim: a status line follows */
        dir_goto(&h->rs, ST_START);
        return;
    }
    unsigned int kind = fifo_pop(h);
    if (kind == K_CONNECT && h->rq.st == ST_HOLD) dir_goto(&h->rq, ST_START);
    h->rs_read = 0;
    h->framing = framing_of(h, kind);
    ev->flags |= HTTP1_EV_RESPONSE_HEADERS;
    ev->status = h->status;
    ev->framing = h->framing;
    ev->keep_alive = http1_keep_alive(h);
    ev->expected = http1_body_expected(h);
    switch (h->framing) {
    case HTTP1_FRAME_NOBODY:
        response_done(h, ev, HTTP1_END_NOBODY);
        break;
    case HTTP1_FRAME_TUNNEL:
        response_done(h, ev, HTTP1_END_TUNNEL);
        h->state = HTTP1_TUNNEL;
        ev->flags |= HTTP1_EV_TUNNEL;
        break;
    case HTTP1_FRAME_LENGTH:
        if (!h->rs_len)
            response_done(h, ev, HTTP1_END_LENGTH);
        else
            dir_goto(&h->rs, ST_BODY_LEN);
        break;
    case HTTP1_FRAME_CHUNKED:
        h->rs_len = 0;
        dir_goto(&h->rs, ST_CH_SIZE);
        break;
    default:
        dir_goto(&h->rs, ST_BODY_EOF);
    }
}

static size_t rs_body_feed(struct http1 *h, const uint8_t *p, size_t n, struct http1_events *ev)
{
    enum res r;
    size_t k;
    if (h->rs.st == ST_BODY_EOF) {
        h->rs_read += n;
        return n;
    }
    if (h->rs.st == ST_BODY_LEN) {
        uint64_t left = h->rs_len - h->rs_read;
        k = left < n ? (size_t)left : n;
        h->rs_read += k;
        if (h->rs_read == h->rs_len) response_done(h, ev, HTTP1_END_LENGTH);
        return k;
    }
    k = chunk_feed(&h->rs, &h->rs_len, &h->rs_read, p, n, &r);
    if (r == R_BAD) go_bad(h, ev);
    if (r == R_DONE) response_done(h, ev, HTTP1_END_CHUNKED);
    return k;
}

static size_t rs_step(struct http1 *h, const uint8_t *p, size_t n, struct http1_events *ev)
{
    enum res r;
    size_t k;
    switch (h->rs.st) {
    case ST_START:
    case ST_REASON:
        return rs_line_feed(h, p, n, ev);
    case ST_HLINE:
    case ST_HNAME:
    case ST_HVALUE:
    case ST_HSKIP:
        k = hdr_feed(h, &h->rs, p, n, &r);
        if (r == R_BAD) go_bad(h, ev);
        if (r == R_DONE) response_headers(h, ev);
        return k;
    default:
        return rs_body_feed(h, p, n, ev);
    }
}

size_t http1_on_read(struct http1 *h, const void *buf, size_t n, struct http1_events *ev)
{
    ev->flags = 0;
    if (h->state >= HTTP1_NOT_HTTP) return n;
    *ev = (struct http1_events){0};
    if (h->state == HTTP1_UNKNOWN) { /* read before a request line was written */
        go_bad(h, ev);
        return n;
    }
    const uint8_t *p = buf;
    size_t i = 0;
    while (i < n) {
        i += rs_step(h, p + i, n - i, ev);
        if (h->state >= HTTP1_NOT_HTTP) return n;
        if (ev->flags & HTTP1_EV_RESPONSE_DONE) break;
    }
    return i;
}

void http1_on_eof(struct http1 *h, struct http1_events *ev)
{
    *ev = (struct http1_events){0};
    if (h->state != HTTP1_ACTIVE || http1_phase(h) != HTTP1_PHASE_BODY) return;
    response_done(h, ev, h->rs.st == ST_BODY_EOF ? HTTP1_END_EOF : HTTP1_END_TRUNCATED);
    ev->keep_alive = false;
}

/* ---- accessors ---- */

enum http1_phase http1_phase(const struct http1 *h)
{
    if (h->framing == HTTP1_FRAME_UNKNOWN)
        return (h->rs.st == ST_START && !h->rs.pos) ? HTTP1_PHASE_IDLE : HTTP1_PHASE_HEADERS;
    return h->end == HTTP1_END_NONE ? HTTP1_PHASE_BODY : HTTP1_PHASE_IDLE;
}

int64_t http1_body_expected(const struct http1 *h)
{
    switch (h->framing) {
    case HTTP1_FRAME_NOBODY:
    case HTTP1_FRAME_TUNNEL:
        return 0;
    case HTTP1_FRAME_LENGTH:
        return (int64_t)h->rs_len;
    case HTTP1_FRAME_CHUNKED:
    case HTTP1_FRAME_EOF:
        return (h->end == HTTP1_END_CHUNKED || h->end == HTTP1_END_EOF) ? (int64_t)h->rs_read : -1;
    default:
        return -1;
    }
}

uint64_t http1_body_read(const struct http1 *h)
{
    return h->framing == HTTP1_FRAME_UNKNOWN ? 0 : h->rs_read;
}

bool http1_keep_alive(const struct http1 *h)
{
    unsigned int f = h->rs.flags;
    if ((f & F_CLOSE) || (h->rq_info & HTTP1_RQ_CLOSE)) return false;
    if (h->framing == HTTP1_FRAME_EOF || h->framing == HTTP1_FRAME_TUNNEL) return false;
    return !(f & F_V10) || (f & F_KEEPALIVE);
}
