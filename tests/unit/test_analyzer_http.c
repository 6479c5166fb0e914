/* test_analyzer_http.c - the HTTP and client-handle findings: unclosed-body,
 * stuck-request, discarded-body, no-connection-reuse, client-handle-leak,
 * and the HTTP context of orphaned-socket; how the reader takes the `http`
 * objects and handle records of hostile traces (their JSON fields and text
 * blocks: test_analyzer_http_render.c). Each test writes its own small trace (JSON
 * lines, docs/trace-format.md) into a private directory. Stacks point into
 * no module, so nothing depends on symbolisation. */
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
#include "trace/trace_read.h"
#include "util/util.h"

#include "http_traces.h"

/* ---- the reader ------------------------------------------------------- */

static void reader_keeps_the_http_state_rules_need(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 10);
    sock_open(&sb, 1, 1, "127.0.0.1:80", 1000);
    sock_open(&sb, 2, 1, "127.0.0.1:80", 2000);
    sock_open(&sb, 3, 1, "127.0.0.1:80", 3000);
    sock_open(&sb, 4, 1, "127.0.0.1:80", 4000);
    sock_close(&sb, 2, 5000, HTTP_BODY_200, false);  /* discarded */
    sock_close(&sb, 3, 6000, HTTP_ONE_KA, false);    /* a reuse candidate */
    sock_close(&sb, 4, 7000, HTTP_ONE_CLOSE, false); /* neither */
    strbuf_addf(&sb, "{\"t\":\"live\",\"ts\":9000,\"sid\":1,\"role\":\"client\",\"stk\":1,"
                     "\"opened\":1000,\"last_io\":1500,\"eof\":true,\"http\":{\"reqs\":3,"
                     "\"resps\":2,\"await\":1,\"phase\":\"headers\",\"status\":404,\"expect\":-1,"
                     "\"read\":7,\"ka\":true,\"tls\":true,\"method\":\"PUT\",\"target\":\"/t\","
                     "\"host\":\"h.test\"}}\n");
    trace_end(&sb, 9001);
    struct process *p = load(&sb);
    assert_int_equal(p->nlive, 1);
    assert_true(p->live[0].eof);
    const struct http_state *h = process_http(p, p->live[0].http);
    assert_non_null(h);
    assert_int_equal(h->reqs, 3);
    assert_int_equal(h->resps, 2);
    assert_int_equal(h->await, 1);
    assert_int_equal(h->phase, HTTP_HEADERS);
    assert_int_equal(h->status, 404);
    assert_int_equal(h->expect, -1);
    assert_int_equal(h->read, 7);
    assert_true(h->ka && h->tls && !h->lost && !h->tunnel);
    assert_string_equal(strtab_get(&p->texts, h->method), "PUT");
    assert_string_equal(strtab_get(&p->texts, h->target), "/t");
    assert_string_equal(strtab_get(&p->peers, h->host), "h.test");
    assert_int_equal(p->ndiscarded, 1);
    assert_int_equal(p->discarded[0].closed, 5000);
    assert_int_equal(process_http(p, p->discarded[0].http)->read, 65536);
    assert_int_equal(process_http(p, p->discarded[0].http)->expect, 1048576);
    assert_int_equal(p->nreuse, 1);
    assert_int_equal(p->reuse[0].opened, 3000);
    assert_string_equal(strtab_get(&p->peers, p->reuse[0].host), "svc.test");
    /* requests per peer count every closed socket's */
    uint32_t peer = p->reuse[0].peer;
    assert_int_equal(p->peer_reqs[peer], 3);
    unload(p);
}

