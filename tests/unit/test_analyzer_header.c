/* test_analyzer_header.c - a trace whose header line (line 1) is damaged is
 * still read (issue 11, item 10): tests/data/complete.jsonl with its header
 * cut short, replaced by garbage bytes, by JSON of the wrong type, by a
 * header whose fields have the wrong type, by a line over 1 MiB. Its records
 * are used, one note says the header was damaged and what was assumed, and
 * the process counts an issue (the report has problems). A file whose first
 * line is damaged and that holds no record is still not a trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"
#include "trace/trace_read.h"
#include "util/util.h"

struct loaded {
    struct process p;
    struct strlist notes;
    char *why;
    int rc;
};

static char tmpdir[] = "/tmp/connleak-header-XXXXXX";

/* complete.jsonl without its first line. */
static char *records_of_complete(void)
{
    FILE *f = fopen(TEST_DATA "/complete.jsonl", "r");
    assert_non_null(f);
    struct strbuf sb = {0};
    char line[8192];
    for (int i = 0; fgets(line, sizeof(line), f); i++)
        if (i > 0) strbuf_add(&sb, line);
    fclose(f);
    return strbuf_steal(&sb);
}

/* Writes `first` + "\n" + `rest` to tmpdir/name and reads it. */
static struct loaded *load_with(const char *name, const char *first, size_t nfirst,
                                const char *rest)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(first, 1, nfirst, f);
    fputc('\n', f);
    fputs(rest, f);
    fclose(f);
    struct loaded *l = calloc(1, sizeof(*l));
    l->rc = trace_read_file(path, &l->p, &l->notes, &l->why);
    unlink(path);
    free(path);
    return l;
}

static void unload(struct loaded *l)
{
    process_free(&l->p);
    strlist_free(&l->notes);
    free(l->why);
    free(l);
}

/* The records were used, and exactly one note (the first) is about the
 * header, naming the damage. */
static void assert_read_despite(const struct loaded *l, const char *damage)
{
    assert_int_equal(l->rc, 0);
    assert_true(l->p.complete);
    assert_int_equal(l->p.nlive, 5);
    assert_int_equal(l->p.totals.opened, 6);
    assert_int_equal(l->p.nstacks, 4);
    assert_true(l->p.issues >= 1);
    assert_true(l->notes.n >= 1);
    assert_non_null(strstr(l->notes.v[0], "damaged header line"));
    assert_non_null(strstr(l->notes.v[0], damage));
    assert_non_null(strstr(l->notes.v[0], "read as format version 3"));
    for (size_t i = 1; i < l->notes.n; i++) assert_null(strstr(l->notes.v[i], "header"));
}

static void cut_short_header_takes_the_pid_from_the_file_name(void **state)
{
    const char *hdr = "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"to";
    struct loaded *l = load_with("connleak-4242.1.jsonl", hdr, strlen(hdr), *state);
    assert_read_despite(l, "(not JSON)");
    assert_int_equal(l->p.pid, 4242);
    assert_null(l->p.exe);
    assert_non_null(strstr(l->notes.v[0], "pid 4242 (from the file name); program unknown"));
    unload(l);
}

static void garbage_header_leaves_the_pid_unknown(void **state)
{
    const char garbage[] = "\x00\xff\xfe\x01{{{\"t\":\"h\x80\x90";
    struct loaded *l = load_with("trace.jsonl", garbage, sizeof(garbage) - 1, *state);
    assert_read_despite(l, "(not JSON)");
    assert_int_equal(l->p.pid, 0);
    assert_non_null(strstr(l->notes.v[0], "pid unknown; program unknown"));
    unload(l);
}

static void header_of_the_wrong_json_type_is_damage(void **state)
{
    struct loaded *l = load_with("connleak-77.jsonl", "[1,2,3]", 7, *state);
    assert_read_despite(l, "(not a JSON object)");
    assert_int_equal(l->p.pid, 77);
    unload(l);
    l = load_with("connleak-77.jsonl", "\"hdr\"", 5, *state);
    assert_read_despite(l, "(not a JSON object)");
    unload(l);
}

static void header_fields_of_the_wrong_type_keep_the_good_ones(void **state)
{
    const char *hdr = "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":\"1\",\"pid\":4242,"
                      "\"exe\":\"/src/build/leaky\"}";
    struct loaded *l = load_with("t.jsonl", hdr, strlen(hdr), *state);
    assert_read_despite(l, "(no version)");
    assert_int_equal(l->p.pid, 4242);
    assert_string_equal(l->p.exe, "/src/build/leaky");
    assert_non_null(strstr(l->notes.v[0], "pid 4242; program leaky"));
    unload(l);
    hdr = "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":\"4242\"}";
    l = load_with("t.jsonl", hdr, strlen(hdr), *state);
    assert_read_despite(l, "(no pid)");
    assert_int_equal(l->p.pid, 0);
    unload(l);
}

static void header_over_1_mib_is_damage(void **state)
{
    size_t n = 2 << 20;
    char *big = malloc(n);
    memset(big, 'x', n);
    struct loaded *l = load_with("connleak-9.jsonl", big, n, *state);
    assert_read_despite(l, "(longer than 1 MiB)");
    unload(l);
    free(big);
}

/* Damage is skipped only in a file that holds records: other files are
 * still refused, without the notes of their lines. Neither is a first line
 * that is another record, nor another format, nor a newer version. */
static void files_without_records_are_still_not_traces(void **state)
{
    (void)state;
    struct loaded *l = load_with("x.jsonl", "garbage", 7, "{\"a\":1}\nmore garbage\n{\"t\":\"x");
    assert_int_equal(l->rc, -1);
    assert_non_null(strstr(l->why, "not a connleak trace"));
    assert_int_equal(l->notes.n, 0);
    unload(l);
    const char *hdr = "{\"t\":\"hdr\",\"format\":\"other\",\"version\":1,\"pid\":1}";
    l = load_with("x.jsonl", hdr, strlen(hdr), *state);
    assert_int_equal(l->rc, -1);
    unload(l);
    hdr = "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":4}";
    l = load_with("x.jsonl", hdr, strlen(hdr), *state);
    assert_int_equal(l->rc, -1);
    assert_non_null(strstr(l->why, "version 4 is newer"));
    unload(l);
}

static int setup(void **state)
{
    if (!mkdtemp(tmpdir)) return -1;
    *state = records_of_complete();
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cut_short_header_takes_the_pid_from_the_file_name),
        cmocka_unit_test(garbage_header_leaves_the_pid_unknown),
        cmocka_unit_test(header_of_the_wrong_json_type_is_damage),
        cmocka_unit_test(header_fields_of_the_wrong_type_keep_the_good_ones),
        cmocka_unit_test(header_over_1_mib_is_damage),
        cmocka_unit_test(files_without_records_are_still_not_traces),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
