/* test_http1.c - the HTTP/1.x exchange tracker (common/http1.c) follows
 * every framing case of RFC 9112 a client meets, tells non-HTTP sockets
 * apart at once, gives up cleanly on garbage, keeps no payload, and gives
 * the same answer whatever the byte boundaries the data arrives in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "http1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the harness: feeds bytes like the hooks will, logs every event ---- */

struct rec {
    unsigned int ev; /* one HTTP1_EV_* */
    unsigned int status, framing, end, rq_info;
    bool keep_alive;
    int64_t expected;
    uint64_t body_read;
    char method[HTTP1_METHOD_MAX + 1], target[HTTP1_TARGET_MAX + 1], host[HTTP1_HOST_MAX + 1];
};

struct log {
    struct rec r[64];
    int n;
};

static const unsigned int ev_order[] = {HTTP1_EV_NOT_HTTP,         HTTP1_EV_REQUEST_SENT,
                                        HTTP1_EV_RESPONSE_HEADERS, HTTP1_EV_RESPONSE_DONE,
                                        HTTP1_EV_TUNNEL,           HTTP1_EV_LOST_SYNC};

static void log_request(struct rec *r, const struct http1 *h)
{
    memcpy(r->method, http1_method(h), HTTP1_METHOD_MAX);
    memcpy(r->target, http1_target(h), HTTP1_TARGET_MAX);
    memcpy(r->host, http1_host(h), HTTP1_HOST_MAX);
    r->rq_info = http1_request_flags(h);
}

/* One record per event, in a fixed order, whatever the calls they came in. */
static void log_events(struct log *lg, const struct http1 *h, const struct http1_events *ev)
{
    for (size_t i = 0; i < sizeof(ev_order) / sizeof(ev_order[0]); i++) {
        if (!(ev->flags & ev_order[i])) continue;
        assert_true(lg->n < 64);
        struct rec *r = &lg->r[lg->n++];
        r->ev = ev_order[i];
        if (r->ev == HTTP1_EV_REQUEST_SENT) log_request(r, h);
        if (r->ev == HTTP1_EV_RESPONSE_HEADERS || r->ev == HTTP1_EV_RESPONSE_DONE) {
            r->status = ev->status;
            r->framing = ev->framing;
        }
        if (r->ev == HTTP1_EV_RESPONSE_DONE) {
            r->end = ev->end;
            r->keep_alive = ev->keep_alive;
            r->expected = ev->expected;
            r->body_read = ev->body_read;
        }
    }
}

static void feed(struct http1 *h, bool out, const void *buf, size_t n, struct log *lg)
{
    const char *p = buf;
    while (n > 0) {
        struct http1_events ev;
        size_t k = out ? http1_on_write(h, p, n, &ev) : http1_on_read(h, p, n, &ev);
        assert_true(k >= 1 && k <= n);
        if (ev.flags & HTTP1_EV_RESPONSE_DONE)
            assert_true(ev.expected < 0 || ev.body_read <= (uint64_t)ev.expected);
        log_events(lg, h, &ev);
        p += k;
        n -= k;
    }
}

static void feed_eof(struct http1 *h, struct log *lg)
{
    struct http1_events ev;
    http1_on_eof(h, &ev);
    log_events(lg, h, &ev);
}

/* A tracker and its log per test case. */
static struct http1 h;
static struct log lg;

static int reset(void **state)
{
    (void)state;
    memset(&h, 0, sizeof(h));
    memset(&lg, 0, sizeof(lg));
    return 0;
}

#define W(s)   feed(&h, true, (s), strlen(s), &lg)
#define R(s)   feed(&h, false, (s), strlen(s), &lg)
#define EOF_() feed_eof(&h, &lg)

static int count(unsigned int ev)
{
    int n = 0;
    for (int i = 0; i < lg.n; i++) n += lg.r[i].ev == ev;
    return n;
}

/* The k-th (0-based) record of this event. */
static const struct rec *nth(unsigned int ev, int k)
{
    for (int i = 0; i < lg.n; i++)
        if (lg.r[i].ev == ev && k-- == 0) return &lg.r[i];
    fail_msg("event %#x #%d missing", ev, k);
    return NULL;
}

