/* test_analyzer_kernel.c - the findings of the sampler's records:
 * close-wait-pile, time-wait-storm, fd-growth, unbounded-pool; reports as
 * of a dump and --leak-after-ms; their JSON fields and text blocks. Each
 * test writes its own small trace (docs/trace-format.md: sample, ktcp,
 * dump, live) into a private directory. Stacks point into no module, so
 * nothing depends on symbolisation. */
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

#define SEC 1000000000ULL
#define MS  1000000ULL

/* ---- writing traces --------------------------------------------------- */

static void hdr(struct strbuf *sb, int pid)
{
    trace_hdr(sb, pid, "/x/svc");
}

static void sock_open(struct strbuf *sb, int sid, int stk, const char *role, const char *peer,
                      uint64_t ts)
{
    strbuf_addf(sb,
                "{\"t\":\"open\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"role\":\"%s\",\"stk\":%d,"
                "\"peer\":\"%s\"}\n",
                ts, sid, 2 + sid, role, stk, peer);
    if (strcmp(role, "socket") == 0)
        strbuf_addf(sb, "{\"t\":\"conn\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"peer\":\"%s\"}\n",
                    ts + 1, sid, 2 + sid, peer);
}

static void sock_close(struct strbuf *sb, int sid, uint64_t ts)
{
    strbuf_addf(sb,
                "{\"t\":\"close\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"how\":\"close\",\"last\":true,"
                "\"in\":1,\"out\":1,\"last_io\":%lu}\n",
                ts, sid, 2 + sid, ts - 1);
}

static void ktcp(struct strbuf *sb, int sid, uint64_t ts, const char *state, unsigned rq)
{
    strbuf_addf(sb, "{\"t\":\"ktcp\",\"ts\":%lu,\"sid\":%d,\"state\":\"%s\",\"rq\":%u}\n", ts, sid,
                state, rq);
}

/* A live record; extra: more fields (",\"eof\":true"), dump 0: at exit. */
static void sock_live(struct strbuf *sb, int sid, int stk, const char *role, const char *peer,
                      uint64_t opened, uint64_t last_io, uint64_t at, const char *extra, int dump)
{
    strbuf_addf(sb,
                "{\"t\":\"live\",\"ts\":%lu,\"sid\":%d,\"fds\":[%d],\"role\":\"%s\","
                "\"peer\":\"%s\",\"stk\":%d,\"opened\":%lu,\"last_io\":%lu,\"in\":5,\"out\":6%s",
                at, sid, 2 + sid, role, peer, stk, opened, last_io, extra ? extra : "");
    if (dump) strbuf_addf(sb, ",\"dump\":%d", dump);
    strbuf_add(sb, "}\n");
}

/* A sample; sites, peers, tw: the JSON arrays' contents, NULL for none
 * (tw NULL: the kernel was not read). */
static void sample(struct strbuf *sb, uint64_t ts, int fds, int socks, const char *sites,
                   const char *peers, const char *tw)
{
    strbuf_addf(sb,
                "{\"t\":\"sample\",\"ts\":%lu,\"fds\":%d,\"nofile\":1024,\"socks\":%d,"
                "\"roles\":{},\"sites\":[%s],\"peers\":[%s]",
                ts, fds, socks, sites ? sites : "", peers ? peers : "");
    if (tw) strbuf_addf(sb, ",\"tcp\":{},\"tw\":[%s]", tw);
    strbuf_add(sb, ",\"us\":10,\"wall_us\":12}\n");
}

static void trace_end(struct strbuf *sb, uint64_t ts)
{
    strbuf_addf(sb, "{\"t\":\"end\",\"ts\":%lu}\n", ts);
}

/* ---- close-wait-pile -------------------------------------------------- */

/* Three accepted sockets the peer closed (two seen in CLOSE_WAIT by the
 * kernel, one by EOF only), one in CLOSE_WAIT that the program closed, one
 * healthy: a pile of 3 at stack 1, the healthy one orphaned at stack 2. */
