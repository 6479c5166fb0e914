/* lookupcheck.c - the short cuts of a small report against the long way
 * (see lookupcheck.h): cufind_lookup against dwfl_module_addrdie, symtab_scan
 * against the sorted table, at given pcs of a real module and over random
 * tables. Used by the unit tests only. */
#include "symbols/lookupcheck.h"

#include <inttypes.h>
#include <limits.h>

#include "symbols/symbols_internal.h"

static char *debuginfo_path;
static const Dwfl_Callbacks check_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

/* cufind_lookup (a fresh module each time) against dwfl_module_addrdie. */
static void check_unit(Dwfl_Module *mod, Dwarf_Addr pc, struct lookup_tally *t)
{
    struct sym_module m = {.path = NULL};
    Dwarf_Die die;
    Dwarf_Addr bias = 0, bias2 = 0;
    bool given = cufind_lookup(&m, mod, pc, &die, &bias);
    Dwarf_Die *want = dwfl_module_addrdie(mod, pc, &bias2);
    t->units_libdw += want != NULL;
    if (!given) return;
    t->units_given++;
    if (want && dwarf_dieoffset(&die) == dwarf_dieoffset(want) && bias == bias2) return;
    fprintf(
        stderr, "pc %#" PRIx64 ": cufind names the unit at %#" PRIx64 ", libdwfl %#" PRIx64 "\n",
        (uint64_t)pc, (uint64_t)dwarf_dieoffset(&die), want ? (uint64_t)dwarf_dieoffset(want) : 0);
    t->mismatches++;
}

static bool entries_differ(const struct sym_entry *a, const struct sym_entry *b)
{
    if (!a || !b) return a != b;
    return a->addr != b->addr || a->size != b->size || a->name != b->name || a->index != b->index;
}

/* symtab_scan against the sorted table at one pc; true if they differ. */
static bool check_symbol(Dwfl_Module *mod, struct sym_module *scan, struct sym_module *sorted,
                         uint64_t pc, unsigned *named)
{
    struct sym_entry s1, s2;
    scan->sym_scans = 0; /* below the limit: scanned */
    sorted->sym_scans = UINT_MAX;
    const struct sym_entry *a = symtab_find(scan, mod, pc, &s1);
    const struct sym_entry *b = symtab_find(sorted, mod, pc, &s2);
    *named += a != NULL;
    if (scan->syms_sorted || !entries_differ(a, b)) return scan->syms_sorted;
    fprintf(stderr, "pc %#" PRIx64 ": the scan names %s, the sorted table %s\n", pc,
            a ? a->name : "nothing", b ? b->name : "nothing");
    return true;
}

int lookupcheck_module(const char *path, uint64_t base, const uint64_t *pcs, size_t n,
                       struct lookup_tally *t)
{
    elf_version(EV_CURRENT);
    Dwfl *dwfl = dwfl_begin(&check_callbacks);
    if (!dwfl) return -1;
    dwfl_report_begin(dwfl);
    Dwfl_Module *mod = dwfl_report_elf(dwfl, path, path, -1, base, true);
    dwfl_report_end(dwfl, NULL, NULL);
    if (!mod) {
        dwfl_end(dwfl);
        return -1;
    }
    Dwarf_Addr bias;
    t->has_dwarf = dwfl_module_getdwarf(mod, &bias) != NULL;
    struct sym_module scan = {.path = NULL}, sorted = {.path = NULL};
    for (size_t i = 0; i < n; i++) {
        check_unit(mod, pcs[i], t);
        t->mismatches += check_symbol(mod, &scan, &sorted, pcs[i], &t->syms_named);
    }
    free(scan.syms);
    free(sorted.syms);
    dwfl_end(dwfl);
    return 0;
}

static void table_fill_random(struct sym_entry *e, size_t n)
{
    static const char *names[] = {"a", "b", "c", "d", "e", "f"};
    for (size_t i = 0; i < n; i++)
        e[i] = (struct sym_entry){.addr = 100 + (uint64_t)(rand() % 40) * 4,
                                  .size = (uint64_t)(rand() % 4) * 6,
                                  .name = names[rand() % 6],
                                  .rank = rand() % 3,
                                  .index = (uint32_t)i};
}

unsigned lookupcheck_random_tables(unsigned seed, int rounds)
{
    unsigned bad = 0, named = 0;
    srand(seed);
    for (int round = 0; round < rounds; round++) {
        size_t n = 1 + (size_t)(rand() % 60);
        struct sym_module scan = {.syms_loaded = true}, sorted = {.syms_loaded = true};
        scan.syms = xcalloc(n, sizeof(*scan.syms));
        sorted.syms = xcalloc(n, sizeof(*sorted.syms));
        table_fill_random(scan.syms, n);
        memcpy(sorted.syms, scan.syms, n * sizeof(*scan.syms));
        scan.nsyms = sorted.nsyms = n;
        for (uint64_t pc = 90; pc < 280; pc++)
            bad += check_symbol(NULL, &scan, &sorted, pc, &named);
        free(scan.syms);
        free(sorted.syms);
    }
    return named ? bad : 1; /* naming nothing would check nothing */
}
