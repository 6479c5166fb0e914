/* test_analyzer_agg.c - bounded traces (docs/trace-format.md, "Bounded
 * traces"): the findings and counts of sockets counted in `agg` records,
 * alone and mixed with sockets written one by one; late `open` records;
 * badclose records of negative fds. Each test writes its own small trace
 * into a private directory. Stacks point into no module, so nothing depends
 * on symbolisation: a finding's site is told by its first pc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "render/render.h"
#include "report/report.h"
#include "rules/rules.h"
#include "util/util.h"

#include "analyzer_traces.h"

#define SEC        UINT64_C(1000000000)
#define MS         UINT64_C(1000000)
#define PEER       "127.0.0.1:8080"
#define STK_PC(id) (0x7f0000000000ULL + (uint64_t)(id)*0x1000)

/* ---- writing traces --------------------------------------------------- */

static void hdr(struct strbuf *sb, int pid)
{
    trace_hdr(sb, pid, "/x/svc");
}

/* open + conn of a detailed client socket */
static void sock_open(struct strbuf *sb, int sid, int stk, uint64_t ts)
{
    strbuf_addf(sb,
                "{\"t\":\"open\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"fam\":\"inet\","
                "\"type\":\"stream\",\"role\":\"socket\",\"stk\":%d}\n"
                "{\"t\":\"conn\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"peer\":\"" PEER "\"}\n",
                ts, sid, 2 + sid, stk, ts + 1, sid, 2 + sid);
}

/* a quiet socket that came to matter: written at ts, opened at `opened` */
static void late_open(struct strbuf *sb, int sid, int stk, uint64_t opened, uint64_t ts)
{
    strbuf_addf(sb,
                "{\"t\":\"open\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"fam\":\"inet\","
                "\"type\":\"stream\",\"role\":\"client\",\"stk\":%d,\"peer\":\"" PEER "\","
                "\"late\":true,\"opened\":%lu}\n",
                ts, sid, 2 + sid, stk, opened);
}

static void sock_close(struct strbuf *sb, int sid, uint64_t ts, const char *http)
{
    strbuf_addf(sb,
                "{\"t\":\"close\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"how\":\"close\",\"last\":true,"
                "\"in\":10,\"out\":10,\"last_io\":%lu%s%s}\n",
                ts, sid, 2 + sid, ts - 1, http ? ",\"http\":" : "", http ? http : "");
}

/* an agg record; extra: its counts and example (",\"active\":3") */
static void agg(struct strbuf *sb, uint64_t ts, int stk, const char *peer, int closed,
                uint64_t first, uint64_t last, const char *extra)
{
    strbuf_addf(sb,
                "{\"t\":\"agg\",\"ts\":%lu,\"stk\":%d,\"peer\":\"%s\",\"closed\":%d,"
                "\"first\":%lu,\"last\":%lu%s}\n",
                ts, stk, peer, closed, first, last, extra ? extra : "");
}

/* a sample listing peers (ESTABLISHED per peer) and tw (TIME_WAIT) */
static void sample(struct strbuf *sb, uint64_t ts, const char *peers, const char *tw)
{
    strbuf_addf(sb,
                "{\"t\":\"sample\",\"ts\":%lu,\"fds\":5,\"nofile\":1024,\"socks\":1,"
                "\"sites\":[],\"peers\":[%s],\"tcp\":{},\"tw\":[%s],\"us\":1}\n",
                ts, peers ? peers : "", tw ? tw : "");
}

static void trace_end(struct strbuf *sb, uint64_t ts, int opened, int closed, int live)
{
    strbuf_addf(sb, "{\"t\":\"end\",\"ts\":%lu,\"opened\":%d,\"closed\":%d,\"live\":%d}\n", ts,
                opened, closed, live);
}

#define HTTP_ONE_KA                                                                                \
    "{\"reqs\":1,\"resps\":1,\"await\":0,\"phase\":\"idle\",\"status\":200,\"expect\":2,"          \
    "\"read\":2,\"ka\":true,\"method\":\"GET\",\"target\":\"/x\",\"host\":\"svc.test\"}"
#define HTTP_BODY_200                                                                              \
    "{\"reqs\":1,\"resps\":0,\"await\":0,\"phase\":\"body\",\"status\":200,\"expect\":1000,"       \
    "\"read\":100,\"ka\":true,\"method\":\"GET\",\"target\":\"/detail\",\"host\":\"api.test\"}"
#define AGG_EXAMPLE                                                                                \
    ",\"example\":{\"method\":\"GET\",\"target\":\"/big\",\"status\":200,\"expect\":1048576,"      \
    "\"read\":0}"

