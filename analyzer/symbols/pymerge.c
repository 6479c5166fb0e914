/* pymerge.c - shows Python frames where the interpreter's frames were, as
 * py-spy --native does: each _PyEval_EvalFrameDefault frame of the native
 * stack gives way to the Python frames its call ran (up to the next entry
 * frame), and the interpreter's other C frames (vectorcall, method and
 * cfunction glue, the socket module) are dropped; C extension modules are
 * not the program's own frames. Python frames beyond the
 * native stack's depth go after it. A Python frame is an ordinary frame:
 * module and file are the .py path, function the code's qualname. */
#include "symbols/pymerge.h"

#include <string.h>

static bool function_is_eval(const char *fn)
{
    return fn && str_has_prefix(fn, "_PyEval_EvalFrame");
}

/* The module running the interpreter loop (the python executable, or
 * libpython), or NULL. */
static const char *interpreter_module(const struct frames *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].module && function_is_eval(s->v[i].function)) return s->v[i].module;
    for (size_t i = 0; i < s->n; i++) {
        const char *b = path_basename(s->v[i].module);
        if (str_has_prefix(b, "python3") || str_has_prefix(b, "libpython3")) return s->v[i].module;
    }
    return NULL;
}

bool pyfile_is_user(const char *file)
{
    return file && file[0] != '<' && !strstr(file, "/lib/python") &&
           !strstr(file, "/site-packages/") && !strstr(file, "/dist-packages/");
}

/* A C extension module of the interpreter (_socket, _ssl, ...): no more
 * the program's than the interpreter is. */
static bool module_is_extension(const char *module)
{
    return module && (strstr(module, "/lib/python") || strstr(module, ".cpython-") ||
                      strstr(module, "/site-packages/") || strstr(module, "/dist-packages/"));
}

static struct frame pyframe_to_frame(const struct pyframe *f)
{
    return (struct frame){
        .module = xstrdup(f->file),
        .function = xstrdup(f->function),
        .file = xstrdup(f->file),
        .line = f->line,
        .user = pyfile_is_user(f->file),
    };
}

/* Appends the Python frames of one eval call: from *k to the next entry. */
static void segment_push(struct frames *out, size_t *cap, const struct pystack *py, uint32_t *k)
{
    while (*k < py->n) {
        ALLOC_GROW(out->v, out->n + 1, *cap);
        out->v[out->n++] = pyframe_to_frame(&py->v[*k]);
        if (py->v[(*k)++].entry) break;
    }
}

void frames_merge_python(const struct process *p, uint32_t py, struct frames *s)
{
    const struct pystack *ps = process_pystack(p, py);
    if (!ps || ps->n == 0) return;
    const char *interp = interpreter_module(s);
    struct frames out = {.top = -1};
    size_t cap = 0;
    uint32_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct frame *f = &s->v[i];
        bool in_interp = interp && f->module && strcmp(f->module, interp) == 0;
        if (!in_interp) {
            if (module_is_extension(f->module)) f->user = false;
            ALLOC_GROW(out.v, out.n + 1, cap);
            out.v[out.n++] = *f;
            *f = (struct frame){0};
            continue;
        }
        if (function_is_eval(f->function)) segment_push(&out, &cap, ps, &k);
    }
    while (k < ps->n) segment_push(&out, &cap, ps, &k);
    frames_free(s);
    *s = out;
}