/* Wrong types, huge and negative numbers, unknown names: defaults, no crash. */
static void reader_survives_hostile_http_and_handle_records(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    char big[5000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    hdr(&sb, 11);
    for (int sid = 1; sid <= 6; sid++) sock_open(&sb, sid, 1, "127.0.0.1:80", 100 * sid);
    sock_close(&sb, 1, 1000, "\"body\"", false);
    sock_close(&sb, 2, 1001, "[1,2]", false);
    sock_close(&sb, 3, 1002,
               "{\"reqs\":\"1\",\"resps\":1e300,\"phase\":7,\"status\":99999,\"expect\":-5,"
               "\"read\":-1,\"ka\":\"yes\",\"method\":12}",
               false);
    strbuf_addf(&sb,
                "{\"t\":\"live\",\"ts\":5000,\"sid\":4,\"role\":\"client\",\"stk\":1,\"http\":{"
                "\"reqs\":18446744073709551616,\"await\":4294967296000,\"phase\":\"body\","
                "\"expect\":1e300,\"target\":\"%s\",\"host\":null}}\n",
                big);
    strbuf_add(&sb, "{\"t\":\"hnew\",\"ts\":1,\"kind\":\"curl\"}\n"             /* no h */
                    "{\"t\":\"hnew\",\"ts\":1,\"h\":0,\"kind\":\"curl\"}\n"     /* h 0 */
                    "{\"t\":\"hnew\",\"ts\":1,\"h\":\"2\",\"kind\":\"curl\"}\n" /* h a string */
                    "{\"t\":\"hnew\",\"ts\":1,\"h\":3,\"kind\":\"grpc\"}\n"     /* unknown kind */
                    "{\"t\":\"hnew\",\"ts\":1,\"h\":4,\"kind\":\"ssl\",\"stk\":\"x\"}\n"
                    "{\"t\":\"huse\",\"ts\":2,\"h\":99,\"sid\":4,\"url\":\"http://x/\"}\n"
                    "{\"t\":\"huse\",\"ts\":2,\"h\":4,\"sid\":-4,\"url\":5}\n"
                    "{\"t\":\"huse\",\"ts\":2,\"h\":4,\"sid\":4}\n"
                    "{\"t\":\"hfree\",\"ts\":3,\"h\":98}\n"
                    "{\"t\":\"hfree\"}\n");
    struct process *p = load(&sb);
    assert_int_equal(p->ndiscarded, 0); /* a string or an array is no http object */
    assert_int_equal(p->nreuse, 0);     /* reqs "1" is not 1 */
    assert_int_equal(p->nhttp, 1);      /* only the live one is kept */
    const struct http_state *h = process_http(p, p->live[0].http);
    for (size_t i = 0; i < p->nlive; i++)
        if (p->live[i].sid == 4) h = process_http(p, p->live[i].http);
    assert_non_null(h);
    assert_int_equal(h->reqs, 0);           /* beyond 2^64: not a number we take */
    assert_int_equal(h->await, UINT32_MAX); /* saturates */
    assert_int_equal(h->expect, -1);
    assert_int_equal(h->host, 0);
    assert_int_equal(strlen(strtab_get(&p->texts, h->target)), 256); /* cut */
    assert_int_equal(p->nhandles, 1);                                /* only h 4 */
    assert_int_equal(p->handles[0].kind, HANDLE_SSL);
    assert_int_equal(p->handles[0].stk, 0);
    assert_int_equal(p->nhuses, 1); /* the use with sid 4 */
    assert_int_equal(p->huses[0].sid, 4);
    assert_int_equal(p->issues, 4); /* no h, h 0, h "2", hfree without h */
    unload(p);
    /* and the whole report still comes out */
    struct report r;
    hdr(&sb, 12);
    sock_open(&sb, 1, 1, "127.0.0.1:80", 100);
    sock_live(&sb, 1, 1, "127.0.0.1:80", 100, 0, 200,
              "{\"phase\":\"body\",\"status\":-3,\"read\":1e300,\"method\":\"\",\"target\":\"\"}");
    trace_end(&sb, 201);
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_UNCLOSED_BODY);
    assert_null(f->http.request);
    assert_string_equal(f->http.host, "127.0.0.1:80"); /* no Host: the peer */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    render_text(out, &r, false);
    render_json(out, &r);
    fclose(out);
    free(buf);
    report_free(&r);
}

/* ---- unclosed-body ------------------------------------------------------ */

