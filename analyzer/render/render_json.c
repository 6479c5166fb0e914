/* render_json.c - the report as one JSON document, docs/report-json.md.
 *
 * The schema doc is the contract: field names and nulls follow it exactly,
 * and fields are only ever added. */
#include "render/render.h"

#include <cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "util/util.h"

#define REPORT_VERSION 1
#define MAX_PEERS      5

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_u64(cJSON *o, const char *key, uint64_t v)
{
    cJSON_AddNumberToObject(o, key, (double)v);
}

static cJSON *frame_json(const struct frame *f)
{
    cJSON *o = cJSON_CreateObject();
    char pc[32];
    snprintf(pc, sizeof(pc), "0x%" PRIx64, f->pc);
    cJSON_AddStringToObject(o, "pc", pc);
    add_str_or_null(o, "module", f->module);
    add_str_or_null(o, "function", f->function);
    if (f->mangled) cJSON_AddStringToObject(o, "function_mangled", f->mangled);
    add_u64(o, "offset", f->offset);
    add_str_or_null(o, "file", f->file);
    if (f->file)
        cJSON_AddNumberToObject(o, "line", f->line);
    else
        cJSON_AddNullToObject(o, "line");
    cJSON_AddBoolToObject(o, "inlined", f->inlined);
    cJSON_AddBoolToObject(o, "user", f->user);
    return o;
}

static cJSON *frames_json(const struct frames *s)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < s->n; i++) cJSON_AddItemToArray(a, frame_json(&s->v[i]));
    return a;
}

static cJSON *top_frame_json(const struct frames *s)
{
    if (s->top < 0) return cJSON_CreateNull();
    const struct frame *f = &s->v[s->top];
    cJSON *o = cJSON_CreateObject();
    char pc[32];
    add_str_or_null(o, "function", f->function);
    if (f->mangled) cJSON_AddStringToObject(o, "function_mangled", f->mangled);
    add_str_or_null(o, "file", f->file);
    if (f->file)
        cJSON_AddNumberToObject(o, "line", f->line);
    else
        cJSON_AddNullToObject(o, "line");
    add_str_or_null(o, "module", f->module); /* an unsymbolised frame: where to look */
    snprintf(pc, sizeof(pc), "0x%" PRIx64, f->pc);
    cJSON_AddStringToObject(o, "pc", pc);
    cJSON_AddNumberToObject(o, "index", s->top); /* in "stack" */
    return o;
}

static cJSON *range_json(uint64_t min_ns, uint64_t max_ns)
{
    cJSON *o = cJSON_CreateObject();
    add_u64(o, "min", min_ns == UINT64_MAX ? 0 : min_ns / 1000000);
    add_u64(o, "max", max_ns / 1000000);
    return o;
}

/* [{"peer": ..., "count": N}, ...] (or "host"), the first MAX_PEERS */
static void counts_json(cJSON *o, const char *key, const char *name, const struct peer_count *v,
                        size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (size_t i = 0; i < n && i < MAX_PEERS; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, name, v[i].peer);
        add_u64(p, "count", v[i].count);
        cJSON_AddItemToArray(a, p);
    }
}

/* The exchange of the group's most recent socket. */
static cJSON *http_json(const struct finding_http *h, bool orphan)
{
    cJSON *o = cJSON_CreateObject();
    add_str_or_null(o, "host", h->host);
    add_str_or_null(o, "request", h->request);
    if (orphan) {
        add_u64(o, "requests", h->requests);
        cJSON_AddStringToObject(o, "phase", http_phase_name(h->phase));
        cJSON_AddNumberToObject(o, "status", h->status);
        return o;
    }
    cJSON_AddNumberToObject(o, "status", h->status);
    add_u64(o, "read", h->read);
    cJSON_AddNumberToObject(o, "expect", (double)h->expect);
    cJSON_AddBoolToObject(o, "tls", h->tls);
    return o;
}

/* The dump a live set is as of; null: at exit or the last flush. */
static void dump_json(cJSON *o, const struct finding *f)
{
    if (f->dump)
        add_u64(o, "dump", f->dump);
    else
        cJSON_AddNullToObject(o, "dump");
}

static void orphan_json(cJSON *o, const struct finding *f)
{
    cJSON_AddStringToObject(o, "role", role_name(finding_role(f)));
    cJSON_AddBoolToObject(o, "before_attach", f->count && f->before_attach == f->count);
    counts_json(o, "peers", "peer", f->peers, f->npeers);
    if (f->http.set) cJSON_AddItemToObject(o, "http", http_json(&f->http, true));
    cJSON_AddItemToObject(o, "age_ms", range_json(f->age_min, f->age_max));
    cJSON_AddItemToObject(o, "idle_ms", range_json(f->idle_min, f->idle_max));
    add_u64(o, "bytes_in", f->bytes_in);
    add_u64(o, "bytes_out", f->bytes_out);
    add_u64(o, "unread_bytes", f->unread);
    dump_json(o, f);
}

