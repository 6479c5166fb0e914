/* test_analyzer_suppress.c - suppression rules (analyzer/filter): the '*'
 * glob, frame patterns matched from the innermost frame with "..." gaps,
 * file and module patterns (basename unless the pattern has a '/'), peers,
 * kinds; the file parser's errors with their line numbers; a generated rule
 * suppresses the finding it came from; and the baseline key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter/filter.h"
#include "filter/suppress.h"
#include "model/findings.h"
#include "util/util.h"

/* A finding of kind k whose stack is fns (innermost first): each frame in
 * file "/src/<fn>.c", module "/usr/lib/libx.so.1" for names starting with
 * "lib", else "/src/build/prog". */
static void finding_make(struct finding *f, enum finding_kind k, const char *const *fns, size_t n)
{
    struct findings fs = {0};
    struct finding *g = findings_add(&fs, k);
    *f = *g;
    free(fs.v);
    f->stack.v = xcalloc(n ? n : 1, sizeof(*f->stack.v));
    f->stack.n = n;
    for (size_t i = 0; i < n; i++) {
        struct frame *fr = &f->stack.v[i];
        bool lib = strncmp(fns[i], "lib", 3) == 0;
        fr->function = xstrdup(fns[i]);
        fr->file = xasprintf("/src/%s.c", fns[i]);
        fr->module = xstrdup(lib ? "/usr/lib/libx.so.1" : "/src/build/prog");
        fr->line = 10 + (int)i;
        fr->user = !lib;
        if (f->stack.top < 0 && !lib) f->stack.top = (int)i;
    }
    f->fingerprint = frames_fingerprint(&f->stack);
    f->count = 3;
}

/* Parses text as one suppression file; asserts it parses. */
static void parse_ok(struct supp_set *set, const char *text)
{
    char err[256] = "";
    int rc = supp_parse(set, "t.supp", text, err, sizeof(err));
    if (rc != 0) fail_msg("did not parse: %s", err);
}

/* Parses text, expecting the error message err_want exactly. */
static void parse_bad(const char *text, const char *err_want)
{
    struct supp_set set = {0};
    char err[256] = "";
    assert_int_equal(supp_parse(&set, "t.supp", text, err, sizeof(err)), -1);
    assert_string_equal(err, err_want);
    supp_set_free(&set);
}

static bool matches(const char *rule_text, const struct finding *f)
{
    struct supp_set set = {0};
    parse_ok(&set, rule_text);
    assert_int_equal(set.n, 1);
    bool m = supp_rule_matches(&set.v[0], f);
    supp_set_free(&set);
    return m;
}

static void glob_star_matches_any_run(void **state)
{
    (void)state;
    assert_true(supp_glob("*", ""));
    assert_true(supp_glob("open_*", "open_connection"));
    assert_true(supp_glob("*conn*", "open_connection"));
    assert_true(supp_glob("a*b*c", "aXXbYYc"));
    assert_true(supp_glob("std::vector<*>::push_back", "std::vector<int>::push_back"));
    assert_false(supp_glob("open_*", "close_connection"));
    assert_false(supp_glob("a*b*c", "aXXbYY"));
    assert_false(supp_glob("open", "open_connection")); /* whole string */
    assert_true(supp_glob("10.0.*:5432", "10.0.3.4:5432"));
    assert_false(supp_glob("10.0.*:5432", "10.0.3.4:6379"));
}