static void unclosed_bodies_at_exit_are_grouped_by_opening_stack(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 20);
    sock_open(&sb, 1, 1, "10.0.0.1:80", 1000);
    sock_open(&sb, 2, 1, "10.0.0.2:80", 2000);
    sock_open(&sb, 3, 1, "10.0.0.2:80", 3000);
    sock_open(&sb, 4, 2, "10.0.0.3:80", 4000);
    sock_live(&sb, 1, 1, "10.0.0.1:80", 1000, 1500, 10000, HTTP_BODY_200);
    sock_live(&sb, 2, 1, "10.0.0.2:80", 2000, 9000, 10000,
              "{\"reqs\":2,\"resps\":1,\"await\":0,\"phase\":\"body\",\"status\":206,"
              "\"expect\":-1,\"read\":100,\"ka\":true,\"method\":\"GET\",\"target\":\"/a\","
              "\"host\":\"\",\"tls\":true}");
    sock_live(&sb, 3, 1, "10.0.0.2:80", 3000, 9900, 10000, HTTP_BODY_200);
    sock_live(&sb, 4, 2, "10.0.0.3:80", 4000, 4000, 10000, HTTP_ONE_KA); /* body read */
    trace_end(&sb, 10001);
    struct report r;
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_UNCLOSED_BODY);
    assert_int_equal(f->count, 3);
    assert_int_equal(f->bytes_read, 65536 * 2 + 100);
    assert_int_equal(f->idle_min, 100);
    assert_int_equal(f->idle_max, 8500);
    assert_int_equal(f->npeers, 2);
    assert_string_equal(f->peers[0].peer, "10.0.0.2:80"); /* most frequent first */
    assert_int_equal(f->peers[0].count, 2);
    assert_int_equal(f->nhosts, 2); /* api.test twice, the peer of the one without Host */
    assert_string_equal(f->hosts[0].peer, "api.test");
    assert_int_equal(f->hosts[0].count, 2);
    assert_string_equal(f->hosts[1].peer, "10.0.0.2:80");
    /* the exchange shown is the most recent socket's (sid 3) */
    assert_true(f->http.set);
    assert_string_equal(f->http.request, "GET /big");
    assert_string_equal(f->http.host, "api.test");
    assert_int_equal(f->http.status, 200);
    assert_int_equal(f->http.read, 65536);
    assert_int_equal(f->http.expect, 1048576);
    assert_false(f->http.tls);
    assert_false(f->partial);
    /* the fourth one, its body read, is its peer's one idle keep-alive
     * connection at exit: no finding (rules_exit.c, test_analyzer_exit.c) */
    assert_int_equal(kind_count(&r, KIND_ORPHAN), 0);
    assert_int_equal(r.findings.v[0].kind, KIND_UNCLOSED_BODY); /* errors first */
    report_free(&r);
}

/* A trace cut short: a live batch (a dump) followed by more events. Only
 * bodies idle for the threshold count; the others stay orphans. */
static void cut_short_trace_needs_bodies_idle_past_the_threshold(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        struct strbuf sb = {0};
        hdr(&sb, 21);
        sock_open(&sb, 1, 1, "10.0.0.1:80", 1000);
        sock_open(&sb, 2, 1, "10.0.0.1:80", 2000);
        sock_live(&sb, 1, 1, "10.0.0.1:80", 1000, 1 * SEC, 7 * SEC, HTTP_BODY_200);
        sock_live(&sb, 2, 1, "10.0.0.1:80", 2000, 6 * SEC, 7 * SEC, HTTP_BODY_200);
        sock_open(&sb, 3, 2, "10.0.0.1:80", 8 * SEC); /* events after the dump; no end */
        struct http_opts h = HTTP_OPTS_DEFAULT;
        if (round == 1) h.idle_ms = 1500;
        struct report r;
        analyze(&r, &sb, &h);
        const struct finding *f = only(&r, KIND_UNCLOSED_BODY);
        assert_true(f->partial);
        /* idle up to the end of the trace (8 s): 7 s and 2 s */
        assert_int_equal(f->count, round == 0 ? 1 : 2);
        assert_int_equal(f->idle_max, 7 * SEC + 1); /* the conn record at 8 s + 1 */
        uint64_t orphans = findings_total(&r.findings, KIND_ORPHAN);
        assert_int_equal(orphans, round == 0 ? 2 : 1);
        report_free(&r);
    }
}

