/* decode_python.c - the `pystk` record: the Python frames (function, file,
 * line, entry) that a `stk` record names with "py". Written by the preload
 * when the program is CPython (preload/pyframes.c); older traces have none. */
#include "trace/reader_internal.h"

#define MAX_PY_DEPTH 256

/* One frame: ["qualname", "file", line, entry]. */
static bool pyframe_read(const cJSON *a, struct pyframe *out)
{
    const cJSON *fn = cJSON_GetArrayItem(a, 0), *file = cJSON_GetArrayItem(a, 1);
    const cJSON *line = cJSON_GetArrayItem(a, 2), *entry = cJSON_GetArrayItem(a, 3);
    if (!cJSON_IsArray(a) || !cJSON_IsString(fn) || !cJSON_IsString(file) || !cJSON_IsNumber(line))
        return false;
    *out = (struct pyframe){
        .function = xstrdup(fn->valuestring),
        .file = xstrdup(file->valuestring),
        .line = line->valuedouble > 0 && line->valuedouble < 1e9 ? (int)line->valuedouble : 0,
        .entry = cJSON_IsNumber(entry) && entry->valuedouble != 0,
    };
    return true;
}

bool read_pystk(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint32_t id = rec_id(o, F_ID);
    const cJSON *frames = o->f[F_F];
    if (!id || !cJSON_IsArray(frames)) return false;
    if (idmap_get(&r->py_ids, id)) return true; /* ids are written once; keep the first */
    int n = cJSON_GetArraySize(frames);
    if (n > MAX_PY_DEPTH) n = MAX_PY_DEPTH;
    struct pystack s = {.v = xcalloc((size_t)n + 1, sizeof(*s.v))};
    const cJSON *e;
    cJSON_ArrayForEach(e, frames)
    {
        if (s.n == (uint32_t)n) break;
        if (!pyframe_read(e, &s.v[s.n])) {
            pystack_free(&s);
            return false;
        }
        s.n++;
    }
    if (p->npystacks == 0) {
        ALLOC_GROW(p->pystacks, 1, p->cappystacks);
        p->pystacks[p->npystacks++] = (struct pystack){0}; /* [0] is "none" */
    }
    ALLOC_GROW(p->pystacks, p->npystacks + 1, p->cappystacks);
    p->pystacks[p->npystacks] = s;
    idmap_put(&r->py_ids, id, (uint32_t)p->npystacks++);
    return true;
}

/* The dense index of the pystk a stk record names ("py"), 0 if none. */
uint32_t pystk_ref(struct reader *r, const struct rec *o)
{
    uint32_t id = rec_id(o, F_PY);
    return id ? idmap_get(&r->py_ids, id) : 0;
}
