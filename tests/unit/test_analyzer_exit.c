/* test_analyzer_exit.c - what a correct program may still hold when it
 * exits (analyzer/rules/rules_exit.c): its last idle keep-alive connection
 * to a peer, its one answered connection of a protocol connleak does not
 * follow (redis-cli's), and the connections a server had accepted when
 * told to stop.
 * Neither is a finding, both are counted in the clean headline; a second
 * idle connection to the same peer, a pile of accepted ones, a trace cut
 * short, or a connection in another state stay what they were. Each test
 * writes a small trace (docs/trace-format.md) into a private directory. */
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

#include "analyzer_traces.h"

/* one keep-alive exchange, ended */
#define HTTP_DONE_KA                                                                               \
    "{\"reqs\":2,\"resps\":2,\"await\":0,\"phase\":\"idle\",\"status\":200,\"expect\":2,"          \
    "\"read\":2,\"ka\":true,\"method\":\"GET\",\"target\":\"/x\",\"host\":\"svc.test\"}"
/* the same, but the server said Connection: close */
#define HTTP_DONE_CLOSE                                                                            \
    "{\"reqs\":1,\"resps\":1,\"await\":0,\"phase\":\"idle\",\"status\":200,\"expect\":2,"          \
    "\"read\":2,\"ka\":false,\"method\":\"GET\",\"target\":\"/x\",\"host\":\"svc.test\"}"
/* a request still waiting for its answer */
#define HTTP_WAITING                                                                               \
    "{\"reqs\":1,\"resps\":0,\"await\":1,\"phase\":\"idle\",\"status\":0,\"expect\":-1,"           \
    "\"read\":0,\"ka\":true,\"method\":\"GET\",\"target\":\"/x\",\"host\":\"svc.test\"}"

/* The open records of sockets first..last: before the live batch, which a
 * socket event would end (a reader takes it as a dump, then more events). */
static void opened(struct strbuf *sb, int first, int last, const char *role)
{
    for (int sid = first; sid <= last; sid++)
        strbuf_addf(sb,
                    "{\"t\":\"open\",\"ts\":%d,\"sid\":%d,\"fd\":%d,\"role\":\"%s\",\"stk\":1}\n",
                    100 + sid, sid, 10 + sid, role);
}

/* A live socket at the end: role "client" or "accepted", an http object or NULL. */
static void live(struct strbuf *sb, int sid, const char *role, const char *peer, const char *http)
{
    strbuf_addf(sb,
                "{\"t\":\"live\",\"ts\":9000,\"sid\":%d,\"fds\":[%d],\"role\":\"%s\","
                "\"peer\":\"%s\",\"stk\":1,\"opened\":%d,\"last_io\":%d,\"in\":5,\"out\":6%s%s}\n",
                sid, 10 + sid, role, peer, 100 + sid, 200 + sid, http ? ",\"http\":" : "",
                http ? http : "");
}

static void end(struct strbuf *sb)
{
    strbuf_addf(sb, "{\"t\":\"end\",\"ts\":9001}\n");
}

/* The report of sb, with its headline counts in k. */
static void run(struct report *r, struct strbuf *sb, struct report_sockets *k)
{
    analyze(r, sb, NULL);
    report_sockets(r, k);
}

static void last_idle_keepalive_connection_at_exit_is_no_leak(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct report_sockets k;
    trace_hdr(&sb, 70, "/usr/bin/wget");
    opened(&sb, 1, 2, "client");
    live(&sb, 1, "client", "127.0.0.1:8080", HTTP_DONE_KA);
    live(&sb, 2, "client", "127.0.0.1:9090", HTTP_DONE_KA); /* another peer: its own last one */
    end(&sb);
    run(&r, &sb, &k);
    assert_int_equal(r.findings.n, 0);
    assert_int_equal(r.status, STATUS_CLEAN);
    assert_int_equal(k.keepalive, 2);
    report_free(&r);
}