static void lost_or_tunnelled_sockets_are_plain_orphans(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 22);
    sock_open(&sb, 1, 1, "10.0.0.1:80", 1000);
    sock_open(&sb, 2, 1, "10.0.0.1:80", 2000);
    sock_live(&sb, 1, 1, "10.0.0.1:80", 1000, 1000, 20 * SEC,
              "{\"reqs\":1,\"phase\":\"body\",\"await\":1,\"lost\":true}");
    sock_live(&sb, 2, 1, "10.0.0.1:80", 2000, 2000, 20 * SEC,
              "{\"reqs\":1,\"phase\":\"body\",\"await\":1,\"tunnel\":true}");
    trace_end(&sb, 20 * SEC);
    struct report r;
    analyze(&r, &sb, NULL);
    assert_int_equal(r.findings.n, 1);
    assert_int_equal(only(&r, KIND_ORPHAN)->count, 2);
    report_free(&r);
}

/* ---- stuck-request ------------------------------------------------------ */

static void stuck_request_waits_past_its_threshold(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 23);
    for (int sid = 1; sid <= 4; sid++) sock_open(&sb, sid, 3, "10.0.0.9:8080", 1000 * sid);
    sock_live(&sb, 1, 3, "10.0.0.9:8080", 1000, 8 * SEC, 20 * SEC, HTTP_AWAIT);  /* 12 s */
    sock_live(&sb, 2, 3, "10.0.0.9:8080", 2000, 9 * SEC, 20 * SEC, HTTP_AWAIT);  /* 11 s */
    sock_live(&sb, 3, 3, "10.0.0.9:8080", 3000, 15 * SEC, 20 * SEC, HTTP_AWAIT); /* 5 s */
    sock_live(&sb, 4, 3, "10.0.0.9:8080", 4000, 1 * SEC, 20 * SEC,               /* a body */
              "{\"reqs\":2,\"resps\":0,\"await\":1,\"phase\":\"body\",\"status\":200}");
    trace_end(&sb, 20 * SEC);
    struct report r;
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_STUCK_REQUEST);
    assert_int_equal(f->count, 2);
    assert_int_equal(f->idle_min, 11 * SEC);
    assert_int_equal(f->idle_max, 12 * SEC);
    assert_string_equal(f->http.request, "POST /slow");
    assert_string_equal(f->http.host, "10.0.0.9:8080");
    assert_int_equal(f->http.status, 0);
    assert_int_equal(only(&r, KIND_UNCLOSED_BODY)->count, 1);
    assert_int_equal(only(&r, KIND_ORPHAN)->count, 1); /* the one waiting 5 s */
    report_free(&r);
    /* a lower threshold takes the third one too */
    hdr(&sb, 23);
    sock_open(&sb, 3, 3, "10.0.0.9:8080", 3000);
    sock_live(&sb, 3, 3, "10.0.0.9:8080", 3000, 15 * SEC, 20 * SEC, HTTP_AWAIT);
    trace_end(&sb, 20 * SEC);
    struct http_opts h = HTTP_OPTS_DEFAULT;
    h.stuck_ms = 4000;
    analyze(&r, &sb, &h);
    assert_int_equal(only(&r, KIND_STUCK_REQUEST)->count, 1);
    assert_int_equal(kind_count(&r, KIND_ORPHAN), 0);
    report_free(&r);
}

/* ---- discarded-body ----------------------------------------------------- */

