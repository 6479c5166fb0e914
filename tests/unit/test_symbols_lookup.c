/* test_symbols_lookup.c - the short cuts of a small report give libdwfl's
 * answers (analyzer/symbols/lookupcheck.c does the comparing): cufind.c's
 * unit for a pc is the one dwfl_module_addrdie names, and symtab.c's scan of
 * an unsorted table names the entry the sorted table does. Checked over the
 * modules this test runs with (itself, libc with libc6-dbg, libdw...) at
 * pcs spread over their code, and over random tables full of ties. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols/lookupcheck.h"

#define PCS_PER_MODULE 3000

struct visit {
    struct lookup_tally all;
    unsigned libc_units;
    bool libc_has_dwarf;
};

/* PCS_PER_MODULE pcs spread over the module's executable segments. */
static size_t module_pcs(const struct dl_phdr_info *info, uint64_t *pcs)
{
    size_t n = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr, step = ph->p_memsz / PCS_PER_MODULE + 1;
        for (uint64_t pc = lo; pc < lo + ph->p_memsz && n < 2 * PCS_PER_MODULE; pc += step)
            pcs[n++] = pc;
    }
    return n;
}

static int module_visit(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct visit *v = data;
    static uint64_t pcs[2 * PCS_PER_MODULE];
    char exe[4096];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n < 0) return 0;
        exe[n] = '\0';
        path = exe;
    }
    if (strstr(path, "linux-vdso")) return 0;
    struct lookup_tally t = {.units_libdw = 0};
    if (lookupcheck_module(path, info->dlpi_addr, pcs, module_pcs(info, pcs), &t) < 0) return 0;
    printf("%s: %u of %u pcs libdwfl places named by cufind, %u symbols, %u mismatches\n", path,
           t.units_given, t.units_libdw, t.syms_named, t.mismatches);
    if (strstr(path, "/libc.so")) {
        v->libc_units = t.units_given;
        v->libc_has_dwarf = t.has_dwarf;
    }
    v->all.units_libdw += t.units_libdw;
    v->all.units_given += t.units_given;
    v->all.syms_named += t.syms_named;
    v->all.mismatches += t.mismatches;
    return 0;
}

static void test_real_modules_agree(void **state)
{
    (void)state;
    struct visit v = {.libc_units = 0};
    dl_iterate_phdr(module_visit, &v);
    assert_int_equal(v.all.mismatches, 0);
    /* the short cut must be taken, not only be harmless: this test program
     * (-g) and libc with libc6-dbg have .debug_aranges */
    assert_true(v.all.units_given > v.all.units_libdw / 4 * 3);
    if (v.libc_has_dwarf) assert_true(v.libc_units > 100);
    assert_true(v.all.syms_named > 1000);
}

static void test_random_tables_agree(void **state)
{
    (void)state;
    assert_int_equal(lookupcheck_random_tables(16, 300), 0);
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