static void frames_match_from_the_innermost_as_a_prefix(void **state)
{
    (void)state;
    static const char *const fns[] = {"libpq_connect", "libpq_pool_get", "db_open", "main"};
    struct finding f;
    finding_make(&f, KIND_ORPHAN, fns, 4);
    assert_true(matches("rule r\nkind orphaned-socket\nframe libpq_connect\n", &f));
    assert_true(matches("rule r\nkind orphaned-socket\nframe libpq_*\nframe libpq_*\n", &f));
    /* not anchored anywhere but the innermost frame */
    assert_false(matches("rule r\nkind orphaned-socket\nframe db_open\n", &f));
    /* "..." skips zero or more frames */
    assert_true(matches("rule r\nkind orphaned-socket\n...\nframe db_open\n", &f));
    assert_true(
        matches("rule r\nkind orphaned-socket\nframe libpq_connect\n...\nframe main\n", &f));
    assert_true(matches("rule r\nkind orphaned-socket\n...\nframe libpq_connect\n", &f));
    assert_false(matches("rule r\nkind orphaned-socket\n...\nframe nowhere\n", &f));
    /* more pattern frames than the stack has */
    assert_false(matches("rule r\nkind orphaned-socket\n...\nframe main\nframe *\n", &f));
    /* kinds: another kind, a list, leak, any */
    assert_false(matches("rule r\nkind double-close\nframe libpq_connect\n", &f));
    assert_true(matches("rule r\nkind double-close,orphaned-socket\n...\n", &f));
    assert_true(matches("rule r\nkind leak\n", &f));
    assert_true(matches("rule r\nkind any\n", &f));
    finding_free(&f);
}

static void file_and_module_patterns(void **state)
{
    (void)state;
    static const char *const fns[] = {"libpq_connect", "db_open"};
    struct finding f;
    finding_make(&f, KIND_ORPHAN, fns, 2);
    /* basename unless the pattern has a '/' */
    assert_true(matches("rule r\nkind any\nframe * module=libx.so*\n", &f));
    assert_false(matches("rule r\nkind any\nframe * module=libx.so\n", &f));
    assert_true(matches("rule r\nkind any\nframe * module=/usr/lib/*\n", &f));
    assert_true(matches("rule r\nkind any\nframe * file=libpq_connect.c module=libx*\n", &f));
    assert_false(matches("rule r\nkind any\nframe * file=db_open.c\n", &f));
    assert_true(matches("rule r\nkind any\nframe *\nframe db_open file=/src/*.c\n", &f));
    assert_false(matches("rule r\nkind any\nframe *\nframe db_open file=/other/*\n", &f));
    /* a frame without debug info matches only '*' for its file */
    free(f.stack.v[0].file);
    f.stack.v[0].file = NULL;
    assert_true(matches("rule r\nkind any\nframe libpq_connect file=*\n", &f));
    assert_false(matches("rule r\nkind any\nframe libpq_connect file=*.c\n", &f));
    finding_free(&f);
}

static void peers_must_all_match(void **state)
{
    (void)state;
    static const char *const fns[] = {"db_open"};
    struct finding f;
    finding_make(&f, KIND_ORPHAN, fns, 1);
    const char *rule = "rule r\nkind any\npeer 10.0.*:5432\n";
    assert_false(matches(rule, &f)); /* no peer at all */
    finding_push_peer(&f, "10.0.0.7:5432", 2);
    assert_true(matches(rule, &f));
    finding_push_peer(&f, "10.0.0.8:6379", 1);
    assert_false(matches(rule, &f)); /* one peer outside the pattern */
    assert_true(matches("rule r\nkind any\npeer 10.0.0.*\nframe db_open\n", &f));
    finding_free(&f);
}

static void parser_errors_name_the_line(void **state)
{
    (void)state;
    parse_bad("# a comment\n\nkind orphaned-socket\n",
              "t.supp:3: 'kind' before the first 'rule NAME' line");
    parse_bad("rule a\nkind orphaned-sockets\n",
              "t.supp:2: bad kind 'orphaned-sockets': kinds such as orphaned-socket, 'leak' or "
              "'any'");
    parse_bad("rule a\n  kind any\n  fram x\n",
              "t.supp:3: unknown keyword 'fram' (rule, kind, comment, peer, frame, ...)");
    parse_bad("rule a\nframe x\n\nrule b\nkind any\n", "t.supp:1: rule 'a' has no 'kind' line");
    parse_bad("rule a\nkind any\nrule last\n", "t.supp:3: rule 'last' has no 'kind' line");
    parse_bad("rule a b\nkind any\n", "t.supp:1: bad rule name 'a b' (letters, digits, - _ . : /)");
    parse_bad("rule a\nkind any\nframe file=x.c\n",
              "t.supp:3: frame needs a function pattern first ('*' for any)");
    parse_bad("rule a\nkind any\n... x\n", "t.supp:3: '...' takes nothing after it");
    parse_bad("rule a\nkind any\nkind any\n", "t.supp:3: a second 'kind' line in rule 'a'");
    parse_bad("rule a\nkind any\nframe f file=\n", "t.supp:3: frame: empty or repeated 'file='");
}

