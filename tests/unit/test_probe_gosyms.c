/* test_probe_gosyms.c - what the probe learns from a Go binary before it
 * attaches its uprobes (probe/gosyms.c), on the real Go samples: the Go
 * version, the five net/http functions, and the struct offsets, read from
 * DWARF and checked against the values verified by hand for go1.19; a
 * stripped build and a C program as the other cases.
 *
 *   test_probe_gosyms SAMPLES_DIR */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "probe_int.h"

static const char *samples;

static const char *sample(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", samples, name);
    return path;
}

static void go_binary_is_recognised_with_its_version(void **state)
{
    (void)state;
    struct go_info gi;
    assert_true(gosyms_inspect(sample("go_client"), &gi));
    assert_int_equal(strncmp(gi.version, "go1.", 4), 0);
    assert_true(gi.regabi);
    assert_string_equal(gi.why, "");
}

static void every_probed_function_is_found(void **state)
{
    (void)state;
    struct go_info gi;
    assert_true(gosyms_inspect(sample("go_client"), &gi));
    for (int i = 0; i < GO_TARGETS; i++) {
        if (!gi.targets[i].offset) fail_msg("%s not found", gi.targets[i].func);
        assert_true(gi.targets[i].offset > 0x1000); /* in .text, past the headers */
    }
    assert_true(gi.targets[0].offset != gi.targets[1].offset);
}

/* DWARF and the hand-checked table agree on go1.19 (design notes, §10). */
static void dwarf_offsets_match_the_checked_go119_values(void **state)
{
    (void)state;
    struct go_info gi;
    assert_true(gosyms_inspect(sample("go_client"), &gi));
    assert_true(gi.offs_from_dwarf);
    if (strncmp(gi.version, "go1.19", 6) != 0) skip();
    assert_int_equal(gi.offs.g_goid, 152);
    assert_int_equal(gi.offs.pc_conn, 80);
    assert_int_equal(gi.offs.pc_reused, 265);
    assert_int_equal(gi.offs.tcpconn_fd, 0);
    assert_int_equal(gi.offs.netfd_sysfd, 16);
    assert_int_equal(gi.offs.req_url, 16);
    assert_int_equal(gi.offs.url_host, 40);
    assert_int_equal(gi.offs.url_path, 56);
    assert_int_equal(gi.offs.pc_br, 104);
    assert_int_equal(gi.offs.es_body, 0);
    assert_int_equal(gi.offs.body_src, 0);
    assert_int_equal(gi.offs.lr_r, 0);
    assert_int_equal(gi.offs.chunked_r, 0);
}

/* Without .symtab nor DWARF: the functions from .gopclntab, at the same
 * places as the symbol table of the same source built unstripped says, and
 * the offsets from the checked go1.19 table. */
static void stripped_go_binary_is_followed_through_gopclntab(void **state)
{
    (void)state;
    struct go_info gi, full;
    assert_true(gosyms_inspect(sample("go_client_stripped"), &gi));
    assert_true(gosyms_inspect(sample("go_client"), &full));
    assert_false(gi.offs_from_dwarf);
    assert_string_equal(gi.why, "");
    for (int i = 0; i < GO_TARGETS; i++) {
        if (!gi.targets[i].offset) fail_msg("%s not found in .gopclntab", gi.targets[i].func);
        assert_int_equal(gi.targets[i].offset, full.targets[i].offset);
    }
    assert_memory_equal(&gi.offs, &full.offs, sizeof(gi.offs));
}

static void c_program_is_not_go(void **state)
{
    (void)state;
    struct go_info gi;
    assert_false(gosyms_inspect(sample("leaky_client"), &gi));
    assert_string_equal(gi.version, "");
    assert_false(gosyms_inspect("/nonexistent/binary", &gi));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_probe_gosyms SAMPLES_DIR\n");
        return 2;
    }
    samples = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(go_binary_is_recognised_with_its_version),
        cmocka_unit_test(every_probed_function_is_found),
        cmocka_unit_test(dwarf_offsets_match_the_checked_go119_values),
        cmocka_unit_test(stripped_go_binary_is_followed_through_gopclntab),
        cmocka_unit_test(c_program_is_not_go),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