static void closewait_trace(struct strbuf *sb)
{
    hdr(sb, 10);
    for (int sid = 1; sid <= 4; sid++)
        sock_open(sb, sid, 1, "accepted", "127.0.0.1:5000", (uint64_t)sid * SEC);
    sock_open(sb, 5, 2, "socket", "127.0.0.1:6000", 5 * SEC);
    ktcp(sb, 1, 6 * SEC, "CLOSE_WAIT", 100);
    ktcp(sb, 2, 7 * SEC, "CLOSE_WAIT", 20);
    ktcp(sb, 4, 7 * SEC, "CLOSE_WAIT", 0);
    sock_close(sb, 4, 8 * SEC);
    sock_live(sb, 1, 1, "accepted", "127.0.0.1:5000", 1 * SEC, 2 * SEC, 10 * SEC,
              ",\"kstate\":\"CLOSE_WAIT\"", 0);
    sock_live(sb, 2, 1, "accepted", "127.0.0.1:5000", 2 * SEC, 3 * SEC, 10 * SEC,
              ",\"kstate\":\"CLOSE_WAIT\"", 0);
    sock_live(sb, 3, 1, "accepted", "127.0.0.1:5000", 3 * SEC, 9 * SEC, 10 * SEC, ",\"eof\":true",
              0);
    sock_live(sb, 5, 2, "client", "127.0.0.1:6000", 5 * SEC, 9 * SEC, 10 * SEC, NULL, 0);
    trace_end(sb, 10 * SEC);
}

static void closewait_pile_by_site(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    closewait_trace(&sb);
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_CLOSE_WAIT);
    assert_int_equal(f->count, 3); /* the closed one is not there */
    assert_int_equal(f->unread, 120);
    assert_int_equal(f->waited_max, 4 * SEC); /* 10 s - the ktcp at 6 s */
    assert_int_equal(f->waited_min, 1 * SEC); /* EOF only: 10 s - last I/O at 9 s */
    assert_int_equal(f->npeers, 1);
    assert_int_equal(f->peers[0].count, 3);
    assert_int_equal(f->roles[ROLE_ACCEPTED], 3);
    const struct finding *o = only(&r, KIND_ORPHAN); /* one answer per socket */
    assert_int_equal(o->count, 1);
    assert_true(report_has_kinds(&r, KINDS_LEAK));
    report_free(&r);
}

/* EOF read just before the end, no sample of the kernel: the program had no
 * time to close it; an orphaned-socket, not a pile. */
static void fresh_eof_is_orphaned(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    hdr(&sb, 17);
    sock_open(&sb, 1, 1, "socket", "127.0.0.1:80", SEC);
    sock_live(&sb, 1, 1, "client", "127.0.0.1:80", SEC, 3 * SEC - 10 * MS, 3 * SEC, ",\"eof\":true",
              0);
    trace_end(&sb, 3 * SEC);
    analyze(&r, &sb, NULL);
    assert_int_equal(kind_count(&r, KIND_CLOSE_WAIT), 0);
    assert_int_equal(only(&r, KIND_ORPHAN)->count, 1);
    report_free(&r);
}

/* A body left unread on a socket the server then closed is unclosed-body,
 * not close-wait-pile. */
static void unclosed_body_wins_over_closewait(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    hdr(&sb, 11);
    sock_open(&sb, 1, 1, "socket", "127.0.0.1:80", SEC);
    ktcp(&sb, 1, 2 * SEC, "CLOSE_WAIT", 0);
    sock_live(&sb, 1, 1, "client", "127.0.0.1:80", SEC, SEC, 3 * SEC,
              ",\"eof\":true,\"http\":{\"reqs\":1,\"resps\":0,\"await\":0,\"phase\":\"body\","
              "\"status\":200,\"expect\":100,\"read\":10,\"ka\":true}",
              0);
    trace_end(&sb, 3 * SEC);
    analyze(&r, &sb, NULL);
    assert_int_equal(kind_count(&r, KIND_CLOSE_WAIT), 0);
    assert_int_equal(kind_count(&r, KIND_ORPHAN), 0);
    assert_int_equal(only(&r, KIND_UNCLOSED_BODY)->count, 1);
    report_free(&r);
}

/* ---- time-wait-storm -------------------------------------------------- */