static void socket_closed_mid_body_is_a_discarded_body(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 24);
    for (int sid = 1; sid <= 5; sid++) sock_open(&sb, sid, 2, "10.0.0.5:80", 1000 * sid);
    sock_close(&sb, 1, 10000, HTTP_BODY_200, false);
    sock_close(&sb, 2, 11000, HTTP_BODY_200, false);
    sock_close(&sb, 3, 12000, HTTP_ONE_CLOSE, false); /* read to the end */
    sock_close(&sb, 4, 13000, "{\"reqs\":1,\"phase\":\"body\",\"lost\":true}", false);
    sock_close(&sb, 5, 14000, NULL, false); /* no HTTP at all */
    trace_end(&sb, 20000);
    struct report r;
    analyze(&r, &sb, NULL);
    assert_int_equal(r.findings.n, 1);
    const struct finding *f = only(&r, KIND_DISCARDED_BODY);
    assert_int_equal(f->count, 2);
    assert_int_equal(f->bytes_read, 2 * 65536);
    assert_string_equal(f->http.request, "GET /big");
    assert_string_equal(f->peers[0].peer, "10.0.0.5:80");
    assert_string_equal(kind_severity(f->kind), "warning");
    report_free(&r);
}

/* ---- no-connection-reuse ------------------------------------------------ */

static void many_one_request_connections_to_a_peer_are_no_reuse(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 30);
    one_request_each(&sb, 1, 8, "10.0.0.7:80", 1000, 500, HTTP_ONE_KA, 1);
    one_request_each(&sb, 101, 4, "10.0.0.7:80", 1000, 500, HTTP_ONE_KA, 2);
    sock_open(&sb, 200, 1, "10.0.0.7:80", 100); /* a connection that was reused */
    sock_close(&sb, 200, 90000,
               "{\"reqs\":5,\"resps\":5,\"phase\":\"idle\",\"ka\":true,\"status\":200}", false);
    trace_end(&sb, 100000);
    struct report r;
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_NO_REUSE);
    assert_int_equal(f->count, 12);
    assert_int_equal(f->sites, 2);
    assert_int_equal(f->requests, 17);      /* over every closed socket to the peer */
    assert_int_equal(f->max_concurrent, 2); /* the two series overlap */
    assert_int_equal(finding_saved(f), 10);
    assert_string_equal(f->peers[0].peer, "10.0.0.7:80");
    assert_string_equal(f->http.host, "svc.test");
    /* the call site: the most common opening stack (8 of 12) */
    assert_int_equal(f->stack.n, 1);
    assert_int_equal(f->stack.v[0].pc, 0x7f0000001000);
    report_free(&r);
}

static void concurrent_connections_reduce_what_reuse_saves(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 31);
    /* 12 connections, a new one every 1000 ns, each open 2500 ns: 3 at once */
    one_request_each(&sb, 1, 12, "10.0.0.8:80", 1000, 2500, HTTP_ONE_KA, 1);
    /* and another peer, sequential */
    one_request_each(&sb, 101, 10, "10.0.0.9:80", 1000, 1000, HTTP_ONE_KA, 1);
    trace_end(&sb, 100000);
    struct report r;
    analyze(&r, &sb, NULL);
    assert_int_equal(kind_count(&r, KIND_NO_REUSE), 2); /* one per peer, same site */
    const struct finding *a = &r.findings.v[0], *b = &r.findings.v[1];
    assert_string_equal(a->peers[0].peer, "10.0.0.8:80");
    assert_int_equal(a->max_concurrent, 3);
    assert_int_equal(finding_saved(a), 9);
    assert_string_equal(b->peers[0].peer, "10.0.0.9:80");
    assert_int_equal(b->max_concurrent, 1); /* a close at the ts of the next open */
    assert_int_equal(finding_saved(b), 9);
    report_free(&r);
}