static const struct rec *done(int k)
{
    return nth(HTTP1_EV_RESPONSE_DONE, k);
}

static void assert_done(int k, unsigned int status, unsigned int end, int64_t expected,
                        uint64_t body_read)
{
    const struct rec *r = done(k);
    assert_int_equal(r->status, status);
    assert_int_equal(r->end, end);
    assert_int_equal(r->expected, expected);
    assert_int_equal(r->body_read, body_read);
}

#define GET_A  "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n"
#define HEAD_A "HEAD /a HTTP/1.1\r\nHost: example.com\r\n\r\n"

/* ---- the state ---- */

static void state_fits_in_128_bytes_and_zero_is_unknown(void **state)
{
    (void)state;
    assert_true(sizeof(struct http1) <= 128);
    assert_int_equal(http1_state(&h), HTTP1_UNKNOWN);
    assert_int_equal(http1_phase(&h), HTTP1_PHASE_IDLE);
    assert_int_equal(http1_body_expected(&h), -1);
    assert_int_equal(http1_body_read(&h), 0);
    assert_int_equal(http1_requests(&h), 0);
    assert_int_equal(http1_outstanding(&h), 0);
}

/* ---- responses: framing ---- */

static void content_length_body_ends_when_the_length_is_read(void **state)
{
    (void)state;
    W(GET_A);
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
    assert_int_equal(count(HTTP1_EV_REQUEST_SENT), 1);
    assert_int_equal(http1_outstanding(&h), 1);
    R("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Type: text/plain\r\n\r\n");
    assert_int_equal(count(HTTP1_EV_RESPONSE_HEADERS), 1);
    assert_int_equal(nth(HTTP1_EV_RESPONSE_HEADERS, 0)->framing, HTTP1_FRAME_LENGTH);
    assert_int_equal(http1_phase(&h), HTTP1_PHASE_BODY);
    assert_int_equal(http1_outstanding(&h), 0);
    R("0123456789");
    assert_done(0, 200, HTTP1_END_LENGTH, 10, 10);
    assert_true(done(0)->keep_alive);
    assert_int_equal(http1_responses(&h), 1);
    assert_int_equal(http1_phase(&h), HTTP1_PHASE_IDLE);
}

static void partly_read_body_shows_expected_above_read_and_not_done(void **state)
{
    (void)state;
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
    assert_int_equal(count(HTTP1_EV_RESPONSE_DONE), 0);
    assert_int_equal(http1_phase(&h), HTTP1_PHASE_BODY);
    assert_int_equal(http1_body_expected(&h), 10);
    assert_int_equal(http1_body_read(&h), 5);
    assert_int_equal(http1_end(&h), HTTP1_END_NONE);
    assert_int_equal(http1_status(&h), 200);
    assert_int_equal(http1_responses(&h), 0);
}

static void eof_inside_a_length_body_truncates_it(void **state)
{
    (void)state;
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123");
    EOF_();
    assert_done(0, 200, HTTP1_END_TRUNCATED, 10, 4);
    assert_false(done(0)->keep_alive);
}

static void chunked_body_with_extensions_and_trailers_ends_at_the_last_chunk(void **state)
{
    (void)state;
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_int_equal(nth(HTTP1_EV_RESPONSE_HEADERS, 0)->framing, HTTP1_FRAME_CHUNKED);
    assert_int_equal(http1_body_expected(&h), -1);
    R("5;name=value\r\nhello\r\n1A ; q=\"a;b\"\r\n");
    assert_int_equal(http1_body_read(&h), 5);
    R("abcdefghijklmnopqrstuvwxyz\r\n0;last\r\nX-Checksum: 1234\r\nX-Other: x\r\n\r\n");
    assert_done(0, 200, HTTP1_END_CHUNKED, 31, 31);
    assert_int_equal(http1_body_expected(&h), 31);
}

static void chunked_body_cut_by_eof_is_truncated_with_unknown_length(void **state)
{
    (void)state;
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    assert_int_equal(http1_phase(&h), HTTP1_PHASE_BODY);
    EOF_();
    assert_done(0, 200, HTTP1_END_TRUNCATED, -1, 3);
}