/* 11 client connections to one peer closed from 1 s to 6 s, and samples
 * whose TIME_WAIT count for (peer, stack 3) peaks at `peak` (an estimate
 * from sampled closes when est). */
static void timewait_trace_est(struct strbuf *sb, int peak, bool est)
{
    hdr(sb, 12);
    for (int i = 0; i < 11; i++) {
        uint64_t ts = SEC + (uint64_t)i * SEC / 2;
        sock_open(sb, i + 1, 3, "socket", "127.0.0.1:7000", ts - 1000);
        sock_close(sb, i + 1, ts);
    }
    char tw[128];
    int counts[] = {peak / 3, peak, peak - 1, 0};
    for (int i = 0; i < 4; i++) {
        snprintf(tw, sizeof(tw), "{\"peer\":\"127.0.0.1:7000\",\"stk\":3,\"n\":%d%s}", counts[i],
                 est ? ",\"est\":true" : "");
        sample(sb, (uint64_t)(7 + i) * SEC, 5, 0, NULL, NULL, tw);
    }
    sample(sb, 11 * SEC, 5, 0, NULL, NULL, NULL); /* kernel not read */
    trace_end(sb, 12 * SEC);
}

static void timewait_trace(struct strbuf *sb, int peak)
{
    timewait_trace_est(sb, peak, false);
}

/* A peak estimated from sampled closes (preload/timewait.c) is marked so,
 * and is never more than the closes counted one by one: 11 here. */
static void an_estimated_peak_is_marked_and_capped_at_the_closes(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct http_opts h = HTTP_OPTS_DEFAULT;
    h.tw_min = 5;
    timewait_trace_est(&sb, 120, true);
    analyze(&r, &sb, &h);
    const struct finding *f = only(&r, KIND_TIME_WAIT);
    assert_true(f->estimated);
    assert_int_equal(f->count, 11);
    assert_int_equal(f->closes, 11);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    render_text(out, &r, false);
    fclose(out);
    assert_non_null(strstr(text, "peak of about 11 connections"));
    assert_non_null(strstr(text, "the peak is estimated"));
    free(text);
    report_free(&r);
    sb = (struct strbuf){0};
    timewait_trace_est(&sb, 8, true); /* under the closes: as it is */
    analyze(&r, &sb, &h);
    f = only(&r, KIND_TIME_WAIT);
    assert_true(f->estimated);
    assert_int_equal(f->count, 8);
    report_free(&r);
    sb = (struct strbuf){0};
    timewait_trace(&sb, 100); /* exact: as the kernel said */
    analyze(&r, &sb, &h);
    assert_false(only(&r, KIND_TIME_WAIT)->estimated);
    report_free(&r);
}

static void timewait_storm_at_the_threshold(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    timewait_trace(&sb, 100);
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_TIME_WAIT);
    assert_int_equal(f->count, 100);
    assert_string_equal(f->peers[0].peer, "127.0.0.1:7000");
    assert_int_equal(f->closes, 11);
    assert_true(f->rate > 2.19 && f->rate < 2.21); /* 11 closes over 5 s */
    assert_int_equal(r.findings.n, 1);
    report_free(&r);
}

static void timewait_below_min_is_no_finding(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    timewait_trace(&sb, 99);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.findings.n, 0);
    report_free(&r);
    struct http_opts h = HTTP_OPTS_DEFAULT;
    h.tw_min = 99;
    sb = (struct strbuf){0};
    timewait_trace(&sb, 99);
    analyze(&r, &sb, &h);
    assert_int_equal(only(&r, KIND_TIME_WAIT)->count, 99);
    report_free(&r);
}

/* ---- fd-growth and unbounded-pool ------------------------------------- */

/* 40 samples every 250 ms. grow: fds and the live sockets of stack 1 and
 * of peer A rise by one a second over a noise of 0..2; else noise only.
 * Stack 2 and peer B stay flat (noise) either way. */
