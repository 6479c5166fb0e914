/* records.c - the header line, and the table that sends each record to the
 * decoder of its kind (record_types): to read a new record kind, add a row
 * here and its read_KIND in the decode_*.c of its concern. */
#include "trace/reader_internal.h"

struct record_type {
    const char *name;
    bool (*read)(struct reader *r, const struct rec *o);
    bool socket_event; /* ends a batch of live records */
};

static const struct record_type record_types[] = {
    {"close", read_close, true},       {"open", read_open, true},
    {"conn", read_conn, true},         {"dup", read_dup, true},
    {"shut", read_ignored, true},      {"listen", read_listen, true},
    {"badclose", read_badclose, true}, {"live", read_live, false},
    {"stk", read_stk, false},          {"mod", read_mod, false},
    {"end", read_end, false},          {"note", read_note, false},
    {"hnew", read_hnew, false},        {"huse", read_huse, false},
    {"hfree", read_hfree, false},      {"sample", read_sample, false},
    {"ktcp", read_ktcp, false},        {"dump", read_dump, false},
    {"agg", read_agg, false},          {"gobody", read_gobody, false},
};

/* A header in the middle of a file: another trace was appended to this
 * one. It is not this process: stop reading here. */
static void second_header(struct reader *r)
{
    r->stop = true;
    r->p->issues++;
    notes_addf(r->notes,
               "%s: a second header at line %zu (two traces in one file?): the rest of the "
               "file is ignored",
               r->name, r->lineno);
}

/* Returns false for a line that is not a usable record. */
bool read_record(struct reader *r, const char *line, size_t len)
{
    cJSON *json = cJSON_ParseWithLength(line, len);
    struct rec rec;
    rec_index(&rec, json);
    const char *t = rec_str(&rec, F_T);
    bool ok = t != NULL;
    if (ok && strcmp(t, "hdr") == 0) {
        second_header(r);
        ok = false, t = NULL;
    } else if (ok && r->p->complete) { /* nothing follows the end record */
        if (r->after_end++ == 0) r->first_after_end = r->lineno;
        t = NULL;
    }
    for (size_t i = 0; t && i < sizeof(record_types) / sizeof(record_types[0]); i++) {
        const struct record_type *rt = &record_types[i];
        if (strcmp(t, rt->name) != 0) continue;
        if (rt->socket_event) r->in_live_batch = false;
        ts_seen(r, &rec);
        ok = rt->read(r, &rec);
        break;
    }
    cJSON_Delete(json);
    arena_reset();
    return ok || r->stop; /* unknown record types are fine */
}

/* ---- header, file, end of trace --------------------------------------- */

static void header_argv(struct process *p, const cJSON *o)
{
    const cJSON *e, *argv = cJSON_GetObjectItemCaseSensitive(o, "argv");
    if (!cJSON_IsArray(argv)) return;
    cJSON_ArrayForEach(e, argv)
    {
        if (cJSON_IsString(e)) strlist_push(&p->argv, xstrdup(e->valuestring));
    }
}

int read_header(struct reader *r, const char *line, size_t len, char **why)
{
    struct process *p = r->p;
    cJSON *o = cJSON_ParseWithLength(line, len);
    const char *t = json_str(o, "t"), *format = json_str(o, "format");
    uint64_t version = 0;
    int rc = -1;
    if (!t || strcmp(t, "hdr") != 0 || !format || strcmp(format, "connleak-trace") != 0 ||
        !json_u64(o, "version", &version) || version == 0) {
        *why = xasprintf("%s: not a connleak trace", r->name);
    } else if (version > TRACE_VERSION) {
        *why = xasprintf("%s: trace format version %" PRIu64
                         " is newer than this connleak reads (%d): skipped",
                         r->name, version, TRACE_VERSION);
    } else {
        p->pid = (long)json_u64_or(o, "pid", 0);
        p->ppid = (long)json_u64_or(o, "ppid", 0);
        p->forked = value_bool_or(cJSON_GetObjectItemCaseSensitive(o, "forked"), false);
        p->exe = xstrdup(json_str(o, "exe"));
        const char *backend = json_str(o, "backend");
        p->probe = backend && strcmp(backend, "probe") == 0;
        p->start_unix_ns = json_u64_or(o, "start_unix_ns", 0);
        uint64_t flush = json_u64_or(o, "flush_ms", 0);
        p->flush_ms = flush <= 3600000 ? (unsigned)flush : 0;
        header_argv(p, o);
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

bool line_is_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') return false;
    return true;
}

void line_bad(struct reader *r)
{
    if (r->bad_lines++ == 0) r->first_bad = r->lineno;
}