static void body_without_length_ends_at_eof(void **state)
{
    (void)state;
    W(GET_A);
    R("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nsome body");
    assert_int_equal(nth(HTTP1_EV_RESPONSE_HEADERS, 0)->framing, HTTP1_FRAME_EOF);
    R(" and more");
    assert_int_equal(http1_body_expected(&h), -1);
    assert_int_equal(count(HTTP1_EV_RESPONSE_DONE), 0);
    EOF_();
    assert_done(0, 200, HTTP1_END_EOF, 18, 18);
    assert_false(done(0)->keep_alive);
}

static void transfer_coding_not_ending_in_chunked_is_read_until_eof(void **state)
{
    (void)state;
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 4\r\n\r\nabcdefg");
    assert_int_equal(http1_framing(&h), HTTP1_FRAME_EOF);
    EOF_();
    assert_done(0, 200, HTTP1_END_EOF, 7, 7);
}

static void chunked_overrides_content_length_and_names_ignore_case(void **state)
{
    (void)state;
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nContent: 1\r\nConnections: close\r\nTransfer-Encodings: x\r\n"
      "content-LENGTH: 100\r\nTRANSFER-encoding: gzip\r\n"
      "transfer-encoding:  Chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    assert_done(0, 200, HTTP1_END_CHUNKED, 3, 3);
}

static void head_response_has_no_body_despite_its_content_length(void **state)
{
    (void)state;
    W(HEAD_A);
    assert_true(http1_request_flags(&h) & HTTP1_RQ_HEAD);
    R("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
    assert_done(0, 200, HTTP1_END_NOBODY, 0, 0);
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert_done(1, 200, HTTP1_END_LENGTH, 2, 2);
}

static void interim_100_continue_is_followed_by_the_final_response(void **state)
{
    (void)state;
    W("POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    R("HTTP/1.1 100 Continue\r\n\r\n");
    assert_int_equal(count(HTTP1_EV_RESPONSE_HEADERS), 0);
    assert_int_equal(http1_outstanding(&h), 1);
    W("abc");
    R("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\n"
      "Content-Length: 2\r\n\r\nok");
    assert_int_equal(count(HTTP1_EV_RESPONSE_HEADERS), 1);
    assert_done(0, 201, HTTP1_END_LENGTH, 2, 2);
    assert_int_equal(http1_responses(&h), 1);
}

static void no_content_and_not_modified_have_no_body(void **state)
{
    (void)state;
    W(GET_A);
    W(GET_A);
    R("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_done(0, 204, HTTP1_END_NOBODY, 0, 0);
    assert_done(1, 304, HTTP1_END_NOBODY, 0, 0);
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
    assert_int_equal(http1_outstanding(&h), 0);
}

static void pipelined_head_and_get_are_answered_in_order(void **state)
{
    (void)state;
    W(HEAD_A GET_A HEAD_A "GET /b HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_int_equal(count(HTTP1_EV_REQUEST_SENT), 4);
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 0)->method, "HEAD");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 3)->target, "/b");
    assert_int_equal(http1_outstanding(&h), 4);
    R("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n1234567"
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!");
    assert_int_equal(http1_responses(&h), 4);
    assert_done(0, 200, HTTP1_END_NOBODY, 0, 0);
    assert_done(1, 200, HTTP1_END_LENGTH, 7, 7);
    assert_done(2, 200, HTTP1_END_NOBODY, 0, 0);
    assert_done(3, 404, HTTP1_END_LENGTH, 3, 3);
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
}

static void keep_alive_connection_carries_a_sequence_of_responses(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        W(GET_A);
        if (i % 2)
            R("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody");
        else
            R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n");
        assert_int_equal(http1_responses(&h), i + 1);
        assert_true(done(i)->keep_alive);
        assert_int_equal(done(i)->body_read, 4);
    }
    assert_int_equal(http1_requests(&h), 20);
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
}