static void growth_trace(struct strbuf *sb, bool grow, bool complete)
{
    hdr(sb, 13);
    for (int i = 0; i < 40; i++) {
        int noise = (i * 7) % 3, rise = grow ? i / 4 : 0;
        char sites[160], peers[200];
        snprintf(sites, sizeof(sites), "{\"stk\":1,\"n\":%d},{\"stk\":2,\"n\":%d}", rise + 1,
                 2 + noise);
        snprintf(peers, sizeof(peers),
                 "{\"peer\":\"10.0.0.1:443\",\"n\":%d},{\"peer\":\"10.0.0.2:443\",\"n\":%d}",
                 rise + 1, 1 + noise);
        sample(sb, SEC + (uint64_t)i * 250 * MS, 20 + rise + noise, 3 + rise + noise, sites, peers,
               NULL);
    }
    if (complete) trace_end(sb, 12 * SEC);
}

static void fd_growth_names_the_growing_site(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    growth_trace(&sb, true, true);
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_FD_GROWTH);
    double per_min = f->trend.fit.slope * 60;
    assert_true(per_min > 50 && per_min < 70); /* one a second */
    assert_true(f->trend.fit.significant);
    assert_int_equal(f->trend.n, 40);
    assert_int_equal(f->trend.nofile, 1024);
    assert_true(f->trend.eta_s > 900 && f->trend.eta_s < 1200); /* ~1000 fds at 1/s */
    assert_int_equal(f->ngsites, 1);                            /* stack 2 is flat */
    assert_int_equal(f->gsites[0].stack.n, 1);
    assert_int_equal(f->gsites[0].stack.v[0].pc, 0x7f0000001000);
    assert_int_equal(f->stack.v[0].pc, 0x7f0000001000);
    const struct finding *p = only(&r, KIND_POOL);
    assert_string_equal(p->peers[0].peer, "10.0.0.1:443");
    assert_int_equal(p->trend.peak, 10);
    report_free(&r);
}

static void noise_without_trend_is_no_growth(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    growth_trace(&sb, false, true);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.findings.n, 0);
    report_free(&r);
}

/* Peers not listed by a sample with a full list (8) are not known then;
 * with a shorter list they had none. A peer seen only in the samples
 * where it rose must not look like a trend from a gap-filled zero. */
static void absent_peer_in_full_list_is_unknown(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    hdr(&sb, 14);
    for (int i = 0; i < 30; i++) {
        struct strbuf peers = {0};
        for (int k = 0; k < 8; k++)
            strbuf_addf(&peers, "%s{\"peer\":\"10.0.1.%d:80\",\"n\":50}", k ? "," : "", k);
        /* peer Z: absent (unknown) in the first fifteen samples, 5 later:
         * read as 0 before, it would be a rising pool */
        if (i >= 15) strbuf_add(&peers, ",{\"peer\":\"10.9.9.9:80\",\"n\":5}");
        sample(&sb, SEC + (uint64_t)i * SEC, 30, 3, NULL, peers.s, NULL);
        strbuf_free(&peers);
    }
    trace_end(&sb, 40 * SEC);
    analyze(&r, &sb, NULL);
    assert_int_equal(kind_count(&r, KIND_POOL), 0);
    report_free(&r);
}

/* ---- dumps and --leak-after-ms ---------------------------------------- */

/* A running service: sockets 1 and 2 opened, a dump lists both; after
 * (event_after) socket 1 is closed. No end record. */
static void dump_trace(struct strbuf *sb, bool event_after)
{
    hdr(sb, 15);
    sock_open(sb, 1, 1, "socket", "127.0.0.1:9000", SEC);
    sock_open(sb, 2, 2, "socket", "127.0.0.1:9001", 2 * SEC);
    strbuf_add(sb, "{\"t\":\"dump\",\"ts\":5000000000,\"dump\":1,\"why\":\"signal\"}\n");
    sock_live(sb, 1, 1, "client", "127.0.0.1:9000", SEC, 4 * SEC, 5 * SEC, NULL, 1);
    sock_live(sb, 2, 2, "client", "127.0.0.1:9001", 2 * SEC, 2 * SEC, 5 * SEC, NULL, 1);
    sample(sb, 6 * SEC, 5, 2, NULL, NULL, NULL);
    if (event_after) sock_close(sb, 1, 7 * SEC);
}

