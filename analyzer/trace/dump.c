/* dump.c - a trace as JSON Lines (`connleak trace-dump`): the header and
 * JSON records as they are, each binary record of format 2 as the JSON
 * object it stands for (binrec.c), one per line, so that nothing a trace
 * holds is out of reach of jq, grep or a person. Damaged records are not
 * printed; each is named on stderr, and the caller's exit code says so. */
#include "trace/reader_internal.h"

#include "tracebin.h"

/* Line 1 must be a connleak header of a version this reader knows. */
static int header_check(const char *path, const char *line, size_t n, char **why)
{
    cJSON *o = cJSON_ParseWithLength(line, n);
    const char *t = json_str(o, "t"), *format = json_str(o, "format");
    uint64_t version = 0;
    int rc = 0;
    if (!t || strcmp(t, "hdr") != 0 || !format || strcmp(format, "connleak-trace") != 0) {
        *why = xasprintf("%s: not a connleak trace (no header line)", path);
        rc = -1;
    } else if (json_u64(o, "version", &version) && version > TRACE_VERSION) {
        *why = xasprintf("%s: trace format version %" PRIu64
                         " is newer than this connleak reads (%d): use a newer connleak",
                         path, version, TRACE_VERSION);
        rc = -1;
    }
    cJSON_Delete(o);
    return rc;
}

static void damaged(const char *path, size_t recno, const char *what, size_t *ndamaged)
{
    fprintf(stderr, "connleak trace-dump: %s: record %zu: %s: not printed\n", path, recno, what);
    ++*ndamaged;
}

/* One record after the header, printed or named as damaged. */
static void record_dump(struct binrec_state *bs, enum line_status st, char *line, size_t n,
                        FILE *out, const char *path, size_t recno, size_t *ndamaged)
{
    if (st == LINE_LONG || st == LINE_PARTIAL) {
        damaged(path, recno,
                st == LINE_LONG ? "a line longer than 1 MiB"
                                : "cut short (the trace ends inside it)",
                ndamaged);
        return;
    }
    if (st == LINE_FRAME) {
        const char *err;
        cJSON *o = binrec_decode(bs, (const uint8_t *)line, n, NULL, &err);
        char *text = o ? cJSON_PrintUnformatted(o) : NULL;
        if (text)
            fprintf(out, "%s\n", text);
        else
            damaged(path, recno, err ? err : "out of memory", ndamaged);
        free(text);
        cJSON_Delete(o);
        return;
    }
    if (n && (uint8_t)line[0] >= TB_TAG) { /* a frame whose length is wrong */
        bs->have_ts = false;
        damaged(path, recno, "a malformed binary record", ndamaged);
        return;
    }
    if (line_is_blank(line, n)) return;
    cJSON *o = cJSON_ParseWithLength(line, n);
    if (cJSON_IsObject(o))
        fprintf(out, "%.*s\n", (int)n, line);
    else
        damaged(path, recno, "not a JSON object", ndamaged);
    cJSON_Delete(o);
}

int trace_dump_file(const char *path, FILE *out, size_t *ndamaged, char **why)
{
    struct stat st;
    *why = NULL;
    *ndamaged = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        *why = xasprintf("cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = xasprintf("%s: not a regular file", path);
        close(fd);
        return -1;
    }
    struct lines in = {.fd = fd};
    struct binrec_state bs = {0};
    enum line_status s;
    char *line;
    size_t n, recno = 0;
    int rc = 0;
    while ((s = lines_next(&in, &line, &n)) != LINE_EOF && s != LINE_ERROR) {
        if (++recno == 1) {
            if (s != LINE_OK || header_check(path, line, n, why) != 0) {
                if (!*why) *why = xasprintf("%s: not a connleak trace (no header line)", path);
                rc = -1;
                break;
            }
            fprintf(out, "%.*s\n", (int)n, line);
            continue;
        }
        record_dump(&bs, s, line, n, out, path, recno, ndamaged);
    }
    if (rc == 0 && s == LINE_ERROR) {
        *why = xasprintf("%s: read error after record %zu: %s", path, recno, strerror(in.err));
        rc = -1;
    } else if (rc == 0 && recno == 0) {
        *why = xasprintf("%s: empty file: not a connleak trace", path);
        rc = -1;
    }
    free(in.buf);
    close(fd);
    return rc;
}
