/* test_preload_fmt.c - the preload's line formatter writes valid JSON for
 * every value it is given: numbers, hex, escaped strings, socket addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define _GNU_SOURCE
#include "jsonline.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/un.h>

static char mem[512];

static const char *fmt_done(struct jb *b)
{
    mem[b->len] = 0;
    return mem;
}

static void numbers_are_decimal_and_hex(void **state)
{
    (void)state;
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_u64(&b, 0);
    jb_raw(&b, " ");
    jb_u64(&b, 18446744073709551615ull);
    jb_raw(&b, " ");
    jb_i64(&b, -42);
    jb_raw(&b, " ");
    jb_hex(&b, 0x7f00deadbeefull);
    assert_string_equal(fmt_done(&b), "0 18446744073709551615 -42 \"0x7f00deadbeef\"");
}

static void strings_are_escaped(void **state)
{
    (void)state;
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_str(&b, "a\"b\\c\n\x01\xc3\xa9", 100);
    assert_string_equal(fmt_done(&b), "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\""); /* UTF-8 kept */
}

static void strings_stop_at_max(void **state)
{
    (void)state;
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_str(&b, "abcdef", 3);
    assert_string_equal(fmt_done(&b), "\"abc\"");
}

static void overflow_is_flagged_not_cut(void **state)
{
    (void)state;
    struct jb b;
    jb_init(&b, mem, 8);
    jb_raw(&b, "12345");
    assert_false(b.overflow);
    jb_raw(&b, "6789");
    assert_true(b.overflow);
    assert_int_equal(b.len, 5);
}

static const char *addr_text(int fam, const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    if (fam == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, ip, &in->sin_addr);
        len = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, ip, &in6->sin6_addr);
        len = sizeof(*in6);
    }
    struct cl_addr a;
    struct jb b;
    addr_from_sockaddr(&a, (struct sockaddr *)&ss, len);
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_addr(&b, &a);
    return fmt_done(&b);
}

static void ipv4_addresses(void **state)
{
    (void)state;
    assert_string_equal(addr_text(AF_INET, "127.0.0.1", 8080), "\"127.0.0.1:8080\"");
    assert_string_equal(addr_text(AF_INET, "255.0.10.1", 0), "\"255.0.10.1:0\"");
}

/* RFC 5952: the longest run of zero groups (at least two) becomes "::". */
static void ipv6_addresses_are_canonical(void **state)
{
    (void)state;
    assert_string_equal(addr_text(AF_INET6, "::1", 443), "\"[::1]:443\"");
    assert_string_equal(addr_text(AF_INET6, "::", 1), "\"[::]:1\"");
    assert_string_equal(addr_text(AF_INET6, "2001:db8::1", 80), "\"[2001:db8::1]:80\"");
    assert_string_equal(addr_text(AF_INET6, "1:0:0:2:0:0:0:3", 9), "\"[1:0:0:2::3]:9\"");
    assert_string_equal(addr_text(AF_INET6, "1:0:2:3:4:5:6:7", 9), "\"[1:0:2:3:4:5:6:7]:9\"");
    assert_string_equal(addr_text(AF_INET6, "fe80::", 9), "\"[fe80::]:9\"");
    assert_string_equal(addr_text(AF_INET6, "::ffff:10.1.2.3", 5), "\"[::ffff:10.1.2.3]:5\"");
}

static void unix_addresses(void **state)
{
    (void)state;
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    struct cl_addr a;
    struct jb b;
    strcpy(un.sun_path, "/run/x.sock");
    addr_from_sockaddr(&a, (struct sockaddr *)&un, sizeof(un));
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_addr(&b, &a);
    assert_string_equal(fmt_done(&b), "\"unix:/run/x.sock\"");
    memset(un.sun_path, 0, sizeof(un.sun_path));
    memcpy(un.sun_path, "\0abs", 4);
    addr_from_sockaddr(&a, (struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path) + 4);
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_addr(&b, &a);
    assert_string_equal(fmt_done(&b), "\"unix:@abs\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_are_decimal_and_hex),
        cmocka_unit_test(strings_are_escaped),
        cmocka_unit_test(strings_stop_at_max),
        cmocka_unit_test(overflow_is_flagged_not_cut),
        cmocka_unit_test(ipv4_addresses),
        cmocka_unit_test(ipv6_addresses_are_canonical),
        cmocka_unit_test(unix_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