static void report_as_of_last_dump(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    dump_trace(&sb, false);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.procs[0].dump, 1);
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 2);
    for (size_t i = 0; i < r.findings.n; i++) {
        assert_int_equal(r.findings.v[i].dump, 1);
        assert_true(r.findings.v[i].age_max <= 4 * SEC); /* at the dump, not the sample */
    }
    assert_true(strlist_contains(&r.notes, "trace of pid 15 ends without an exit record (still "
                                           "running, or killed): report is as of its dump 1"));
    report_free(&r);

    sb = (struct strbuf){0}; /* a socket event after the dump: as now, rebuilt */
    dump_trace(&sb, true);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.procs[0].dump, 0);
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 1);
    assert_int_equal(only(&r, KIND_ORPHAN)->dump, 0);
    assert_int_equal(only(&r, KIND_ORPHAN)->age_max, 5 * SEC); /* sid 2, up to 7 s */
    report_free(&r);
}

/* The exit batch after a dump replaces the dump's batch, not adds to it. */
static void exit_batch_after_dump_replaces_it(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    dump_trace(&sb, false);
    sock_live(&sb, 2, 2, "client", "127.0.0.1:9001", 2 * SEC, 2 * SEC, 8 * SEC, NULL, 0);
    trace_end(&sb, 8 * SEC);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.procs[0].nlive, 1);
    assert_int_equal(r.procs[0].dump, 0);
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 1);
    report_free(&r);
}

static void leak_after_spares_recent_sockets(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct http_opts h = HTTP_OPTS_DEFAULT;
    h.leak_after_ms = 2000; /* at the dump (5 s): sid 1 had I/O 1 s ago, sid 2 idle 3 s */
    dump_trace(&sb, false);
    analyze(&r, &sb, &h);
    const struct finding *f = only(&r, KIND_ORPHAN);
    assert_int_equal(f->count, 1);
    assert_int_equal(f->stack.v[0].pc, 0x7f0000002000);
    report_free(&r);
    /* a complete trace: the threshold does not apply */
    sb = (struct strbuf){0};
    dump_trace(&sb, false);
    sock_live(&sb, 1, 1, "client", "127.0.0.1:9000", SEC, 7 * SEC, 8 * SEC, NULL, 0);
    trace_end(&sb, 8 * SEC);
    analyze(&r, &sb, &h);
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 1);
    report_free(&r);
}

/* ---- rendering -------------------------------------------------------- */

static char *render_to_string(const struct report *r, bool json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (json)
        render_json(out, r);
    else
        render_text(out, r, false);
    fclose(out);
    return buf;
}

