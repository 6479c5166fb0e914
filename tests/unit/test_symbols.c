/* test_symbols.c - unit tests of analyzer/symbols/ on addresses of a real
 * run: the fixture programs (tests/unit/fixtures/sym_fixture.c, built -g -O2
 * as PIE, as non-PIE and as a --strip-debug copy) print their module map and
 * return addresses; these tests symbolise them and check function, file,
 * line (found through the MARK_ comments of the fixture source), inlined
 * frames, notes, and the speed on 10,000 distinct pcs. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "symbols/symbols.h"

#define FIX_MAX_MODS 32

struct fix_mod {
    char path[4096];
    uint64_t base, lo, hi;
    char bid[130];
};

struct fix_run { /* what one run of a fixture printed */
    struct fix_mod mods[FIX_MAX_MODS];
    int nmods;
    uint64_t ret_inline, ret_direct, outer, getpid;
};

static struct fix_run run_pie, run_nopie, run_stripped;
static int line_inline_call, line_helper_call, line_direct_call;

static void run_parse_line(struct fix_run *run, const char *line)
{
    struct fix_mod *m = &run->mods[run->nmods];
    char name[64];
    uint64_t pc;
    if (run->nmods < FIX_MAX_MODS &&
        sscanf(line, "mod %4095s %" SCNx64 " %" SCNx64 " %" SCNx64 " %129s", m->path, &m->base,
               &m->lo, &m->hi, m->bid) >= 4) {
        run->nmods++;
    } else if (sscanf(line, "pc %63s %" SCNx64, name, &pc) == 2) {
        if (strcmp(name, "ret_inline") == 0) run->ret_inline = pc;
        if (strcmp(name, "ret_direct") == 0) run->ret_direct = pc;
        if (strcmp(name, "fixture_outer") == 0) run->outer = pc;
        if (strcmp(name, "getpid") == 0) run->getpid = pc;
    }
}

/* Runs a fixture program and reads what it printed; -1 on failure. */
static int run_fixture(const char *path, struct fix_run *run)
{
    char line[8192];
    memset(run, 0, sizeof(*run));
    FILE *p = popen(path, "r");
    if (!p) return -1;
    while (fgets(line, sizeof(line), p)) run_parse_line(run, line);
    int status = pclose(p);
    return status == 0 && run->nmods > 0 && run->ret_inline && run->ret_direct ? 0 : -1;
}

/* Line number of the first source line containing marker, 0 if none. */
static int source_find_line(const char *marker)
{
    char line[1024];
    int n = 0, found = 0;
    FILE *f = fopen(SYMFIX_SOURCE, "r");
    if (!f) return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        n++;
        if (strstr(line, marker) && !strstr(line, "MARK_ comments")) found = n;
    }
    fclose(f);
    return found;
}

static int group_setup(void **state)
{
    (void)state;
    unsetenv("DEBUGINFOD_URLS"); /* no network lookups from unit tests */
    if (run_fixture(SYMFIX_PIE, &run_pie) || run_fixture(SYMFIX_NOPIE, &run_nopie) ||
        run_fixture(SYMFIX_STRIPPED, &run_stripped)) {
        fprintf(stderr, "cannot run the symbol fixtures\n");
        return -1;
    }
    line_inline_call = source_find_line("MARK_INLINE_CALL");
    line_helper_call = source_find_line("MARK_HELPER_CALL");
    line_direct_call = source_find_line("MARK_DIRECT_CALL");
    return line_inline_call && line_helper_call && line_direct_call ? 0 : -1;
}

static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

/* A symbolizer that knows only the fixture's own module (mods[0]). */
static struct symbolizer *symbolizer_for(const struct fix_run *run, const char *bid)
{
    struct symbolizer *sym = symbolizer_new();
    const struct fix_mod *m = &run->mods[0];
    assert_non_null(sym);
    assert_int_equal(symbolizer_add_module(sym, m->path, m->base, m->lo, m->hi, bid ? bid : m->bid),
                     0);
    return sym;
}

