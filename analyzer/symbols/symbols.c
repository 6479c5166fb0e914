/* symbols.c - offline symbolisation of trace pcs with elfutils libdwfl.
 *
 * Each module of the traced process gets its own Dwfl (so modules whose
 * ranges overlap in a long trace - dlclose then dlopen - never clash); a pc
 * is matched to a module by the run-time range recorded in the trace, then
 * resolved at pc - 1 into the ELF symbol (function+offset, from a sorted copy
 * of the symbol table), the line table entry (file:line) and the chain of
 * inlined scopes from DWARF. Results are
 * cached per pc and every string handed out is interned here, so it stays
 * valid until symbolizer_free. */
#define _GNU_SOURCE
#include "symbols/symbols.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYM_MAX_FRAMES 16 /* frames kept per pc: inlined chain + function */
#define SYM_MAX_SCOPES 64 /* DWARF nesting depth followed */

struct sym_entry { /* one code symbol; name points into the module's Dwfl */
    uint64_t addr, size;
    const char *name;
    int rank; /* lower is a better name for an address */
};

struct sym_module {
    char *path;
    uint64_t base, lo, hi;
    Dwfl *dwfl;  /* made on first use */
    bool usable; /* false: the file cannot be used, frames show the module only */
    bool debug_checked, syms_loaded;
    struct sym_entry *syms; /* code symbols sorted by address */
    size_t nsyms;
};

struct str_set { /* interned strings, open addressing */
    char **slots;
    size_t cap, n;
};

struct pc_slot { /* cache entry: frames[first .. first+count) */
    uint64_t pc;
    uint32_t first;
    uint16_t count;
    bool used;
};

struct symbolizer {
    struct sym_module *mods;
    size_t nmods, capmods;
    char **notes;
    size_t nnotes, capnotes;
    struct str_set strs;
    struct pc_slot *cache;
    size_t cache_cap, cache_n;
    struct sym_frame *frames;
    size_t nframes, capframes;
};

static char *debuginfo_path; /* NULL: libdwfl's default search path */

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
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
static const char *str_intern(struct str_set *set, const char *s)
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
static void note_add(struct symbolizer *sym, const char *fmt, ...)
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
static Dwfl *module_dwfl(struct symbolizer *sym, struct sym_module *m)
{
    if (m->dwfl || !m->usable) return m->dwfl;
    m->usable = false; /* one attempt only */
    Dwfl *dwfl = dwfl_begin(&offline_callbacks);
    if (!dwfl) {
        note_add(sym, "cannot symbolise %s: %s", m->path, dwfl_errmsg(-1));
        return NULL;
    }
    dwfl_report_begin_add(dwfl);
    Dwfl_Module *mod = dwfl_report_elf(dwfl, m->path, m->path, -1, m->base, false);
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
static struct sym_module *module_find(struct symbolizer *sym, uint64_t pc)
{
    for (size_t i = sym->nmods; i-- > 0;)
        if (sym->mods[i].lo <= pc && pc < sym->mods[i].hi) return &sym->mods[i];
    return NULL;
}

/* Notes once per module when it has no DWARF at all (stripped, no -dbgsym). */
static void module_check_debug(struct symbolizer *sym, struct sym_module *m, Dwfl_Module *mod)
{
    Dwarf_Addr bias;
    if (m->debug_checked) return;
    m->debug_checked = true;
    if (!dwfl_module_getdwarf(mod, &bias))
        note_add(sym,
                 "no debug info for %s: showing function+offset "
                 "(install its -dbgsym / build with -g)",
                 m->path);
}

/* True for symbols that name code: functions, and untyped labels in an
 * executable section (hand-written assembly). */
static bool symbol_is_code(const GElf_Sym *s, GElf_Word shndx, Elf *elf)
{
    int type = GELF_ST_TYPE(s->st_info);
    GElf_Shdr sh;
    if (shndx == SHN_UNDEF || shndx == SHN_ABS) return false;
    if (type == STT_FUNC || type == STT_GNU_IFUNC) return true;
    if (type != STT_NOTYPE || !elf) return false;
    Elf_Scn *scn = elf_getscn(elf, shndx);
    return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR);
}

/* Prefers public spellings: fewer leading '_', then global, weak, local,
 * then unversioned (the version is cut off when shown anyway). */
