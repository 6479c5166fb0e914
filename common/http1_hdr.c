/* http1_hdr.c - the framing of an HTTP/1.x message that both directions
 * share: its header section and chunked bodies. Of the headers, only the
 * few fields that frame a message (Content-Length, Transfer-Encoding,
 * Connection) and a request's Host are followed, matched
 * case-insensitively; every other line is skipped. A line that arrives
 * whole in one buffer is taken in one pass (its LF found once), one split
 * across buffers byte by byte, to the same state (fuzz_http1 and the unit
 * tests check it). Called by http1.c. */
#include "http1_internal.h"

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
#define ENDED 0x80u /* struct http1_dir.mask: whitespace after the element's token */

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

/* The Host value is complete (d->pos bytes kept): trailing whitespace dropped. */
static void host_end(struct http1 *h, struct http1_dir *d)
{
    while (d->pos && (h->host[d->pos - 1] == ' ' || h->host[d->pos - 1] == '\t'))
        h->host[--d->pos] = 0;
    h->rq_info |= HTTP1_RQ_HOST;
}

/* The LF of a followed header's line. Every line ends in ST_HLINE with the
 * other fields zeroed, whichever path took it (hline_fast relies on it). */
static enum res value_end(struct http1 *h, struct http1_dir *d)
{
    enum res r = R_MORE;
    switch (d->hdr) {
    case H_CLEN:
        if (clen_elem_end(h, d) == R_BAD || !(d->flags & F_ELEM)) r = R_BAD;
        break;
    case H_HOST:
        host_end(h, d);
        break;
    default:
        list_elem_end(d);
    }
    dir_goto(d, ST_HLINE);
    return r;
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

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
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
size_t http1_chunk_feed(struct http1_dir *d, uint64_t *left, uint64_t *data, const uint8_t *p,
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

/* ---- whole lines: one pass each ----
 * Most header lines arrive whole in one buffer. Then its LF is found once,
 * the name is told by its length and first byte (only a name that can
 * match is compared, eight bytes at a time), and a followed value is taken
 * in one tight loop per kind: the same results as byte by byte. A line
 * split across buffers, or anything unusual in it (an error, a list in
 * Content-Length, a CR inside Host...), goes byte by byte from its first
 * byte instead: hline_fast changes nothing when it declines. fuzz_http1
 * and the unit tests check that any split gives the same state. */

static bool is_ows(uint8_t c) /* whitespace as the value parsers skip it */
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Bytes of 8 at p that differ from the lowercase name bytes at s, ignoring
 * case (names are lowercase letters and '-': bit 0x20 is folded in where s
 * has a letter, bit 0x40, so it matches either case and nothing else). */
static uint64_t fold_diff8(const uint8_t *p, const char *s)
{
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, s, 8);
    return (a | ((b & 0x4040404040404040ull) >> 1)) ^ b;
}

static uint32_t fold_diff4(const uint8_t *p, const char *s)
{
    uint32_t a, b;
    memcpy(&a, p, 4);
    memcpy(&b, s, 4);
    return (a | ((b & 0x40404040u) >> 1)) ^ b;
}

/* p[0..len) equals the name s case-insensitively (len >= 4; the last chunk
 * overlaps the one before). */
HTTP1_HOT static bool fold_eq(const uint8_t *p, const char *s, size_t len)
{
    if (len < 8) return !(fold_diff4(p, s) | fold_diff4(p + len - 4, s + len - 4));
    uint64_t diff = 0;
    for (size_t k = 0; k + 8 < len; k += 8) diff |= fold_diff8(p + k, s + k);
    return !(diff | fold_diff8(p + len - 8, s + len - 8));
}

/* The followed header whose name, then ':', starts the line (eol bytes
 * before its LF), or H_NONE. */
static unsigned int name_exact(bool rq, const uint8_t *p, size_t eol)
{
    const struct tok *t;
    switch (p[0] | 0x20) {
    case 'c':
        t = &hdr_names[H_CLEN - 1];
        if (eol > t->len && p[t->len] == ':' && fold_eq(p, t->s, t->len)) return H_CLEN;
        t = &hdr_names[H_CONN - 1];
        return eol > t->len && p[t->len] == ':' && fold_eq(p, t->s, t->len) ? H_CONN : H_NONE;
    case 't':
        t = &hdr_names[H_TE - 1];
        return eol > t->len && p[t->len] == ':' && fold_eq(p, t->s, t->len) ? H_TE : H_NONE;
    case 'h':
        t = &hdr_names[H_HOST - 1];
        return rq && eol > t->len && p[t->len] == ':' && fold_eq(p, t->s, t->len) ? H_HOST : H_NONE;
    default:
        return H_NONE;
    }
}

/* How many bytes of p (lim at most) equal t's name, case-insensitively. */
static size_t tok_prefix(const struct tok *t, const uint8_t *p, size_t lim)
{
    size_t k = 0;
    if (lim > t->len) lim = t->len;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; k + 8 <= lim; k += 8) {
        uint64_t diff = fold_diff8(p + k, t->s + k);
        if (diff) return k + (size_t)__builtin_ctzll(diff) / 8;
    }
#endif
    while (k < lim && lower(p[k]) == (uint8_t)t->s[k]) k++;
    return k;
}