/* unclosed-body, discarded-body, stuck-request */
static void body_json(cJSON *o, const struct finding *f)
{
    if (f->http.set) {
        cJSON_AddItemToObject(o, "http", http_json(&f->http, false));
    } else { /* every group has one; a hostile trace must still give the field */
        struct finding_http none = {.expect = -1};
        cJSON_AddItemToObject(o, "http", http_json(&none, false));
    }
    counts_json(o, "hosts", "host", f->hosts, f->nhosts);
    counts_json(o, "peers", "peer", f->peers, f->npeers);
    cJSON_AddItemToObject(o, "idle_ms", range_json(f->idle_min, f->idle_max));
    if (f->kind == KIND_STUCK_REQUEST)
        cJSON_AddItemToObject(o, "waited_ms", range_json(f->idle_min, f->idle_max));
    else
        add_u64(o, "bytes_read", f->bytes_read);
}

static void reuse_json(cJSON *o, const struct finding *f)
{
    add_str_or_null(o, "peer", f->npeers ? f->peers[0].peer : NULL);
    add_str_or_null(o, "host", f->http.host);
    add_u64(o, "connections", f->count);
    add_u64(o, "requests", f->requests);
    add_u64(o, "saved", finding_saved(f));
    add_u64(o, "max_concurrent", f->max_concurrent);
    add_u64(o, "sites", f->sites);
}

static void handle_json(cJSON *o, const struct finding *f)
{
    cJSON_AddStringToObject(o, "handle", handle_kind_name(f->handle));
    cJSON *urls = cJSON_AddArrayToObject(o, "urls");
    for (size_t i = 0; i < f->nurls; i++)
        cJSON_AddItemToArray(urls, cJSON_CreateString(f->urls[i]));
    add_u64(o, "open_sockets", f->open_sockets);
    cJSON *holds =
        cJSON_AddObjectToObject(o, "holds"); /* folded: no orphaned-socket of their own */
    add_u64(holds, "sockets", f->held);
    add_u64(holds, "connections", f->held_conns);
    add_u64(holds, "internal", f->held - f->held_conns);
    counts_json(holds, "peers", "peer", f->peers, f->npeers);
}

/* ---- the sampler's findings ---------------------------------------------- */

/* A range, or null when not known (seen from outside, findings.h). */
static cJSON *range_or_null(const struct finding *f, uint64_t min_ns, uint64_t max_ns)
{
    if (f->outside && min_ns == UINT64_MAX) return cJSON_CreateNull();
    return range_json(min_ns, max_ns);
}

static void closewait_json(cJSON *o, const struct finding *f)
{
    cJSON_AddStringToObject(o, "role", role_name(finding_role(f)));
    counts_json(o, "peers", "peer", f->peers, f->npeers);
    cJSON_AddItemToObject(o, "waited_ms", range_or_null(f, f->waited_min, f->waited_max));
    cJSON_AddItemToObject(o, "age_ms", range_or_null(f, f->age_min, f->age_max));
    add_u64(o, "unread_bytes", f->unread);
    dump_json(o, f);
}

static void timewait_json(cJSON *o, const struct finding *f)
{
    add_str_or_null(o, "peer", f->npeers ? f->peers[0].peer : NULL);
    add_u64(o, "peak", f->count);
    cJSON_AddBoolToObject(o, "estimated", f->estimated);
    add_u64(o, "closes", f->closes);
    json_num_or_null(o, "rate_per_s", f->rate, f->rate >= 0);
    cJSON_AddStringToObject(o, "advice", TIME_WAIT_ADVICE);
}

