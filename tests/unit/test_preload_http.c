/* test_preload_http.c - httptrack.c: HTTP state only for client sockets
 * that write a request line, and the http_req / http_resp / http_done
 * records and the "http" object of the last close record; TLS plaintext
 * attached to the socket whose raw bytes are ciphertext; handles.c's URL
 * redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "preload_harness.h"

#include <sys/socket.h>

static int setup(void **state)
{
    (void)state;
    setenv("CONNLEAK_HTTP", "2", 1); /* the exchange records these tests read */
    return harness_start();
}

static struct sock_rec *open_sock(int *fd, int role)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*fd >= 0);
    return track_open(*fd, AF_INET, SOCK_STREAM, role, 0, NULL, 0);
}

static void close_sock(int fd)
{
    track_close(fd, "close");
    close(fd);
}

static void feed_str(struct sock_rec *r, int fd, const char *s, bool in)
{
    http_feed(r, fd, s, strlen(s), in);
}

/* The one record of type t for sid; NULL-safe field access by the caller. */
static cJSON *record(cJSON **v, int n, const char *t, uint64_t sid)
{
    for (int i = 0; i < n; i++) {
        const cJSON *tt = cJSON_GetObjectItem(v[i], "t");
        const cJSON *s = cJSON_GetObjectItem(v[i], "sid");
        if (strcmp(tt->valuestring, t) == 0 && s && (uint64_t)s->valuedouble == sid) return v[i];
    }
    return NULL;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(x) ? x->valuestring : "";
}

static double num_of(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : -99;
}

static void exchange_byte_by_byte_gives_three_records(void **state)
{
    (void)state;
    static const char rs[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    int fd;
    struct sock_rec *r = open_sock(&fd, ROLE_CLIENT);
    uint64_t sid = r->sid;
    feed_str(r, fd, "GET /a?token=x HTTP/1.1\r\nHost: example.org\r\n\r\n", false);
    for (size_t i = 0; i < sizeof(rs) - 1; i++) http_feed(r, fd, rs + i, 1, true);
    close_sock(fd);
    cJSON **v = NULL;
    int n = harness_lines(&v);
    cJSON *rq = record(v, n, "http_req", sid), *hd = record(v, n, "http_resp", sid);
    cJSON *dn = record(v, n, "http_done", sid), *cl = record(v, n, "close", sid);
    assert_non_null(rq);
    assert_string_equal(str_of(rq, "target"), "/a");
    assert_string_equal(str_of(rq, "host"), "example.org");
    assert_non_null(hd);
    assert_int_equal(num_of(hd, "status"), 200);
    assert_int_equal(num_of(hd, "expect"), 5);
    assert_string_equal(str_of(hd, "framing"), "length");
    assert_non_null(dn);
    assert_int_equal(num_of(dn, "seq"), 1);
    assert_int_equal(num_of(dn, "body"), 5);
    assert_string_equal(str_of(dn, "end"), "length");
    const cJSON *h = cJSON_GetObjectItem(cl, "http");
    assert_non_null(h);
    assert_int_equal(num_of(h, "reqs"), 1);
    assert_string_equal(str_of(h, "phase"), "idle");
    harness_lines_free(v, n);
}

static void close_delimited_body_ends_at_eof(void **state)
{
    (void)state;
    int fd;
    struct sock_rec *r = open_sock(&fd, ROLE_CLIENT);
    uint64_t sid = r->sid;
    feed_str(r, fd, "GET / HTTP/1.0\r\n\r\n", false);
    feed_str(r, fd, "HTTP/1.0 200 OK\r\n\r\nabc", true);
    http_eof(r, fd, false);
    close_sock(fd);
    cJSON **v = NULL;
    int n = harness_lines(&v);
    cJSON *dn = record(v, n, "http_done", sid);
    assert_non_null(dn);
    assert_string_equal(str_of(dn, "end"), "eof");
    assert_int_equal(num_of(dn, "body"), 3);
    harness_lines_free(v, n);
}

static void other_sockets_are_marked_not_http(void **state)
{
    (void)state;
    int fd1, fd2, fd3;
    struct sock_rec *srv = open_sock(&fd1, ROLE_ACCEPTED);
    struct sock_rec *tls = open_sock(&fd2, ROLE_CLIENT);
    struct sock_rec *rd = open_sock(&fd3, ROLE_CLIENT);
    feed_str(srv, fd1, "GET / HTTP/1.1\r\n\r\n", false);
    feed_str(tls, fd2, "\x16\x03\x01", false);
    feed_str(rd, fd3, "220 smtp ready\r\n", true);
    assert_true(atomic_load(&srv->http) & REC_HTTP_NOT);
    assert_true(atomic_load(&tls->http) & REC_HTTP_NOT);
    assert_true(atomic_load(&rd->http) & REC_HTTP_NOT);
    uint64_t sid = tls->sid;
    close_sock(fd1);
    close_sock(fd2);
    close_sock(fd3);
    assert_int_equal(harness_count("http_req", sid), 0);
}

static void states_are_reused_after_close(void **state)
{
    (void)state;
    uint32_t first = 0;
    for (int i = 0; i < 100; i++) {
        int fd;
        struct sock_rec *r = open_sock(&fd, ROLE_CLIENT);
        feed_str(r, fd, "GE", false); /* undecided yet: keeps its state */
        uint32_t idx = atomic_load(&r->http);
        assert_true(idx && !(idx & REC_HTTP_NOT));
        if (!first) first = idx;
        assert_int_equal(idx, first);
        close_sock(fd);
    }
}

static void tls_plaintext_is_followed_not_the_ciphertext(void **state)
{
    (void)state;
    int fd;
    struct sock_rec *r = open_sock(&fd, ROLE_CLIENT);
    uint64_t sid = r->sid;
    feed_str(r, fd, "\x16\x03\x01 client hello", false); /* raw: not HTTP */
    assert_int_equal(atomic_load(&r->http), REC_HTTP_NOT);
    const char *rq = "GET /s?k=v HTTP/1.1\r\nHost: h\r\n\r\n";
    const char *rs = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    http_feed_tls(r, fd, rq, strlen(rq), false);
    uint32_t idx = atomic_load(&r->http);
    assert_true((idx & REC_HTTP_TLS) && !(idx & REC_HTTP_NOT));
    feed_str(r, fd, "\x17\x03\x03 GET / HTTP/1.1\r\n", false); /* raw after TLS: ignored */
    http_feed_tls(r, fd, rs, strlen(rs), true);
    close_sock(fd);
    cJSON **v = NULL;
    int n = harness_lines(&v);
    cJSON *cl = record(v, n, "close", sid);
    assert_non_null(cl);
    cJSON *h = cJSON_GetObjectItem(cl, "http");
    assert_non_null(h);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(h, "tls")));
    assert_string_equal(str_of(h, "target"), "/s");
    assert_string_equal(str_of(h, "phase"), "body");
    assert_int_equal(num_of(h, "reqs"), 1);
    assert_int_equal(num_of(h, "read"), 3);
    assert_int_equal(num_of(h, "expect"), 10);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(h, "ka")));
    harness_lines_free(v, n);
}