/* ---- reading reports -------------------------------------------------- */

static uint64_t site_pc(const struct finding *f)
{
    assert_true(f->stack.n > 0);
    return f->stack.v[0].pc;
}

static bool has_note(const struct report *r, const char *part)
{
    for (size_t i = 0; i < r->notes.n; i++)
        if (strstr(r->notes.v[i], part)) return true;
    return false;
}

/* ---- agg records alone ------------------------------------------------ */

/* A client whose every socket was quiet: two agg periods of 3 s each to
 * PEER from stack 2 (one-request keep-alive connections, active closes,
 * two discarded bodies), an agg of accepted sockets (port 0) at stack 3,
 * and samples whose TIME_WAIT for (PEER, 2) peaks at 150. */
static void agg_only_trace(struct strbuf *sb)
{
    hdr(sb, 21);
    agg(sb, 3 * SEC, 2, PEER, 30, 1 * SEC, 3 * SEC,
        ",\"active\":30,\"reqs\":30,\"one_req_ka\":28,\"discarded\":2" AGG_EXAMPLE);
    sample(sb, 3 * SEC, "{\"peer\":\"" PEER "\",\"n\":1}",
           "{\"peer\":\"" PEER "\",\"stk\":2,\"n\":150}");
    agg(sb, 6 * SEC, 2, PEER, 20, 3 * SEC, 5 * SEC, ",\"active\":20,\"reqs\":25,\"one_req_ka\":15");
    /* accepted sockets: port 0, never a no-connection-reuse candidate */
    agg(sb, 6 * SEC, 3, "10.0.0.9:0", 40, 2 * SEC, 6 * SEC, ",\"eof\":40,\"one_req_ka\":40");
    trace_end(sb, 7 * SEC, 90, 90, 0);
}

static void agg_only_counts_like_detailed_sockets(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    agg_only_trace(&sb);
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_NO_REUSE);
    assert_int_equal(f->count, 43); /* 28 + 15 */
    assert_int_equal(f->requests, 55);
    assert_int_equal(f->max_concurrent, 1); /* the samples' peak for PEER */
    assert_int_equal(f->sites, 1);
    assert_int_equal(site_pc(f), STK_PC(2));
    assert_string_equal(f->peers[0].peer, PEER);
    assert_string_equal(f->http.host, PEER);

    f = only(&r, KIND_DISCARDED_BODY);
    assert_int_equal(f->count, 2);
    assert_int_equal(site_pc(f), STK_PC(2));
    assert_true(f->http.set);
    assert_string_equal(f->http.request, "GET /big");
    assert_int_equal(f->http.status, 200);
    assert_int_equal(f->http.expect, 1048576);
    assert_string_equal(f->http.host, PEER);
    assert_int_equal(f->peers[0].count, 2);
    assert_int_equal(f->hosts[0].count, 2);

    f = only(&r, KIND_TIME_WAIT);
    assert_int_equal(f->count, 150);
    assert_int_equal(f->closes, 50);
    assert_true(f->rate > 12.49 && f->rate < 12.51); /* 50 closes from 1 s to 5 s */

    assert_int_equal(r.findings.n, 3);
    assert_int_equal(r.procs[0].totals.opened, 90);
    assert_int_equal(r.procs[0].totals.closed, 90);
    assert_int_equal(r.procs[0].issues, 0);
    assert_int_equal(r.notes.n, 0);
    report_free(&r);
}

/* The JSON of an agg-only discarded-body: the example is its http. */
static void agg_only_json(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    agg_only_trace(&sb);
    analyze(&r, &sb, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    render_json(out, &r);
    fclose(out);
    cJSON *doc = cJSON_Parse(buf);
    assert_non_null(doc);
    const cJSON *f, *disc = NULL, *reuse = NULL;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "findings"))
    {
        const char *kind = cJSON_GetObjectItem(f, "kind")->valuestring;
        if (strcmp(kind, "discarded-body") == 0) disc = f;
        if (strcmp(kind, "no-connection-reuse") == 0) reuse = f;
    }
    assert_non_null(disc);
    assert_non_null(reuse);
    const cJSON *http = cJSON_GetObjectItem(disc, "http");
    assert_string_equal(cJSON_GetObjectItem(http, "request")->valuestring, "GET /big");
    assert_int_equal(cJSON_GetObjectItem(http, "read")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(reuse, "saved")->valueint, 42);
    const cJSON *proc = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "processes"), 0);
    assert_int_equal(cJSON_GetObjectItem(proc, "closed")->valueint, 90);
    cJSON_Delete(doc);
    free(buf);
    report_free(&r);
}