/* A line that is no followed header: byte by byte would fail on it (rather
 * than skip it) when the byte after the longest prefix it shares with a
 * candidate name is neither a token byte nor ':' ("Content-Length :"). */
static bool name_fails(bool rq, const uint8_t *p, size_t eol)
{
    size_t m = 0;
    uint8_t c0 = lower(p[0]);
    for (unsigned int j = 0; j < 4; j++) {
        const struct tok *t = &hdr_names[j];
        if ((uint8_t)t->s[0] != c0 || (j + 1 == H_HOST && !rq)) continue; /* most lines */
        size_t k = tok_prefix(t, p, eol);
        if (k > m) m = k;
    }
    return p[m] != ':' && !is_tchar(p[m]); /* (m <= eol, and p[eol] is LF) */
}

/* Content-Length, value p[0..n): one number, else false (byte by byte
 * decides). The number lands where clen_elem_end puts it. */
static bool clen_whole(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t n)
{
    bool rq = d == &h->rq, seen = d->flags & F_CL;
    uint64_t acc = *clen_acc(h, d);
    size_t i = 0, from;
    if (rq && seen) return false;
    while (i < n && is_ows(p[i])) i++;
    for (from = i; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        if (acc > NUM_MAX / 10) return false;
        acc = acc * 10 + (uint64_t)(p[i] - '0');
    }
    if (i == from) return false;
    while (i < n && is_ows(p[i])) i++;
    if (i != n || (seen && h->rs_len != acc)) return false;
    d->flags |= F_CL | F_ELEM;
    if (rq) {
        h->rq_left = acc;
    } else {
        h->rs_len = acc;
        h->rs_read = 0;
    }
    return true;
}

/* Host, value p[0..n): leading whitespace and CRs dropped, the rest kept
 * up to HTTP1_HOST_MAX with one copy (byte by byte if a CR is inside). */
static void host_whole(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t n)
{
    size_t a = 0;
    while (a < n && is_ows(p[a])) a++;
    if (n > a && p[n - 1] == '\r') n--;
    d->pos = 0;
    if (memchr(p + a, '\r', n - a)) {
        for (size_t i = a; i < n; i++) host_byte(h, d, p[i]);
    } else {
        size_t k = n - a < HTTP1_HOST_MAX ? n - a : HTTP1_HOST_MAX;
        memcpy(h->host, p + a, k);
        d->pos = (uint8_t)k;
        if (n - a > HTTP1_HOST_MAX) h->rq_info |= HTTP1_RQ_HOST_CUT;
    }
    host_end(h, d);
}

