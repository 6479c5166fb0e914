/* test_analyzer_rules.c - the rules (orphaned-socket, double-close,
 * foreign-close), stack trimming, fingerprints, and how report_analyze
 * merges and orders findings. Stacks in the fixtures point into no module,
 * so nothing here depends on symbolisation (tested in test_symbols). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/findings.h"
#include "report/report.h"
#include "rules/rules.h"
#include "symbols/stackfmt.h"
#include "trace/trace_read.h"
#include "util/util.h"

static const struct rule_opts defaults = {0};
static const struct http_opts http_defaults = HTTP_OPTS_DEFAULT;

static struct process *load(const char *name)
{
    struct process *p = calloc(1, sizeof(*p));
    struct strlist notes = {0};
    char *why = NULL, *path = xasprintf("%s/%s", TEST_DATA, name);
    assert_int_equal(trace_read_file(path, p, &notes, &why), 0);
    free(path);
    strlist_free(&notes);
    return p;
}

static void unload(struct process *p)
{
    process_free(p);
    free(p);
}

/* The group of `out` whose stack has trace id `id`. */
static struct finding *group_of_stack(const struct process *p, struct findings *out,
                                      enum finding_kind kind, uint32_t id)
{
    for (size_t i = 0; i < out->n; i++)
        if (out->v[i].kind == kind && p->stacks[out->v[i].stk].id == id) return &out->v[i];
    return NULL;
}

static void orphans_are_grouped_by_opening_stack(void **state)
{
    (void)state;
    struct process *p = load("complete.jsonl");
    struct findings out = {0};
    rules_orphan(p, &defaults, &http_defaults, &out);
    assert_int_equal(out.n, 2);
    struct finding *a = group_of_stack(p, &out, KIND_ORPHAN, 900);
    struct finding *b = group_of_stack(p, &out, KIND_ORPHAN, 17);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->count, 3);
    assert_int_equal(b->count, 1);
    assert_int_equal(finding_role(a), ROLE_CLIENT);
    assert_int_equal(a->npids, 1);
    assert_int_equal(a->pids[0], 4242);
    /* peers: every distinct one with its count */
    assert_int_equal(a->npeers, 2);
    uint64_t n80 = 0, n443 = 0;
    for (size_t i = 0; i < a->npeers; i++) {
        if (strcmp(a->peers[i].peer, "10.0.0.1:80") == 0) n80 = a->peers[i].count;
        if (strcmp(a->peers[i].peer, "[::1]:443") == 0) n443 = a->peers[i].count;
    }
    assert_int_equal(n80, 2);
    assert_int_equal(n443, 1);
    /* ages from opened to the live record; idle from the last I/O (or open) */
    assert_int_equal(a->age_min, 46000000);
    assert_int_equal(a->age_max, 48000000);
    assert_int_equal(a->idle_min, 5000000);
    assert_int_equal(a->idle_max, 46000000);
    assert_int_equal(a->bytes_in, 1500);
    assert_int_equal(a->bytes_out, 150);
    assert_false(a->partial);
    findings_free(&out);
    unload(p);
}

static void listeners_count_only_when_asked(void **state)
{
    (void)state;
    struct process *p = load("complete.jsonl");
    struct findings out = {0};
    rules_orphan(p, &defaults, &http_defaults, &out);
    assert_null(group_of_stack(p, &out, KIND_ORPHAN, 5));
    findings_free(&out);
    struct rule_opts with = {.include_listeners = true};
    rules_orphan(p, &with, &http_defaults, &out);
    assert_int_equal(out.n, 3);
    struct finding *l = group_of_stack(p, &out, KIND_ORPHAN, 5);
    assert_non_null(l);
    assert_int_equal(l->count, 1);
    assert_int_equal(finding_role(l), ROLE_LISTENER);
    findings_free(&out);
    unload(p);
}

