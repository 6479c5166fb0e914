/* perfmap.c - names JIT frames from /tmp/perf-PID.map at report time, and
 * says which runtime left them unnamed (perfmap.h).
 *
 * The pcs a report needs are known before any is resolved (the stacks of
 * its findings): they are sorted once, the map is read line by line, and
 * only the entries that cover one of them are kept. A later entry for the
 * same addresses wins (the runtime reused the code space). */
#define _GNU_SOURCE
#include "symbols/perfmap.h"

#include "symbols/symbols_internal.h"

#include <ctype.h>
#include <inttypes.h>

struct pm_entry {
    uint64_t start, size;
    char *name; /* the map's text: "JS:~fetchItems /srv/x.js:12:3" */
};

struct perfmap {
    long pid;
    const char *runtime; /* "node", "java" or NULL */
    char path[64];
    bool have_map, noted_interp;
    struct pm_entry *v;
    size_t n, cap;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Whether one of the sorted pcs is a return address into [start, start+size)
 * (looked up at pc - 1, as the symbolizer does). */
static bool pcs_hit(const uint64_t *pcs, size_t n, uint64_t start, uint64_t size)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first pc > start */
        size_t mid = lo + (hi - lo) / 2;
        if (pcs[mid] <= start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && pcs[lo] - 1 < start + size;
}

/* Parses "START SIZE NAME"; keeps it when a pc needs it. */
static void map_line(struct perfmap *pm, char *line, const uint64_t *pcs, size_t n)
{
    char *end;
    uint64_t start = strtoull(line, &end, 16);
    if (end == line || *end != ' ') return;
    char *s = end + 1;
    uint64_t size = strtoull(s, &end, 16);
    if (end == s || *end != ' ' || size == 0 || !pcs_hit(pcs, n, start, size)) return;
    char *name = end + 1;
    name[strcspn(name, "\r\n")] = '\0';
    ALLOC_GROW(pm->v, pm->n + 1, pm->cap);
    pm->v[pm->n++] = (struct pm_entry){start, size, xstrdup(name)};
}

#define MAP_SLACK_NS 5000000000u /* clocks, and the last flush before exit */

/* "older than", "newer than" when the map cannot be p's: last written
 * before p started, or (p's trace ended at its exit) well after p ended. */
static const char *map_stale(const struct process *p, uint64_t mtime)
{
    if (!p->start_unix_ns) return NULL;
    if (mtime + MAP_SLACK_NS / 5 < p->start_unix_ns) return "older than";
    uint64_t end = p->start_unix_ns + p->last_ts;
    return p->complete && mtime > end + MAP_SLACK_NS ? "newer than" : NULL;
}

/* Reads the map, unless it is missing, not a regular file, or older than
 * the process (another process with the same pid wrote it). */
static void map_read(struct symbolizer *sym, struct perfmap *pm, const struct process *p,
                     const uint64_t *pcs, size_t n)
{
    struct stat st;
    int fd = open(pm->path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    uint64_t mtime = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    const char *when = map_stale(p, mtime);
    if (when) {
        note_add(sym, "%s is %s pid %ld (another process with that pid wrote it): not used",
                 pm->path, when, pm->pid);
        close(fd);
        return;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return;
    }
    pm->have_map = true;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) map_line(pm, line, pcs, n);
    free(line);
    fclose(f);
}

/* The latest entry covering pc - 1, or NULL. */
static const struct pm_entry *map_find(const struct perfmap *pm, uint64_t pc)
{
    for (size_t i = pm->n; i-- > 0;)
        if (pm->v[i].start <= pc - 1 && pc - 1 < pm->v[i].start + pm->v[i].size) return &pm->v[i];
    return NULL;
}

const char *perfmap_runtime_of(const char *module)
{
    const char *b = path_basename(module);
    if (!strcmp(b, "node") || !strcmp(b, "nodejs") || str_has_prefix(b, "libnode.so"))
        return "node";
    return str_has_prefix(b, "libjvm.so") ? "java" : NULL;
}

static const char *process_runtime(const struct process *p)
{
    for (size_t i = 0; i < p->nmods; i++) {
        const char *rt = perfmap_runtime_of(p->mods[i].path);
        if (rt) return rt;
    }
    return NULL;
}

/* Notes, for a runtime known to JIT, that its frames stay unnamed and what
 * would name them. Addresses in no module of other programs show as they
 * are (hand-made traces, code a program generated itself). */
static void note_unnamed(struct symbolizer *sym, struct perfmap *pm)
{
    if (pm->have_map || !pm->runtime) return;
    long pid = pm->pid;
    pm->noted_interp = true; /* this note says it all */
    if (!strcmp(pm->runtime, "node"))
        note_add(sym,
                 "node (pid %ld): JavaScript frames are not named: no %s; run node with "
                 "--perf-basic-prof --interpreted-frames-native-stack (or put them in "
                 "NODE_OPTIONS) to name them (jit-frames)",
                 pid, pm->path);
    else
        note_add(sym,
                 "java (pid %ld): JIT-compiled frames are not named: no %s; start the JVM with "
                 "-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit (JDK 17+) or a perf-map "
                 "agent to name them (jit-frames)",
                 pid, pm->path);
}

/* Notes the pcs a map was read for but does not cover. */
static void note_uncovered(struct symbolizer *sym, const struct perfmap *pm, const uint64_t *pcs,
                           size_t n)
{
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) missing += map_find(pm, pcs[i]) == NULL;
    if (pm->have_map && missing)
        note_add(sym,
                 "%s names %zu of the %zu stack addresses in no module: the others show as "
                 "addresses (jit-frames)",
                 pm->path, n - missing, n);
}