static int symbol_rank(const char *name, const GElf_Sym *s)
{
    int bind = GELF_ST_BIND(s->st_info), under = 0;
    while (name[under] == '_') under++;
    int b = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : bind == STB_LOCAL ? 2 : 3;
    return under * 8 + b * 2 + (strchr(name, '@') != NULL); /* "f@@GLIBC_2.2.5" after "f" */
}

static int symbol_compare(const void *a, const void *b)
{
    const struct sym_entry *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return x->rank - y->rank;
}

/* Sorts the table and keeps one entry (best name, largest size) per address. */
static void symbols_sort(struct sym_module *m)
{
    size_t out = 0;
    qsort(m->syms, m->nsyms, sizeof(*m->syms), symbol_compare);
    for (size_t i = 0; i < m->nsyms; i++) {
        if (out && m->syms[out - 1].addr == m->syms[i].addr) {
            if (m->syms[i].size > m->syms[out - 1].size) m->syms[out - 1].size = m->syms[i].size;
            continue;
        }
        m->syms[out++] = m->syms[i];
    }
    m->nsyms = out;
}

/* Reads the module's symbol table once: dwfl_module_addrinfo scans it
 * linearly on every call, far too slow for thousands of pcs. */
static void module_load_symbols(struct sym_module *m, Dwfl_Module *mod)
{
    m->syms_loaded = true;
    int n = dwfl_module_getsymtab(mod);
    if (n <= 0 || !(m->syms = calloc(n, sizeof(*m->syms)))) return;
    for (int i = 0; i < n; i++) {
        GElf_Sym s;
        GElf_Addr addr;
        GElf_Word shndx;
        Elf *elf = NULL;
        const char *name = dwfl_module_getsym_info(mod, i, &s, &addr, &shndx, &elf, NULL);
        if (!name || !*name || !symbol_is_code(&s, shndx, elf)) continue;
        m->syms[m->nsyms++] = (struct sym_entry){
            .addr = addr, .size = s.st_size, .name = name, .rank = symbol_rank(name, &s)};
    }
    symbols_sort(m);
}

/* The symbol containing addr: the nearest one at or below it, unless it is
 * sized and ends before addr (then an enclosing bigger one, if any). */
static const struct sym_entry *symbol_find(const struct sym_module *m, uint64_t addr)
{
    size_t lo = 0, hi = m->nsyms;
    while (lo < hi) { /* first entry above addr */
        size_t mid = lo + (hi - lo) / 2;
        if (m->syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo, steps = 0; i-- > 0 && steps < 8; steps++) {
        const struct sym_entry *e = &m->syms[i];
        if (addr < e->addr + e->size || (e->size == 0 && i + 1 == lo)) return e;
    }
    return NULL;
}

/* function+offset from the ELF symbol table (pc is addr + 1). */
static void frame_set_symbol(struct symbolizer *sym, struct sym_module *m, Dwfl_Module *mod,
                             Dwarf_Addr addr, struct sym_frame *f)
{
    if (!m->syms_loaded) module_load_symbols(m, mod);
    const struct sym_entry *e = symbol_find(m, addr);
    if (!e) return;
    size_t len = strcspn(e->name, "@"); /* drop a symbol version */
    char *bare = e->name[len] ? strndup(e->name, len) : NULL;
    f->function = str_intern(&sym->strs, bare ? bare : e->name);
    free(bare);
    f->offset = addr + 1 - e->addr;
}

/* file:line of the instruction at addr from the line table. */
static void frame_set_line(struct symbolizer *sym, Dwfl_Module *mod, Dwarf_Addr addr,
                           struct sym_frame *f)
{
    Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
    int lineno = 0;
    if (!line) return;
    const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
    if (!file) return;
    f->file = str_intern(&sym->strs, file);
    f->line = lineno;
}

struct scope_chain { /* DIEs containing an address, outermost first */
    Dwarf_Die die[SYM_MAX_SCOPES];
    int n;
};

static bool tag_has_pc(int tag)
{
    switch (tag) {
    case DW_TAG_subprogram:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_entry_point:
    case DW_TAG_lexical_block:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_with_stmt:
        return true;
    }
    return false;
}

/* Tags without an address range of their own that may hold functions. */
static bool tag_is_container(int tag)
{
    return tag == DW_TAG_namespace || tag == DW_TAG_module || tag == DW_TAG_class_type ||
           tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_interface_type;
}

/* Walks down from parent through the children that contain addr, appending
 * them to the chain. Unlike dwarf_getscopes + dwarf_getscopes_die (which
 * walk the CU twice more, also into abstract origins) this is one descent. */
static bool scopes_descend(Dwarf_Die *parent, Dwarf_Addr addr, struct scope_chain *chain, int depth)
{
    Dwarf_Die child;
    if (depth >= SYM_MAX_SCOPES || dwarf_child(parent, &child) != 0) return false;
    do {
        int tag = dwarf_tag(&child);
        if (tag_has_pc(tag)) {
            if (dwarf_haspc(&child, addr) != 1) continue;
            if (chain->n < SYM_MAX_SCOPES) chain->die[chain->n++] = child;
            scopes_descend(&chain->die[chain->n - 1], addr, chain, depth + 1);
            return true;
        }
        if (tag_is_container(tag) && scopes_descend(&child, addr, chain, depth + 1)) return true;
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
}

static bool die_is_function(Dwarf_Die *die)
{
    int tag = dwarf_tag(die);
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

/* Where the inlined instance `die` was called from: DW_AT_call_file/line. */
static void frame_set_call_site(struct symbolizer *sym, Dwarf_Files *files, Dwarf_Die *die,
                                struct sym_frame *f)
{
    Dwarf_Attribute attr;
    Dwarf_Word val;
    if (files && dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &val) == 0)
        f->file = str_intern(&sym->strs, dwarf_filesrc(files, val, NULL, NULL));
    if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &val) == 0) f->line = (int)val;
}