static void inherited_sockets_count_only_when_asked(void **state)
{
    (void)state;
    struct process *p = load("fork/connleak-101.jsonl");
    struct findings out = {0};
    rules_orphan(p, &defaults, &http_defaults, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(p->stacks[out.v[0].stk].id, 4);
    findings_free(&out);
    struct rule_opts with = {.include_inherited = true};
    rules_orphan(p, &with, &http_defaults, &out);
    assert_int_equal(out.n, 2);
    assert_non_null(group_of_stack(p, &out, KIND_ORPHAN, 3));
    findings_free(&out);
    unload(p);
}

static void orphans_of_a_cut_short_trace_are_partial(void **state)
{
    (void)state;
    struct process *p = load("no_end.jsonl");
    struct findings out = {0};
    rules_orphan(p, &defaults, &http_defaults, &out); /* the rebuilt listener is left out */
    uint64_t total = 0;
    for (size_t i = 0; i < out.n; i++) {
        assert_true(out.v[i].partial);
        total += out.v[i].count;
    }
    assert_int_equal(total, 3);
    findings_free(&out);
    unload(p);
}

static void bad_closes_are_grouped_by_closing_stack(void **state)
{
    (void)state;
    struct process *p = load("badclose.jsonl");
    struct findings out = {0};
    rules_close(p, &out);
    assert_int_equal(out.n, 3);
    struct finding *dbl = group_of_stack(p, &out, KIND_DOUBLE_CLOSE, 1);
    struct finding *foreign = group_of_stack(p, &out, KIND_FOREIGN_CLOSE, 2);
    struct finding *sweep = group_of_stack(p, &out, KIND_FOREIGN_CLOSE, 3);
    assert_non_null(dbl);
    assert_non_null(foreign);
    assert_non_null(sweep);
    assert_int_equal(dbl->count, 3);
    assert_int_equal(dbl->nfds, 2); /* fd 5 twice, fd 7 once */
    assert_int_equal(dbl->fds[0], 5);
    assert_int_equal(dbl->fds[1], 7);
    assert_int_equal(p->stacks[dbl->open_stk].id, 4); /* from prev_stk */
    assert_int_equal(foreign->count, 2);
    assert_false(foreign->sweep);
    assert_int_equal(sweep->count, 5);
    assert_true(sweep->sweep);
    findings_free(&out);
    unload(p);
}

/* A process with one stack and foreign closes of fds 10, 11, ... */
static void foreign_closes(struct process *p, int nfds, int repeat)
{
    memset(p, 0, sizeof(*p));
    p->nstacks = p->capstacks = 2;
    p->stacks = calloc(2, sizeof(*p->stacks));
    p->stacks[1] = (struct stack){.pc = calloc(1, sizeof(uint64_t)), .n = 1, .id = 7};
    p->nbad = p->capbad = (size_t)(nfds * repeat);
    p->bad = calloc(p->nbad, sizeof(*p->bad));
    for (int i = 0; i < nfds * repeat; i++)
        p->bad[i] = (struct badclose){.fd = 10 + i % nfds, .kind = BADCLOSE_FOREIGN, .stk = 1};
}

static void sweep_needs_four_distinct_fds(void **state)
{
    (void)state;
    struct process p;
    struct findings out = {0};
    foreign_closes(&p, 3, 5); /* 15 closes, but only 3 numbers: a bug, not a sweep */
    rules_close(&p, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].count, 15);
    assert_false(out.v[0].sweep);
    findings_free(&out);
    process_free(&p);
    foreign_closes(&p, SWEEP_MIN_FDS, 1);
    rules_close(&p, &out);
    assert_true(out.v[0].sweep);
    findings_free(&out);
    process_free(&p);
}

static void runtime_frames_are_trimmed_from_the_top(void **state)
{
    (void)state;
    struct process p = {0};
    struct module mods[] = {
        {.path = "/opt/connleak/lib/libconnleak.so", .base = 0x1000, .lo = 0x1000, .hi = 0x2000},
        {.path = "/lib/x86_64-linux-gnu/libc.so.6", .base = 0x2000, .lo = 0x2000, .hi = 0x3000},
        {.path = "/home/u/app", .base = 0x3000, .lo = 0x3000, .hi = 0x4000},
    };
    uint64_t pcs[] = {0x1500, 0x2500, 0x3500, 0x2600};
    struct stack stacks[2] = {{0}, {.pc = pcs, .n = 4, .id = 1}};
    p.mods = mods;
    p.nmods = 3;
    p.stacks = stacks;
    p.nstacks = 2;
    struct frames f;
    stackfmt_resolve(NULL, &p, 1, NULL, &f);
    assert_int_equal(f.n, 2); /* libconnleak and libc at the top go; libc below stays */
    assert_int_equal(f.v[0].pc, 0x3500);
    assert_string_equal(f.v[0].module, "/home/u/app");
    assert_true(f.v[0].user);
    assert_int_equal(f.v[0].rel, 0x500);
    assert_int_equal(f.v[1].pc, 0x2600);
    assert_false(f.v[1].user);
    assert_int_equal(f.top, 0); /* no function anywhere: the first user frame */
    frames_free(&f);
    stackfmt_resolve(NULL, &p, 0, NULL, &f); /* "no stack" */
    assert_int_equal(f.n, 0);
}

