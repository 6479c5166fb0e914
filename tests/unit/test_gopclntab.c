/* test_gopclntab.c - common/gopclntab.c on a real stripped Go binary (the
 * go_client sample built with -ldflags='-s -w'), under ASan and UBSan:
 * every probed net/http function and main's functions are found and map
 * back to their own names; a pc inside a function gives a file:line in
 * the right source; and tables damaged at random never crash a lookup.
 *
 *   test_gopclntab SAMPLES_DIR */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gopclntab.h"

static char *image;
static size_t image_len;

static int load(void **state)
{
    (void)state;
    const char *dir = getenv("SAMPLES");
    char path[4096];
    snprintf(path, sizeof(path), "%s/go_client_stripped", dir ? dir : ".");
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return -1;
    image_len = (size_t)st.st_size;
    image = malloc(image_len);
    ssize_t n = image ? read(fd, image, image_len) : -1;
    close(fd);
    elf_version(EV_CURRENT);
    return n == (ssize_t)image_len ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    free(image);
    return 0;
}

static void functions_map_back_to_their_names(void **state)
{
    (void)state;
    static const char *const names[] = {"main.main", "main.leakBody", "main.newTransport",
                                        "net/http.(*Transport).roundTrip",
                                        "net/http.(*persistConn).roundTrip"};
    char why[128];
    Elf *e = elf_memory(image, image_len);
    struct gopcln *t = gopcln_open(e, why, sizeof(why));
    assert_non_null(t);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        uint64_t entry = gopcln_func_entry(t, names[i]);
        if (!entry) fail_msg("%s not found", names[i]);
        struct gopcln_frame f[16];
        int n = gopcln_lookup(t, entry + 4, f, 16);
        assert_true(n >= 1);
        assert_string_equal(f[n - 1].function, names[i]); /* the physical function */
        assert_false(f[n - 1].inlined);
        assert_non_null(f[n - 1].file);
        assert_true(f[n - 1].line > 0);
        if (strncmp(names[i], "main.", 5) == 0) assert_non_null(strstr(f[n - 1].file, "client.go"));
    }
    assert_int_equal(gopcln_func_entry(t, "no.such.function"), 0);
    assert_int_equal(gopcln_lookup(t, 0x10, (struct gopcln_frame[1]){{0}}, 1), 0);
    gopcln_close(t);
    elf_end(e);
}

static void not_a_go_binary_is_refused_with_a_reason(void **state)
{
    (void)state;
    char why[128] = "";
    char *copy = malloc(image_len);
    memcpy(copy, image, image_len);
    char *p = memmem(copy, image_len, ".gopclntab", 10); /* rename the section */
    assert_non_null(p);
    p[1] = 'X';
    Elf *e = elf_memory(copy, image_len);
    assert_null(gopcln_open(e, why, sizeof(why)));
    assert_string_not_equal(why, "");
    elf_end(e);
    free(copy);
}

/* Random bytes over the table: lookups give what they give, never crash
 * (ASan and UBSan abort on any read outside the image). */
static void damaged_tables_never_crash(void **state)
{
    (void)state;
    char *copy = malloc(image_len);
    srand(42);
    for (int round = 0; round < 40; round++) {
        memcpy(copy, image, image_len);
        for (int k = 0; k < 64; k++)
            copy[image_len / 3 + (size_t)rand() % (image_len * 2 / 3)] = (char)rand();
        char why[128];
        Elf *e = elf_memory(copy, image_len);
        struct gopcln *t = e ? gopcln_open(e, why, sizeof(why)) : NULL;
        struct gopcln_frame f[16];
        for (int i = 0; t && i < 500; i++) {
            int n = gopcln_lookup(t, 0x400000 + (uint64_t)rand() % 0x300000, f, 16);
            for (int j = 0; j < n; j++)
                if (f[j].function) assert_true(strlen(f[j].function) < image_len);
        }
        if (t) gopcln_func_entry(t, "main.main");
        gopcln_close(t);
        if (e) elf_end(e);
    }
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(functions_map_back_to_their_names),
        cmocka_unit_test(not_a_go_binary_is_refused_with_a_reason),
        cmocka_unit_test(damaged_tables_never_crash),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