/* Sorts pcs and drops duplicates; returns the new count. */
static size_t pcs_unique(uint64_t *pcs, size_t n)
{
    if (n == 0) return 0;
    qsort(pcs, n, sizeof(*pcs), cmp_u64);
    size_t out = 1;
    for (size_t i = 1; i < n; i++)
        if (pcs[i] != pcs[out - 1]) pcs[out++] = pcs[i];
    return out;
}

void perfmap_attach(struct symbolizer *sym, const struct process *p, uint64_t *pcs, size_t n)
{
    if (!sym || sym->jit || p->pid <= 0) return;
    const char *runtime = process_runtime(p);
    if (!runtime && n == 0) return;
    struct perfmap *pm = xcalloc(1, sizeof(*pm));
    pm->pid = p->pid;
    pm->runtime = runtime;
    snprintf(pm->path, sizeof(pm->path), "/tmp/perf-%ld.map", p->pid);
    n = pcs_unique(pcs, n);
    if (n) map_read(sym, pm, p, pcs, n);
    sym->jit = pm;
    if (n) note_unnamed(sym, pm);
    note_uncovered(sym, pm, pcs, n);
}

/* Splits a V8 JS entry "JS:~name /file.js:12:3" (also "LazyCompile:*name
 * file:12", with or without a column) into out's function, file and line;
 * other entries (V8 builtins, Java methods) are the function as written. */
static void entry_to_frame(struct symbolizer *sym, const char *text, struct sym_frame *out)
{
    static const char *const js_kinds[] = {
        "JS:", "LazyCompile:", "Function:", "Script:", "Eval:", "InterpretedFunction:"};
    const char *name = text;
    for (size_t i = 0; i < sizeof(js_kinds) / sizeof(js_kinds[0]) && name == text; i++)
        if (str_has_prefix(text, js_kinds[i])) name = text + strlen(js_kinds[i]);
    if (name == text) {
        out->function = str_intern(&sym->strs, text);
        return;
    }
    if (*name && strchr("~*^+", *name)) name++; /* V8's tier: interpreted, optimized... */
    char *copy = xstrdup(name), *sp = strrchr(copy, ' ');
    if (sp) {
        *sp = '\0';
        char *file = sp + 1, *c = strrchr(file, ':');
        if (c && c[1] && isdigit((unsigned char)c[1])) { /* ":COL", or ":LINE" alone */
            *c = '\0';
            char *l = strrchr(file, ':');
            if (l && l[1] && isdigit((unsigned char)l[1])) {
                *l = '\0';
                out->line = atoi(l + 1);
            } else {
                out->line = atoi(c + 1);
            }
        }
        out->file = str_intern(&sym->strs, file);
    }
    out->function = str_intern(&sym->strs, *copy ? copy : "(anonymous)");
    free(copy);
}

/* Whether the map names interpreted functions' own trampolines: node ran
 * with --interpreted-frames-native-stack (the functions it ran before, from
 * its startup snapshot, still use the shared one). */
static bool map_has_interpreted(const struct perfmap *pm)
{
    for (size_t i = 0; i < pm->n; i++)
        if (str_has_prefix(pm->v[i].name, "JS:~") ||
            str_has_prefix(pm->v[i].name, "InterpretedFunction:"))
            return true;
    return false;
}

int perfmap_frame(struct symbolizer *sym, uint64_t pc, struct sym_frame *out, int n)
{
    struct perfmap *pm = sym->jit;
    if (!pm || n <= 0) return n;
    const char *fn = out[n - 1].function;
    if (fn && !pm->noted_interp && pm->runtime && !strcmp(pm->runtime, "node") &&
        str_has_prefix(fn, "Builtins_InterpreterEntryTrampoline") && !map_has_interpreted(pm)) {
        pm->noted_interp = true;
        note_add(sym,
                 "node (pid %ld): interpreted JavaScript frames show as "
                 "Builtins_InterpreterEntryTrampoline: run node with %s"
                 "--interpreted-frames-native-stack to name them (jit-frames)",
                 pm->pid, pm->have_map ? "" : "--perf-basic-prof ");
    }
    const struct pm_entry *e = out[0].module ? NULL : map_find(pm, pc);
    if (!e) return n;
    out[0] = (struct sym_frame){.pc = pc, .offset = pc - e->start};
    out[0].module = str_intern(&sym->strs, PERFMAP_MODULE);
    entry_to_frame(sym, e->name, &out[0]);
    return 1;
}

void perfmap_free(struct perfmap *pm)
{
    if (!pm) return;
    for (size_t i = 0; i < pm->n; i++) free(pm->v[i].name);
    free(pm->v);
    free(pm);
}

/* A V8 entry kind ("Builtin:", "BytecodeHandler:", "Stub:") or a JDK class. */
static bool function_is_runtime(const char *fn)
{
    static const char *const jdk[] = {"java.",  "javax.", "jdk.",  "sun.",        "com.sun.",
                                      "Ljava/", "Ljdk/",  "Lsun/", "Interpreter", "StubRoutines"};
    if (!fn) return true;
    for (size_t i = 0; i < sizeof(jdk) / sizeof(jdk[0]); i++)
        if (str_has_prefix(fn, jdk[i])) return true;
    size_t word = strspn(fn, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    return word > 0 && isupper((unsigned char)fn[0]) && fn[word] == ':' && fn[word + 1] != ':';
}

bool perfmap_frame_is_runtime(const char *module, const char *file, const char *function)
{
    if (!module || strcmp(module, PERFMAP_MODULE) != 0) return false;
    if (!file) return function_is_runtime(function);
    bool script = file[0] == '/' || str_has_prefix(file, "file://");
    return !script || strstr(file, "/node_modules/") || strstr(file, "/usr/share/nodejs/") ||
           strstr(file, "/usr/lib/nodejs/") || strstr(file, "/usr/lib/node_modules/");
}