static void modules_are_user_unless_under_system_dirs(void **state)
{
    (void)state;
    assert_true(module_is_user("/home/u/build/leaky"));
    assert_true(module_is_user("/opt/app/lib/libfoo.so"));
    assert_false(module_is_user("/usr/lib/x86_64-linux-gnu/libcurl.so.4"));
    assert_false(module_is_user("/lib64/ld-linux-x86-64.so.2"));
    assert_false(module_is_user(NULL));
    assert_true(module_is_runtime("/x/libconnleak.so"));
    assert_true(module_is_runtime("/lib/x86_64-linux-gnu/libc.so.6"));
    assert_true(module_is_runtime("/lib/libc-2.31.so"));
    assert_true(module_is_runtime("/lib/x86_64-linux-gnu/libpthread.so.0"));
    assert_false(module_is_runtime("/lib/x86_64-linux-gnu/libcurl.so.4"));
}

static uint64_t fnv_of(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static void fingerprint_hashes_module_names_and_functions(void **state)
{
    (void)state;
    struct frame a[] = {
        {.pc = 0x55d0c0a011c9, .module = "/src/build/leaky", .function = "open_connection"},
        {.pc = 0x7f00aa029d90, .module = "/lib/x86_64-linux-gnu/libc.so.6", .function = "main2"},
    };
    struct frames s = {a, 2, 0};
    assert_true(frames_fingerprint(&s) == fnv_of("leaky!open_connection\nlibc.so.6!main2\n"));
    /* stable across ASLR and install paths */
    struct frame b[] = {
        {.pc = 0x5600000011c9, .module = "/other/dir/leaky", .function = "open_connection"},
        {.pc = 0x7f11bb029d90, .module = "/usr/lib/libc.so.6", .function = "main2"},
    };
    struct frames t = {b, 2, 0};
    assert_true(frames_fingerprint(&s) == frames_fingerprint(&t));
    b[0].function = "other_function";
    assert_true(frames_fingerprint(&s) != frames_fingerprint(&t));
    /* without symbols, the module-relative address tells frames apart */
    struct frame c[] = {{.pc = 0x1500, .rel = 0x500, .module = "/x/app"}};
    struct frame d[] = {{.pc = 0x2600, .rel = 0x600, .module = "/x/app"}};
    struct frames u = {c, 1, -1}, v = {d, 1, -1};
    assert_true(frames_fingerprint(&u) == fnv_of("app!+0x500\n"));
    assert_true(frames_fingerprint(&u) != frames_fingerprint(&v));
}

/* The top frame is the program's own first frame with a function, in its
 * executable or in one of its own libraries (docs/report-json.md). */
static void top_frame_is_the_first_user_frame_with_a_function(void **state)
{
    (void)state;
    struct frame v[] = {
        {.module = "/lib/x86_64-linux-gnu/libcurl.so.4", .function = "curl_easy_perform"},
        {.module = "/opt/app/libfoo.so", .user = true},
        {.module = "/opt/app/libfoo.so", .function = "foo_connect", .user = true},
        {.module = "/opt/app/usefoo", .function = "main", .user = true},
    };
    struct frames s = {v, 4, -1};
    assert_int_equal(frames_top(&s), 2); /* the library's frame, not main */
    v[2].user = false;
    assert_int_equal(frames_top(&s), 3);
    v[3].function = NULL;
    assert_int_equal(frames_top(&s), 1); /* none has one: the first user frame */
    v[1].user = v[3].user = false;
    assert_int_equal(frames_top(&s), -1);
}

/* A finding whose stack is one frame in function `fn` at `line`. */
static void finding_at(struct finding *f, long pid, const char *fn, int line)
{
    memset(f, 0, sizeof(*f));
    f->kind = KIND_ORPHAN;
    f->count = 1;
    finding_add_pid(f, pid);
    f->stack.v = calloc(1, sizeof(*f->stack.v));
    f->stack.v[0] = (struct frame){.module = xstrdup("/x/two"),
                                   .function = xstrdup(fn),
                                   .file = xstrdup("/x/two.c"),
                                   .line = line,
                                   .user = true};
    f->stack.n = 1;
    f->fingerprint = frames_fingerprint(&f->stack);
    f->site = frames_site(&f->stack);
}

static void two_call_sites_in_one_function_stay_two_findings(void **state)
{
    (void)state;
    struct findings fs = {0};
    struct finding f;
    finding_at(&f, 10, "mk", 7);
    findings_merge(&fs, &f);
    finding_at(&f, 10, "mk", 9); /* same function, another line */
    findings_merge(&fs, &f);
    finding_at(&f, 11, "mk", 7); /* the first site, in another process */
    findings_merge(&fs, &f);
    assert_int_equal(fs.n, 2);
    assert_true(fs.v[0].fingerprint == fs.v[1].fingerprint); /* the same functions */
    assert_true(fs.v[0].site != fs.v[1].site);
    assert_int_equal(fs.v[0].count, 2);
    assert_int_equal(fs.v[0].npids, 2);
    assert_int_equal(fs.v[1].count, 1);
    /* without line info, the module-relative pc tells the sites apart */
    struct frame a[] = {{.module = "/x/two", .function = "mk", .rel = 0x1160}};
    struct frame b[] = {{.module = "/x/two", .function = "mk", .rel = 0x1180}};
    struct frames sa = {a, 1, 0}, sb = {b, 1, 0};
    assert_true(frames_fingerprint(&sa) == frames_fingerprint(&sb));
    assert_true(frames_site(&sa) != frames_site(&sb));
    findings_free(&fs);
}

/* Many distinct sites merge in linear time (a hash index, not a scan). */
static void merging_many_sites_is_fast(void **state)
{
    (void)state;
    struct findings fs = {0};
    char fn[32];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 100000; i++) {
            struct finding f = {.kind = KIND_ORPHAN, .count = 1};
            snprintf(fn, sizeof(fn), "f%d", i);
            f.site = fnv1a64(FNV1A64_INIT, fn, strlen(fn));
            findings_merge(&fs, &f);
        }
    }
    assert_int_equal(fs.n, 100000);
    assert_int_equal(fs.v[99999].count, 2);
    findings_free(&fs);
}