static void two_idle_connections_to_one_peer_are_orphans(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct report_sockets k;
    trace_hdr(&sb, 71, "/x/app");
    opened(&sb, 1, 2, "client");
    live(&sb, 1, "client", "127.0.0.1:8080", HTTP_DONE_KA);
    live(&sb, 2, "client", "127.0.0.1:8080", HTTP_DONE_KA);
    end(&sb);
    run(&r, &sb, &k);
    assert_int_equal(only(&r, KIND_ORPHAN)->count, 2);
    assert_int_equal(k.keepalive, 0);
    report_free(&r);
}

static void only_a_finished_keepalive_exchange_qualifies(void **state)
{
    (void)state;
    const char *https[] = {HTTP_DONE_CLOSE, NULL}; /* not kept for reuse; no HTTP at all */
    for (size_t i = 0; i < 2; i++) {
        struct strbuf sb = {0};
        struct report r;
        struct report_sockets k;
        trace_hdr(&sb, 72, "/x/app");
        opened(&sb, 1, 1, "client");
        live(&sb, 1, "client", "127.0.0.1:8080", https[i]);
        end(&sb);
        run(&r, &sb, &k);
        assert_int_equal(only(&r, KIND_ORPHAN)->count, 1);
        assert_int_equal(k.keepalive, 0);
        report_free(&r);
    }
    struct strbuf sb = {0}; /* awaiting an answer: never an idle connection */
    struct report r;
    struct report_sockets k;
    trace_hdr(&sb, 73, "/x/app");
    opened(&sb, 1, 1, "client");
    live(&sb, 1, "client", "127.0.0.1:8080", HTTP_WAITING);
    end(&sb);
    run(&r, &sb, &k);
    assert_int_equal(k.keepalive, 0);
    assert_true(r.findings.n > 0);
    report_free(&r);
}

static void trace_cut_short_says_nothing_of_exit(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct report_sockets k;
    trace_hdr(&sb, 74, "/x/app");
    opened(&sb, 1, 1, "client");
    opened(&sb, 2, 2, "accepted");
    live(&sb, 1, "client", "127.0.0.1:8080", HTTP_DONE_KA);
    live(&sb, 2, "accepted", "127.0.0.1:40000", NULL);
    run(&r, &sb, &k); /* no end record */
    assert_int_equal(only(&r, KIND_ORPHAN)->count, 2);
    assert_int_equal(k.keepalive + k.accepted, 0);
    report_free(&r);
}

static void server_stopping_with_clients_connected_is_no_leak(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct report_sockets k;
    trace_hdr(&sb, 75, "/usr/bin/redis-server");
    opened(&sb, 1, EXIT_ACCEPTED_PILE - 1, "accepted");
    for (int i = 1; i < EXIT_ACCEPTED_PILE; i++) live(&sb, i, "accepted", "127.0.0.1:40000", NULL);
    end(&sb);
    run(&r, &sb, &k);
    assert_int_equal(r.findings.n, 0);
    assert_int_equal(k.accepted, EXIT_ACCEPTED_PILE - 1);
    report_free(&r);
}

static void a_pile_of_accepted_connections_is_a_leak(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct report_sockets k;
    trace_hdr(&sb, 76, "/x/server");
    opened(&sb, 1, EXIT_ACCEPTED_PILE, "accepted");
    for (int i = 1; i <= EXIT_ACCEPTED_PILE; i++) live(&sb, i, "accepted", "127.0.0.1:40000", NULL);
    end(&sb);
    run(&r, &sb, &k);
    assert_int_equal(only(&r, KIND_ORPHAN)->count, EXIT_ACCEPTED_PILE);
    assert_int_equal(k.accepted, 0);
    report_free(&r);
}

/* A client socket sid opened at stack stk, and closed at once when closed. */
static void opened_at(struct strbuf *sb, int sid, int stk, bool closed)
{
    strbuf_addf(sb,
                "{\"t\":\"open\",\"ts\":%d,\"sid\":%d,\"fd\":%d,\"role\":\"client\",\"stk\":%d}\n",
                100 + sid, sid, 10 + sid, stk);
    if (closed)
        strbuf_addf(sb,
                    "{\"t\":\"close\",\"ts\":%d,\"sid\":%d,\"fd\":%d,\"how\":\"close\","
                    "\"last\":true,\"in\":5,\"out\":6}\n",
                    150 + sid, sid, 10 + sid);
}