static void check_inlined(const struct fix_run *run)
{
    struct sym_frame f[8];
    struct symbolizer *sym = symbolizer_for(run, NULL);
    int n = symbolizer_resolve(sym, run->ret_inline, f, 8);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].function, "fixture_helper");
    assert_true(f[0].inlined);
    assert_string_equal(base_name(f[0].file), "sym_fixture.c");
    assert_int_equal(f[0].line, line_inline_call);
    assert_string_equal(f[0].module, run->mods[0].path);
    assert_string_equal(f[1].function, "fixture_outer");
    assert_false(f[1].inlined);
    assert_string_equal(base_name(f[1].file), "sym_fixture.c");
    assert_int_equal(f[1].line, line_helper_call);
    assert_int_equal(f[1].offset, run->ret_inline - run->outer);
    assert_int_equal(f[0].pc, run->ret_inline);
    assert_int_equal(f[1].pc, run->ret_inline);
    assert_int_equal(symbolizer_note_count(sym), 0);
    symbolizer_free(sym);
}

static void check_direct(const struct fix_run *run)
{
    struct sym_frame f[8];
    struct symbolizer *sym = symbolizer_for(run, NULL);
    int n = symbolizer_resolve(sym, run->ret_direct, f, 8);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].function, "fixture_outer");
    assert_false(f[0].inlined);
    assert_string_equal(base_name(f[0].file), "sym_fixture.c");
    assert_int_equal(f[0].line, line_direct_call);
    assert_int_equal(f[0].offset, run->ret_direct - run->outer);
    assert_int_equal(symbolizer_note_count(sym), 0);
    symbolizer_free(sym);
}

static void test_pie_inlined_frame(void **state)
{
    (void)state;
    assert_int_not_equal(run_pie.mods[0].base, 0);
    check_inlined(&run_pie);
}

static void test_pie_direct_frame(void **state)
{
    (void)state;
    check_direct(&run_pie);
}

static void test_non_pie(void **state)
{
    (void)state;
    assert_int_equal(run_nopie.mods[0].base, 0); /* ET_EXEC: no load bias */
    check_inlined(&run_nopie);
    check_direct(&run_nopie);
}

static void test_max_keeps_innermost(void **state)
{
    (void)state;
    struct sym_frame f[2];
    struct symbolizer *sym = symbolizer_for(&run_pie, NULL);
    assert_int_equal(symbolizer_resolve(sym, run_pie.ret_inline, f, 1), 1);
    assert_string_equal(f[0].function, "fixture_helper");
    assert_int_equal(symbolizer_resolve(sym, run_pie.ret_inline, f, 0), 0);
    symbolizer_free(sym);
}

static void test_cache_returns_same_strings(void **state)
{
    (void)state;
    struct sym_frame a[4], b[4], c[4];
    struct symbolizer *sym = symbolizer_for(&run_pie, NULL);
    assert_int_equal(symbolizer_resolve(sym, run_pie.ret_inline, a, 4), 2);
    assert_int_equal(symbolizer_resolve(sym, run_pie.ret_direct, b, 4), 1);
    assert_int_equal(symbolizer_resolve(sym, run_pie.ret_inline, c, 4), 2);
    assert_memory_equal(a, c, 2 * sizeof(a[0]));
    assert_ptr_equal(a[1].function, b[0].function); /* interned */
    assert_ptr_equal(a[0].file, b[0].file);
    symbolizer_free(sym);
}

static bool notes_contain(const struct symbolizer *sym, const char *a, const char *b)
{
    for (size_t i = 0; i < symbolizer_note_count(sym); i++) {
        const char *note = symbolizer_note(sym, i);
        if (strstr(note, a) && (!b || strstr(note, b))) return true;
    }
    return false;
}

static void test_stripped_has_no_lines(void **state)
{
    (void)state;
    struct sym_frame f[4];
    struct symbolizer *sym = symbolizer_for(&run_stripped, NULL);
    assert_int_equal(symbolizer_resolve(sym, run_stripped.ret_inline, f, 4), 1);
    assert_string_equal(f[0].function, "fixture_outer");
    assert_int_equal(f[0].offset, run_stripped.ret_inline - run_stripped.outer);
    assert_null(f[0].file);
    assert_int_equal(f[0].line, 0);
    assert_int_equal(symbolizer_resolve(sym, run_stripped.ret_direct, f, 4), 1);
    assert_string_equal(f[0].function, "fixture_outer");
    assert_int_equal(symbolizer_note_count(sym), 1); /* once per module */
    assert_true(notes_contain(sym, "no debug info for", run_stripped.mods[0].path));
    assert_true(notes_contain(sym, "-dbgsym", NULL));
    symbolizer_free(sym);
}

