/* header.c - the header line (the first line of a trace): read, or, when it
 * is damaged (not JSON, cut, garbage, fields of the wrong type), noted with
 * what was assumed instead, so that the records after it are still read.
 * A first line that is another record (no header at all), a header of
 * another format or of a newer version is not damage: the file is refused. */
#include <ctype.h>

#include "trace/reader_internal.h"

static void header_argv(struct process *p, const cJSON *o)
{
    const cJSON *e, *argv = cJSON_GetObjectItemCaseSensitive(o, "argv");
    if (!cJSON_IsArray(argv)) return;
    cJSON_ArrayForEach(e, argv)
    {
        if (cJSON_IsString(e)) strlist_push(&p->argv, xstrdup(e->valuestring));
    }
}

/* Whatever the header holds that has the right type. */
static void header_fields(struct process *p, const cJSON *o)
{
    p->pid = (long)json_u64_or(o, "pid", 0);
    p->ppid = (long)json_u64_or(o, "ppid", 0);
    p->forked = value_bool_or(cJSON_GetObjectItemCaseSensitive(o, "forked"), false);
    const char *exe = json_str(o, "exe");
    p->exe = exe ? xstrdup(exe) : NULL;
    const char *backend = json_str(o, "backend");
    p->probe = backend && strcmp(backend, "probe") == 0;
    p->start_unix_ns = json_u64_or(o, "start_unix_ns", 0);
    uint64_t flush = json_u64_or(o, "flush_ms", 0);
    p->flush_ms = flush <= 3600000 ? (unsigned)flush : 0;
    header_argv(p, o);
}

/* What is wrong with a header line of a connleak trace, or NULL. */
static const char *header_flaw(const cJSON *o)
{
    uint64_t v;
    if (!o) return "not JSON";
    if (!cJSON_IsObject(o)) return "not a JSON object";
    if (!json_str(o, "t")) return "no record type";
    if (!json_str(o, "format")) return "no format";
    if (!json_u64(o, "version", &v) || v == 0) return "no version";
    if (!json_u64(o, "pid", &v) || v == 0) return "no pid";
    return NULL;
}

int read_header(struct reader *r, const char *line, size_t len, char **why)
{
    cJSON *o = cJSON_ParseWithLength(line, len);
    const char *t = json_str(o, "t"), *format = json_str(o, "format");
    uint64_t version = 0;
    int rc = 0;
    if ((t && strcmp(t, "hdr") != 0) || (format && strcmp(format, "connleak-trace") != 0)) {
        *why = xasprintf("%s: not a connleak trace", r->name);
        rc = -1;
    } else if (json_u64(o, "version", &version) && version > TRACE_VERSION) {
        *why = xasprintf("%s: trace format version %" PRIu64
                         " is newer than this connleak reads (%d): skipped",
                         r->name, version, TRACE_VERSION);
        rc = -1;
    } else {
        r->bin.version = version >= 2 && version <= TRACE_VERSION ? (uint8_t)version : 0;
        if (cJSON_IsObject(o)) header_fields(r->p, o);
        r->header_damage = header_flaw(o);
    }
    cJSON_Delete(o);
    return rc;
}

/* The pid in a trace's file name, connleak-PID.jsonl or connleak-PID.N.jsonl;
 * 0 when the name is not one of those. */
static long pid_from_name(const char *path)
{
    const char *s = path_basename(path);
    if (strncmp(s, "connleak-", 9) != 0 || !isdigit((unsigned char)s[9])) return 0;
    char *end;
    long pid = strtol(s + 9, &end, 10);
    if (*end == '.' && isdigit((unsigned char)end[1])) strtol(end + 1, &end, 10);
    return pid > 0 && strcmp(end, ".jsonl") == 0 ? pid : 0;
}

/* A damaged header: the one note that says so and what was assumed (the
 * format version this reader reads; the pid from the file name); the
 * process's identity, when lost, stays unknown (pid 0, no program name). */
void header_damaged(struct reader *r)
{
    struct process *p = r->p;
    const char *pid_from = "";
    if (p->pid <= 0 && (p->pid = pid_from_name(r->name)) > 0) pid_from = " (from the file name)";
    char pid[64] = "pid unknown";
    if (p->pid > 0) snprintf(pid, sizeof(pid), "pid %ld%s", p->pid, pid_from);
    const char *name = process_name(p);
    notes_addf(r->notes,
               "%s: damaged header line (%s): its records are read as format version %d; "
               "%s; program %s",
               r->name, r->header_damage, TRACE_VERSION, pid,
               strcmp(name, "?") != 0 ? name : "unknown");
    p->issues++; /* the report has problems: the traces are kept */
}
