/* lines.c - record reading: a buffered reader over read(2) that hands out
 * lines in place, each capped at MAX_LINE, and binary frames
 * (common/tracebin.h) whole, and the loop over a file's records with its
 * damage notes (long, malformed, cut-short records). */
#include "trace/reader_internal.h"

#include "tracebin.h"

/* ---- lines ---------------------------------------------------------------
 *
 * A buffered reader over read(2) that hands out lines in place, at most
 * MAX_LINE bytes each: a longer line is reported once and skipped up to its
 * newline, so one hostile line costs a bounded buffer. */

/* Reads more; 1 when something came, 0 at end of file, -1 on an error. */
static int lines_fill(struct lines *l)
{
    if (l->start > 0 && l->cap - l->end < READ_CHUNK) {
        memmove(l->buf, l->buf + l->start, l->end - l->start);
        l->end -= l->start;
        l->scan -= l->start;
        l->start = 0;
    }
    if (l->cap - l->end < READ_CHUNK) {
        l->cap = l->end + 2 * READ_CHUNK;
        l->buf = xreallocarray(l->buf, l->cap, 1);
    }
    ssize_t n;
    while ((n = read(l->fd, l->buf + l->end, l->cap - l->end)) < 0 && errno == EINTR)
        ;
    if (n < 0) l->err = errno;
    if (n <= 0) return n < 0 ? -1 : 0;
    l->end += (size_t)n;
    return 1;
}

/* A binary frame starts at l->start (its tag byte is there): LINE_FRAME
 * with all of it, LINE_PARTIAL when the file ends inside it, LINE_ERROR,
 * or LINE_OK when it is malformed (no '\n' where its length says): then
 * the bytes up to the next '\n' are handed out as a line, which no JSON
 * parse accepts (a damaged record, counted), and reading goes on after
 * it, at what is a record boundary again unless the damage says
 * otherwise. */
static enum line_status frame_next(struct lines *l, char **line, size_t *len)
{
    for (;;) {
        const uint8_t *p = (const uint8_t *)l->buf + l->start;
        size_t have = l->end - l->start, hdr;
        uint64_t plen;
        bool ok = tb_frame_header(p, have, &plen, &hdr);
        if (ok && have >= hdr + plen + 1) {
            if (p[hdr + plen] != '\n') return LINE_OK;
            *line = l->buf + l->start;
            *len = hdr + (size_t)plen + 1;
            l->start = l->scan = l->start + *len;
            return LINE_FRAME;
        }
        if (!ok && have >= 6) return LINE_OK; /* a length no frame has */
        int rc = lines_fill(l);
        if (rc < 0) return LINE_ERROR;
        if (rc > 0) continue;
        *line = l->buf + l->start;
        *len = l->end - l->start;
        l->start = l->scan = l->end;
        return LINE_PARTIAL;
    }
}

/* The next record: a line without its \n, or a binary frame
 * (LINE_FRAME). LINE_PARTIAL: the last one, cut short (no \n);
 * LINE_LONG: a line longer than MAX_LINE (no text). */
enum line_status lines_next(struct lines *l, char **line, size_t *len)
{
    for (;;) {
        if (!l->skipping && l->scan == l->start && l->start < l->end &&
            (uint8_t)l->buf[l->start] >= TB_TAG) {
            enum line_status st = frame_next(l, line, len);
            if (st != LINE_OK) return st;
            l->scan = l->start + 1; /* damaged: up to the next '\n' as a line */
        }
        /* no memchr on an empty range: buf is NULL before the first read */
        char *nl = l->end > l->scan ? memchr(l->buf + l->scan, '\n', l->end - l->scan) : NULL;
        if (nl) {
            size_t at = l->start;
            l->start = l->scan = (size_t)(nl - l->buf) + 1;
            if (l->skipping) {
                l->skipping = false;
                continue;
            }
            *line = l->buf + at;
            *len = (size_t)(nl - l->buf) - at;
            return LINE_OK;
        }
        l->scan = l->end;
        if (l->skipping || l->end - l->start > MAX_LINE) {
            bool first = !l->skipping;
            l->skipping = true;
            l->start = l->scan = l->end = 0; /* drop what we have of it */
            if (first) return LINE_LONG;
        }
        int rc = lines_fill(l);
        if (rc < 0) return LINE_ERROR;
        if (rc > 0) continue;
        if (l->start == l->end) return LINE_EOF;
        *line = l->buf + l->start;
        *len = l->end - l->start;
        l->start = l->scan = l->end;
        return LINE_PARTIAL;
    }
}

/* Line 1: the header (a damaged one is noted by trace_read_file, which
 * refuses the file when no record follows either). */
static int first_line(struct reader *r, enum line_status st, char *line, size_t n, char **why)
{
    if (st == LINE_OK) return read_header(r, line, n, why);
    if (st == LINE_FRAME) { /* its records are read, after a damaged header's rules */
        r->header_damage = "a binary record where the header should be";
        return 0;
    }
    if (st == LINE_LONG) {
        r->header_damage = "longer than 1 MiB";
        return 0;
    }
    *why = xasprintf("%s: cut short inside its header line: not a usable trace", r->name);
    return -1;
}

static void line_long(struct reader *r)
{
    if (r->long_lines++ == 0) r->first_long = r->lineno;
}

int read_lines(struct reader *r, struct lines *in, char **why)
{
    enum line_status st = LINE_OK;
    char *line = NULL;
    size_t n = 0;
    int rc = 0;
    while (!r->stop && (st = lines_next(in, &line, &n)) != LINE_EOF && st != LINE_ERROR) {
        r->lineno++;
        if (r->lineno == 1) {
            if ((rc = first_line(r, st, line, n, why)) < 0) break;
            if (r->header_damage) r->notes = r->held;
        } else if (st == LINE_PARTIAL) {
            notes_addf(r->notes, "%s: ignored an incomplete last line (the trace was cut short)",
                       r->name);
            r->p->cut_short = true;
        } else if (st == LINE_LONG) {
            r->bin.have_ts = false; /* (a frame may have been in it) */
            line_long(r);
        } else if (st == LINE_FRAME) {
            if (!read_frame(r, line, n)) line_bad(r);
        } else if ((uint8_t)line[0] >= TB_TAG) { /* a frame whose length is wrong */
            r->bin.have_ts = false;              /* the next delta is from it */
            line_bad(r);
        } else if (!line_is_blank(line, n) && !read_record(r, line, n)) {
            r->bin.have_ts = false; /* it may have been a frame whose tag was damaged */
            line_bad(r);
        }
    }
    if (rc == 0 && st == LINE_ERROR && r->lineno == 0) {
        *why = xasprintf("%s: read error: %s", r->name, strerror(in->err));
        rc = -1;
    } else if (rc == 0 && st == LINE_ERROR) {
        notes_addf(r->notes, "%s: read error after line %zu: %s: the rest is ignored", r->name,
                   r->lineno, strerror(in->err));
        r->p->issues++;
    } else if (rc == 0 && r->lineno == 0) {
        *why = xasprintf("%s: empty file: not a connleak trace", r->name);
        rc = -1;
    }
    return rc;
}
