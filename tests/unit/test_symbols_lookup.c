/* test_symbols_lookup.c - the short cuts of a small report give libdwfl's
 * answers: cufind.c's unit for a pc (.debug_aranges read in place) is the
 * one dwfl_module_addrdie names, and symtab.c's scan of an unsorted table
 * names the entry the sorted table does. Checked over the modules this test
 * runs with (itself, libc with libc6-dbg, libdw...) at pcs spread over their
 * code, and over random tables full of ties. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <link.h>

#include "symbols/symbols_internal.h"

#define PCS_PER_MODULE 3000

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

struct lookup_counts {
    int units_given, units_libdw, libc_units_given, syms_named;
    bool libc_has_dwarf;
};

/* cufind_lookup against dwfl_module_addrdie at one pc. */
static void check_unit(Dwfl_Module *mod, Dwarf_Addr pc, struct lookup_counts *c, bool libc)
{
    struct sym_module m = {.path = NULL};
    Dwarf_Die die;
    Dwarf_Addr bias = 0, bias2 = 0;
    bool given = cufind_lookup(&m, mod, pc, &die, &bias);
    Dwarf_Die *want = dwfl_module_addrdie(mod, pc, &bias2);
    c->units_libdw += want != NULL;
    if (!given) return;
    assert_non_null(want); /* a unit cufind names, libdwfl names too... */
    assert_int_equal(dwarf_dieoffset(&die), dwarf_dieoffset(want)); /* ...the same one */
    assert_int_equal(bias, bias2);
    c->units_given++;
    c->libc_units_given += libc;
}

/* symtab_scan (a fresh module each time) against the sorted table. */
static void check_symbol(Dwfl_Module *mod, struct sym_module *scan, struct sym_module *sorted,
                         Dwarf_Addr pc, struct lookup_counts *c)
{
    struct sym_entry s1, s2;
    scan->sym_scans = 0;
    sorted->sym_scans = UINT_MAX;
    const struct sym_entry *a = symtab_find(scan, mod, pc, &s1);
    const struct sym_entry *b = symtab_find(sorted, mod, pc, &s2);
    assert_false(scan->syms_sorted);
    assert_true(sorted->syms_sorted || sorted->nsyms == 0);
    assert_int_equal(a == NULL, b == NULL);
    if (!a) return;
    assert_int_equal(a->addr, b->addr);
    assert_int_equal(a->size, b->size);
    assert_ptr_equal(a->name, b->name);
    c->syms_named++;
}

/* Checks one module of this process at pcs spread over its code. */
static void check_module(const char *path, const struct dl_phdr_info *info, struct lookup_counts *c)
{
    Dwfl *dwfl = dwfl_begin(&callbacks);
    assert_non_null(dwfl);
    dwfl_report_begin(dwfl);
    Dwfl_Module *mod = dwfl_report_elf(dwfl, path, path, -1, info->dlpi_addr, true);
    dwfl_report_end(dwfl, NULL, NULL);
    if (!mod) {
        dwfl_end(dwfl);
        return;
    }
    bool libc = strstr(path, "/libc.so") != NULL;
    Dwarf_Addr bias;
    if (libc) c->libc_has_dwarf = dwfl_module_getdwarf(mod, &bias) != NULL;
    struct sym_module scan = {.path = NULL}, sorted = {.path = NULL};
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr, step = ph->p_memsz / PCS_PER_MODULE + 1;
        for (uint64_t pc = lo; pc < lo + ph->p_memsz; pc += step) {
            check_unit(mod, pc, c, libc);
            check_symbol(mod, &scan, &sorted, pc, c);
        }
    }
    free(scan.syms);
    free(sorted.syms);
    dwfl_end(dwfl);
}

static int module_visit(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    char exe[4096];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n < 0) return 0;
        exe[n] = '\0';
        path = exe;
    }
    if (strstr(path, "linux-vdso")) return 0;
    check_module(path, info, data);
    return 0;
}

static void test_real_modules_agree(void **state)
{
    (void)state;
    struct lookup_counts c = {.units_given = 0};
    elf_version(EV_CURRENT);
    dl_iterate_phdr(module_visit, &c);
    printf("units: %d of %d pcs libdwfl places named by cufind (%d in libc); symbols: %d\n",
           c.units_given, c.units_libdw, c.libc_units_given, c.syms_named);
    /* the short cut must be taken, not only be harmless: this test program
     * (-g) and libc with libc6-dbg have .debug_aranges */
    assert_true(c.units_given > c.units_libdw / 4 * 3);
    if (c.libc_has_dwarf) assert_true(c.libc_units_given > 100);
    assert_true(c.syms_named > 1000);
}

/* Random tables with many entries per address, equal ranks and sizes 0. */
static void test_random_tables_agree(void **state)
{
    (void)state;
    static const char *names[] = {"a", "b", "c", "d", "e", "f"};
    srand(16);
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + (size_t)(rand() % 60);
        struct sym_module scan = {.syms_loaded = true}, sorted = {.syms_loaded = true};
        scan.syms = calloc(n, sizeof(*scan.syms));
        sorted.syms = calloc(n, sizeof(*sorted.syms));
        assert_true(scan.syms && sorted.syms);
        for (size_t i = 0; i < n; i++) {
            scan.syms[i] = (struct sym_entry){.addr = 100 + (uint64_t)(rand() % 40) * 4,
                                              .size = (uint64_t)(rand() % 4) * 6,
                                              .name = names[rand() % 6],
                                              .rank = rand() % 3,
                                              .index = (uint32_t)i};
        }
        memcpy(sorted.syms, scan.syms, n * sizeof(*scan.syms));
        scan.nsyms = sorted.nsyms = n;
        for (uint64_t pc = 90; pc < 280; pc++) {
            struct sym_entry s1, s2;
            scan.sym_scans = 0;
            sorted.sym_scans = UINT_MAX;
            const struct sym_entry *a = symtab_find(&scan, NULL, pc, &s1);
            const struct sym_entry *b = symtab_find(&sorted, NULL, pc, &s2);
            assert_int_equal(a == NULL, b == NULL);
            if (!a) continue;
            assert_int_equal(a->addr, b->addr);
            assert_int_equal(a->size, b->size);
            assert_ptr_equal(a->name, b->name);
            assert_int_equal(a->index, b->index);
        }
        free(scan.syms);
        free(sorted.syms);
    }
}

int main(void)
{
    unsetenv("DEBUGINFOD_URLS"); /* no network lookups from unit tests */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_modules_agree),
        cmocka_unit_test(test_random_tables_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