static void connection_close_is_seen_on_request_and_response(void **state)
{
    (void)state;
    W("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n");
    assert_true(http1_request_flags(&h) & HTTP1_RQ_CLOSE);
    R("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_false(done(0)->keep_alive);
    reset(NULL);
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx");
    assert_false(done(0)->keep_alive);
    reset(NULL);
    W(GET_A);
    R("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx");
    assert_true(done(0)->keep_alive);
}

static void switching_protocols_turns_the_socket_into_a_tunnel(void **state)
{
    (void)state;
    W("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    R("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
    assert_int_equal(count(HTTP1_EV_TUNNEL), 1);
    assert_done(0, 101, HTTP1_END_TUNNEL, 0, 0);
    assert_int_equal(http1_state(&h), HTTP1_TUNNEL);
    R("anything at all");
    W("\x81\x85masked");
    assert_int_equal(lg.n, 4);
}

static void connect_answered_2xx_becomes_a_tunnel_and_non_2xx_does_not(void **state)
{
    (void)state;
    W("CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n");
    assert_true(http1_request_flags(&h) & HTTP1_RQ_CONNECT);
    W("\x16\x03\x01 early tunnel bytes are not parsed");
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
    R("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
    W("CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\nProxy-Authorization: x\r\n\r\n");
    R("HTTP/1.1 200 Connection established\r\n\r\n");
    assert_int_equal(http1_state(&h), HTTP1_TUNNEL);
    assert_done(1, 200, HTTP1_END_TUNNEL, 0, 0);
}

static void bare_lf_and_folded_lines_are_accepted(void **state)
{
    (void)state;
    W("GET /lf HTTP/1.1\nHost: h\n\n");
    assert_int_equal(http1_requests(&h), 1);
    R("HTTP/1.1 200\nX-Folded: a\n  continued: here\nTransfer-Encoding: chunked\n\n"
      "3\nabc\n0\n\n");
    assert_done(0, 200, HTTP1_END_CHUNKED, 3, 3);
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked x\r\nContent-Length: 2\r\n\r\nabc");
    assert_int_equal(http1_framing(&h), HTTP1_FRAME_EOF); /* "chunked x" is not chunked */
}

/* ---- requests ---- */

static void request_with_a_length_body_is_skipped_to_the_next_request(void **state)
{
    (void)state;
    W("POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 29\r\n\r\n");
    W("GET / HTTP/1.1\r\nHost: x\r\n\r\n  "); /* 29 bytes of body that look like a request */
    assert_int_equal(http1_requests(&h), 1);
    W("PUT /next HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(http1_requests(&h), 2);
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 1)->method, "PUT");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 1)->target, "/next");
}

static void request_with_a_chunked_body_is_skipped_to_the_next_request(void **state)
{
    (void)state;
    W("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;ext=1\r\nGET \r\n10\r\n/ HTTP/1.1\r\n\r\nab\r\n0\r\nTrailer: t\r\n\r\n"
      "DELETE /item/7 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(http1_requests(&h), 2);
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 1)->method, "DELETE");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 1)->target, "/item/7");
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
}

static void common_methods_are_recognised(void **state)
{
    (void)state;
    static const char *const methods[] = {"GET",   "HEAD",    "POST",  "PUT",     "DELETE",
                                          "PATCH", "OPTIONS", "TRACE", "PROPFIND"};
    char line[96];
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        snprintf(line, sizeof(line), "%s /x HTTP/1.0\r\n\r\n", methods[i]);
        W(line);
        R("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, (int)i)->method, methods[i]);
    }
    W("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_string_equal(http1_target(&h), "*");
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
}

static void query_string_is_never_kept(void **state)
{
    (void)state;
    W("GET /search?q=secret&token=hunter2 HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 0)->target, "/search");
    assert_true(http1_request_flags(&h) & HTTP1_RQ_QUERY);
    assert_null(memmem(&h, sizeof(h), "secret", 6));
    assert_null(memmem(&h, sizeof(h), "hunter2", 7));
}

static void credentials_in_an_absolute_target_are_never_kept(void **state)
{
    (void)state;
    W("GET http://alice:s3cr3t@proxy.example:3128/p/@me?k=v HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 0)->target, "http://proxy.example:3128/p/@me");
    assert_true(http1_request_flags(&h) & HTTP1_RQ_USERINFO);
    assert_null(memmem(&h, sizeof(h), "s3cr3t", 6));
    W("GET http://a-very-long-user-name-here:s3cr3t-and-longer-still@host/x HTTP/1.1\r\n\r\n");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 1)->target, "http://host/x");
    assert_int_equal(http1_request_flags(&h), HTTP1_RQ_USERINFO);
    W("OPTIONS x@y HTTP/1.1\r\n\r\n");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 2)->target, "x@y");
    W("GET /users/@me HTTP/1.1\r\n\r\n");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 3)->target, "/users/@me");
    assert_int_equal(http1_request_flags(&h), 0);
}