/* Frames from the DWARF scopes, innermost inlined callee first, ending with
 * the physical function; 0 when the scopes tell nothing. */
static int frames_from_scopes(struct symbolizer *sym, Dwfl_Module *mod, Dwarf_Addr addr,
                              struct sym_frame *out, int max)
{
    Dwarf_Addr bias = 0;
    Dwarf_Die *cudie = dwfl_module_addrdie(mod, addr, &bias), *prev = NULL;
    struct scope_chain chain = {.n = 0};
    Dwarf_Files *files = NULL;
    if (!cudie || !scopes_descend(cudie, addr - bias, &chain, 0)) return 0;
    if (dwarf_getsrcfiles(cudie, &files, NULL) != 0) files = NULL;
    int n = 0;
    for (int i = chain.n - 1; i >= 0 && n < max; i--) {
        Dwarf_Die *die = &chain.die[i];
        if (!die_is_function(die)) continue;
        struct sym_frame *f = &out[n];
        f->function = str_intern(&sym->strs, die_name(die));
        f->inlined = dwarf_tag(die) == DW_TAG_inlined_subroutine;
        if (n++ == 0)
            frame_set_line(sym, mod, addr, f);
        else
            frame_set_call_site(sym, files, prev, f);
        if (!f->inlined) break; /* the function that physically holds pc */
        prev = die;
    }
    return n;
}

/* Resolves pc into out[0..SYM_MAX_FRAMES); returns the count (>= 1). */
static int resolve_uncached(struct symbolizer *sym, uint64_t pc, struct sym_frame *out)
{
    memset(out, 0, SYM_MAX_FRAMES * sizeof(*out));
    out[0].pc = pc;
    struct sym_module *m = module_find(sym, pc);
    if (!m) return 1;
    out[0].module = m->path;
    Dwarf_Addr addr = pc ? pc - 1 : 0;
    Dwfl *dwfl = module_dwfl(sym, m);
    Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, addr) : NULL;
    if (!mod) return 1;
    module_check_debug(sym, m, mod);
    int n = frames_from_scopes(sym, mod, addr, out, SYM_MAX_FRAMES);
    if (n == 0) {
        n = 1;
        frame_set_line(sym, mod, addr, &out[0]);
    }
    for (int i = 0; i < n; i++) {
        out[i].pc = pc;
        out[i].module = m->path;
    }
    if (!out[n - 1].inlined) frame_set_symbol(sym, m, mod, addr, &out[n - 1]);
    return n;
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
        cache_put(sym, pc, tmp, n);
    }
    if (n > max) n = max;
    memcpy(out, frames, n * sizeof(*out));
    return n;
}

size_t symbolizer_note_count(const struct symbolizer *sym)
{
    return sym ? sym->nnotes : 0;
}

const char *symbolizer_note(const struct symbolizer *sym, size_t i)
{
    return sym && i < sym->nnotes ? sym->notes[i] : NULL;
}