cJSON *json_numbers(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

void json_num_or_null(cJSON *o, const char *key, double v, bool ok)
{
    if (ok && isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* A trend fit as both reports write it (docs/report-json.md, docs/watch.md). */
cJSON *trend_fit_json(const struct trend_fit *fit)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "slope_per_s", fit->slope);
    cJSON_AddNumberToObject(o, "intercept", fit->intercept);
    cJSON_AddNumberToObject(o, "tau", fit->tau);
    cJSON_AddNumberToObject(o, "z", fit->z);
    cJSON_AddNumberToObject(o, "p", fit->p);
    cJSON_AddNumberToObject(o, "n", fit->n);
    return o;
}

/* The fit, with the names of `connleak watch` (slope_per_s) and slope. */
static cJSON *fit_json(const struct trend_fit *fit)
{
    cJSON *o = trend_fit_json(fit);
    cJSON_AddNumberToObject(o, "slope", fit->slope);
    return o;
}

static void trend_json(cJSON *o, const struct finding_trend *tr, const char *yname)
{
    cJSON_AddNumberToObject(o, "slope_per_min", tr->fit.slope * 60);
    cJSON_AddNumberToObject(o, "first", tr->first);
    cJSON_AddNumberToObject(o, "last", tr->last);
    cJSON_AddNumberToObject(o, "peak", tr->peak);
    cJSON_AddItemToObject(o, "fit", fit_json(&tr->fit));
    cJSON *series = cJSON_AddObjectToObject(o, "series");
    cJSON_AddItemToObject(series, "t", json_numbers(tr->t, tr->n));
    cJSON_AddItemToObject(series, yname, json_numbers(tr->y, tr->n));
    if (tr->y2) cJSON_AddItemToObject(series, "socks", json_numbers(tr->y2, tr->n));
}

static void growth_json(cJSON *o, const struct finding *f)
{
    const struct finding_trend *tr = &f->trend;
    trend_json(o, tr, "fds");
    if (tr->nofile) {
        add_u64(o, "nofile", tr->nofile);
        add_u64(o, "rlimit_nofile", tr->nofile);
    } else {
        cJSON_AddNullToObject(o, "nofile");
        cJSON_AddNullToObject(o, "rlimit_nofile");
    }
    json_num_or_null(o, "eta_s", tr->eta_s, tr->eta_s >= 0);
    json_num_or_null(o, "seconds_to_limit", tr->eta_s, tr->eta_s >= 0);
    cJSON *sites = cJSON_AddArrayToObject(o, "sites");
    for (size_t i = 0; i < f->ngsites; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddItemToObject(s, "top_frame", top_frame_json(&f->gsites[i].stack));
        cJSON_AddItemToObject(s, "stack", frames_json(&f->gsites[i].stack));
        cJSON_AddNumberToObject(s, "slope_per_min", f->gsites[i].slope_per_min);
        cJSON_AddItemToArray(sites, s);
    }
}

static void pool_json(cJSON *o, const struct finding *f)
{
    add_str_or_null(o, "peer", f->npeers ? f->peers[0].peer : NULL);
    trend_json(o, &f->trend, "connections");
}

static void kind_json(cJSON *o, const struct finding *f)
{
    switch (f->kind) {
    case KIND_CLOSE_WAIT:
        closewait_json(o, f);
        break;
    case KIND_TIME_WAIT:
        timewait_json(o, f);
        break;
    case KIND_FD_GROWTH:
        growth_json(o, f);
        break;
    case KIND_POOL:
        pool_json(o, f);
        break;
    case KIND_ORPHAN:
        orphan_json(o, f);
        break;
    case KIND_UNCLOSED_BODY:
    case KIND_DISCARDED_BODY:
    case KIND_STUCK_REQUEST:
        body_json(o, f);
        break;
    case KIND_NO_REUSE:
        reuse_json(o, f);
        break;
    case KIND_MISSING_CLOSE:
        add_u64(o, "bodies", f->count);
        if (f->http.set) cJSON_AddItemToObject(o, "http", http_json(&f->http, false));
        break;
    case KIND_HANDLE_LEAK:
        handle_json(o, f);
        break;
    case KIND_DOUBLE_CLOSE:
    case KIND_FOREIGN_CLOSE:
    case KIND_COUNT: {
        cJSON *fds = cJSON_AddArrayToObject(o, "fds");
        for (size_t i = 0; i < f->nfds; i++)
            cJSON_AddItemToArray(fds, cJSON_CreateNumber(f->fds[i]));
        break;
    }
    }
}

/* "tests": the names given to connleak_mark (only when there are some). */
static void add_tests(cJSON *o, const char *const *tests, size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(o, "tests");
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(tests[i]));
}