static void body_bytes_are_never_kept(void **state)
{
    (void)state;
    W("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\npassword=pw");
    R("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nSet-Cookie: sid=abc\r\n\r\nSECRET-TOKEN");
    assert_null(memmem(&h, sizeof(h), "password", 8));
    assert_null(memmem(&h, sizeof(h), "SECRET", 6));
    assert_null(memmem(&h, sizeof(h), "sid=", 4));
}

static void host_is_captured_trimmed_and_only_the_first_one(void **state)
{
    (void)state;
    W("GET / HTTP/1.1\r\nAccept: */*\r\nHos: no\r\nHosts: no\r\n"
      "hOsT:   api.example.com:8080 \t\r\nHost: other\r\n\r\n");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 0)->host, "api.example.com:8080");
    assert_true(http1_request_flags(&h) & HTTP1_RQ_HOST);
    assert_false(http1_request_flags(&h) & HTTP1_RQ_HOST_CUT);
    W("GET / HTTP/1.0\r\n\r\n");
    assert_string_equal(nth(HTTP1_EV_REQUEST_SENT, 1)->host, "");
    assert_false(http1_request_flags(&h) & HTTP1_RQ_HOST);
}

static void long_target_and_host_are_truncated_and_flagged(void **state)
{
    (void)state;
    W("GET /0123456789/0123456789/0123456789/0123456789/tail?x=1 HTTP/1.1\r\n"
      "Host: a-very-long-host-name.subdomain.example.com\r\n\r\n");
    const struct rec *r = nth(HTTP1_EV_REQUEST_SENT, 0);
    assert_string_equal(r->target, "/0123456789/0123456789/0123456789/012345");
    assert_string_equal(r->host, "a-very-long-host-name.subdoma");
    unsigned int f = http1_request_flags(&h);
    assert_true((f & HTTP1_RQ_TARGET_CUT) && (f & HTTP1_RQ_HOST_CUT) && (f & HTTP1_RQ_QUERY));
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
}

/* ---- not HTTP ---- */

static void assert_not_http_after(const void *first, size_t n)
{
    reset(NULL);
    feed(&h, true, first, n, &lg);
    assert_int_equal(http1_state(&h), HTTP1_NOT_HTTP);
    assert_int_equal(count(HTTP1_EV_NOT_HTTP), 1);
    /* Every later call returns at once, whatever it carries. */
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    EOF_();
    assert_int_equal(lg.n, 1);
    assert_int_equal(http1_requests(&h), 0);
    assert_int_equal(http1_state(&h), HTTP1_NOT_HTTP);
}

static void non_http_first_bytes_make_the_socket_not_http(void **state)
{
    (void)state;
    static const unsigned char client_hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01};
    static const unsigned char binary[] = {0x00, 0x00, 0x00, 0x2a, 0xff, 0x10};
    assert_not_http_after(client_hello, sizeof(client_hello));
    assert_not_http_after(binary, sizeof(binary));
    assert_not_http_after("HELLO\r\n", 7);
    assert_not_http_after("get / HTTP/1.1\r\n", 16);               /* methods are case-sensitive */
    assert_not_http_after("GET key\r\n", 9);                       /* Redis inline command */
    assert_not_http_after("GET / HTTP/2.0\r\n", 16);               /* not HTTP/1.x */
    assert_not_http_after("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24); /* h2 preface */
    assert_not_http_after("SSH-2.0-OpenSSH_9.2\r\n", 21);
    assert_not_http_after("GeT / HTTP/1.1\r\n", 16);
    assert_not_http_after("GET / HTTP/1.10\r\n", 17);
    assert_not_http_after("ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n", 38); /* no such method */
}

static void reading_before_writing_a_request_line_is_not_http(void **state)
{
    (void)state;
    R("220 smtp.example.com ESMTP\r\n");
    assert_int_equal(http1_state(&h), HTTP1_NOT_HTTP);
    W(GET_A);
    assert_int_equal(http1_requests(&h), 0);
}