/* ---- agg records and detailed sockets --------------------------------- */

/* To PEER: 4 detailed one-request sockets at stack 1, two at a time, and
 * one closed after EOF; an agg of 6 more at stack 1 and one of 20 at stack
 * 2; the samples saw at most 3 ESTABLISHED. A detailed discarded body at
 * stack 3 and an agg of 5 more there. */
static void mixed_trace(struct strbuf *sb)
{
    hdr(sb, 22);
    for (int i = 0; i < 4; i++) {
        uint64_t t = SEC + (uint64_t)(i / 2) * SEC;
        sock_open(sb, i + 1, 1, t);
        sock_close(sb, i + 1, t + SEC / 2, HTTP_ONE_KA);
    }
    sock_open(sb, 5, 1, 4 * SEC);
    strbuf_addf(sb,
                "{\"t\":\"close\",\"ts\":%lu,\"sid\":5,\"fd\":7,\"how\":\"close\","
                "\"last\":true,\"eof\":true}\n",
                5 * SEC);
    sock_open(sb, 6, 3, 5 * SEC);
    sock_close(sb, 6, 6 * SEC, HTTP_BODY_200);
    sample(sb, 6 * SEC, "{\"peer\":\"" PEER "\",\"n\":3}",
           "{\"peer\":\"" PEER "\",\"stk\":1,"
           "\"n\":120}");
    agg(sb, 7 * SEC, 1, PEER, 6, 6 * SEC, 7 * SEC, ",\"active\":6,\"reqs\":6,\"one_req_ka\":6");
    agg(sb, 7 * SEC, 2, PEER, 20, 6 * SEC, 7 * SEC, ",\"reqs\":20,\"one_req_ka\":20");
    agg(sb, 7 * SEC, 3, PEER, 5, 6 * SEC, 7 * SEC,
        ",\"active\":5,\"reqs\":5,\"discarded\":5" AGG_EXAMPLE);
    trace_end(sb, 8 * SEC, 37, 37, 0);
}

static void agg_and_detailed_merge(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    mixed_trace(&sb);
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_NO_REUSE);
    assert_int_equal(f->count, 30);         /* 4 + 6 + 20 */
    assert_int_equal(f->requests, 36);      /* 4 + 1 (the discarded) + 6 + 20 + 5 */
    assert_int_equal(f->max_concurrent, 3); /* detailed: 2; the samples: 3 */
    assert_int_equal(f->sites, 2);
    assert_int_equal(site_pc(f), STK_PC(2)); /* 20 there, 10 at stack 1 */
    assert_string_equal(f->http.host, "svc.test");

    f = only(&r, KIND_DISCARDED_BODY);
    assert_int_equal(f->count, 6);
    assert_int_equal(site_pc(f), STK_PC(3));
    assert_string_equal(f->http.request, "GET /detail"); /* the detailed one's */
    assert_string_equal(f->http.host, "api.test");
    assert_int_equal(f->bytes_read, 100);
    assert_int_equal(f->idle_min, 1); /* the detailed one's only (last I/O 1 ns before) */
    assert_int_equal(f->idle_max, 1);

    f = only(&r, KIND_TIME_WAIT);
    assert_int_equal(f->closes, 10);               /* 4 detailed (not the EOF one) + 6 */
    assert_true(f->rate > 1.81 && f->rate < 1.82); /* 10 from 1.5 s to 7 s */
    assert_int_equal(r.notes.n, 0);
    report_free(&r);
}

/* ---- late open records ------------------------------------------------ */

/* No end record: a late-opened socket still open is live, aged from its
 * `opened`; one late-opened and closed is not; agg closes count in the
 * totals of the rebuilt trace. */
static void late_open_live_at_the_end(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    hdr(&sb, 23);
    sock_open(&sb, 1, 1, SEC);
    sock_close(&sb, 1, 2 * SEC, NULL);
    agg(&sb, 3 * SEC, 1, PEER, 10, 2 * SEC, 3 * SEC, ",\"active\":10");
    late_open(&sb, 50, 4, 2 * SEC, 4 * SEC);
    late_open(&sb, 51, 4, 3 * SEC, 4 * SEC);
    sock_close(&sb, 51, 5 * SEC, NULL);
    sample(&sb, 6 * SEC, NULL, NULL);
    analyze(&r, &sb, NULL);
    const struct process *p = &r.procs[0];
    assert_false(p->complete);
    assert_int_equal(p->totals.opened, 13);
    assert_int_equal(p->totals.closed, 12);
    assert_int_equal(p->totals.live, 1);
    const struct finding *f = only(&r, KIND_ORPHAN);
    assert_int_equal(f->count, 1);
    assert_int_equal(site_pc(f), STK_PC(4));
    assert_int_equal(f->age_max, 4 * SEC); /* 6 s - opened at 2 s, not the record's 4 s */
    assert_int_equal(f->roles[ROLE_CLIENT], 1);
    assert_string_equal(f->peers[0].peer, PEER);
    assert_false(has_note(&r, "malformed"));
    assert_false(has_note(&r, "end record counts"));
    report_free(&r);
}

