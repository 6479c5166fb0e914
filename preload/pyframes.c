/* pyframes.c - the Python frames of the calling thread, read from inside a
 * hook (see design notes §9, "CPython frames from inside a hook").
 *
 * CPython is found once, at start, with dlsym(RTLD_DEFAULT): no Python, no
 * cost but a NULL check. The walk reads the thread's own frame chain with
 * plain loads: the thread is inside the hooked call, so its frames do not
 * change and the code objects they run stay alive. Nothing in the
 * interpreter is called but PyGILState_GetThisThreadState (a TLS read,
 * works without the GIL) and _Py_IsFinalizing (an atomic load). The hot path
 * only collects code pointers and instruction offsets; a chain seen for the
 * first time is resolved (qualname, file, line from co_linetable, decoded
 * here rather than by PyCode_Addr2Line, which can misread a lazily filled
 * line array without the GIL) and its JSON text kept in an arena, written
 * into each trace file before the first stack that names it. Layouts: tables
 * for 3.11 and 3.12, _Py_DebugOffsets for 3.13; other versions get native
 * frames only. */
#define _GNU_SOURCE
#include "preload.h"
#include "events.h"
#include "pyframes.h"
#include "stacks.h"
#include "trace.h"

#include "jsonline.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PY_DEPTH  48         /* Python frames kept, innermost first */
#define PY_CAP    (1u << 14) /* distinct chains */
#define TEXT_CAP  (8u << 20) /* their JSON lines, together */
#define STR_MAX   240        /* characters of a name or file kept */
#define LINE_MAX_ (PY_DEPTH * (2 * STR_MAX * 6 + 64) + 64)

struct py_layout {
    long cframe;    /* tstate -> _PyCFrame *; -1: current_frame is in the tstate */
    long cur_frame; /* in the cframe or the tstate */
    long f_code, f_prev, f_instr, f_owner, f_entry; /* f_entry -1: C-stack frames mark entries */
    long co_firstlineno, co_filename, co_name, co_qualname, co_linetable, co_firsttrace, co_code;
    long str_state, str_ascii; /* PyASCIIObject: state word, end (= compact ASCII data) */
    long bytes_size, bytes_data;
};

static const struct py_layout layout_311 = {56,  8,   32,  48,  56,  69, 68, 72, 112,
                                            120, 128, 136, 168, 184, 32, 48, 16, 32};
static const struct py_layout layout_312 = {56,  0,   0,   8,   56,  70, -1, 68, 112,
                                            120, 128, 136, 176, 192, 32, 40, 16, 32};
static struct py_layout L;

static void *(*get_tstate)(void);
static int (*is_finalizing)(void);
static uintptr_t code_type, str_type;

struct py_frame {
    uintptr_t code, name;
    int32_t first, off; /* co_firstlineno, byte offset of the current instruction */
    uint32_t entry;     /* first frame of its _PyEval_EvalFrameDefault call */
    uint32_t zero;      /* no padding: keys are compared with memcmp */
};

struct py_entry {
    _Atomic uint64_t hash; /* 0 = empty; published last */
    uint32_t text, len;    /* the pystk line, in the text arena */
    _Atomic uint32_t emitted_gen;
    uint16_t depth;
    struct py_frame key[PY_DEPTH];
};

static struct py_entry *table;
static char *text;
static uint32_t text_used;
static _Atomic uint32_t nchains;
static cl_lock_t py_lock = CL_LOCK_INIT;

/* A 3.13+ layout from _Py_DebugOffsets at _PyRuntime (cookie "xdebugpy"). */
static bool layout_from_debug(const uint64_t *d, unsigned long version)
{
    if (memcmp(d, "xdebugpy", 8) != 0 || (d[1] >> 16) != (version >> 16) || d[2] != 0)
        return false; /* another version's layout, or free-threaded */
    L = (struct py_layout){.cframe = -1,
                           .cur_frame = (long)d[23],
                           .f_prev = (long)d[29],
                           .f_code = (long)d[30],
                           .f_instr = (long)d[31],
                           .f_owner = (long)d[33],
                           .f_entry = -1,
                           .co_filename = (long)d[35],
                           .co_name = (long)d[36],
                           .co_qualname = (long)d[37],
                           .co_linetable = (long)d[38],
                           .co_firstlineno = (long)d[39],
                           .co_firsttrace = -1,
                           .co_code = (long)d[43],
                           .bytes_size = (long)d[65],
                           .bytes_data = (long)d[66],
                           .str_state = (long)d[68],
                           .str_ascii = (long)d[70]};
    return true;
}