/* A live non-HTTP client socket: extra is more members (",\"read_last\":true"). */
static void live_raw(struct strbuf *sb, int sid, int stk, const char *extra)
{
    strbuf_addf(sb,
                "{\"t\":\"live\",\"ts\":9000,\"sid\":%d,\"fds\":[%d],\"role\":\"client\","
                "\"peer\":\"127.0.0.1:6379\",\"stk\":%d,\"opened\":%d,\"last_io\":%d,"
                "\"in\":5,\"out\":14%s}\n",
                sid, 10 + sid, stk, 100 + sid, 200 + sid, extra);
}

static void lone_answered_connection_at_exit_is_no_leak(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct report_sockets k;
    trace_hdr(&sb, 80, "/usr/bin/redis-cli");
    opened_at(&sb, 1, 2, true); /* another site's socket, closed: nscd, a DNS query */
    opened_at(&sb, 2, 1, false);
    live_raw(&sb, 2, 1, ",\"read_last\":true");
    end(&sb);
    run(&r, &sb, &k);
    assert_int_equal(r.findings.n, 0);
    assert_int_equal(r.status, STATUS_CLEAN);
    assert_int_equal(k.lone, 1);
    report_free(&r);
}

/* What the lone-exchange claim turns down: each stays an orphan. */
static void lone_connection_needs_every_condition(void **state)
{
    (void)state;
    static const struct {
        const char *why, *extra;
        bool loop, twin, cut, agg;
    } cases[] = {
        {"the program wrote last (unanswered)", "", false, false, false, false},
        {"read end-of-file", ",\"read_last\":true,\"eof\":true", false, false, false, false},
        {"its site opened another socket (a loop)", ",\"read_last\":true", true, false, false,
         false},
        {"a second such connection", ",\"read_last\":true", false, true, false, false},
        {"its site's other sockets only counted (agg)", ",\"read_last\":true", false, false, false,
         true},
        {"trace cut short", ",\"read_last\":true", false, false, true, false},
        {"HTTP: its own rules", ",\"read_last\":true,\"http\":" HTTP_DONE_CLOSE, false, false,
         false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf sb = {0};
        struct report r;
        struct report_sockets k;
        trace_hdr(&sb, 81 + (int)i, "/x/app");
        if (cases[i].loop) opened_at(&sb, 3, 1, true);
        if (cases[i].agg)
            strbuf_addf(&sb, "{\"t\":\"agg\",\"ts\":90,\"stk\":1,\"peer\":\"127.0.0.1:6379\","
                             "\"closed\":4,\"first\":10,\"last\":80}\n");
        opened_at(&sb, 1, 1, false);
        if (cases[i].twin) opened_at(&sb, 2, 2, false);
        live_raw(&sb, 1, 1, cases[i].extra);
        if (cases[i].twin) live_raw(&sb, 2, 2, cases[i].extra);
        if (!cases[i].cut) end(&sb);
        run(&r, &sb, &k);
        if (k.lone || r.findings.n == 0) fail_msg("claimed although %s", cases[i].why);
        report_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(last_idle_keepalive_connection_at_exit_is_no_leak),
        cmocka_unit_test(two_idle_connections_to_one_peer_are_orphans),
        cmocka_unit_test(only_a_finished_keepalive_exchange_qualifies),
        cmocka_unit_test(trace_cut_short_says_nothing_of_exit),
        cmocka_unit_test(lone_answered_connection_at_exit_is_no_leak),
        cmocka_unit_test(lone_connection_needs_every_condition),
        cmocka_unit_test(server_stopping_with_clients_connected_is_no_leak),
        cmocka_unit_test(a_pile_of_accepted_connections_is_a_leak),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
