/* watch_json.c - `connleak watch --format json`: one JSON document with the
 * process, the series, every peer and the findings. Each finding is the
 * object run and report write (finding_to_json, docs/report-json.md), plus
 * the fields watch has always written (direction, peer, peak, oldest_s,
 * seen). docs/watch.md is the contract: within a version, fields are only
 * ever added. It reads the summary of watch_summary.h only. */
#define _GNU_SOURCE
#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "render/watch_render.h"
#include "sockdiag.h" /* sockdiag_state_name */

/* 2: findings as run's (fd-growth an error, time-wait-storm before
 * unbounded-pool, the fields of docs/report-json.md added). */
#define WATCH_JSON_VERSION 2

/* Sockets per TCP state: every state, zeros included. */
static cJSON *states_json(const uint32_t *cur)
{
    cJSON *o = cJSON_CreateObject();
    for (int s = 1; s < WATCH_NSTATES; s++)
        cJSON_AddNumberToObject(o, sockdiag_state_name(s), cur[s]);
    return o;
}

static cJSON *peer_json(const struct watch_summary *s, const struct watch_peer_row *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "peer", p->label);
    cJSON_AddStringToObject(o, "direction", p->direction);
    json_num_or_null(o, "port", p->port, p->port >= 0);
    if (p->port >= 0)
        cJSON_AddStringToObject(o, "address", p->address);
    else
        cJSON_AddNullToObject(o, "address");
    cJSON_AddItemToObject(o, "states", states_json(p->states));
    cJSON_AddNumberToObject(o, "unread_bytes", (double)p->unread);
    cJSON *peak = cJSON_AddObjectToObject(o, "peak");
    cJSON_AddNumberToObject(peak, "ESTABLISHED", p->peak_est);
    cJSON_AddNumberToObject(peak, "CLOSE_WAIT", p->peak_cw);
    cJSON_AddNumberToObject(peak, "TIME_WAIT", p->peak_tw);
    cJSON_AddNumberToObject(o, "time_wait_seen", (double)p->tw_seen);
    cJSON *series = cJSON_AddObjectToObject(o, "series");
    cJSON_AddItemToObject(series, "ESTABLISHED", json_numbers(p->est, s->npts));
    cJSON_AddItemToObject(series, "CLOSE_WAIT", json_numbers(p->cw, s->npts));
    cJSON_AddItemToObject(series, "TIME_WAIT", json_numbers(p->tw, s->npts));
    return o;
}

/* "out", "in", "other": the direction of a finding's peer (findings.h). */
static const char *finding_direction(const struct finding *f)
{
    enum sock_role role = finding_role(f);
    return role == ROLE_CLIENT ? "out" : role == ROLE_ACCEPTED ? "in" : "other";
}

/* The shared object, and what watch writes besides (watch_version 1's
 * names, kept). */
static cJSON *finding_json(const struct finding *f)
{
    cJSON *o = finding_to_json(f);
    if (f->npeers) {
        if (!cJSON_HasObjectItem(o, "peer")) cJSON_AddStringToObject(o, "peer", f->peers[0].peer);
        cJSON_AddStringToObject(o, "direction", finding_direction(f));
    }
    if (f->kind == KIND_CLOSE_WAIT) {
        cJSON_AddNumberToObject(o, "peak", (double)f->peak);
        json_num_or_null(o, "oldest_s", (double)f->waited_max / 1e9, f->waited_min != UINT64_MAX);
    } else if (f->kind == KIND_TIME_WAIT) {
        cJSON_AddNumberToObject(o, "seen", (double)f->closes);
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

static void sample_json(cJSON *root, const struct watch_report *r)
{
    const struct watch_summary *s = &r->s;
    cJSON_AddNumberToObject(root, "interval_ms", r->interval_ms);
    cJSON_AddNumberToObject(root, "samples", s->nsamples);
    cJSON_AddNumberToObject(root, "duration_s", s->duration_s);
    cJSON_AddStringToObject(root, "ended", watch_end_name(r->end));
    json_num_or_null(root, "rlimit_nofile", (double)s->nofile, s->nofile > 0);
    cJSON *last = cJSON_AddObjectToObject(root, "last");
    cJSON_AddNumberToObject(last, "fds", s->fds_last);
    cJSON_AddNumberToObject(last, "sockets", (double)s->nsock_last);
    cJSON_AddItemToObject(last, "tcp", states_json(s->totals));
    cJSON *listening = cJSON_AddArrayToObject(last, "listening");
    for (size_t i = 0; i < s->listening.n; i++)
        cJSON_AddItemToArray(listening, cJSON_CreateString(s->listening.v[i]));
    cJSON *series = cJSON_AddObjectToObject(root, "series");
    cJSON_AddNumberToObject(series, "every_samples", s->every_samples);
    cJSON_AddItemToObject(series, "t", json_numbers(s->t, s->npts));
    cJSON_AddItemToObject(series, "fds", json_numbers(s->fds, s->npts));
    cJSON_AddItemToObject(series, "sockets", json_numbers(s->socks, s->npts));
    cJSON *peers = cJSON_AddArrayToObject(root, "peers");
    for (size_t i = 0; i < s->npeers; i++) cJSON_AddItemToArray(peers, peer_json(s, &s->peers[i]));
}

static void findings_json(cJSON *root, const struct watch_report *r)
{
    cJSON *summary = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(summary, "findings", (double)r->f.n);
    for (int k = 0; k < KIND_COUNT; k++) { /* findings per kind (not sockets, as run's) */
        if (!(WATCH_KINDS & (1u << k))) continue;
        size_t n = 0;
        for (size_t i = 0; i < r->f.n; i++) n += r->f.v[i].kind == (enum finding_kind)k;
        cJSON_AddNumberToObject(summary, kind_name((enum finding_kind)k), (double)n);
    }
    cJSON *fs = cJSON_AddArrayToObject(root, "findings");
    for (size_t i = 0; i < r->f.n; i++) cJSON_AddItemToArray(fs, finding_json(&r->f.v[i]));
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