cJSON *finding_to_json(const struct finding *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", kind_name(f->kind));
    cJSON_AddStringToObject(o, "severity", finding_severity(f));
    add_u64(o, "count", f->count);
    cJSON *pids = cJSON_AddArrayToObject(o, "pids");
    for (size_t i = 0; i < f->npids; i++)
        cJSON_AddItemToArray(pids, cJSON_CreateNumber((double)f->pids[i]));
    if (f->ntests) add_tests(o, (const char *const *)f->tests, f->ntests);
    kind_json(o, f);
    if (f->kind == KIND_DOUBLE_CLOSE) {
        cJSON_AddItemToObject(o, "open_stack", frames_json(&f->open_stack));
        cJSON_AddItemToObject(o, "first_close_stack", frames_json(&f->first_close_stack));
    }
    /* top_frame and stack: where the socket was opened, as ever; an HTTP
     * finding at its request site has that beside them */
    const struct frames *open = f->req_site ? &f->open_stack : &f->stack;
    cJSON_AddItemToObject(o, "top_frame", top_frame_json(open));
    cJSON_AddItemToObject(o, "stack", frames_json(open));
    if (f->req_site) {
        cJSON_AddItemToObject(o, "request_top_frame", top_frame_json(&f->stack));
        cJSON_AddItemToObject(o, "request_stack", frames_json(&f->stack));
        cJSON_AddBoolToObject(o, "request_sampled", f->req_sampled);
    }
    char fp[17];
    snprintf(fp, sizeof(fp), "%016" PRIx64, f->fingerprint);
    cJSON_AddStringToObject(o, "fingerprint", fp);
    snprintf(fp, sizeof(fp), "%016" PRIx64, f->site);
    cJSON_AddStringToObject(o, "site", fp);
    return o;
}

static cJSON *process_json(const struct process *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pid", (double)p->pid);
    cJSON_AddNumberToObject(o, "ppid", (double)p->ppid);
    add_str_or_null(o, "exe", p->exe);
    add_str_or_null(o, "trace", p->trace);
    cJSON_AddBoolToObject(o, "forked", p->forked);
    cJSON_AddBoolToObject(o, "complete", p->complete);
    add_u64(o, "opened", p->totals.opened);
    add_u64(o, "closed", p->totals.closed);
    add_u64(o, "live", p->totals.live);
    return o;
}

static cJSON *program_json(const struct report *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *argv = cJSON_AddArrayToObject(o, "argv");
    for (size_t i = 0; i < r->argv.n; i++)
        cJSON_AddItemToArray(argv, cJSON_CreateString(r->argv.v[i]));
    if (r->signal)
        cJSON_AddNullToObject(o, "exit_code");
    else
        cJSON_AddNumberToObject(o, "exit_code", r->exit_code);
    if (r->signal)
        cJSON_AddNumberToObject(o, "signal", r->signal);
    else
        cJSON_AddNullToObject(o, "signal");
    return o;
}

static cJSON *summary_json(const struct report *r)
{
    cJSON *o = cJSON_CreateObject();
    add_u64(o, "findings", r->findings.n);
    for (int k = 0; k < KIND_COUNT; k++)
        add_u64(o, kind_name((enum finding_kind)k),
                findings_total(&r->findings, (enum finding_kind)k));
    return o;
}

cJSON *report_to_json(const struct report *r)
{
    return report_to_json_with(r, NULL);
}

cJSON *report_to_json_with(const struct report *r, const struct render_opts *ro)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tool", "connleak " CONNLEAK_VERSION);
    cJSON_AddNumberToObject(o, "report_version", REPORT_VERSION);
    cJSON_AddStringToObject(o, "status", status_name(r->status));
    cJSON_AddStringToObject(o, "backend", r->backend ? r->backend : "preload");
    if (r->has_program) cJSON_AddItemToObject(o, "program", program_json(r));
    cJSON *procs = cJSON_AddArrayToObject(o, "processes");
    for (size_t i = 0; i < r->nprocs; i++) cJSON_AddItemToArray(procs, process_json(&r->procs[i]));
    cJSON_AddItemToObject(o, "summary", summary_json(r));
    struct strlist tests = {0};
    report_tests(r, &tests);
    if (tests.n) add_tests(o, (const char *const *)tests.v, tests.n);
    strlist_free(&tests);
    cJSON *findings = cJSON_AddArrayToObject(o, "findings");
    for (size_t i = 0; i < r->findings.n; i++)
        cJSON_AddItemToArray(findings, finding_to_json(&r->findings.v[i]));
    cJSON *notes = cJSON_AddArrayToObject(o, "notes");
    for (size_t i = 0; i < r->notes.n; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes.v[i]));
    if (ro && ro->filter) filter_to_json(o, ro->filter);
    return o;
}

void render_json(FILE *out, const struct report *r)
{
    render_json_with(out, r, NULL);
}

void render_json_with(FILE *out, const struct report *r, const struct render_opts *ro)
{
    cJSON *o = report_to_json_with(r, ro);
    char *s = cJSON_Print(o);
    if (s) {
        fputs(s, out);
        fputc('\n', out);
    }
    free(s);
    cJSON_Delete(o);
}
