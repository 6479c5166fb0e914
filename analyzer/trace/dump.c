/* dump.c - a trace as JSON Lines (`connleak trace-dump`): the header and
 * JSON records as they are, each binary record (formats 2 and 3) as the JSON
 * object it stands for (binrec.c), one per line, so that nothing a trace
 * holds is out of reach of jq, grep or a person. Damaged records are not
 * printed; each is named on stderr, and the caller's exit code says so.
 * Line 1 is taken as `connleak report` takes it (header.c). */
#include "trace/reader_internal.h"

#include "tracebin.h"

/* Line 1: a header, printed; a damaged one, named on stderr (*damaged);
 * or -1 with *why for another format, another record or a newer version. */
static int header_dump(const char *path, const char *line, size_t n, FILE *out, bool *damaged,
                       struct binrec_state *bs, char **why)
{
    struct process p = {0};
    struct reader r = {.p = &p, .name = path};
    int rc = read_header(&r, line, n, why);
    bs->version = r.bin.version;
    process_free(&p);
    *damaged = rc == 0 && r.header_damage;
    if (rc == 0 && !*damaged) {
        fwrite(line, 1, n, out);
        fputc('\n', out);
    }
    if (*damaged)
        fprintf(stderr,
                "connleak trace-dump: %s: record 1: damaged header line (%s): not printed\n", path,
                r.header_damage);
    return rc;
}

/* One JSON object and nothing else (trailing bytes, a NUL inside: damage). */
static bool json_line_ok(const char *line, size_t n)
{
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(line, n, &end, false);
    bool ok = cJSON_IsObject(o) && end && end >= line && (size_t)(end - line) <= n;
    for (size_t i = ok ? (size_t)(end - line) : n; i < n; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ok = false;
    cJSON_Delete(o);
    return ok;
}

static void damaged(const char *path, size_t recno, const char *what, size_t *ndamaged)
{
    fprintf(stderr, "connleak trace-dump: %s: record %zu: %s: not printed\n", path, recno, what);
    ++*ndamaged;
}

static bool frame_dump(struct binrec_state *bs, const char *frame, size_t n, FILE *out,
                       const char *path, size_t recno, size_t *ndamaged)
{
    const char *err;
    cJSON *o = binrec_decode(bs, (const uint8_t *)frame, n, NULL, &err);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    if (text)
        fprintf(out, "%s\n", text);
    else
        damaged(path, recno, err ? err : "out of memory", ndamaged);
    free(text);
    cJSON_Delete(o);
    return text != NULL;
}

/* One record after the header, printed (true) or named as damaged. */
static bool record_dump(struct binrec_state *bs, enum line_status st, char *line, size_t n,
                        FILE *out, const char *path, size_t recno, size_t *ndamaged)
{
    if (st == LINE_FRAME) return frame_dump(bs, line, n, out, path, recno, ndamaged);
    if (st == LINE_LONG || st == LINE_PARTIAL) {
        bs->have_ts = false; /* (a frame may have been in it) */
        damaged(path, recno,
                st == LINE_LONG ? "a line longer than 1 MiB"
                                : "cut short (the trace ends inside it)",
                ndamaged);
    } else if (n && (uint8_t)line[0] >= TB_TAG) { /* a frame whose length is wrong */
        bs->have_ts = false;
        damaged(path, recno, "a malformed binary record", ndamaged);
    } else if (!line_is_blank(line, n)) {
        if (json_line_ok(line, n)) {
            fwrite(line, 1, n, out);
            fputc('\n', out);
            return true;
        }
        bs->have_ts = false; /* it may have been a frame whose tag was damaged */
        damaged(path, recno, "not a JSON object", ndamaged);
    }
    return false;
}

int trace_dump_file(const char *path, FILE *out, size_t *ndamaged, char **why)
{
    *why = NULL;
    *ndamaged = 0;
    struct stat st;
    int fd = trace_open(path, &st, why);
    if (fd < 0) return -1;
    struct lines in = {.fd = fd};
    struct binrec_state bs = {0};
    enum line_status s;
    char *line;
    size_t n, recno = 0, printed = 0;
    bool hdr_damaged = false;
    int rc = 0;
    while ((s = lines_next(&in, &line, &n)) != LINE_EOF && s != LINE_ERROR) {
        if (++recno > 1) {
            printed += record_dump(&bs, s, line, n, out, path, recno, ndamaged);
        } else if (s == LINE_OK) {
            if ((rc = header_dump(path, line, n, out, &hdr_damaged, &bs, why)) != 0) break;
        } else { /* a frame, a cut or an over-long first line: no header */
            fprintf(stderr, "connleak trace-dump: %s: record 1: not a header line\n", path);
            hdr_damaged = true;
        }
        if (recno == 1) *ndamaged += hdr_damaged;
    }
    if (rc == 0 && s == LINE_ERROR) {
        *why = xasprintf("%s: read error after record %zu: %s", path, recno, strerror(in.err));
        rc = -1;
    } else if (rc == 0 && recno == 0) {
        *why = xasprintf("%s: empty file: not a connleak trace", path);
        rc = -1;
    } else if (rc == 0 && hdr_damaged && printed == 0) {
        /* a damaged first line and nothing that reads as a record: not a trace */
        *why = xasprintf("%s: not a connleak trace", path);
        rc = -1;
    }
    free(in.buf);
    close(fd);
    return rc;
}