/* A complete trace: late open records before the exit batch, agg closes
 * in the end record's counts: no mismatch note. (Its 100 closes first with
 * no sample that read TIME_WAIT after them make the one note, tw-unread.) */
static void late_open_in_complete_trace(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    hdr(&sb, 24);
    agg(&sb, 2 * SEC, 1, PEER, 100, SEC, 2 * SEC, ",\"active\":100");
    late_open(&sb, 200, 4, 2 * SEC, 3 * SEC);
    strbuf_addf(&sb,
                "{\"t\":\"live\",\"ts\":%lu,\"sid\":200,\"fds\":[9],\"role\":\"client\","
                "\"peer\":\"" PEER "\",\"stk\":4,\"opened\":%lu,\"last_io\":0}\n",
                3 * SEC, 2 * SEC);
    trace_end(&sb, 3 * SEC, 101, 100, 1);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.notes.n, 1);
    assert_true(has_note(&r, "100 connections to " PEER " were closed first and no sample read"));
    assert_int_equal(r.procs[0].totals.live, 1);
    assert_int_equal(only(&r, KIND_ORPHAN)->age_max, SEC);
    report_free(&r);
}

/* ---- bad closes ------------------------------------------------------- */

/* close(-1) is a well-formed foreign close that cannot close anything:
 * neither a malformed line nor a finding; fd 7 still is one. */
static void badclose_of_negative_fd(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    hdr(&sb, 25);
    for (int i = 0; i < 3; i++)
        strbuf_addf(&sb,
                    "{\"t\":\"badclose\",\"ts\":%d,\"fd\":-1,\"kind\":\"foreign\",\"stk\":1}\n",
                    100 + i);
    strbuf_add(&sb, "{\"t\":\"badclose\",\"ts\":200,\"fd\":7,\"kind\":\"foreign\",\"stk\":2}\n");
    strbuf_add(&sb, "{\"t\":\"badclose\",\"ts\":201,\"fd\":-1.5,\"kind\":\"foreign\",\"stk\":2}\n");
    trace_end(&sb, 300, 0, 0, 0);
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_FOREIGN_CLOSE);
    assert_int_equal(f->count, 1);
    assert_int_equal(f->nfds, 1);
    assert_int_equal(f->fds[0], 7);
    assert_int_equal(r.procs[0].issues, 1); /* the fd -1.5 only */
    assert_true(has_note(&r, "skipped 1 malformed line"));
    report_free(&r);
}

/* ---- hostile agg records ---------------------------------------------- */

/* Counts above `closed` are cut to it, an example that is no object is
 * none, a record without `closed` is malformed, a count beyond 2^64
 * (reqs 1e300) is read without harm. */
static void hostile_agg_records(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    hdr(&sb, 26);
    agg(&sb, SEC, 1, PEER, 12, SEC, SEC, ",\"one_req_ka\":5000,\"discarded\":99,\"example\":3");
    strbuf_add(&sb, "{\"t\":\"agg\",\"ts\":5,\"stk\":1,\"peer\":\"" PEER "\",\"one_req_ka\":9}\n");
    agg(&sb, SEC, 2, "unix:/run/x.sock", 1, SEC, SEC, ",\"reqs\":1e300");
    trace_end(&sb, 2 * SEC, 13, 13, 0);
    analyze(&r, &sb, NULL);
    assert_int_equal(only(&r, KIND_NO_REUSE)->count, 12);
    const struct finding *f = only(&r, KIND_DISCARDED_BODY);
    assert_int_equal(f->count, 12);
    assert_false(f->http.set); /* no usable example */
    assert_int_equal(r.procs[0].issues, 1);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agg_only_counts_like_detailed_sockets),
        cmocka_unit_test(agg_only_json),
        cmocka_unit_test(agg_and_detailed_merge),
        cmocka_unit_test(late_open_live_at_the_end),
        cmocka_unit_test(late_open_in_complete_trace),
        cmocka_unit_test(badclose_of_negative_fd),
        cmocka_unit_test(hostile_agg_records),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
