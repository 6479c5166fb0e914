/* symbols_internal.h - what symbols.c (modules, cache, interned strings,
 * notes), dwarf.c (resolving one pc with libdwfl), symtab.c (its ELF
 * symbol), cufind.c (the unit holding it) and debugcache.c (the decompressed
 * debug files) share. Internal to symbols/. */
#ifndef CONNLEAK_SYMBOLS_INTERNAL_H
#define CONNLEAK_SYMBOLS_INTERNAL_H

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

#include "gopclntab.h"
#include "symbols/demangle.h"
#include "symbols/symbols.h"
#include "util/util.h"

#define SYM_MAX_FRAMES 16 /* frames kept per pc: inlined chain + function */
#define SYM_MAX_SCOPES 64 /* DWARF nesting depth followed */

struct sym_entry { /* one code symbol; name points into the module's Dwfl */
    uint64_t addr, size;
    const char *name;
    int rank;       /* lower is a better name for an address */
    uint32_t index; /* order in the table read: ties between equal names */
};

struct sym_module {
    char *path;
    uint64_t base, lo, hi;
    Dwfl *dwfl;  /* made on first use */
    bool usable; /* false: the file cannot be used, frames show the module only */
    bool debug_checked, syms_loaded, syms_sorted;
    struct sym_entry *syms; /* code symbols, in table order until sorted by address */
    size_t nsyms;
    unsigned sym_scans; /* lookups answered by symtab_scan */
    struct gopcln *go;  /* a Go binary without DWARF: its .gopclntab */
    Dwarf_Addr go_bias;
    unsigned cu_scans;  /* .debug_aranges scans done by cufind.c */
    bool cu_memo_valid; /* cu_memo is the unit of cu_memo_addr */
    Dwarf_Addr cu_memo_addr, cu_memo_bias;
    Dwarf_Die cu_memo;
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
    struct perfmap *jit; /* JIT frames' names (perfmap.c), NULL if none */
};

/* dwarf.c */
int resolve_uncached(struct symbolizer *sym, uint64_t pc, struct sym_frame *out);

/* cufind.c */
bool cufind_lookup(struct sym_module *m, Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Die *cu,
                   Dwarf_Addr *bias);

/* symtab.c (symtab_scan and symbol_find exported for the unit tests) */
const struct sym_entry *symtab_find(struct sym_module *m, Dwfl_Module *mod, uint64_t addr,
                                    struct sym_entry *scratch);
const struct sym_entry *symtab_scan(const struct sym_module *m, uint64_t addr,
                                    struct sym_entry *out);
const struct sym_entry *symbol_find(const struct sym_module *m, uint64_t addr);

/* debugcache.c */
int debugcache_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                              Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                              GElf_Word debuglink_crc, char **debuginfo_file_name);

/* symbols.c */
const char *str_intern(struct str_set *set, const char *s);
Dwfl *module_dwfl(struct symbolizer *sym, struct sym_module *m);
struct sym_module *module_find(struct symbolizer *sym, uint64_t pc);
void module_check_debug(struct symbolizer *sym, struct sym_module *m, Dwfl_Module *mod);
void note_add(struct symbolizer *sym, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
