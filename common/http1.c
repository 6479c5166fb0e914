/* http1.c - the HTTP/1.x exchange tracker (API and rules in http1.h).
 *
 * Two byte-driven state machines, one per direction (requests written,
 * responses read), share the header section and chunked-body code
 * (http1_hdr.c); http1_internal.h holds the states and byte classes they
 * share. Bodies are skipped in O(1) per call and lines of no interest with
 * memchr; only the start lines and the few headers that frame a message
 * (Content-Length, Transfer-Encoding, Connection, and Host on requests) are
 * looked at. A start line or header line that arrives whole in one buffer
 * (the usual case) is taken in one pass; one split across buffers goes
 * byte by byte, to the same state. Header names and list elements
 * ("chunked", "close", "keep-alive") are matched case-insensitively
 * against a handful of candidates as the bytes come, so nothing is ever
 * buffered: every piece of state lives in struct http1, and a split at any
 * byte boundary leaves it the same.
 *
 * A head that starts a call and ends in it is kept in the caller's head
 * memo, if it passes one (http1_memo.c); a later head that equals a kept
 * one wherever the parse looks is replayed from it instead of parsed.
 *
 * The two machines stay in one file: they are one concern (an exchange: a
 * request's method and framing decide how its response is read, HEAD and
 * 1xx/204/304 have no body, pipelined requests pair with responses in
 * order). */
#include "http1_internal.h"

enum kind { K_OTHER = 0, K_HEAD, K_CONNECT }; /* request kinds in the FIFO */

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

/* "HTTP/1.x" and its line end, whole at p: the length, or 0. */
static size_t version_whole(const uint8_t *p, size_t n)
{
    if (n < 9 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1')) return 0;
    if (p[8] == '\n') return 9;
    return n >= 10 && p[8] == '\r' && p[9] == '\n' ? 10 : 0;
}

static bool is_method_byte(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* A request line whole at p (p[0] a capital, at the start of a request),
 * without '@' or control bytes in its target: taken in one pass, to the
 * state the byte path reaches. Returns its length, or 0 when byte by byte
 * must decide (what this changed, request_begin undoes there). */
static size_t rq_line_whole(struct http1 *h, const uint8_t *p, size_t n)
{
    size_t i = 1, t, k;
    while (i < n && i <= 20 && is_method_byte(p[i])) i++;
    if (i >= n || i > 20 || p[i] != ' ') return 0;
    request_begin(h);
    memcpy(h->method, p, i < HTTP1_METHOD_MAX ? i : HTTP1_METHOD_MAX);
    if (i == 4 && !memcmp(p, "HEAD", 4)) h->rq_info |= HTTP1_RQ_HEAD;
    if (i == 7 && !memcmp(p, "CONNECT", 7)) h->rq_info |= HTTP1_RQ_CONNECT;
    for (t = ++i; i < n && p[i] > ' ' && p[i] != 0x7f && p[i] != '?' && p[i] != ';'; i++)
        if (p[i] == '@') return 0;
    memcpy(h->target, p + t, i - t < HTTP1_TARGET_MAX ? i - t : HTTP1_TARGET_MAX);
    if (i - t > HTTP1_TARGET_MAX) h->rq_info |= HTTP1_RQ_TARGET_CUT;
    if (i < n && (p[i] == '?' || p[i] == ';')) { /* the rest of the target is not kept */
        h->rq_info |= HTTP1_RQ_QUERY;
        while (i < n && p[i] > ' ' && p[i] != 0x7f) i++;
    } else if (i == t) {
        return 0; /* an empty target */
    }
    if (i >= n || p[i] != ' ' || !(k = version_whole(p + i + 1, n - i - 1))) return 0;
    h->state = HTTP1_ACTIVE;
    dir_goto(&h->rq, ST_HLINE);
    return i + 1 + k;
}

static size_t rq_line_feed(struct http1 *h, const uint8_t *p, size_t n, struct http1_events *ev)
{
    size_t whole;
    if (h->rq.st == ST_START && !h->rq.pos && p[0] >= 'A' && p[0] <= 'Z' &&
        (whole = rq_line_whole(h, p, n)))
        return whole;
    for (size_t i = 0; i < n; i++) {
        enum res r;
        size_t k;
        if (h->rq.st == ST_VERSION && !h->rq.pos && (k = version_whole(p + i, n - i))) {
            h->state = HTTP1_ACTIVE;
            dir_goto(&h->rq, ST_HLINE);
            return i + k;
        }
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
HTTP1_HOT void http1_request_sent(struct http1 *h, struct http1_events *ev)
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
        k = http1_chunk_feed(d, &h->rq_left, NULL, p, n, &r);
    }
    if (r == R_BAD) go_bad(h, ev);
    if (r == R_DONE) dir_goto(d, rq_next(h));
    return k;
}

static size_t rq_step(struct http1 *h, struct arm *arm, const uint8_t *p, size_t n,
                      struct http1_events *ev)
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
        k = http1_hdr_feed(h, &h->rq, p, n, &r);
        if (r == R_BAD) go_bad(h, ev);
        if (r == R_DONE) {
            memo_rq_keep(h, arm, p + k, ev);
            http1_request_sent(h, ev);
        }
        return k;
    case ST_HOLD:
        return n; /* CONNECT sent: nothing to follow until its answer */
    default:
        return rq_body_feed(h, p, n, ev);
    }
}

