/* test_analyzer_perfmap.c - unit tests of analyzer/symbols/perfmap.c: JIT
 * frames named from a perf map written here (V8's JS entries with and
 * without a column, anonymous functions, V8 builtins, Java methods, a later
 * entry for the same code winning, malformed lines skipped, return
 * addresses looked up at pc - 1), which frames are the runtime's own, and
 * the notes: a map older than the process, pcs the map does not cover, and
 * node or Java without a map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "symbols/perfmap.h"

static char map_path[64];

static void map_write(const char *text)
{
    snprintf(map_path, sizeof(map_path), "/tmp/perf-%ld.map", (long)getpid());
    FILE *f = fopen(map_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char map_text[] = "1000 100 JS:~fetchItems /srv/app/x.js:12:3\n"
                               "2000 100 LazyCompile:*getItems /srv/app/y.js:40\n"
                               "3000 100 JS:~ node:net:1326:73\n"
                               "not a line\n"
                               "\n"
                               "3800 0 JS:~empty /z.js:1:1\n"
                               "4000 100 Builtin:ArgumentsAdaptorTrampoline\n"
                               "5000 100 java.lang.Thread::run\n"
                               "6000 100 JS:^old /a.js:1:1\n"
                               "6000 100 JS:*new /srv/app/b.js:2:1\r\n"
                               "7000 10 JS:~unused /c.js:1:1\n";

/* A process of this test's pid, its modules given (may be none). */
static struct process proc_make(struct module *mods, size_t nmods, uint64_t start_ns)
{
    return (struct process){
        .pid = getpid(), .mods = mods, .nmods = nmods, .start_unix_ns = start_ns};
}

static struct sym_frame resolve_one(struct symbolizer *sym, uint64_t pc)
{
    struct sym_frame f[4];
    assert_int_equal(symbolizer_resolve(sym, pc, f, 4), 1);
    return f[0];
}

static void expect_frame(struct symbolizer *sym, uint64_t pc, const char *fn, const char *file,
                         int line)
{
    struct sym_frame f = resolve_one(sym, pc);
    assert_non_null(f.function);
    assert_string_equal(f.function, fn);
    if (file) {
        assert_non_null(f.file);
        assert_string_equal(f.file, file);
    } else {
        assert_null(f.file);
    }
    assert_int_equal(f.line, line);
    assert_string_equal(f.module, PERFMAP_MODULE);
}

static bool notes_have(const struct symbolizer *sym, const char *part)
{
    for (size_t i = 0; i < symbolizer_note_count(sym); i++)
        if (strstr(symbolizer_note(sym, i), part)) return true;
    return false;
}

static void test_names(void **state)
{
    (void)state;
    map_write(map_text);
    struct process p = proc_make(NULL, 0, 0);
    uint64_t pcs[] = {0x1010, 0x2001, 0x3050, 0x4010, 0x5010, 0x6010, 0x9000, 0x1000, 0x1010};
    struct symbolizer *sym = symbolizer_new();
    perfmap_attach(sym, &p, pcs, sizeof(pcs) / sizeof(pcs[0]));
    expect_frame(sym, 0x1010, "fetchItems", "/srv/app/x.js", 12);
    expect_frame(sym, 0x2001, "getItems", "/srv/app/y.js", 40); /* at pc - 1 = 0x2000 */
    expect_frame(sym, 0x3050, "(anonymous)", "node:net", 1326);
    expect_frame(sym, 0x4010, "Builtin:ArgumentsAdaptorTrampoline", NULL, 0);
    expect_frame(sym, 0x5010, "java.lang.Thread::run", NULL, 0);
    expect_frame(sym, 0x6010, "new", "/srv/app/b.js", 2); /* the later entry wins */
    assert_int_equal(resolve_one(sym, 0x1010).offset, 0x10);
    /* 0x1000 returns to just past 0xfff: not in fetchItems; 0x9000: no entry */
    assert_null(resolve_one(sym, 0x1000).function);
    assert_null(resolve_one(sym, 0x9000).module);
    assert_true(notes_have(sym, "names 6 of the 8 stack addresses in no module"));
    assert_false(notes_have(sym, "not named"));
    symbolizer_free(sym);
    unlink(map_path);
}