static char unsupported[160];
static _Atomic int unsupported_noted;

/* A CPython whose frames cannot be read: its stacks say so once, in a
 * note, the first time one is captured (get_tstate stands in for the real
 * one and returns NULL: no Python frames). */
static void *tstate_unsupported(void)
{
    if (!atomic_exchange(&unsupported_noted, 1)) ev_note("python-frames", unsupported);
    return NULL;
}

static void unsupported_set(const unsigned long *ver)
{
    const char *tail = ": Python frames are read from CPython 3.11, 3.12 and 3.13 only; stacks "
                       "show the interpreter's C frames";
    if (ver)
        snprintf(unsupported, sizeof(unsupported), "CPython %lu.%lu%s", *ver >> 24,
                 (*ver >> 16) & 0xff, tail);
    else
        snprintf(unsupported, sizeof(unsupported), "CPython older than 3.11%s", tail);
    get_tstate = tstate_unsupported;
}

static bool layout_pick(void)
{
    const unsigned long *ver = dlsym(RTLD_DEFAULT, "Py_Version"); /* 3.11+ */
    const uint64_t *runtime = dlsym(RTLD_DEFAULT, "_PyRuntime");
    if (!ver || !runtime) return false;
    unsigned long minor = (*ver >> 16) & 0xff;
    if ((*ver >> 24) != 3 || minor < 11 || minor > 13) return false;
    if (minor == 11) L = layout_311;
    if (minor == 12) L = layout_312;
    if (minor == 13 && !layout_from_debug(runtime, *ver)) return false;
    is_finalizing =
        (int (*)(void))dlsym(RTLD_DEFAULT, minor >= 13 ? "Py_IsFinalizing" : "_Py_IsFinalizing");
    return true;
}

void pyframes_init(void)
{
    void *gs = dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
    code_type = (uintptr_t)dlsym(RTLD_DEFAULT, "PyCode_Type");
    str_type = (uintptr_t)dlsym(RTLD_DEFAULT, "PyUnicode_Type");
    if (!gs) return; /* not CPython */
    if (!code_type || !str_type || !layout_pick()) {
        unsupported_set(dlsym(RTLD_DEFAULT, "Py_Version"));
        return;
    }
    table = mmap(NULL, PY_CAP * sizeof(*table), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    text = mmap(NULL, TEXT_CAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                -1, 0);
    if (table == MAP_FAILED || text == MAP_FAILED) {
        table = NULL;
        return;
    }
    get_tstate = (void *(*)(void))gs;
}

bool pyframes_finalizing(void)
{
    return is_finalizing && is_finalizing();
}

static inline uintptr_t load_ptr(uintptr_t base, long off)
{
    return *(const uintptr_t *)(base + (uintptr_t)off);
}

static inline bool ptr_ok(uintptr_t p)
{
    return p >= 4096 && !(p & 7);
}

/* The thread's innermost _PyInterpreterFrame, or 0. */
static uintptr_t frame_current(void)
{
    uintptr_t ts = (uintptr_t)get_tstate();
    if (!ptr_ok(ts)) return 0;
    if (L.cframe >= 0) {
        ts = load_ptr(ts, L.cframe);
        if (!ptr_ok(ts)) return 0;
    }
    return load_ptr(ts, L.cur_frame);
}

/* A frame pushed but not started yet (its code has not reached the first
 * traceable instruction): CPython itself leaves it out of tracebacks. */
static bool frame_incomplete(uintptr_t f, uintptr_t code, uintptr_t instr)
{
    if (L.co_firsttrace < 0 || *(const uint8_t *)(f + L.f_owner) == 1 /* generator */) return false;
    int first = *(const int32_t *)(code + L.co_firsttrace);
    return instr < code + L.co_code + 2 * (uintptr_t)first;
}

/* Collects the chain: plain loads, a depth cap, every code object checked. */
static int frames_collect(struct py_frame *out)
{
    int n = 0, steps = 0;
    for (uintptr_t f = frame_current(); ptr_ok(f) && n < PY_DEPTH && steps < 4 * PY_DEPTH;
         f = load_ptr(f, L.f_prev), steps++) {
        uint8_t owner = *(const uint8_t *)(f + L.f_owner);
        if (owner == 3 && L.f_entry < 0) { /* the C stack's entry frame (3.12+) */
            if (n) out[n - 1].entry = 1;
            continue;
        }
        uintptr_t code = load_ptr(f, L.f_code), instr = load_ptr(f, L.f_instr);
        if (!ptr_ok(code) || load_ptr(code, 8) != code_type || frame_incomplete(f, code, instr))
            continue;
        uintptr_t base = code + (uintptr_t)L.co_code;
        out[n] = (struct py_frame){
            .code = code,
            .name = load_ptr(code, L.co_name),
            .first = *(const int32_t *)(code + L.co_firstlineno),
            .off = instr >= base && instr - base < (1u << 30) ? (int32_t)(instr - base) : -1,
            .entry = L.f_entry >= 0 && *(const uint8_t *)(f + L.f_entry),
        };
        n++;
    }
    if (n) out[n - 1].entry = 1;
    return n;
}

static uint64_t frames_hash(const struct py_frame *v, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        uint64_t w[4] = {v[i].code, v[i].name,
                         (uint64_t)(uint32_t)v[i].first << 32 | (uint32_t)v[i].off, v[i].entry};
        for (int k = 0; k < 4; k++) {
            h ^= w[k];
            h *= 1099511628211ull;
            h ^= h >> 29;
        }
    }
    return h | 1;
}