/* The candidate (index + 1) that p[0..n), whitespace around it dropped, is,
 * or 0; *any: it has a byte other than whitespace. */
HTTP1_HOT static unsigned int list_elem_id(const struct http1_dir *d, const uint8_t *p, size_t n,
                                           bool *any)
{
    size_t a = 0, b = n;
    while (a < b && is_ows(p[a])) a++;
    while (b > a && is_ows(p[b - 1])) b--;
    const struct tok *t = d->hdr == H_TE ? te_codings : conn_opts;
    unsigned int nt = d->hdr == H_TE ? 1 : 2;
    *any = a < b;
    for (unsigned int k = 0; k < nt; k++)
        if (b - a == t[k].len && fold_eq(p + a, t[k].s, t[k].len)) return k + 1;
    return 0;
}

/* Transfer-Encoding or Connection, value p[0..n): element by element (a
 * value that is one candidate, the usual case, needs no search for commas:
 * no candidate has one). */
static void list_whole(struct http1_dir *d, const uint8_t *p, size_t n)
{
    bool any;
    unsigned int id = list_elem_id(d, p, n, &any);
    size_t from = 0;
    if (id) {
        list_elem_apply(d, true, id);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ',') continue;
        id = list_elem_id(d, p + from, i - from, &any);
        list_elem_apply(d, any, id);
        from = i + 1;
    }
    id = list_elem_id(d, p + from, n - from, &any);
    list_elem_apply(d, any, id);
}

/* A header line starting with a token byte at p (n bytes available): the
 * whole line when its LF is there and nothing in it needs byte by byte.
 * Returns the bytes used, or 0 having changed nothing. */
HTTP1_HOT static size_t hline_fast(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t n)
{
    const uint8_t *lf = memchr(p, '\n', n);
    if (!lf) return 0;
    size_t eol = (size_t)(lf - p);
    bool rq = d == &h->rq;
    unsigned int id = name_exact(rq, p, eol);
    size_t v = id ? hdr_names[id - 1].len + 1u : 0; /* the value: p[v..eol) */
    switch (id) {
    case H_NONE:
        if (name_fails(rq, p, eol)) return 0;
        break;
    case H_CLEN:
        if (!clen_whole(h, d, p + v, eol - v)) return 0;
        break;
    case H_HOST:
        if (!(h->rq_info & HTTP1_RQ_HOST)) host_whole(h, d, p + v, eol - v); /* the first counts */
        break;
    default:
        d->hdr = (uint8_t)id; /* which list (dir_goto zeroes it again) */
        list_whole(d, p + v, eol - v);
    }
    dir_goto(d, ST_HLINE);
    return eol + 1;
}

HTTP1_HOT size_t http1_hdr_feed(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t n,
                                enum res *res)
{
    enum res r = R_MORE;
    size_t i = 0, k;
    while (i < n && r == R_MORE) {
        if (d->st == ST_HLINE) {
            /* most names start with a letter: a cheaper test than is_tchar's map */
            bool letter = (uint8_t)((p[i] | 0x20) - 'a') < 26;
            if ((letter || is_tchar(p[i])) && (k = hline_fast(h, d, p + i, n - i))) {
                i += k;
                continue;
            }
            if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') { /* the empty line */
                r = R_DONE;
                i += 2;
                break;
            }
            r = hdr_byte(h, d, p[i++]); /* this line goes byte by byte */
        } else if (d->st == ST_HSKIP) {
            bool lf;
            i += line_skip(p + i, n - i, &lf);
            if (lf) dir_goto(d, ST_HLINE);
        } else if (d->st == ST_HNAME) {
            i += name_feed(h, d, p + i, n - i, &r);
        } else { /* ST_HVALUE */
            while (i < n && r == R_MORE && d->st == ST_HVALUE) r = value_byte(h, d, p[i++]);
        }
    }
    *res = r;
    return i;
}