HTTP1_HOT size_t http1_on_write_memo(struct http1 *h, struct http1_memo *m, const void *buf,
                                     size_t n, struct http1_events *ev)
{
    ev->flags = 0;
    if (h->state >= HTTP1_NOT_HTTP) return n;
    *ev = (struct http1_events){0};
    const uint8_t *p = buf;
    struct arm arm = {NULL, p};
    if (m && h->rq.st == ST_START && !h->rq.pos && (uint8_t)(p[0] - 'A') < 26) {
        struct http1_memo_head *e = memo_find(m->rq, &m->rq_misses, p, n);
        if (e) return memo_rq_replay(h, e, n, ev);
        if (memo_worth_keeping(m->rq_misses)) arm.m = m;
    }
    size_t i = 0;
    while (i < n) {
        i += rq_step(h, &arm, p + i, n - i, ev);
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

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* "HTTP/1.x NNN" and the byte after it, whole at p (n bytes) at the start
 * of a response: taken at once, to the state status_byte would reach.
 * Returns the bytes used, or 0 when byte by byte must decide. */
static size_t status_whole(struct http1 *h, const uint8_t *p, size_t n)
{
    if (n < 13 || memcmp(p, "HTTP/1.", 7) != 0 || !is_digit(p[7]) || p[8] != ' ' ||
        !is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) || p[9] == '0' ||
        (p[12] != ' ' && p[12] != '\r' && p[12] != '\n'))
        return 0;
    response_begin(h);
    if (p[7] == '0') h->rs.flags |= F_V10;
    h->status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
    if (p[12] == '\n') {
        dir_goto(&h->rs, ST_HLINE);
    } else {
        h->rs.st = ST_REASON;
        h->rs.pos = 12;
    }
    return 13;
}

static size_t rs_line_feed(struct http1 *h, const uint8_t *p, size_t n, struct http1_events *ev)
{
    bool lf;
    if (h->rs.st == ST_REASON) {
        size_t k = line_skip(p, n, &lf);
        if (lf) dir_goto(&h->rs, ST_HLINE);
        return k;
    }
    if (!h->rs.pos) {
        size_t k = status_whole(h, p, n);
        if (k) return k;
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

HTTP1_HOT static void response_done(struct http1 *h, struct http1_events *ev, enum http1_end end)
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

HTTP1_HOT void http1_response_headers(struct http1 *h, struct http1_events *ev)
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
    k = http1_chunk_feed(&h->rs, &h->rs_len, &h->rs_read, p, n, &r);
    if (r == R_BAD) go_bad(h, ev);
    if (r == R_DONE) response_done(h, ev, HTTP1_END_CHUNKED);
    return k;
}

static size_t rs_step(struct http1 *h, struct arm *arm, const uint8_t *p, size_t n,
                      struct http1_events *ev)
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
        k = http1_hdr_feed(h, &h->rs, p, n, &r);
        if (r == R_BAD) go_bad(h, ev);
        if (r == R_DONE) {
            memo_rs_keep(h, arm, p + k);
            http1_response_headers(h, ev);
        }
        return k;
    default:
        return rs_body_feed(h, p, n, ev);
    }
}

HTTP1_HOT size_t http1_on_read_memo(struct http1 *h, struct http1_memo *m, const void *buf,
                                    size_t n, struct http1_events *ev)
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
    struct arm arm = {NULL, p};
    if (m && h->rs.st == ST_START && !h->rs.pos && p[0] == 'H') {
        const struct http1_memo_head *e = memo_find(m->rs, &m->rs_misses, p, n);
        if (!e) {
            if (memo_worth_keeping(m->rs_misses)) arm.m = m;
        } else {
            i = memo_rs_replay(h, e, ev);
            if (h->state >= HTTP1_NOT_HTTP) return n;
            if (ev->flags & HTTP1_EV_RESPONSE_DONE) return i;
        }
    }
    while (i < n) {
        i += rs_step(h, &arm, p + i, n - i, ev);
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

HTTP1_HOT enum http1_phase http1_phase(const struct http1 *h)
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