/* ---- resolution, once per distinct chain ------------------------------- */

static int varint_read(const uint8_t **p, const uint8_t *end)
{
    unsigned v = 0, shift = 0;
    while (*p < end) {
        uint8_t b = *(*p)++;
        v |= (unsigned)(b & 63) << shift;
        shift += 6;
        if (!(b & 64) || shift > 30) break;
    }
    return (int)v;
}

static int svarint_read(const uint8_t **p, const uint8_t *end)
{
    unsigned u = (unsigned)varint_read(p, end);
    return u & 1 ? -(int)(u >> 1) : (int)(u >> 1);
}

/* The line of byte offset `off` in a 3.11+ location table (the format of
 * Objects/locations.md): entries of 1-8 code units, each starting with a
 * byte whose bit 7 is set, bits 3-6 its kind; -1 when it has no line. */
int pyframes_line_of(const uint8_t *tab, size_t len, int first, int off)
{
    const uint8_t *p = tab, *end = tab + len;
    int line = first, addr = 0;
    while (p < end) {
        uint8_t b = *p++;
        if (!(b & 128)) continue; /* not an entry start: skip */
        int kind = (b >> 3) & 15, next = addr + ((b & 7) + 1) * 2;
        const uint8_t *q = p;
        if (kind == 13 || kind == 14)
            line += svarint_read(&q, end);
        else if (kind >= 10 && kind <= 12)
            line += kind - 10;
        if (off >= addr && off < next) return kind == 15 ? -1 : line;
        addr = next;
    }
    return -1;
}

static const char *str_read(uintptr_t o)
{
    if (!ptr_ok(o) || load_ptr(o, 8) != str_type) return NULL;
    uint32_t state = *(const uint32_t *)(o + L.str_state);
    if (!(state & (1u << 5))) return NULL; /* not compact */
    if (state & (1u << 6)) return (const char *)(o + L.str_ascii);
    return (const char *)load_ptr(o, L.str_ascii + 8); /* utf8 copy, if made */
}

static int frame_line(const struct py_frame *f)
{
    uintptr_t tab = load_ptr(f->code, L.co_linetable);
    if (!ptr_ok(tab) || f->off < 0) return f->first;
    long len = *(const long *)(tab + L.bytes_size);
    if (len <= 0 || len > (1 << 24)) return f->first;
    int line =
        pyframes_line_of((const uint8_t *)(tab + L.bytes_data), (size_t)len, f->first, f->off);
    return line >= 0 ? line : f->first;
}