static void parser_takes_comments_names_and_spaces(void **state)
{
    (void)state;
    struct supp_set set = {0};
    parse_ok(&set, "# header\r\n"
                   "rule third-party.pq:1\r\n"
                   "  comment libpq keeps one socket per thread; ticket DB-12\n"
                   "  kind orphaned-socket, close-wait-pile\n"
                   "  frame std::map<int, int>::insert(int const&) file=map.h\n"
                   "  ...\n"
                   "\n"
                   "rule second\n"
                   "kind any\n");
    assert_int_equal(set.n, 2);
    assert_string_equal(set.v[0].name, "third-party.pq:1");
    assert_int_equal(set.v[0].line, 2);
    assert_int_equal(set.v[1].line, 8);
    assert_int_equal(set.v[0].kinds, (1u << KIND_ORPHAN) | (1u << KIND_CLOSE_WAIT));
    assert_int_equal(set.v[0].nframes, 2);
    assert_string_equal(set.v[0].frames[0].function, "std::map<int, int>::insert(int const&)");
    assert_string_equal(set.v[0].frames[0].file, "map.h");
    assert_true(set.v[0].frames[1].gap);
    supp_set_free(&set);
}

static void generated_rule_suppresses_its_finding(void **state)
{
    (void)state;
    static const char *const fns[] = {"libpq_connect", "db_open", "main", "libc_start"};
    struct finding f, other;
    finding_make(&f, KIND_ORPHAN, fns, 4);
    static const char *const fns2[] = {"libpq_connect", "cache_open", "main"};
    finding_make(&other, KIND_ORPHAN, fns2, 3);
    char *text = supp_rule_text(&f, "  ");
    struct supp_set set = {0};
    parse_ok(&set, text);
    assert_int_equal(set.n, 1);
    /* the frames up to the top frame (db_open) and its caller */
    assert_int_equal(set.v[0].nframes, 3);
    assert_true(supp_find(&set, &f) == &set.v[0]);
    assert_null(supp_find(&set, &other));
    free(text);
    supp_set_free(&set);
    finding_free(&f);
    finding_free(&other);
}

static void baseline_key_is_kind_and_fingerprint(void **state)
{
    (void)state;
    static const char *const fns[] = {"db_open", "main"};
    struct finding a, b;
    finding_make(&a, KIND_ORPHAN, fns, 2);
    finding_make(&b, KIND_ORPHAN, fns, 2);
    b.stack.v[0].line += 40; /* the same call, moved down its file */
    b.stack.v[0].pc += 0x1000;
    b.fingerprint = frames_fingerprint(&b.stack);
    char ka[BASELINE_KEY_LEN], kb[BASELINE_KEY_LEN];
    baseline_key(&a, ka, sizeof(ka));
    baseline_key(&b, kb, sizeof(kb));
    assert_string_equal(ka, kb);
    assert_int_equal(strncmp(ka, "orphaned-socket/", 16), 0);
    assert_int_equal(strlen(ka), 16 + 16);
    b.kind = KIND_CLOSE_WAIT;
    baseline_key(&b, kb, sizeof(kb));
    assert_string_not_equal(ka, kb);
    finding_free(&a);
    finding_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(glob_star_matches_any_run),
        cmocka_unit_test(frames_match_from_the_innermost_as_a_prefix),
        cmocka_unit_test(file_and_module_patterns),
        cmocka_unit_test(peers_must_all_match),
        cmocka_unit_test(parser_errors_name_the_line),
        cmocka_unit_test(parser_takes_comments_names_and_spaces),
        cmocka_unit_test(generated_rule_suppresses_its_finding),
        cmocka_unit_test(baseline_key_is_kind_and_fingerprint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
