/* symtab.c - the ELF symbol naming a pc (function+offset): the module's
 * code symbols, one per address (the best-ranked name, the largest size).
 *
 * A small report asks a module for a pc or two: sorting libc's whole table
 * for them cost ~6 M instructions (a third of such a report), so the first
 * SYMTAB_MAX_SCANS lookups of a module scan the table in place for the same
 * answer (symtab_scan), and only a module asked for more is sorted once and
 * searched (symbol_find). Both give the same entry: tests/unit checks them
 * against each other. */
#include "symbols/symbols_internal.h"

#define SYMTAB_MAX_SCANS 16
#define SYMTAB_NEAREST   8 /* addresses below a pc tried for one that holds it */

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

/* By address, then best name first, then table order (what glibc's stable
 * merge sort did without it; symtab_scan breaks ties the same way). */
static int symbol_compare(const void *a, const void *b)
{
    const struct sym_entry *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    if (x->rank != y->rank) return x->rank - y->rank;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts the table and keeps one entry (best name, largest size) per address. */
static void symbols_sort(struct sym_module *m)
{
    m->syms_sorted = true;
    size_t out = 0;
    if (m->nsyms > 1) sort_n(m->syms, m->nsyms, sizeof(*m->syms), symbol_compare); /* NULL if 0 */
    for (size_t i = 0; i < m->nsyms; i++) {
        if (out && m->syms[out - 1].addr == m->syms[i].addr) {
            if (m->syms[i].size > m->syms[out - 1].size) m->syms[out - 1].size = m->syms[i].size;
            continue;
        }
        m->syms[out++] = m->syms[i];
    }
    m->nsyms = out;
}

/* Reads the module's code symbols once, in table order: dwfl_module_addrinfo
 * scans the table on every call, far too slow for thousands of pcs. */
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
        m->syms[m->nsyms] = (struct sym_entry){.addr = addr,
                                               .size = s.st_size,
                                               .name = name,
                                               .rank = symbol_rank(name, &s),
                                               .index = (uint32_t)m->nsyms};
        m->nsyms++;
    }
}

/* The symbol containing addr: the nearest one at or below it, unless it is
 * sized and ends before addr (then an enclosing bigger one, if any). */
const struct sym_entry *symbol_find(const struct sym_module *m, uint64_t addr)
{
    size_t lo = 0, hi = m->nsyms;
    while (lo < hi) { /* first entry above addr */
        size_t mid = lo + (hi - lo) / 2;
        if (m->syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo, steps = 0; i-- > 0 && steps < SYMTAB_NEAREST; steps++) {
        const struct sym_entry *e = &m->syms[i];
        if (addr < e->addr + e->size || (e->size == 0 && i + 1 == lo)) return e;
    }
    return NULL;
}

struct sym_group { /* the entries at one address, merged as symbols_sort does */
    struct sym_entry best;
    uint64_t size;
};

/* Merges e into the groups (nearest address first) when its address is one
 * of the SYMTAB_NEAREST highest at or below addr seen so far. */
static void groups_add(struct sym_group *g, int *n, const struct sym_entry *e)
{
    int i = 0;
    while (i < *n && g[i].best.addr > e->addr) i++;
    if (i < *n && g[i].best.addr == e->addr) {
        struct sym_entry *b = &g[i].best;
        if (e->rank < b->rank || (e->rank == b->rank && e->index < b->index)) *b = *e;
        if (e->size > g[i].size) g[i].size = e->size;
        return;
    }
    if (i == SYMTAB_NEAREST) return;
    if (*n < SYMTAB_NEAREST) (*n)++;
    memmove(&g[i + 1], &g[i], (size_t)(*n - 1 - i) * sizeof(*g));
    g[i] = (struct sym_group){.best = *e, .size = e->size};
}

/* symbol_find's answer from the unsorted table, copied to *out. */
const struct sym_entry *symtab_scan(const struct sym_module *m, uint64_t addr,
                                    struct sym_entry *out)
{
    struct sym_group g[SYMTAB_NEAREST + 1];
    int n = 0;
    for (size_t i = 0; i < m->nsyms; i++)
        if (m->syms[i].addr <= addr) groups_add(g, &n, &m->syms[i]);
    for (int i = 0; i < n; i++) {
        if (addr < g[i].best.addr + g[i].size || (g[i].size == 0 && i == 0)) {
            *out = g[i].best;
            out->size = g[i].size;
            return out;
        }
    }
    return NULL;
}

/* The code symbol holding addr (a module address), NULL if none; may be
 * copied to *scratch. */
const struct sym_entry *symtab_find(struct sym_module *m, Dwfl_Module *mod, uint64_t addr,
                                    struct sym_entry *scratch)
{
    if (!m->syms_loaded) module_load_symbols(m, mod);
    if (!m->syms_sorted && m->sym_scans < SYMTAB_MAX_SCANS) {
        m->sym_scans++;
        return symtab_scan(m, addr, scratch);
    }
    if (!m->syms_sorted) symbols_sort(m);
    return symbol_find(m, addr);
}