static void test_runtime_frames(void **state)
{
    (void)state;
    const char *m = PERFMAP_MODULE;
    assert_false(perfmap_frame_is_runtime(m, "/srv/app/x.js", "fetchItems"));
    assert_false(perfmap_frame_is_runtime(m, "file:///srv/app/x.mjs", "main"));
    assert_true(perfmap_frame_is_runtime(m, "node:net", "Socket.connect"));
    assert_true(perfmap_frame_is_runtime(m, "/srv/app/node_modules/pg/lib/x.js", "connect"));
    assert_true(perfmap_frame_is_runtime(m, "/usr/share/nodejs/undici/index.js", "fetch"));
    assert_true(perfmap_frame_is_runtime(m, NULL, "Builtin:ArgumentsAdaptorTrampoline"));
    assert_true(perfmap_frame_is_runtime(m, NULL, "java.lang.Thread::run"));
    assert_false(perfmap_frame_is_runtime(m, NULL, "com.example.Client::fetch"));
    /* frames not from a map are not this file's to judge */
    assert_false(perfmap_frame_is_runtime("/tmp/perf-42.map", "node:net", "Builtin:X"));
    assert_string_equal(perfmap_runtime_of("/usr/bin/node"), "node");
    assert_string_equal(perfmap_runtime_of("/usr/lib/x86_64-linux-gnu/libnode.so.108"), "node");
    assert_string_equal(perfmap_runtime_of("/usr/lib/jvm/java-17/lib/server/libjvm.so"), "java");
    assert_null(perfmap_runtime_of("/usr/bin/python3.11"));
    assert_null(perfmap_runtime_of(NULL));
}

/* A map written before the process started, or after it ended, belongs to
 * another process. */
static void test_stale_map(void **state)
{
    (void)state;
    map_write(map_text);
    struct timeval old[2] = {{1000000, 0}, {1000000, 0}};
    assert_int_equal(utimes(map_path, old), 0);
    struct process p = proc_make(NULL, 0, (uint64_t)time(NULL) * 1000000000u);
    uint64_t pcs[] = {0x1010};
    struct symbolizer *sym = symbolizer_new();
    perfmap_attach(sym, &p, pcs, 1);
    assert_null(resolve_one(sym, 0x1010).function);
    assert_true(notes_have(sym, "is older than pid"));
    symbolizer_free(sym);
    /* written now, by a process after p, which ended an hour ago */
    map_write(map_text);
    p = proc_make(NULL, 0, ((uint64_t)time(NULL) - 3600) * 1000000000u);
    p.complete = true;
    p.last_ts = 1000000000u;
    sym = symbolizer_new();
    perfmap_attach(sym, &p, pcs, 1);
    assert_null(resolve_one(sym, 0x1010).function);
    assert_true(notes_have(sym, "is newer than pid"));
    symbolizer_free(sym);
    /* the same, still running at the end of its trace: the map is its own */
    p.complete = false;
    sym = symbolizer_new();
    perfmap_attach(sym, &p, pcs, 1);
    assert_non_null(resolve_one(sym, 0x1010).function);
    symbolizer_free(sym);
    unlink(map_path);
}

static void expect_runtime_note(const char *module, const char *runtime, const char *flag)
{
    unlink(map_path);
    struct module mod = {.path = (char *)module, .lo = 0x100000, .hi = 0x200000, .bid = ""};
    struct process p = proc_make(&mod, 1, 0);
    uint64_t pcs[] = {0x1010};
    struct symbolizer *sym = symbolizer_new();
    perfmap_attach(sym, &p, pcs, 1);
    assert_null(resolve_one(sym, 0x1010).function);
    char want[64];
    snprintf(want, sizeof(want), "%s (pid %ld): ", runtime, (long)getpid());
    assert_true(notes_have(sym, want));
    assert_true(notes_have(sym, flag));
    assert_true(notes_have(sym, "(jit-frames)"));
    symbolizer_free(sym);
}

static void test_no_map(void **state)
{
    (void)state;
    snprintf(map_path, sizeof(map_path), "/tmp/perf-%ld.map", (long)getpid());
    expect_runtime_note("/usr/bin/node", "node",
                        "--perf-basic-prof --interpreted-frames-native-stack");
    expect_runtime_note("/usr/lib/jvm/java-17/lib/server/libjvm.so", "java", "DumpPerfMapAtExit");
    /* another program: its addresses in no module stay as they are, no note */
    struct process p = proc_make(NULL, 0, 0);
    uint64_t pcs[] = {0x1010};
    struct symbolizer *sym = symbolizer_new();
    perfmap_attach(sym, &p, pcs, 1);
    assert_int_equal(symbolizer_note_count(sym), 0);
    symbolizer_free(sym);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_runtime_frames),
        cmocka_unit_test(test_stale_map),
        cmocka_unit_test(test_no_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
