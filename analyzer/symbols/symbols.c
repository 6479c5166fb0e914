/* symbols.c - offline symbolisation of trace pcs with elfutils libdwfl.
 *
 * Each module of the traced process gets its own Dwfl (so modules whose
 * ranges overlap in a long trace - dlclose then dlopen - never clash); a pc
 * is matched to a module by the run-time range recorded in the trace, then
 * resolved at pc - 1 into the ELF symbol (function+offset, from a sorted copy
 * of the symbol table), the line table entry (file:line) and the chain of
 * inlined scopes from DWARF. Results are
 * cached per pc and every string handed out is interned here, so it stays
 * valid until symbolizer_free. The resolution of one pc (ELF symbols, line
 * table, inlined scopes) is in dwarf.c. */
#define _GNU_SOURCE
#include "symbols/symbols_internal.h"

#include "symbols/perfmap.h"

static char *debuginfo_path; /* NULL: libdwfl's default search path */

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = debugcache_find_debuginfo, /* decompressed copies */
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

/* Returns arr with room for `need` elements (maybe moved), NULL when out of
 * memory (arr and *cap then unchanged). */
static void *array_reserve(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return arr;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need) ncap *= 2;
    void *n = realloc(arr, ncap * elem);
    if (n) *cap = ncap;
    return n;
}

#define ARRAY_RESERVE(arr, cap, need)                                                              \
    ({                                                                                             \
        void *n_ = array_reserve((arr), &(cap), (need), sizeof(*(arr)));                           \
        if (n_) (arr) = n_;                                                                        \
        n_ ? 0 : -1;                                                                               \
    })

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int str_set_grow(struct str_set *set)
{
    size_t ncap = set->cap ? set->cap * 2 : 256;
    char **slots = calloc(ncap, sizeof(*slots));
    if (!slots) return -1;
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->slots[i]) continue;
        size_t j = hash_str(set->slots[i]) & (ncap - 1);
        while (slots[j]) j = (j + 1) & (ncap - 1);
        slots[j] = set->slots[i];
    }
    free(set->slots);
    set->slots = slots;
    set->cap = ncap;
    return 0;
}

/* Returns the set's own copy of s (NULL for NULL or when out of memory). */
const char *str_intern(struct str_set *set, const char *s)
{
    if (!s) return NULL;
    if ((set->n + 1) * 2 > set->cap && str_set_grow(set) < 0) return NULL;
    size_t i = hash_str(s) & (set->cap - 1);
    for (; set->slots[i]; i = (i + 1) & (set->cap - 1))
        if (strcmp(set->slots[i], s) == 0) return set->slots[i];
    set->slots[i] = strdup(s);
    if (!set->slots[i]) return NULL;
    set->n++;
    return set->slots[i];
}

static void str_set_free(struct str_set *set)
{
    for (size_t i = 0; i < set->cap; i++) free(set->slots[i]);
    free(set->slots);
}

/* Adds a note unless the same text is already there. */
void note_add(struct symbolizer *sym, const char *fmt, ...)
{
    char *text;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (r < 0) return;
    for (size_t i = 0; i < sym->nnotes; i++) {
        if (strcmp(sym->notes[i], text) == 0) {
            free(text);
            return;
        }
    }
    if (ARRAY_RESERVE(sym->notes, sym->capnotes, sym->nnotes + 1) < 0) {
        free(text);
        return;
    }
    sym->notes[sym->nnotes++] = text;
}

struct symbolizer *symbolizer_new(void)
{
    if (elf_version(EV_CURRENT) == EV_NONE) return NULL;
    return calloc(1, sizeof(struct symbolizer));
}

void symbolizer_free(struct symbolizer *sym)
{
    if (!sym) return;
    for (size_t i = 0; i < sym->nmods; i++) {
        gopcln_close(sym->mods[i].go);
        if (sym->mods[i].dwfl) dwfl_end(sym->mods[i].dwfl);
        free(sym->mods[i].path);
        free(sym->mods[i].syms);
    }
    free(sym->mods);
    for (size_t i = 0; i < sym->nnotes; i++) free(sym->notes[i]);
    free(sym->notes);
    str_set_free(&sym->strs);
    free(sym->cache);
    free(sym->frames);
    perfmap_free(sym->jit);
    free(sym);
}

/* Forgets every cached resolution (a new module may cover old pcs). */
static void cache_clear(struct symbolizer *sym)
{
    if (sym->cache) memset(sym->cache, 0, sym->cache_cap * sizeof(*sym->cache));
    sym->cache_n = 0;
    sym->nframes = 0;
}

