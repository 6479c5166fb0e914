/* lookupcheck.h - checks that the short cuts symbols/ takes for small
 * reports (cufind.c: a pc's unit from .debug_aranges read in place;
 * symtab.c: its ELF symbol by a scan of the unsorted table) give the answers
 * libdwfl and the sorted table give. For tests/unit/test_symbols_lookup.c:
 * the report itself never calls these. */
#ifndef CONNLEAK_LOOKUPCHECK_H
#define CONNLEAK_LOOKUPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lookup_tally {
    unsigned units_libdw; /* pcs libdwfl places in a unit */
    unsigned units_given; /* pcs cufind.c names a unit for */
    unsigned syms_named;  /* pcs the symbol table names */
    unsigned mismatches;  /* answers that differ (each printed to stderr) */
    bool has_dwarf;       /* the module's DWARF was found */
};

/* Adds to *t the checks of the module file at path, loaded at base, at
 * pcs[0..n); -1 if libdwfl cannot read the file. */
int lookupcheck_module(const char *path, uint64_t base, const uint64_t *pcs, size_t n,
                       struct lookup_tally *t);

/* Random symbol tables full of equal addresses, ranks and zero sizes: the
 * number of pcs where the scan and the sorted table differ. */
unsigned lookupcheck_random_tables(unsigned seed, int rounds);

#endif
