/* watch_json.c - `connleak watch --format json`: one JSON document with the
 * process, the series, every peer and the findings. docs/watch.md is the
 * contract: fields are only ever added. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"

#include "watch/watch.h"

#define WATCH_JSON_VERSION 1

/* Sockets per TCP state: every state, zeros included. */
static cJSON *states_json(const uint32_t *cur)
{
    cJSON *o = cJSON_CreateObject();
    for (int s = 1; s < WATCH_NSTATES; s++)
        cJSON_AddNumberToObject(o, sockdiag_state_name(s), cur[s]);
    return o;
}

static cJSON *peer_json(const struct watch_model *m, const struct watch_peer *p)
{
    cJSON *o = cJSON_CreateObject();
    char addr[INET6_ADDRSTRLEN] = "";
    cJSON_AddStringToObject(o, "peer", p->label);
    cJSON_AddStringToObject(o, "direction",
                            p->key.family == 0 ? "other"
                            : p->key.inbound   ? "in"
                                               : "out");
    if (p->key.family) inet_ntop(p->key.family, p->key.addr, addr, sizeof(addr));
    json_num_or_null(o, "port", p->key.port, p->key.family != 0);
    if (p->key.family)
        cJSON_AddStringToObject(o, "address", addr);
    else
        cJSON_AddNullToObject(o, "address");
    cJSON_AddItemToObject(o, "states", states_json(p->cur));
    cJSON_AddNumberToObject(o, "unread_bytes", (double)p->unread);
    cJSON *peak = cJSON_AddObjectToObject(o, "peak");
    cJSON_AddNumberToObject(peak, "ESTABLISHED", p->peak_est);
    cJSON_AddNumberToObject(peak, "CLOSE_WAIT", p->peak_cw);
    cJSON_AddNumberToObject(peak, "TIME_WAIT", p->peak_tw);
    cJSON_AddNumberToObject(o, "time_wait_seen", (double)p->tw_total);
    cJSON *series = cJSON_AddObjectToObject(o, "series");
    cJSON_AddItemToObject(series, "ESTABLISHED", json_numbers(p->est, m->npts));
    cJSON_AddItemToObject(series, "CLOSE_WAIT", json_numbers(p->cw, m->npts));
    cJSON_AddItemToObject(series, "TIME_WAIT", json_numbers(p->tw, m->npts));
    return o;
}

static void finding_peer_json(cJSON *o, const struct watch_model *m, const struct watch_finding *f)
{
    const struct watch_peer *p = &m->peers[f->peer];
    cJSON_AddStringToObject(o, "peer", p->label);
    cJSON_AddStringToObject(o, "direction",
                            p->key.family == 0 ? "other"
                            : p->key.inbound   ? "in"
                                               : "out");
}

static cJSON *finding_json(const struct watch_report *r, const struct watch_finding *f)
{
    const struct watch_model *m = r->m;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", watch_kind_name(f->kind));
    cJSON_AddStringToObject(o, "severity", watch_kind_severity(f->kind));
    cJSON_AddNumberToObject(o, "count", (double)f->count);
    if (f->peer != SIZE_MAX) finding_peer_json(o, m, f);
    const struct watch_peer *p = f->peer != SIZE_MAX ? &m->peers[f->peer] : NULL;
    if (f->kind == WK_CLOSE_WAIT) {
        cJSON_AddNumberToObject(o, "peak", p->peak_cw);
        json_num_or_null(o, "oldest_s", p->cw_oldest, m->nsamples > 1);
        cJSON_AddNumberToObject(o, "unread_bytes", (double)p->cw_unread);
    } else if (f->kind == WK_TIME_WAIT) {
        cJSON_AddNumberToObject(o, "peak", p->peak_tw);
        cJSON_AddNumberToObject(o, "seen", (double)p->tw_total);
        json_num_or_null(o, "rate_per_s", f->rate, f->rate >= 0);
    } else {
        cJSON_AddNumberToObject(o, "first", f->first);
        cJSON_AddNumberToObject(o, "last", (double)f->count);
        cJSON_AddNumberToObject(o, "peak", f->peak);
        cJSON_AddNumberToObject(o, "slope_per_min", f->fit.slope * 60);
        cJSON_AddItemToObject(o, "fit", trend_fit_json(&f->fit));
    }
    if (f->kind == WK_FD_GROWTH) {
        json_num_or_null(o, "rlimit_nofile", (double)m->nofile, m->nofile > 0);
        json_num_or_null(o, "seconds_to_limit", f->to_limit, f->to_limit >= 0);
    }
    return o;
}