static void analyze(struct report *r, const char *const *names, size_t n, const struct rule_opts *o)
{
    report_init(r);
    for (size_t i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", TEST_DATA, names[i]);
        assert_int_equal(report_add_trace(r, path), 0);
        free(path);
    }
    report_analyze(r, o);
}

static void findings_are_sorted_by_kind_then_count(void **state)
{
    (void)state;
    struct report r;
    const char *names[] = {"badclose.jsonl", "complete.jsonl"};
    analyze(&r, names, 2, &defaults);
    assert_int_equal(r.status, STATUS_LEAKS);
    /* 3 orphan sites (3, 1, 1 sockets), 1 double-close, 1 foreign-close */
    assert_int_equal(r.findings.n, 5);
    for (size_t i = 1; i < r.findings.n; i++) {
        const struct finding *prev = &r.findings.v[i - 1], *f = &r.findings.v[i];
        assert_true(prev->kind <= f->kind);
        if (prev->kind == f->kind) assert_true(prev->count >= f->count);
    }
    assert_int_equal(r.findings.v[0].kind, KIND_ORPHAN);
    assert_int_equal(r.findings.v[0].count, 3);
    assert_int_equal(r.findings.v[3].kind, KIND_DOUBLE_CLOSE);
    assert_int_equal(r.findings.v[4].kind, KIND_FOREIGN_CLOSE);
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 5);
    /* the close-all sweep became a note, not a finding */
    assert_true(strlist_contains(
        &r.notes, "ignored 5 closes of never-opened fds from a close-all loop at 0x7f0000000c00 "
                  "(unknown module)"));
    /* peers of the biggest group: most frequent first */
    assert_string_equal(r.findings.v[0].peers[0].peer, "10.0.0.1:80");
    report_free(&r);
}