static void no_reuse_needs_keep_alive_program_closes_and_enough_connections(void **state)
{
    (void)state;
    struct report r;
    struct strbuf sb = {0};
    hdr(&sb, 32); /* Connection: close / HTTP/1.0 answers */
    one_request_each(&sb, 1, 20, "10.0.0.7:80", 1000, 500, HTTP_ONE_CLOSE, 1);
    trace_end(&sb, 100000);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.findings.n, 0);
    report_free(&r);
    hdr(&sb, 33); /* 9 < 10 */
    one_request_each(&sb, 1, 9, "10.0.0.7:80", 1000, 500, HTTP_ONE_KA, 1);
    trace_end(&sb, 100000);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.findings.n, 0);
    report_free(&r);
    hdr(&sb, 34); /* the server closed first */
    for (int i = 0; i < 12; i++) {
        sock_open(&sb, i + 1, 1, "10.0.0.7:80", 1000 + i * 1000);
        sock_close(&sb, i + 1, 1500 + i * 1000, HTTP_ONE_KA, true);
    }
    trace_end(&sb, 100000);
    analyze(&r, &sb, NULL);
    assert_int_equal(r.findings.n, 0);
    report_free(&r);
    hdr(&sb, 35); /* a lower threshold */
    one_request_each(&sb, 1, 3, "10.0.0.7:80", 1000, 500, HTTP_ONE_KA, 1);
    trace_end(&sb, 100000);
    struct http_opts h = HTTP_OPTS_DEFAULT;
    h.reuse_min = 3;
    analyze(&r, &sb, &h);
    assert_int_equal(only(&r, KIND_NO_REUSE)->count, 3);
    report_free(&r);
}

/* ---- client-handle-leak ------------------------------------------------- */

static void handles_never_freed_are_leaks_by_kind_and_stack(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 40);
    sock_open(&sb, 1, 1, "10.0.0.1:80", 100);
    sock_open(&sb, 2, 1, "10.0.0.1:80", 200);
    sock_close(&sb, 2, 300, NULL, false);
    sock_open(&sb, 3, 1, "10.0.0.1:80", 400);
    const char *recs[] = {
        "{\"t\":\"hnew\",\"ts\":10,\"h\":1,\"kind\":\"curl\",\"stk\":4}",
        "{\"t\":\"hnew\",\"ts\":11,\"h\":2,\"kind\":\"curl\",\"stk\":4}",
        "{\"t\":\"hnew\",\"ts\":12,\"h\":3,\"kind\":\"curl\",\"stk\":4}", /* freed below */
        "{\"t\":\"hnew\",\"ts\":13,\"h\":4,\"kind\":\"ssl\",\"stk\":4}",  /* same stack */
        "{\"t\":\"huse\",\"ts\":20,\"h\":1,\"sid\":1,\"url\":\"http://10.0.0.1/a\"}",
        "{\"t\":\"huse\",\"ts\":21,\"h\":1,\"sid\":1,\"url\":\"http://10.0.0.1/a\"}",
        "{\"t\":\"huse\",\"ts\":22,\"h\":2,\"sid\":2,\"url\":\"http://10.0.0.1/b\"}",
        "{\"t\":\"huse\",\"ts\":23,\"h\":2,\"sid\":1,\"url\":\"http://10.0.0.1/a\"}",
        "{\"t\":\"huse\",\"ts\":24,\"h\":3,\"sid\":3,\"url\":\"http://10.0.0.1/c\"}",
        "{\"t\":\"huse\",\"ts\":25,\"h\":4,\"sid\":3}",
        "{\"t\":\"hfree\",\"ts\":30,\"h\":3}",
    };
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) strbuf_addf(&sb, "%s\n", recs[i]);
    sock_live(&sb, 1, 1, "10.0.0.1:80", 100, 0, 500, NULL);
    sock_live(&sb, 3, 1, "10.0.0.1:80", 400, 0, 500, NULL);
    trace_end(&sb, 501);
    struct report r;
    analyze(&r, &sb, NULL);
    assert_int_equal(kind_count(&r, KIND_HANDLE_LEAK), 2);
    const struct finding *curl = NULL, *ssl = NULL;
    for (size_t i = 0; i < r.findings.n; i++) {
        const struct finding *f = &r.findings.v[i];
        if (f->kind == KIND_HANDLE_LEAK && f->handle == HANDLE_CURL) curl = f;
        if (f->kind == KIND_HANDLE_LEAK && f->handle == HANDLE_SSL) ssl = f;
    }
    assert_non_null(curl);
    assert_non_null(ssl);
    assert_int_equal(curl->count, 2); /* handle 3 was freed */
    assert_int_equal(curl->nurls, 2);
    assert_int_equal(curl->open_sockets, 1); /* sid 1 (used twice); sid 2 is closed */
    assert_int_equal(ssl->count, 1);
    assert_int_equal(ssl->nurls, 0);
    assert_int_equal(ssl->open_sockets, 1);
    assert_string_equal(kind_severity(KIND_HANDLE_LEAK), "warning");
    report_free(&r);
}