/* ---- lost sync ---- */

static void assert_lost_sync(const char *response)
{
    reset(NULL);
    W(GET_A);
    R(response);
    assert_int_equal(http1_state(&h), HTTP1_LOST_SYNC);
    assert_int_equal(count(HTTP1_EV_LOST_SYNC), 1);
    int n = lg.n;
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(lg.n, n);
    assert_int_equal(http1_requests(&h), 1);
}

static void garbage_and_ambiguous_framing_lose_sync(void **state)
{
    (void)state;
    assert_lost_sync("\x01\x02garbage");
    assert_lost_sync("HTTP/1.1 2x0 OK\r\n\r\n");
    assert_lost_sync("HTTP/1.1 099 Odd\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent Length: 1\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nConnection\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\n(bad): 1\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n");
    assert_lost_sync("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n"
                     "Content-Length: 0\r\n\r\nGARBAGE");
}

static void agreeing_duplicate_content_lengths_are_accepted(void **state)
{
    (void)state;
    W(GET_A);
    R("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc");
    assert_done(0, 200, HTTP1_END_LENGTH, 3, 3);
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
}

static void bad_requests_lose_sync(void **state)
{
    (void)state;
    W(GET_A "get / HTTP/1.1\r\n\r\n");
    assert_int_equal(http1_state(&h), HTTP1_LOST_SYNC);
    reset(NULL);
    W("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n");
    assert_int_equal(http1_state(&h), HTTP1_LOST_SYNC);
    reset(NULL);
    W("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert_int_equal(http1_state(&h), HTTP1_LOST_SYNC);
    assert_int_equal(count(HTTP1_EV_REQUEST_SENT), 1);
}

static void more_pipelined_requests_than_followed_lose_sync(void **state)
{
    (void)state;
    for (int i = 0; i < HTTP1_FIFO_MAX; i++) W(GET_A);
    assert_int_equal(http1_state(&h), HTTP1_ACTIVE);
    assert_int_equal(http1_outstanding(&h), HTTP1_FIFO_MAX);
    W(HEAD_A);
    assert_int_equal(http1_requests(&h), HTTP1_FIFO_MAX + 1);
    assert_int_equal(http1_state(&h), HTTP1_LOST_SYNC);
}

/* ---- any split gives the same result ---- */

struct step {
    char dir; /* 'w' written, 'r' read, 'e' EOF */
    const char *s;
};

struct convo {
    const char *name;
    struct step steps[6];
};

static const struct convo convos[] = {
    {"length",
     {{'w', "GET /a?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"},
      {'r', "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n"
            "hello world!"}}},
    {"chunked",
     {{'w', GET_A},
      {'r', "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            "5;name=val\r\nhello\r\n1a ; a=\"b;c\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
            "0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n"}}},
    {"eof", {{'w', GET_A}, {'r', "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil the end"}, {'e', ""}}},
    {"partial", {{'w', GET_A}, {'r', "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf"}}},
    {"truncated",
     {{'w', GET_A},
      {'r', "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"},
      {'e', ""}}},
    {"head",
     {{'w', HEAD_A GET_A},
      {'r', "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"}}},
    {"interim",
     {{'w', "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab"},
      {'r', "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
            "\r\nok"}}},
    {"nobody",
     {{'w', GET_A GET_A GET_A},
      {'r', "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"
            "\r\nHTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n!"}}},
    {"pipelined",
     {{'w', HEAD_A GET_A HEAD_A GET_A},
      {'r', "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "HTTP/1.1 500 Oops\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"},
      {'e', ""}}},
    {"keepalive",
     {{'w', GET_A},
      {'r', "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"},
      {'w', "GET /two HTTP/1.1\r\nHost: example.com\r\n\r\n"},
      {'r', "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"},
      {'w', "GET /three HTTP/1.1\r\nHost: example.com\r\n\r\n"},
      {'r', "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"}}},
    {"request_bodies",
     {{'w', "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n12345"
            "PUT /b?secret=1 HTTP/1.1\r\nHost: h2\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\nGET /c HTTP/1.1\r\nHost: h3\r\n\r\n"},
      {'r', "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
            "0\r\n\r\n"}}},
    {"userinfo",
     {{'w', "GET http://u:pw@example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n"},
      {'r', "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n."}}},
    {"upgrade",
     {{'w', "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n"},
      {'r', "HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x02hi"}}},
    {"lost_sync",
     {{'w', GET_A}, {'r', "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokTHIS IS NOT HTTP\r\n"}}},
    {"not_http", {{'w', "HELLO world\r\n"}, {'r', "HTTP/1.1 200 OK\r\n\r\n"}}},
};
#define NCONVOS (sizeof(convos) / sizeof(convos[0]))

/* Feeds a conversation; step `split` is cut before each offset in cuts[]. */
static void convo_run(const struct convo *c, int split, const size_t *cuts, int ncuts,
                      struct http1 *t, struct log *l)
{
    memset(t, 0, sizeof(*t));
    memset(l, 0, sizeof(*l));
    for (int i = 0; i < 6 && c->steps[i].dir; i++) {
        const struct step *s = &c->steps[i];
        size_t len = strlen(s->s), at = 0;
        if (s->dir == 'e') {
            feed_eof(t, l);
            continue;
        }
        for (int k = 0; i == split && k < ncuts; k++) {
            feed(t, s->dir == 'w', s->s + at, cuts[k] - at, l);
            at = cuts[k];
        }
        feed(t, s->dir == 'w', s->s + at, len - at, l);
    }
}

static void assert_same_as(const struct convo *c, const struct http1 *t, const struct log *l,
                           const struct http1 *ref, const struct log *lref, const char *how)
{
    if (l->n != lref->n || memcmp(l->r, lref->r, sizeof(l->r)) != 0)
        fail_msg("%s: events differ when %s", c->name, how);
    if (memcmp(t, ref, sizeof(*t)) != 0) fail_msg("%s: state differs when %s", c->name, how);
}

static void every_single_split_point_gives_the_same_result(void **state)
{
    (void)state;
    static struct http1 ref, t;
    static struct log lref, l;
    char how[64];
    for (size_t ci = 0; ci < NCONVOS; ci++) {
        const struct convo *c = &convos[ci];
        convo_run(c, -1, NULL, 0, &ref, &lref);
        for (int si = 0; si < 6 && c->steps[si].dir; si++) {
            size_t len = strlen(c->steps[si].s);
            for (size_t cut = 1; cut < len; cut++) {
                convo_run(c, si, &cut, 1, &t, &l);
                snprintf(how, sizeof(how), "step %d is cut at %zu", si, cut);
                assert_same_as(c, &t, &l, &ref, &lref, how);
            }
        }
    }
}

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void random_multi_splits_give_the_same_result(void **state)
{
    (void)state;
    static struct http1 ref, t;
    static struct log lref, l;
    uint32_t seed = 42;
    size_t cuts[512];
    char how[64];
    for (size_t ci = 0; ci < NCONVOS; ci++) {
        const struct convo *c = &convos[ci];
        convo_run(c, -1, NULL, 0, &ref, &lref);
        for (int si = 0; si < 6 && c->steps[si].dir; si++) {
            size_t len = strlen(c->steps[si].s);
            for (int round = 0; round < 200; round++) {
                int n = 0;
                size_t maxstep = 1 + rnd(&seed) % 12;
                for (size_t at = 1 + rnd(&seed) % maxstep; at < len && n < 512;
                     at += 1 + rnd(&seed) % maxstep)
                    cuts[n++] = at;
                convo_run(c, si, cuts, n, &t, &l);
                snprintf(how, sizeof(how), "step %d is cut %d times (round %d)", si, n, round);
                assert_same_as(c, &t, &l, &ref, &lref, how);
            }
        }
    }
}

static const struct convo *convo_named(const char *name)
{
    for (size_t i = 0; i < NCONVOS; i++)
        if (!strcmp(convos[i].name, name)) return &convos[i];
    fail_msg("no conversation %s", name);
    return NULL;
}

static void byte_at_a_time_matches_the_expected_story(void **state)
{
    (void)state;
    static struct http1 t;
    static struct log l;
    const struct convo *c = convo_named("pipelined");
    size_t cuts[512];
    size_t len = strlen(c->steps[1].s);
    for (size_t i = 1; i < len; i++) cuts[i - 1] = i;
    convo_run(c, 1, cuts, (int)len - 1, &t, &l);
    h = t;
    lg = l;
    assert_int_equal(count(HTTP1_EV_REQUEST_SENT), 4);
    assert_int_equal(count(HTTP1_EV_RESPONSE_DONE), 4);
    assert_done(0, 200, HTTP1_END_NOBODY, 0, 0);
    assert_done(1, 200, HTTP1_END_CHUNKED, 2, 2);
    assert_done(2, 200, HTTP1_END_NOBODY, 0, 0);
    assert_done(3, 500, HTTP1_END_LENGTH, 2, 2);
    assert_false(done(3)->keep_alive);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(state_fits_in_128_bytes_and_zero_is_unknown, reset),
        cmocka_unit_test_setup(content_length_body_ends_when_the_length_is_read, reset),
        cmocka_unit_test_setup(partly_read_body_shows_expected_above_read_and_not_done, reset),
        cmocka_unit_test_setup(eof_inside_a_length_body_truncates_it, reset),
        cmocka_unit_test_setup(chunked_body_with_extensions_and_trailers_ends_at_the_last_chunk,
                               reset),
        cmocka_unit_test_setup(chunked_body_cut_by_eof_is_truncated_with_unknown_length, reset),
        cmocka_unit_test_setup(body_without_length_ends_at_eof, reset),
        cmocka_unit_test_setup(transfer_coding_not_ending_in_chunked_is_read_until_eof, reset),
        cmocka_unit_test_setup(chunked_overrides_content_length_and_names_ignore_case, reset),
        cmocka_unit_test_setup(head_response_has_no_body_despite_its_content_length, reset),
        cmocka_unit_test_setup(interim_100_continue_is_followed_by_the_final_response, reset),
        cmocka_unit_test_setup(no_content_and_not_modified_have_no_body, reset),
        cmocka_unit_test_setup(pipelined_head_and_get_are_answered_in_order, reset),
        cmocka_unit_test_setup(keep_alive_connection_carries_a_sequence_of_responses, reset),
        cmocka_unit_test_setup(connection_close_is_seen_on_request_and_response, reset),
        cmocka_unit_test_setup(switching_protocols_turns_the_socket_into_a_tunnel, reset),
        cmocka_unit_test_setup(connect_answered_2xx_becomes_a_tunnel_and_non_2xx_does_not, reset),
        cmocka_unit_test_setup(bare_lf_and_folded_lines_are_accepted, reset),
        cmocka_unit_test_setup(request_with_a_length_body_is_skipped_to_the_next_request, reset),
        cmocka_unit_test_setup(request_with_a_chunked_body_is_skipped_to_the_next_request, reset),
        cmocka_unit_test_setup(common_methods_are_recognised, reset),
        cmocka_unit_test_setup(query_string_is_never_kept, reset),
        cmocka_unit_test_setup(credentials_in_an_absolute_target_are_never_kept, reset),
        cmocka_unit_test_setup(body_bytes_are_never_kept, reset),
        cmocka_unit_test_setup(host_is_captured_trimmed_and_only_the_first_one, reset),
        cmocka_unit_test_setup(long_target_and_host_are_truncated_and_flagged, reset),
        cmocka_unit_test_setup(non_http_first_bytes_make_the_socket_not_http, reset),
        cmocka_unit_test_setup(reading_before_writing_a_request_line_is_not_http, reset),
        cmocka_unit_test_setup(garbage_and_ambiguous_framing_lose_sync, reset),
        cmocka_unit_test_setup(agreeing_duplicate_content_lengths_are_accepted, reset),
        cmocka_unit_test_setup(bad_requests_lose_sync, reset),
        cmocka_unit_test_setup(more_pipelined_requests_than_followed_lose_sync, reset),
        cmocka_unit_test_setup(every_single_split_point_gives_the_same_result, reset),
        cmocka_unit_test_setup(random_multi_splits_give_the_same_result, reset),
        cmocka_unit_test_setup(byte_at_a_time_matches_the_expected_story, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