static const cJSON *finding_of(const cJSON *doc, const char *kind)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "findings"))
    {
        if (strcmp(cJSON_GetObjectItem(f, "kind")->valuestring, kind) == 0) return f;
    }
    fail_msg("no %s finding", kind);
    return NULL;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void json_fields_of_the_new_kinds(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    growth_trace(&sb, true, true);
    analyze(&r, &sb, NULL);
    char *s = render_to_string(&r, true);
    cJSON *doc = cJSON_Parse(s);
    assert_non_null(doc);
    const cJSON *g = finding_of(doc, "fd-growth");
    assert_string_equal(cJSON_GetObjectItem(g, "severity")->valuestring, "error");
    assert_true(num(g, "slope_per_min") > 50);
    assert_int_equal(num(g, "nofile"), 1024);
    assert_true(num(g, "eta_s") > 900);
    const cJSON *fit = cJSON_GetObjectItem(g, "fit"), *series = cJSON_GetObjectItem(g, "series");
    assert_true(num(fit, "p") < 0.01);
    assert_true(num(fit, "slope") == num(fit, "slope_per_s"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(series, "t")), 40);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(series, "fds")), 40);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(g, "sites")), 1);
    const cJSON *pool = finding_of(doc, "unbounded-pool");
    assert_string_equal(cJSON_GetObjectItem(pool, "severity")->valuestring, "warning");
    assert_string_equal(cJSON_GetObjectItem(pool, "peer")->valuestring, "10.0.0.1:443");
    assert_int_equal(num(pool, "peak"), 10);
    assert_int_equal(num(cJSON_GetObjectItem(doc, "summary"), "unbounded-pool"), 10);
    cJSON_Delete(doc);
    free(s);
    s = render_to_string(&r, false);
    assert_non_null(strstr(s, "FD GROWTH  open fds 20 -> "));
    assert_non_null(strstr(s, "█")); /* the sparkline */
    assert_non_null(strstr(s, "UNBOUNDED POOL  ESTABLISHED connections to 10.0.0.1:443"));
    free(s);
    report_free(&r);

    sb = (struct strbuf){0};
    closewait_trace(&sb);
    analyze(&r, &sb, NULL);
    s = render_to_string(&r, true);
    doc = cJSON_Parse(s);
    const cJSON *cw = finding_of(doc, "close-wait-pile");
    assert_int_equal(num(cw, "unread_bytes"), 120);
    assert_int_equal(num(cJSON_GetObjectItem(cw, "waited_ms"), "max"), 4000);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cw, "dump")));
    cJSON_Delete(doc);
    free(s);
    s = render_to_string(&r, false);
    assert_non_null(strstr(s, "CLOSE_WAIT PILE  3 sockets the peer closed, still open at exit"));
    assert_non_null(strstr(s, "waited 1.0 s–4.0 s"));
    free(s);
    report_free(&r);

    sb = (struct strbuf){0};
    timewait_trace(&sb, 150);
    analyze(&r, &sb, NULL);
    s = render_to_string(&r, true);
    doc = cJSON_Parse(s);
    const cJSON *tw = finding_of(doc, "time-wait-storm");
    assert_int_equal(num(tw, "peak"), 150);
    assert_true(num(tw, "rate_per_s") > 2.19);
    assert_non_null(strstr(cJSON_GetObjectItem(tw, "advice")->valuestring, "keep-alive"));
    cJSON_Delete(doc);
    free(s);
    report_free(&r);
}

/* Hostile sample records: wrong types, negative fds, out-of-order ts. */
static void hostile_samples_are_skipped(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    hdr(&sb, 16);
    strbuf_add(&sb, "{\"t\":\"sample\",\"ts\":5,\"fds\":\"x\",\"sites\":{},\"peers\":7,"
                    "\"tw\":[1,{\"peer\":3},{\"peer\":\"a\",\"n\":-1}]}\n");
    strbuf_add(&sb, "{\"t\":\"sample\",\"ts\":4,\"fds\":3}\n"); /* back in time */
    strbuf_add(&sb, "{\"t\":\"sample\"}\n");
    strbuf_add(&sb, "{\"t\":\"ktcp\",\"ts\":5,\"sid\":99,\"state\":\"CLOSE_WAIT\"}\n");
    strbuf_add(&sb, "{\"t\":\"ktcp\",\"ts\":5,\"sid\":1}\n");
    strbuf_add(&sb, "{\"t\":\"dump\",\"ts\":5,\"dump\":0}\n");
    trace_end(&sb, 10);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.procs[0].nsamples, 1);
    assert_int_equal(r.procs[0].samples[0].fds, -1);
    assert_int_equal(r.procs[0].issues, 4); /* ts 4, no ts, ktcp without state, dump 0 */
    assert_int_equal(r.findings.n, 0);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closewait_pile_by_site),
        cmocka_unit_test(fresh_eof_is_orphaned),
        cmocka_unit_test(unclosed_body_wins_over_closewait),
        cmocka_unit_test(timewait_storm_at_the_threshold),
        cmocka_unit_test(timewait_below_min_is_no_finding),
        cmocka_unit_test(an_estimated_peak_is_marked_and_capped_at_the_closes),
        cmocka_unit_test(fd_growth_names_the_growing_site),
        cmocka_unit_test(noise_without_trend_is_no_growth),
        cmocka_unit_test(absent_peer_in_full_list_is_unknown),
        cmocka_unit_test(report_as_of_last_dump),
        cmocka_unit_test(exit_batch_after_dump_replaces_it),
        cmocka_unit_test(leak_after_spares_recent_sockets),
        cmocka_unit_test(json_fields_of_the_new_kinds),
        cmocka_unit_test(hostile_samples_are_skipped),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