/* Pseudo-modules that exist only in memory: no file, and no note either. */
static bool path_is_virtual(const char *path)
{
    return path[0] == '[' || strncmp(path, "linux-vdso", 10) == 0 ||
           strncmp(path, "linux-gate", 10) == 0;
}

static void hex_encode(const unsigned char *bits, int len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < len; i++) {
        out[2 * i] = digits[bits[i] >> 4];
        out[2 * i + 1] = digits[bits[i] & 15];
    }
    out[2 * len] = '\0';
}

/* Notes when the file on disk is not the one that ran. */
static void module_check_build_id(struct symbolizer *sym, Elf *elf, const char *path,
                                  const char *want_hex)
{
    const void *bits = NULL;
    char have[2 * 64 + 1] = "";
    if (!want_hex || !*want_hex) return;
    ssize_t len = dwelf_elf_gnu_build_id(elf, &bits);
    if (len > 0 && len <= 64) hex_encode(bits, (int)len, have);
    if (strcasecmp(have, want_hex) != 0)
        note_add(sym, "%s changed since the run (build-id differs): symbols may be wrong", path);
}

/* Checks at registration that the file is a readable ELF (and the one that
 * ran) without keeping it open: the Dwfl is made on first use, so a big
 * module map costs no file descriptors for modules no stack touches. */