static void test_missing_module(void **state)
{
    (void)state;
    struct sym_frame f[4];
    const char *path = "/nonexistent/libgone.so";
    struct symbolizer *sym = symbolizer_new();
    assert_int_equal(
        symbolizer_add_module(sym, path, 0x7f0000000000, 0x7f0000001000, 0x7f0000009000, "abcd"),
        -1);
    assert_int_equal(symbolizer_note_count(sym), 1);
    assert_true(notes_contain(sym, path, NULL));
    assert_int_equal(symbolizer_resolve(sym, 0x7f0000002345, f, 4), 1);
    assert_string_equal(f[0].module, path);
    assert_null(f[0].function);
    assert_null(f[0].file);
    assert_int_equal(f[0].pc, 0x7f0000002345);
    symbolizer_free(sym);
}

/* Files that are not ELF binaries, or not files: refused with a note, and
 * never opened in a way that could block (a FIFO named by a hostile trace). */
static void test_unusable_module_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/connleak-symtest-XXXXXX", fifo[64];
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    struct symbolizer *sym = symbolizer_new();
    assert_int_equal(symbolizer_add_module(sym, SYMFIX_SOURCE, 0x1000, 0x1000, 0x2000, ""), -1);
    assert_true(notes_contain(sym, SYMFIX_SOURCE, "not an ELF file"));
    assert_int_equal(symbolizer_add_module(sym, dir, 0x3000, 0x3000, 0x4000, ""), -1);
    assert_int_equal(symbolizer_add_module(sym, fifo, 0x5000, 0x5000, 0x6000, ""), -1);
    assert_true(notes_contain(sym, fifo, "not a regular file"));
    assert_int_equal(symbolizer_note_count(sym), 3);
    symbolizer_free(sym);
    unlink(fifo);
    rmdir(dir);
}

static void test_build_id_mismatch(void **state)
{
    (void)state;
    struct sym_frame f[4];
    char bid[130];
    snprintf(bid, sizeof(bid), "%s", run_pie.mods[0].bid);
    assert_true(strlen(bid) >= 8);
    bid[0] = bid[0] == '0' ? '1' : '0';
    struct symbolizer *sym = symbolizer_for(&run_pie, bid);
    assert_true(
        notes_contain(sym, run_pie.mods[0].path, "changed since the run (build-id differs)"));
    assert_int_equal(symbolizer_resolve(sym, run_pie.ret_direct, f, 4), 1);
    assert_string_equal(f[0].function, "fixture_outer");
    symbolizer_free(sym);
}

static void test_duplicate_and_virtual_modules(void **state)
{
    (void)state;
    const struct fix_mod *m = &run_pie.mods[0];
    struct symbolizer *sym = symbolizer_for(&run_pie, NULL);
    assert_int_equal(symbolizer_add_module(sym, m->path, m->base, m->lo, m->hi, m->bid), 0);
    assert_int_equal(
        symbolizer_add_module(sym, "linux-vdso.so.1", 0x7ffd0000, 0x7ffd0000, 0x7ffd2000, ""), -1);
    assert_int_equal(symbolizer_note_count(sym), 0);
    symbolizer_free(sym);
}

static void test_no_module_covers_pc(void **state)
{
    (void)state;
    struct sym_frame f[4];
    struct symbolizer *sym = symbolizer_new();
    assert_int_equal(symbolizer_resolve(sym, 0x1234, f, 4), 1);
    assert_int_equal(f[0].pc, 0x1234);
    assert_null(f[0].module);
    assert_null(f[0].function);
    assert_null(f[0].file);
    assert_false(f[0].inlined);
    assert_null(symbolizer_note(sym, 0));
    symbolizer_free(sym);
}

static void test_all_modules_libc(void **state)
{
    (void)state;
    struct sym_frame f[8];
    struct symbolizer *sym = symbolizer_new();
    for (int i = 0; i < run_pie.nmods; i++) {
        const struct fix_mod *m = &run_pie.mods[i];
        symbolizer_add_module(sym, m->path, m->base, m->lo, m->hi, m->bid);
    }
    int n = symbolizer_resolve(sym, run_pie.getpid + 1, f, 8);
    assert_true(n >= 1);
    assert_non_null(f[n - 1].function);
    assert_string_equal(f[n - 1].function, "getpid"); /* not __getpid, no @@GLIBC_ */
    assert_non_null(strstr(f[n - 1].module, "libc.so"));
    assert_int_equal(symbolizer_resolve(sym, run_pie.ret_inline, f, 8), 2);
    assert_string_equal(f[1].function, "fixture_outer");
    symbolizer_free(sym);
}

