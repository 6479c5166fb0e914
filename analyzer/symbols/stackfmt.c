/* stackfmt.c - symbolises and trims the stacks that findings use.
 *
 * Symbolisation is the slow part of a report (DWARF), so it runs per
 * finding stack, never per socket, and only the modules those stacks touch
 * are handed to libdwfl. */
#include "symbols/stackfmt.h"

#include "symbols/demangle.h"
#include "symbols/perfmap.h"
#include "symbols/pymerge.h"
#include "util/binkind.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INLINE 16 /* frames one pc may expand into */

struct pc_list { /* pcs in no module: JIT code, named from a perf map */
    uint64_t *v;
    size_t n, cap;
};

/* Marks in used the modules the pcs of s fall in; adds to jit those in none. */
static void stack_mark_modules(const struct process *p, const struct stack *s, bool *used,
                               struct pc_list *jit)
{
    for (uint32_t j = 0; s && j < s->n; j++) {
        const struct module *m = process_module_at(p, s->pc[j]);
        if (m) {
            used[m - p->mods] = true;
        } else if (s->pc[j]) {
            ALLOC_GROW(jit->v, jit->n + 1, jit->cap);
            jit->v[jit->n++] = s->pc[j];
        }
    }
}

struct symbolizer *stackfmt_symbolizer(const struct process *p, const struct findings *fs,
                                       size_t from)
{
    bool *used = xcalloc(p->nmods ? p->nmods : 1, sizeof(*used));
    struct pc_list jit = {0};
    for (size_t i = from; i < fs->n; i++) {
        const struct stack *s[3] = {process_stack(p, fs->v[i].stk),
                                    process_stack(p, fs->v[i].open_stk),
                                    process_stack(p, fs->v[i].first_close_stk)};
        for (int k = 0; k < 3; k++) stack_mark_modules(p, s[k], used, &jit);
        for (size_t g = 0; g < fs->v[i].ngsites; g++)
            stack_mark_modules(p, process_stack(p, fs->v[i].gsites[g].stk), used, &jit);
    }
    struct symbolizer *sym = symbolizer_new();
    for (size_t i = 0; sym && i < p->nmods; i++) {
        const struct module *m = &p->mods[i];
        if (used[i]) symbolizer_add_module(sym, m->path, m->base, m->lo, m->hi, m->bid);
    }
    if (sym) perfmap_attach(sym, p, jit.v, jit.n);
    free(jit.v);
    free(used);
    return sym;
}

bool module_is_runtime(const char *module)
{
    if (!module) return false;
    const char *b = path_basename(module);
    return str_has_prefix(b, "libconnleak") || str_has_prefix(b, "libc.so") ||
           str_has_prefix(b, "libc-") || str_has_prefix(b, "libpthread") ||
           str_has_prefix(b, "ld-linux");
}

bool module_is_user(const char *module)
{
    static const char *const system_dirs[] = {"/lib/", "/usr/lib/", "/lib64/", "/usr/lib64/"};
    if (!module) return false;
    for (size_t i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++)
        if (str_has_prefix(module, system_dirs[i])) return false;
    return true;
}

/* Whether the module is a Go binary (one module holds the runtime, the
 * standard library and the program): asked once per path. */
static bool module_is_go(const char *module)
{
    static struct {
        char *path;
        bool go;
    } cache[16];
    static unsigned n;
    if (!module) return false;
    for (unsigned i = 0; i < n; i++)
        if (strcmp(cache[i].path, module) == 0) return cache[i].go;
    bool go = binkind_detect(module, NULL, 0) == BIN_GO;
    if (n < 16) cache[n++] = (typeof(cache[0])){xstrdup(module), go};
    return go;
}

/* A Go function of the runtime or the standard library: its package path
 * (up to the first '.' after the last '/') starts with an element without
 * a dot ("net/http", "runtime", "internal/poll"), and is not "main"; a
 * module's packages start with a domain ("github.com/..."). */
static bool go_function_is_std(const char *fn)
{
    const char *slash = strrchr(fn, '/');
    const char *pkg_end = strchr(slash ? slash : fn, '.');
    if (!pkg_end) return false;
    size_t first = strcspn(fn, "/");
    if ((size_t)(pkg_end - fn) < first) first = (size_t)(pkg_end - fn);
    if (first == 4 && strncmp(fn, "main", 4) == 0) return false;
    return memchr(fn, '.', first) == NULL;
}

/* The user's code: not a system library, not matched by a skip pattern
 * (skipframes.h), not Go's runtime or standard library. */