static void freed_handles_are_no_leak(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 41);
    for (int h = 1; h <= 50; h++)
        strbuf_addf(&sb,
                    "{\"t\":\"hnew\",\"ts\":%d,\"h\":%d,\"kind\":\"%s\",\"stk\":4}\n"
                    "{\"t\":\"hfree\",\"ts\":%d,\"h\":%d}\n",
                    h, h,
                    h % 3 == 0   ? "ssl"
                    : h % 3 == 1 ? "curl"
                                 : "curlm",
                    h + 1, h);
    trace_end(&sb, 1000);
    struct report r;
    analyze(&r, &sb, NULL);
    assert_int_equal(r.status, STATUS_CLEAN);
    report_free(&r);
}

/* ---- orphaned-socket with HTTP -------------------------------------- */

static void orphan_shows_the_http_of_its_most_recent_socket(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 50);
    sock_open(&sb, 1, 1, "10.0.0.1:80", 1000);
    sock_open(&sb, 2, 1, "10.0.0.1:80", 2000);
    sock_open(&sb, 3, 1, "10.0.0.1:80", 3000);
    sock_live(&sb, 1, 1, "10.0.0.1:80", 1000, 1000, 9000, HTTP_ONE_KA);
    sock_live(&sb, 2, 1, "10.0.0.1:80", 2000, 2000, 9000,
              "{\"reqs\":3,\"resps\":3,\"phase\":\"idle\",\"status\":204,\"method\":\"DELETE\","
              "\"target\":\"/r\",\"host\":\"api.test\",\"ka\":true}");
    sock_live(&sb, 3, 1, "10.0.0.1:80", 3000, 3000, 9000, NULL); /* newest, no HTTP */
    trace_end(&sb, 9001);
    struct report r;
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_ORPHAN);
    assert_int_equal(f->count, 3);
    assert_true(f->http.set);
    assert_string_equal(f->http.request, "DELETE /r");
    assert_string_equal(f->http.host, "api.test");
    assert_int_equal(f->http.requests, 3);
    assert_int_equal(f->http.status, 204);
    assert_int_equal(f->http.phase, HTTP_IDLE);
    report_free(&r);
    /* no HTTP at all: no context */
    hdr(&sb, 51);
    sock_open(&sb, 1, 1, "10.0.0.1:80", 1000);
    sock_live(&sb, 1, 1, "10.0.0.1:80", 1000, 1000, 9000, NULL);
    trace_end(&sb, 9001);
    analyze(&r, &sb, NULL);
    assert_false(only(&r, KIND_ORPHAN)->http.set);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_keeps_the_http_state_rules_need),
        cmocka_unit_test(reader_survives_hostile_http_and_handle_records),
        cmocka_unit_test(unclosed_bodies_at_exit_are_grouped_by_opening_stack),
        cmocka_unit_test(cut_short_trace_needs_bodies_idle_past_the_threshold),
        cmocka_unit_test(lost_or_tunnelled_sockets_are_plain_orphans),
        cmocka_unit_test(stuck_request_waits_past_its_threshold),
        cmocka_unit_test(socket_closed_mid_body_is_a_discarded_body),
        cmocka_unit_test(many_one_request_connections_to_a_peer_are_no_reuse),
        cmocka_unit_test(concurrent_connections_reduce_what_reuse_saves),
        cmocka_unit_test(no_reuse_needs_keep_alive_program_closes_and_enough_connections),
        cmocka_unit_test(handles_never_freed_are_leaks_by_kind_and_stack),
        cmocka_unit_test(freed_handles_are_no_leak),
        cmocka_unit_test(orphan_shows_the_http_of_its_most_recent_socket),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