static void process_json(cJSON *root, const struct watch_report *r)
{
    cJSON_AddNumberToObject(root, "pid", r->pid);
    cJSON_AddStringToObject(root, "comm", r->comm);
    if (r->exe)
        cJSON_AddStringToObject(root, "exe", r->exe);
    else
        cJSON_AddNullToObject(root, "exe");
    if (!r->has_program) {
        cJSON_AddNullToObject(root, "program");
        return;
    }
    cJSON *prog = cJSON_AddObjectToObject(root, "program");
    cJSON *argv = cJSON_AddArrayToObject(prog, "argv");
    for (int i = 0; i < r->nargs; i++) cJSON_AddItemToArray(argv, cJSON_CreateString(r->args[i]));
    bool done = r->end == END_EXITED;
    json_num_or_null(prog, "exit_code", r->exit_code, done && !r->signal);
    json_num_or_null(prog, "signal", r->signal, done && r->signal);
}

static cJSON *listening_json(const struct watch_model *m)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < m->nlisten; i++) {
        const struct wendpoint *e = &m->listen[i];
        if (e->last_seen != m->t_last) continue;
        char addr[INET6_ADDRSTRLEN] = "?", label[80];
        inet_ntop(e->tu.family, e->tu.src, addr, sizeof(addr));
        bool v6 = e->tu.family == AF_INET6;
        snprintf(label, sizeof(label), "%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "",
                 e->tu.sport);
        cJSON_AddItemToArray(a, cJSON_CreateString(label));
    }
    return a;
}

static void sample_json(cJSON *root, const struct watch_report *r)
{
    const struct watch_model *m = r->m;
    cJSON_AddNumberToObject(root, "interval_ms", r->interval_ms);
    cJSON_AddNumberToObject(root, "samples", m->nsamples);
    cJSON_AddNumberToObject(root, "duration_s", m->nsamples ? m->t_last - m->t_first : 0);
    cJSON_AddStringToObject(root, "ended", watch_end_name(r->end));
    json_num_or_null(root, "rlimit_nofile", (double)m->nofile, m->nofile > 0);
    cJSON *last = cJSON_AddObjectToObject(root, "last");
    cJSON_AddNumberToObject(last, "fds", m->fds_last);
    cJSON_AddNumberToObject(last, "sockets", (double)m->nsock_last);
    cJSON_AddItemToObject(last, "tcp", states_json(m->totals));
    cJSON_AddItemToObject(last, "listening", listening_json(m));
    cJSON *series = cJSON_AddObjectToObject(root, "series");
    cJSON_AddNumberToObject(series, "every_samples", m->stride ? m->stride : 1);
    cJSON_AddItemToObject(series, "t", json_numbers(m->t, m->npts));
    cJSON_AddItemToObject(series, "fds", json_numbers(m->fds, m->npts));
    cJSON_AddItemToObject(series, "sockets", json_numbers(m->socks, m->npts));
    size_t n, *idx = watch_peers_sorted(m, false, &n);
    cJSON *peers = cJSON_AddArrayToObject(root, "peers");
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(peers, peer_json(m, &m->peers[idx[i]]));
    free(idx);
}

static void findings_json(cJSON *root, const struct watch_report *r)
{
    cJSON *summary = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(summary, "findings", (double)r->f.n);
    for (int k = 0; k < WK_COUNT; k++) {
        size_t n = 0;
        for (size_t i = 0; i < r->f.n; i++) n += r->f.v[i].kind == (enum watch_kind)k;
        cJSON_AddNumberToObject(summary, watch_kind_name(k), (double)n);
    }
    cJSON *fs = cJSON_AddArrayToObject(root, "findings");
    for (size_t i = 0; i < r->f.n; i++) cJSON_AddItemToArray(fs, finding_json(r, &r->f.v[i]));
    cJSON *notes = cJSON_AddArrayToObject(root, "notes");
    for (size_t i = 0; i < r->notes.n; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes.v[i]));
}

void watch_render_json(FILE *out, const struct watch_report *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "tool", "connleak " CONNLEAK_VERSION);
    cJSON_AddNumberToObject(root, "watch_version", WATCH_JSON_VERSION);
    cJSON_AddStringToObject(root, "status", r->f.n ? "findings" : "clean");
    process_json(root, r);
    sample_json(root, r);
    findings_json(root, r);
    char *s = cJSON_Print(root);
    if (s) {
        fputs(s, out);
        fputc('\n', out);
    }
    free(s);
    cJSON_Delete(root);
}
