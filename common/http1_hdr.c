/* http1_hdr.c - the header section of an HTTP/1.x message, both directions:
 * the few fields that frame a message (Content-Length, Transfer-Encoding,
 * Connection) and a request's Host, matched case-insensitively as the
 * bytes come; every other line skipped with memchr. A line that arrives
 * whole in one buffer is taken in bulk, one split across buffers byte by
 * byte, to the same state (fuzz_http1 checks it). Called by http1.c. */
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

/* How many bytes of p (n available) equal t's name, case-insensitively:
 * eight at a time where there are eight (names are lowercase letters and
 * '-': folding bit 0x20 in where t has a letter, bit 0x40, matches either
 * case and nothing else). */
static uint8_t tok_prefix(const struct tok *t, const uint8_t *p, size_t n)
{
    size_t lim = t->len < n ? t->len : n, k = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; k + 8 <= lim; k += 8) {
        uint64_t a, b;
        memcpy(&a, p + k, 8);
        memcpy(&b, t->s + k, 8);
        uint64_t diff = (a | ((b & 0x4040404040404040ull) >> 1)) ^ b;
        if (diff) return (uint8_t)(k + (size_t)__builtin_ctzll(diff) / 8);
    }
#endif
    while (k < lim && lower(p[k]) == (uint8_t)t->s[k]) k++;
    return (uint8_t)k;
}

/* The candidate sharing the longest prefix with the name at p (case
 * insensitive), as name_next's chain finds it; *len is that prefix. */
static uint8_t name_best(bool rq, const uint8_t *p, size_t n, uint8_t *len)
{
    uint8_t best = H_NONE, best_len = 0, c0 = lower(p[0]);
    for (unsigned int j = 0; j < 4; j++) {
        const struct tok *t = &hdr_names[j];
        if ((uint8_t)t->s[0] != c0 || (j + 1 == H_HOST && !rq)) continue; /* most lines */
        uint8_t k = tok_prefix(t, p, n);
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
    if (d->hdr == H_CLEN) {
        for (size_t i = 0; i < eol; i++)
            if ((*r = clen_byte(h, d, p[i])) != R_MORE) return i + 1;
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

size_t http1_hdr_feed(struct http1 *h, struct http1_dir *d, const uint8_t *p, size_t n,
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