static void chain_format(struct jb *b, uint32_t id, const struct py_frame *v, int n)
{
    JB_LIT(b, "{\"t\":\"pystk\"");
    JB_KV_U64(b, "id", id);
    JB_LIT(b, ",\"f\":[");
    for (int i = 0; i < n; i++) {
        const char *fn = str_read(load_ptr(v[i].code, L.co_qualname));
        JB_LIT(b, "[");
        jb_str(b, fn ? fn : str_read(v[i].name), STR_MAX);
        JB_LIT(b, ",");
        jb_str(b, str_read(load_ptr(v[i].code, L.co_filename)), STR_MAX);
        JB_LIT(b, ",");
        jb_u64(b, (uint64_t)frame_line(&v[i]));
        JB_LIT(b, ",");
        jb_u64(b, v[i].entry);
        jb_rawn(b, i + 1 < n ? "]," : "]", i + 1 < n ? 2 : 1);
    }
    JB_LIT(b, "]}\n");
}

static bool entry_matches(struct py_entry *e, uint64_t h, const struct py_frame *v, int n)
{
    return atomic_load_explicit(&e->hash, memory_order_acquire) == h && e->depth == n &&
           memcmp(e->key, v, (size_t)n * sizeof(*v)) == 0;
}

/* Inserts under the lock, resolving the chain while its frames are live. */
static struct py_entry *chain_insert(uint64_t h, const struct py_frame *v, int n)
{
    struct py_entry *e = NULL;
    lock_take(&py_lock);
    for (uint32_t i = (uint32_t)h & (PY_CAP - 1);; i = (i + 1) & (PY_CAP - 1)) {
        e = &table[i];
        if (entry_matches(e, h, v, n)) break;
        if (atomic_load(&e->hash) != 0) continue;
        if (atomic_load(&nchains) >= PY_CAP * 3 / 4 || text_used + LINE_MAX_ > TEXT_CAP) {
            e = NULL;
            break;
        }
        struct jb b;
        jb_init(&b, text + text_used, LINE_MAX_);
        chain_format(&b, i + 1, v, n);
        if (b.overflow) {
            e = NULL;
            break;
        }
        memcpy(e->key, v, (size_t)n * sizeof(*v));
        e->depth = (uint16_t)n;
        e->text = text_used;
        e->len = (uint32_t)b.len;
        text_used += (uint32_t)b.len;
        atomic_store(&e->emitted_gen, 0);
        atomic_fetch_add(&nchains, 1);
        atomic_store_explicit(&e->hash, h, memory_order_release);
        break;
    }
    lock_give(&py_lock);
    return e;
}

uint32_t pyframes_capture(void)
{
    if (!get_tstate) return 0;
    struct py_frame v[PY_DEPTH];
    int n = frames_collect(v);
    if (n == 0 || !table) return 0;
    uint64_t h = frames_hash(v, n);
    for (uint32_t i = (uint32_t)h & (PY_CAP - 1);; i = (i + 1) & (PY_CAP - 1)) {
        struct py_entry *e = &table[i];
        uint64_t eh = atomic_load_explicit(&e->hash, memory_order_acquire);
        if (eh == 0) {
            e = chain_insert(h, v, n);
            return e ? (uint32_t)(e - table) + 1 : 0;
        }
        if (entry_matches(e, h, v, n)) return i + 1;
    }
}

void pyframes_emit_locked(uint32_t id)
{
    if (!table || id == 0 || id > PY_CAP) return;
    struct py_entry *e = &table[id - 1];
    uint32_t gen = atomic_load(&cl_trace_gen);
    if (atomic_load_explicit(&e->hash, memory_order_acquire) == 0) return;
    if (atomic_load(&e->emitted_gen) == gen) return;
    trace_append_locked(text + e->text, e->len);
    atomic_store(&e->emitted_gen, gen);
}

void pyframes_after_fork_child(void)
{
    atomic_flag_clear(&py_lock.f);
}