static void same_stack_in_two_processes_is_one_finding(void **state)
{
    (void)state;
    struct report r;
    const char *names[] = {"fork/connleak-101.jsonl", "fork/connleak-100.jsonl"};
    analyze(&r, names, 2, &defaults);
    assert_int_equal(r.findings.n, 1);
    assert_int_equal(r.findings.v[0].count, 2);
    assert_int_equal(r.findings.v[0].npids, 2);
    assert_int_equal(r.findings.v[0].pids[0], 100);
    assert_int_equal(r.findings.v[0].pids[1], 101);
    /* processes are ordered by start time: the parent first */
    assert_int_equal(r.procs[0].pid, 100);
    report_free(&r);
}

static void listener_left_open_is_a_clean_report(void **state)
{
    (void)state;
    struct report r;
    const char *names[] = {"clean.jsonl"};
    analyze(&r, names, 1, &defaults);
    assert_int_equal(r.status, STATUS_CLEAN);
    assert_int_equal(r.findings.n, 0);
    report_free(&r);
    struct rule_opts with = {.include_listeners = true};
    analyze(&r, names, 1, &with);
    assert_int_equal(r.status, STATUS_LEAKS);
    assert_true(report_has_kinds(&r, 1u << KIND_ORPHAN));
    assert_false(report_has_kinds(&r, 1u << KIND_DOUBLE_CLOSE));
    report_free(&r);
}

static void problems_keep_the_traces_unless_a_signal_explains_them(void **state)
{
    (void)state;
    struct report r;
    const char *complete[] = {"complete.jsonl"}, *cut[] = {"no_end.jsonl"};
    const char *garbage[] = {"garbage_middle.jsonl"}, *truncated[] = {"truncated_last_line.jsonl"};
    analyze(&r, complete, 1, &defaults);
    assert_false(report_has_problems(&r));
    report_free(&r);
    analyze(&r, cut, 1, &defaults);
    assert_true(report_has_problems(&r)); /* exited, yet no end record */
    r.signal = 9;
    assert_false(report_has_problems(&r)); /* SIGKILL explains it */
    report_free(&r);
    analyze(&r, truncated, 1, &defaults);
    assert_true(report_has_problems(&r));
    report_free(&r);
    analyze(&r, garbage, 1, &defaults);
    r.signal = 9;
    assert_true(report_has_problems(&r)); /* malformed lines are always a problem */
    report_free(&r);
    report_init(&r);
    assert_int_equal(report_add_trace(&r, TEST_DATA "/no_header.jsonl"), -1);
    assert_int_equal(r.skipped, 1);
    assert_true(report_has_problems(&r));
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(orphans_are_grouped_by_opening_stack),
        cmocka_unit_test(listeners_count_only_when_asked),
        cmocka_unit_test(inherited_sockets_count_only_when_asked),
        cmocka_unit_test(orphans_of_a_cut_short_trace_are_partial),
        cmocka_unit_test(bad_closes_are_grouped_by_closing_stack),
        cmocka_unit_test(sweep_needs_four_distinct_fds),
        cmocka_unit_test(runtime_frames_are_trimmed_from_the_top),
        cmocka_unit_test(modules_are_user_unless_under_system_dirs),
        cmocka_unit_test(fingerprint_hashes_module_names_and_functions),
        cmocka_unit_test(top_frame_is_the_first_user_frame_with_a_function),
        cmocka_unit_test(two_call_sites_in_one_function_stay_two_findings),
        cmocka_unit_test(merging_many_sites_is_fast),
        cmocka_unit_test(findings_are_sorted_by_kind_then_count),
        cmocka_unit_test(same_stack_in_two_processes_is_one_finding),
        cmocka_unit_test(listener_left_open_is_a_clean_report),
        cmocka_unit_test(problems_keep_the_traces_unless_a_signal_explains_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
