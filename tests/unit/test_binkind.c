/* test_binkind.c - unit tests of analyzer/cli/binkind.c on real binaries built by
 * tests/unit/unit_symbols.cmake (dynamic, -static, -static-pie, -shared, Go)
 * and on scripts and text files written into a temporary directory. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/binkind.h"

static char tmpdir[] = "/tmp/connleak-binkind-XXXXXX";

static int group_setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    const char *names[] = {"sh.sh", "env.sh", "envmissing.sh", "text.txt", "empty"};
    char path[4096];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return 0;
}

/* Writes tmpdir/name with content and mode; returns its path (static). */
static const char *file_write(const char *name, const char *content, mode_t mode)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static void check_kind(const char *path, enum bin_kind want, const char *why_part)
{
    char why[256] = "unset";
    enum bin_kind got = binkind_detect(path, why, sizeof(why));
    printf("%s -> %d (%s)\n", path, got, why);
    assert_int_equal(got, want);
    assert_non_null(strstr(why, why_part));
}

static void test_dynamic_fixture(void **state)
{
    (void)state;
    check_kind(BK_DYNAMIC, BIN_DYNAMIC, "dynamically linked");
}

/* A 32-bit ELF (the dynamic fixture with its class and machine patched:
 * this kernel cannot run one anyway) is not native; x86_64 ones and
 * scripts are. */
static void test_native(void **state)
{
    (void)state;
    assert_true(binkind_native(BK_DYNAMIC));
    assert_true(binkind_native(BK_STATIC));
    assert_true(binkind_native(file_write("sh.sh", "#!/bin/sh\necho hi\n", 0755)));
    FILE *in = fopen(BK_DYNAMIC, "rb");
    assert_non_null(in);
    unsigned char head[64];
    assert_int_equal(fread(head, 1, sizeof(head), in), sizeof(head));
    fclose(in);
    head[4] = 1;                /* EI_CLASS: ELFCLASS32 */
    head[18] = 3, head[19] = 0; /* e_machine: EM_386 */
    char path[4096];
    snprintf(path, sizeof(path), "%s/elf32", tmpdir);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    fwrite(head, 1, sizeof(head), out);
    fclose(out);
    assert_false(binkind_native(path));
    unlink(path);
}

static void test_static(void **state)
{
    (void)state;
    check_kind(BK_STATIC, BIN_STATIC, "statically linked (no PT_INTERP)");
}

static void test_static_pie(void **state)
{
    (void)state;
    if (!*BK_STATIC_PIE) skip(); /* the toolchain cannot link -static-pie */
    check_kind(BK_STATIC_PIE, BIN_STATIC, "static-pie");
}

static void test_shared_library(void **state)
{
    (void)state;
    check_kind(BK_SHARED, BIN_UNKNOWN, "shared library");
}

static void test_go(void **state)
{
    (void)state;
    if (!*BK_GO) fail_msg("no Go fixture: `go` was not found when configuring (install golang-go)");
    check_kind(BK_GO, BIN_GO, "a Go binary (");
    check_kind(BK_GO "_nosect", BIN_GO, "a Go binary (runtime.buildVersion)");
}

static void test_sh_script(void **state)
{
    (void)state;
    check_kind(file_write("sh.sh", "#!/bin/sh\necho hi\n", 0755), BIN_DYNAMIC, "/bin/sh");
}

static void test_env_script(void **state)
{
    (void)state;
    setenv("PATH", "/nonexistent:/usr/bin:/bin", 1);
    check_kind(file_write("env.sh", "#!/usr/bin/env -S sh -e\necho hi\n", 0755), BIN_DYNAMIC,
               "/sh: dynamically linked");
    check_kind(file_write("envmissing.sh", "#!/usr/bin/env no-such-interpreter-xyz\n", 0755),
               BIN_UNKNOWN, "not found in PATH");
}

static void test_text_and_oddities(void **state)
{
    (void)state;
    check_kind(file_write("text.txt", "just some text\n", 0644), BIN_UNKNOWN, "neither");
    check_kind(file_write("empty", "", 0755), BIN_UNKNOWN, "neither");
    check_kind("/nonexistent/program", BIN_UNKNOWN, "cannot open");
    check_kind(tmpdir, BIN_UNKNOWN, "not a regular file");
    assert_int_equal(binkind_detect(BK_DYNAMIC, NULL, 0), BIN_DYNAMIC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynamic_fixture),
        cmocka_unit_test(test_static),
        cmocka_unit_test(test_native),
        cmocka_unit_test(test_static_pie),
        cmocka_unit_test(test_shared_library),
        cmocka_unit_test(test_go),
        cmocka_unit_test(test_sh_script),
        cmocka_unit_test(test_env_script),
        cmocka_unit_test(test_text_and_oddities),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