static bool frame_is_user(const struct sym_frame *r, const struct skip_frames *skip)
{
    if (!module_is_user(r->module) || skip_frames_match(skip, r->module, r->function)) return false;
    if (perfmap_runtime_of(r->module) || perfmap_frame_is_runtime(r->module, r->file, r->function))
        return false; /* node's or the JVM's own frames */
    return !(r->function && module_is_go(r->module) && go_function_is_std(r->function));
}

/* The module a frame at pc is shown in: the symbolizer's, else the trace's. */
static const char *frame_module(struct symbolizer *sym, const struct process *p, uint64_t pc)
{
    const char *path = sym ? symbolizer_module_at(sym, pc) : NULL;
    const struct module *m = path ? NULL : process_module_at(p, pc);
    return path ? path : m ? m->path : NULL;
}

/* The raw frames of one stack, before trimming connleak's own frames off
 * its top (those are not resolved at all); strings belong to sym. */
static size_t stack_symbolise(struct symbolizer *sym, const struct process *p,
                              const struct stack *s, struct sym_frame **out)
{
    struct sym_frame *v = NULL;
    size_t n = 0, cap = 0;
    uint32_t i = 0;
    while (i < s->n && module_is_runtime(frame_module(sym, p, s->pc[i])))
        i++; /* connleak's own frames on top are dropped unread (stackfmt_resolve) */
    for (; i < s->n; i++) {
        ALLOC_GROW(v, n + MAX_INLINE, cap);
        int k = sym ? symbolizer_resolve(sym, s->pc[i], v + n, MAX_INLINE) : 0;
        if (k <= 0) {
            v[n] = (struct sym_frame){.pc = s->pc[i]};
            k = 1;
        }
        for (int j = 0; j < k; j++) {
            v[n + j].pc = s->pc[i];
            if (!v[n + j].module) {
                const struct module *m = process_module_at(p, s->pc[i]);
                v[n + j].module = m ? m->path : NULL;
            }
        }
        n += (size_t)k;
    }
    *out = v;
    return n;
}

int frames_top(const struct frames *s)
{
    int first_user = -1;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].user && s->v[i].function) return (int)i;
        if (s->v[i].user && first_user < 0) first_user = (int)i;
    }
    return first_user;
}

void stackfmt_resolve(struct symbolizer *sym, const struct process *p, uint32_t stk,
                      const struct skip_frames *skip_globs, struct frames *out)
{
    *out = (struct frames){.top = -1};
    const struct stack *s = process_stack(p, stk);
    if (!s || (s->n == 0 && !s->py)) return;
    struct sym_frame *raw;
    size_t n = stack_symbolise(sym, p, s, &raw), skip = 0;
    while (skip < n && module_is_runtime(raw[skip].module)) skip++;
    out->v = xcalloc(n - skip, sizeof(*out->v));
    for (size_t i = skip; i < n; i++) {
        const struct sym_frame *r = &raw[i];
        const struct module *m = process_module_at(p, r->pc);
        out->v[out->n++] = (struct frame){
            .pc = r->pc,
            .rel = m ? r->pc - m->base : r->pc,
            .module = xstrdup(r->module),
            .function = xstrdup(r->function),
            .mangled = xstrdup(r->mangled),
            .file = xstrdup(r->file),
            .offset = r->function ? r->offset : 0,
            .line = r->file ? r->line : 0,
            .inlined = r->inlined,
            .user = frame_is_user(r, skip_globs),
        };
    }
    free(raw);
    frames_merge_python(p, s->py, out);
    out->top = frames_top(out);
}

const char *path_display(const char *path)
{
    static char cwd[PATH_MAX];
    static size_t len;
    if (!path) return NULL;
    if (!len && getcwd(cwd, sizeof(cwd))) len = strlen(cwd);
    if (len > 1 && strncmp(path, cwd, len) == 0 && path[len] == '/') return path + len + 1;
    return path;
}

char *frames_where(const struct frames *s)
{
    if (s->n == 0) return xstrdup("an unknown place (no stack recorded)");
    const struct frame *f = &s->v[s->top >= 0 ? s->top : 0];
    const char *mod = f->module ? path_basename(f->module) : "unknown module";
    if (!f->function) return xasprintf("0x%" PRIx64 " (%s)", f->pc, mod);
    char *name = symbol_headline(f->function, f->mangled), *out;
    if (f->file)
        out = xasprintf("%s (%s:%d)", name, path_display(f->file), f->line);
    else if (f->module)
        out = xasprintf("%s (%s+0x%" PRIx64 ")", name, mod, f->rel);
    else
        out = xasprintf("%s (%s)", name, mod);
    free(name);
    return out;
}