static int module_probe(struct symbolizer *sym, const char *path, const char *build_id_hex)
{
    struct stat st, fst;
    if (path_is_virtual(path)) return -1;
    /* a trace can name any path: never open a device, a FIFO or a socket
     * (opening one can block or have side effects); stat first */
    bool found = stat(path, &st) == 0;
    if (!found || !S_ISREG(st.st_mode)) {
        note_add(sym, "cannot read %s: %s: its frames show the module only", path,
                 found ? "not a regular file" : strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {
        note_add(sym, "cannot read %s: %s: its frames show the module only", path,
                 fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0) close(fd);
        return -1;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr eh;
    int ok = elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh) ? 0 : -1;
    if (ok == 0)
        module_check_build_id(sym, elf, path, build_id_hex);
    else
        note_add(sym, "cannot read %s: not an ELF file: its frames show the module only", path);
    elf_end(elf);
    close(fd);
    return ok;
}

/* The module's own Dwfl, made on first use; NULL (and a note) if unusable. */
Dwfl *module_dwfl(struct symbolizer *sym, struct sym_module *m)
{
    if (m->dwfl || !m->usable) return m->dwfl;
    m->usable = false; /* one attempt only */
    Dwfl *dwfl = dwfl_begin(&offline_callbacks);
    if (!dwfl) {
        note_add(sym, "cannot symbolise %s: %s", m->path, dwfl_errmsg(-1));
        return NULL;
    }
    dwfl_report_begin_add(dwfl);
    /* m->base is the load bias (add_p_vaddr true): with false libdwfl takes
     * it for the first segment's address, which is the same only where that
     * segment's p_vaddr is 0 (not a Go PIE, linked at 0x400000) */
    Dwfl_Module *mod = dwfl_report_elf(dwfl, m->path, m->path, -1, m->base, true);
    if (!mod) {
        note_add(sym, "cannot read %s: %s: its frames show the module only", m->path,
                 dwfl_errmsg(-1));
        dwfl_end(dwfl);
        return NULL;
    }
    dwfl_report_end(dwfl, NULL, NULL);
    m->usable = true;
    return m->dwfl = dwfl;
}

static struct sym_module *module_lookup(struct symbolizer *sym, const char *path, uint64_t base,
                                        uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < sym->nmods; i++) {
        struct sym_module *m = &sym->mods[i];
        if (m->base == base && m->lo == lo && m->hi == hi && strcmp(m->path, path) == 0) return m;
    }
    return NULL;
}

int symbolizer_add_module(struct symbolizer *sym, const char *path, uint64_t base, uint64_t lo,
                          uint64_t hi, const char *build_id_hex)
{
    if (!sym || !path) return -1;
    struct sym_module *old = module_lookup(sym, path, base, lo, hi);
    if (old) return old->usable ? 0 : -1;
    if (ARRAY_RESERVE(sym->mods, sym->capmods, sym->nmods + 1) < 0) return -1;
    struct sym_module *m = &sym->mods[sym->nmods];
    memset(m, 0, sizeof(*m));
    m->path = strdup(path);
    if (!m->path) return -1;
    m->base = base;
    m->lo = lo;
    m->hi = hi;
    m->usable = module_probe(sym, path, build_id_hex) == 0;
    sym->nmods++;
    cache_clear(sym);
    return m->usable ? 0 : -1;
}

/* The module covering pc; the latest registered wins when ranges overlap. */
struct sym_module *module_find(struct symbolizer *sym, uint64_t pc)
{
    for (size_t i = sym->nmods; i-- > 0;)
        if (sym->mods[i].lo <= pc && pc < sym->mods[i].hi) return &sym->mods[i];
    return NULL;
}

/* Notes once per module when it has no DWARF at all (stripped, no -dbgsym). */
void module_check_debug(struct symbolizer *sym, struct sym_module *m, Dwfl_Module *mod)
{
    Dwarf_Addr bias;
    if (m->debug_checked) return;
    m->debug_checked = true;
    if (dwfl_module_getdwarf(mod, &bias)) return;
    char why[128];
    Elf *elf = dwfl_module_getelf(mod, &m->go_bias);
    m->go = elf ? gopcln_open(elf, why, sizeof(why)) : NULL;
    if (!m->go) /* a Go binary built with -ldflags=-s -w still names its lines */
        note_add(sym,
                 "no debug info for %s: showing function+offset "
                 "(install its -dbgsym / build with -g)",
                 m->path);
}

static struct pc_slot *cache_find(struct symbolizer *sym, uint64_t pc)
{
    if (!sym->cache_cap) return NULL;
    size_t i = hash_u64(pc) & (sym->cache_cap - 1);
    for (; sym->cache[i].used; i = (i + 1) & (sym->cache_cap - 1))
        if (sym->cache[i].pc == pc) return &sym->cache[i];
    return NULL;
}

static int cache_grow(struct symbolizer *sym)
{
    size_t ncap = sym->cache_cap ? sym->cache_cap * 2 : 1024;
    struct pc_slot *slots = calloc(ncap, sizeof(*slots));
    if (!slots) return -1;
    for (size_t i = 0; i < sym->cache_cap; i++) {
        if (!sym->cache[i].used) continue;
        size_t j = hash_u64(sym->cache[i].pc) & (ncap - 1);
        while (slots[j].used) j = (j + 1) & (ncap - 1);
        slots[j] = sym->cache[i];
    }
    free(sym->cache);
    sym->cache = slots;
    sym->cache_cap = ncap;
    return 0;
}

/* Remembers the frames of pc; silently skips caching when out of memory. */
static void cache_put(struct symbolizer *sym, uint64_t pc, const struct sym_frame *f, int n)
{
    if ((sym->cache_n + 1) * 2 > sym->cache_cap && cache_grow(sym) < 0) return;
    if (sym->nframes + n > UINT32_MAX) return;
    if (ARRAY_RESERVE(sym->frames, sym->capframes, sym->nframes + n) < 0) return;
    size_t i = hash_u64(pc) & (sym->cache_cap - 1);
    while (sym->cache[i].used) i = (i + 1) & (sym->cache_cap - 1);
    sym->cache[i] = (struct pc_slot){
        .pc = pc, .first = (uint32_t)sym->nframes, .count = (uint16_t)n, .used = true};
    memcpy(&sym->frames[sym->nframes], f, n * sizeof(*f));
    sym->nframes += n;
    sym->cache_n++;
}

int symbolizer_resolve(struct symbolizer *sym, uint64_t pc, struct sym_frame *out, int max)
{
    struct sym_frame tmp[SYM_MAX_FRAMES];
    const struct sym_frame *frames = tmp;
    int n;
    if (!sym || !out || max <= 0) return 0;
    struct pc_slot *slot = cache_find(sym, pc);
    if (slot) {
        frames = &sym->frames[slot->first];
        n = slot->count;
    } else {
        n = resolve_uncached(sym, pc, tmp);
        n = perfmap_frame(sym, pc, tmp, n); /* JIT code: named from the runtime's perf map */
        cache_put(sym, pc, tmp, n);
    }
    if (n > max) n = max;
    memcpy(out, frames, n * sizeof(*out));
    return n;
}

const char *symbolizer_module_at(struct symbolizer *sym, uint64_t pc)
{
    const struct sym_module *m = sym ? module_find(sym, pc) : NULL;
    return m ? m->path : NULL;
}

size_t symbolizer_note_count(const struct symbolizer *sym)
{
    return sym ? sym->nnotes : 0;
}

const char *symbolizer_note(const struct symbolizer *sym, size_t i)
{
    return sym && i < sym->nnotes ? sym->notes[i] : NULL;
}
