/* records.c - the table that sends each record, JSON line or binary frame,
 * to the decoder of its kind (record_types): to read a new record kind, add a row
 * here and its read_KIND in the decode_*.c of its concern. */
#include "trace/reader_internal.h"

#include "tracebin.h"

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
    {"pystk", read_pystk, false},      {"mark", read_mark, false},
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

/* The row of record_types named t, or -1. */
static int record_type_find(const char *t)
{
    for (size_t i = 0; i < sizeof(record_types) / sizeof(record_types[0]); i++)
        if (strcmp(t, record_types[i].name) == 0) return (int)i;
    return -1;
}

/* Sends an indexed record to the decoder of its kind (row `row` of
 * record_types, -1: unknown; JSON lines look it up). Returns false for
 * one that is not usable. */
static bool record_dispatch(struct reader *r, const struct rec *rec, int row)
{
    const char *t = rec_str(rec, F_T);
    bool ok = t != NULL;
    if (ok && row < 0 && strcmp(t, "hdr") == 0) { /* (a frame is never a header) */
        second_header(r);
        return r->stop;
    }
    if (ok && r->p->complete) { /* nothing follows the end record */
        if (r->after_end++ == 0) r->first_after_end = r->lineno;
        return true;
    }
    if (ok && row == -2) row = record_type_find(t);
    if (ok && row >= 0) {
        const struct record_type *rt = &record_types[row];
        if (rt->socket_event) r->in_live_batch = false;
        ts_seen(r, rec);
        ok = rt->read(r, rec);
        r->nrecords += ok;
    }
    return ok || r->stop; /* unknown record types are fine */
}

/* Returns false for a line that is not a usable record. */
bool read_record(struct reader *r, const char *line, size_t len)
{
    cJSON *json = cJSON_ParseWithLength(line, len);
    struct rec rec;
    rec_index(&rec, json);
    bool ok = record_dispatch(r, &rec, -2);
    cJSON_Delete(json);
    arena_reset();
    return ok;
}

/* The same for a binary frame (binrec.c), indexed as it is decoded; its
 * record code names its row of record_types (found once per code). */
bool read_frame(struct reader *r, const char *frame, size_t len)
{
    static int rows[TB_TAG];
    static bool rows_ready;
    if (!rows_ready) {
        for (unsigned int c = 0; c < TB_TAG; c++)
            rows[c] = c < TBR_COUNT && tb_recs[c] ? record_type_find(tb_recs[c]) : -1;
        rows_ready = true;
    }
    const char *err;
    struct rec rec;
    cJSON *json = binrec_decode(&r->bin, (const uint8_t *)frame, len, &rec, &err);
    unsigned int code = (uint8_t)frame[0] & (r->bin.version == 2 ? ~TB_TAG : TB_CODE3);
    bool ok = json && record_dispatch(r, &rec, rows[code]);
    arena_reset(); /* json with it: read_frame runs inside the reader's arena (no cJSON_Delete) */
    return ok;
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