static void request_without_answer_is_awaited(void **state)
{
    (void)state;
    int fd;
    struct sock_rec *r = open_sock(&fd, ROLE_CLIENT);
    uint64_t sid = r->sid;
    feed_str(r, fd, "GET /hang HTTP/1.1\r\nConnection: close\r\n\r\n", false);
    close_sock(fd);
    cJSON **v = NULL;
    int n = harness_lines(&v);
    cJSON *h = cJSON_GetObjectItem(record(v, n, "close", sid), "http");
    assert_non_null(h);
    assert_int_equal(num_of(h, "await"), 1);
    assert_string_equal(str_of(h, "phase"), "idle");
    assert_null(cJSON_GetObjectItem(h, "tls"));
    harness_lines_free(v, n);
}

static void urls_lose_query_and_credentials(void **state)
{
    (void)state;
    char out[64];
    url_redact("https://user:pw@api.example:8443/v1/items?token=abc#frag", out, sizeof(out));
    assert_string_equal(out, "https://api.example:8443/v1/items");
    url_redact("http://h/p@x?q", out, sizeof(out)); /* '@' in the path is kept */
    assert_string_equal(out, "http://h/p@x");
    url_redact("http://127.0.0.1:8080", out, sizeof(out));
    assert_string_equal(out, "http://127.0.0.1:8080");
    url_redact("http://example.org/a-very-long-path-indeed", out, 16);
    assert_string_equal(out, "http://example.");
    url_redact("no-scheme?x=1", out, sizeof(out));
    assert_string_equal(out, "no-scheme");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exchange_byte_by_byte_gives_three_records),
        cmocka_unit_test(close_delimited_body_ends_at_eof),
        cmocka_unit_test(other_sockets_are_marked_not_http),
        cmocka_unit_test(states_are_reused_after_close),
        cmocka_unit_test(tls_plaintext_is_followed_not_the_ciphertext),
        cmocka_unit_test(request_without_answer_is_awaited),
        cmocka_unit_test(urls_lose_query_and_credentials),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