struct perf_ctx {
    struct symbolizer *sym;
    uint64_t lo[64], hi[64], total;
    int nseg;
};

/* Registers the test's own modules; keeps their executable segments. */
static int perf_add_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct perf_ctx *ctx = data;
    char exe[4096];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n < 0) return 0;
        exe[n] = '\0';
        path = exe;
    }
    for (int i = 0; i < info->dlpi_phnum && ctx->nseg < 64; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (symbolizer_add_module(ctx->sym, path, info->dlpi_addr, lo, hi, "") < 0) continue;
        ctx->lo[ctx->nseg] = lo;
        ctx->hi[ctx->nseg++] = hi;
        ctx->total += hi - lo;
    }
    return 0;
}

/* want distinct pcs spread evenly over all executable segments. */
static int perf_pick_pcs(const struct perf_ctx *ctx, uint64_t *pcs, int want)
{
    uint64_t step = ctx->total / want + 1, at = 0;
    int n = 0;
    for (int i = 0; i < ctx->nseg; i++) {
        for (; at < ctx->hi[i] - ctx->lo[i] && n < want; at += step) pcs[n++] = ctx->lo[i] + at + 1;
        at = at > ctx->hi[i] - ctx->lo[i] ? at - (ctx->hi[i] - ctx->lo[i]) : 0;
    }
    return n;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Symbolises the pcs; counts those with a function and with a line. */
static double perf_run(struct symbolizer *sym, const uint64_t *pcs, int n, int *named, int *lined)
{
    struct sym_frame f[16];
    double t0 = seconds_now();
    *named = *lined = 0;
    for (int i = 0; i < n; i++) {
        int k = symbolizer_resolve(sym, pcs[i], f, 16);
        *named += f[k - 1].function != NULL;
        *lined += f[0].line > 0;
    }
    return seconds_now() - t0;
}

static void test_perf_10000_pcs(void **state)
{
    (void)state;
    static struct perf_ctx ctx;
    static uint64_t pcs[10000];
    bool slow = getenv("CONNLEAK_TEST_NO_TIMING") != NULL; /* valgrind */
    int named, lined, again_named, again_lined;
    memset(&ctx, 0, sizeof(ctx));
    ctx.sym = symbolizer_new();
    dl_iterate_phdr(perf_add_module, &ctx);
    int n = perf_pick_pcs(&ctx, pcs, slow ? 1000 : 10000);
    assert_true(n >= (slow ? 900 : 9000));
    double cold = perf_run(ctx.sym, pcs, n, &named, &lined);
    double warm = perf_run(ctx.sym, pcs, n, &again_named, &again_lined);
    printf("symbolised %d distinct pcs over %d segments in %.3f s (%.0f pcs/s; %d named, "
           "%d with a line); cached again: %.0f pcs/s\n",
           n, ctx.nseg, cold, n / cold, named, lined, n / (warm + 1e-9));
    symbolizer_free(ctx.sym);
    assert_true(named > 0);
    assert_int_equal(named, again_named);
    assert_int_equal(lined, again_lined);
    /* speed is printed for the record, never asserted (see bench/README.md) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pie_inlined_frame),
        cmocka_unit_test(test_pie_direct_frame),
        cmocka_unit_test(test_non_pie),
        cmocka_unit_test(test_max_keeps_innermost),
        cmocka_unit_test(test_cache_returns_same_strings),
        cmocka_unit_test(test_stripped_has_no_lines),
        cmocka_unit_test(test_missing_module),
        cmocka_unit_test(test_unusable_module_files),
        cmocka_unit_test(test_build_id_mismatch),
        cmocka_unit_test(test_duplicate_and_virtual_modules),
        cmocka_unit_test(test_no_module_covers_pc),
        cmocka_unit_test(test_all_modules_libc),
        cmocka_unit_test(test_perf_10000_pcs),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
