/* test_analyzer_demangle.c - unit tests of analyzer/symbols/demangle.c:
 * C++ and Rust (legacy, v0) names made readable by libiberty, C and Go names
 * left alone, the headline's name, and the shortening of a signature to a
 * width inside its template arguments only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "symbols/demangle.h"

#define ELLIPSIS "\xe2\x80\xa6"

static void expect_demangled(const char *mangled, const char *full, const char *bare)
{
    char *a = symbol_demangle(mangled, true), *b = symbol_demangle(mangled, false);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, full);
    assert_string_equal(b, bare);
    free(a);
    free(b);
}

static void test_cpp(void **state)
{
    (void)state;
    expect_demangled("_ZN3net4Pool4dialEi", "net::Pool::dial(int)", "net::Pool::dial");
    expect_demangled("_ZN3net7open_asINS_3TcpEEEii", "int net::open_as<net::Tcp>(int)",
                     "net::open_as<net::Tcp>");
    expect_demangled("_ZZ4mainENKUliE_clEi", "main::{lambda(int)#1}::operator()(int) const",
                     "main::{lambda(int)#1}::operator()");
    expect_demangled("_ZN3net4Pool4dialEi.cold", "net::Pool::dial(int) [clone .cold]",
                     "net::Pool::dial");
}

static void test_rust(void **state)
{
    (void)state;
    /* legacy: the hash is dropped; v0: generic arguments are spelled out */
    expect_demangled("_ZN4leak3net4dial17hec45bfb4ab63220eE", "leak::net::dial", "leak::net::dial");
    expect_demangled("_RNvNtCs3nG5cQELmqU_4leak3net4dial", "leak::net::dial", "leak::net::dial");
    expect_demangled("_RNvMs_NtCs3nG5cQELmqU_4leak3netINtB4_4PoolNtB4_3TcpE4openB6_",
                     "<leak::net::Pool<leak::net::Tcp>>::open",
                     "<leak::net::Pool<leak::net::Tcp>>::open");
}

/* C, Go and broken manglings: nothing to demangle, the caller keeps them. */
static void test_not_mangled(void **state)
{
    (void)state;
    const char *names[] = {"main",
                           "open_connection",
                           "main.(*Pool).Dial",
                           "_start",
                           "net/http.(*Transport).dialConn",
                           "_Zbroken",
                           "_R",
                           "_ZN3net",
                           "",
                           "__libc_start_main",
                           "_ZN3net4Pool4dial"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *s = symbol_demangle(names[i], true);
        if (s) fail_msg("%s demangled to %s", names[i], s);
    }
    assert_null(symbol_demangle(NULL, true));
}

static void expect_headline(const char *function, const char *mangled, const char *want)
{
    char *h = symbol_headline(function, mangled);
    assert_non_null(h);
    assert_string_equal(h, want);
    free(h);
}

static void test_headline(void **state)
{
    (void)state;
    expect_headline("net::Pool::dial(int)", "_ZN3net4Pool4dialEi", "net::Pool::dial(int)");
    /* a template function's return type goes */
    expect_headline("int net::open_as<net::Tcp>(int)", "_ZN3net7open_asINS_3TcpEEEii",
                    "net::open_as<net::Tcp>(int)");
    /* a parameter list over HEADLINE_PARAMS_MAX goes */
    const char *m = "_ZN3net4Pool4sendERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE";
    char *full = symbol_demangle(m, true);
    assert_non_null(full);
    assert_true(strlen(full) > strlen("net::Pool::send") + HEADLINE_PARAMS_MAX);
    expect_headline(full, m, "net::Pool::send");
    free(full);
    /* C and Go names as they are */
    expect_headline("open_connection", NULL, "open_connection");
    expect_headline("main.(*Pool).Dial", NULL, "main.(*Pool).Dial");
    assert_null(symbol_headline(NULL, NULL));
}

static void test_columns(void **state)
{
    (void)state;
    assert_int_equal(str_columns(""), 0);
    assert_int_equal(str_columns("abc"), 3);
    assert_int_equal(str_columns("a" ELLIPSIS "b"), 3);
    assert_int_equal(str_columns(NULL), 0);
}

static void expect_short(const char *sig, size_t width, const char *want)
{
    char *s = signature_shorten(sig, width);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void test_shorten(void **state)
{
    (void)state;
    const char *h = "std::_Function_handler<int (int), main::{lambda(int)#1}>::_M_invoke("
                    "std::_Any_data const&, int&&)";
    expect_short(h, 0, h);          /* no limit */
    expect_short(h, strlen(h), h);  /* fits */
    expect_short(h, strlen(h) - 10, /* 11 characters of the list become one "…" */
                 "std::_Function_handler<int (int), " ELLIPSIS
                 "da(int)#1}>::_M_invoke(std::_Any_data const&, int&&)");
    /* never the names: at most the whole list becomes "…" */
    expect_short(h, 10,
                 "std::_Function_handler<" ELLIPSIS ">::_M_invoke(std::_Any_data const&, int&&)");
    expect_short("open_connection", 4, "open_connection");
    /* the largest list goes first, then the next */
    const char *two = "a<bb>::c<dddddddddd>(e)";
    expect_short(two, strlen(two) - 5, "a<bb>::c<dd" ELLIPSIS "dd>(e)");
    expect_short(two, 12, "a<" ELLIPSIS ">::c<" ELLIPSIS ">(e)");
    /* nested lists are cut as a part of their outer list, from its middle */
    expect_short("f<a<b<c>>, d>()", 9, "f<a<" ELLIPSIS "d>()");
    expect_short("f<a<b<c>>, d>()", 4, "f<" ELLIPSIS ">()");
    /* operator< and operator<< are names, not lists */
    const char *op = "bool operator< <std::pair<int, int> >(std::pair<int, int> const&)";
    char *s = signature_shorten(op, 40);
    assert_non_null(strstr(s, "bool operator< <"));
    assert_non_null(strstr(s, ELLIPSIS));
    free(s);
    expect_short("std::ostream& operator<<(std::ostream&, A const&)", 10,
                 "std::ostream& operator<<(std::ostream&, A const&)");
    /* a multi-byte character is never split */
    s = signature_shorten("f<\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9>()", 8);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (p[0] >= 0xc0) assert_true((p[1] & 0xc0) == 0x80);
    assert_non_null(strstr(s, ELLIPSIS));
    free(s);
    assert_null(signature_shorten(NULL, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpp),         cmocka_unit_test(test_rust),
        cmocka_unit_test(test_not_mangled), cmocka_unit_test(test_headline),
        cmocka_unit_test(test_columns),     cmocka_unit_test(test_shorten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
