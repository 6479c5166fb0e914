/* dwarf.c - resolution of one pc inside its module: the ELF symbol
 * (function+offset, from a sorted copy of the symbol table), the line table
 * entry (file:line) and the chain of inlined scopes from DWARF. symbols.c
 * owns the modules, the cache and the strings handed out. */
#include "symbols/symbols_internal.h"

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

/* Names f by `name` (as the binary spells it): demangled when it is a C++
 * or Rust mangling, then the mangled spelling is kept too; else `plain`
 * when given (a DWARF DW_AT_name), else name itself. */
static void frame_set_name(struct symbolizer *sym, struct sym_frame *f, const char *name,
                           const char *plain)
{
    char *readable = symbol_demangle(name, true);
    f->mangled = readable ? str_intern(&sym->strs, name) : NULL;
    f->function = str_intern(&sym->strs, readable ? readable : plain ? plain : name);
    free(readable);
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
    frame_set_name(sym, f, bare ? bare : e->name, NULL);
    free(bare);
    f->offset = addr + 1 - e->addr;
}

/* The compile unit holding addr. libdwfl finds it through .debug_aranges,
 * which Go does not write: then each unit's own ranges are asked. */
static Dwarf_Die *module_cu_at(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
    if (cu) return cu;
    while ((cu = dwfl_module_nextcu(mod, cu, bias)))
        if (dwarf_haspc(cu, addr - *bias) == 1) return cu;
    return NULL;
}

/* file:line of the instruction at addr from the line table. */
static void frame_set_line(struct symbolizer *sym, Dwfl_Module *mod, Dwarf_Addr addr,
                           struct sym_frame *f)
{
    Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (!line) { /* no .debug_aranges (Go): the unit's own line table */
        Dwarf_Addr bias = 0;
        Dwarf_Die *cu = module_cu_at(mod, addr, &bias);
        Dwarf_Line *l = cu ? dwarf_getsrc_die(cu, addr - bias) : NULL;
        file = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
        if (l) dwarf_lineno(l, &lineno);
    }
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

/* The DIE's linkage (mangled) name, through its abstract origin and
 * specification (C++ and Rust write one; C and Go do not); NULL if none. */
static const char *die_linkage_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *s = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    return s ? s : dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
}

/* Names a frame from its DIE: "net::Pool::dial(int)" from the linkage name
 * where DW_AT_name says only "dial". */
static void frame_name_from_die(struct symbolizer *sym, Dwarf_Die *die, struct sym_frame *f)
{
    const char *linkage = die_linkage_name(die), *name = die_name(die);
    if (linkage)
        frame_set_name(sym, f, linkage, name);
    else
        f->function = str_intern(&sym->strs, name);
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
    Dwarf_Die *cudie = module_cu_at(mod, addr, &bias), *prev = NULL;
    struct scope_chain chain = {.n = 0};
    Dwarf_Files *files = NULL;
    if (!cudie || !scopes_descend(cudie, addr - bias, &chain, 0)) return 0;
    if (dwarf_getsrcfiles(cudie, &files, NULL) != 0) files = NULL;
    int n = 0;
    for (int i = chain.n - 1; i >= 0 && n < max; i--) {
        Dwarf_Die *die = &chain.die[i];
        if (!die_is_function(die)) continue;
        struct sym_frame *f = &out[n];
        frame_name_from_die(sym, die, f);
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

/* Frames from Go's own table (a Go binary without DWARF); 0 if none. */
static int frames_from_gopclntab(struct symbolizer *sym, struct sym_module *m, Dwarf_Addr addr,
                                 struct sym_frame *out)
{
    struct gopcln_frame g[SYM_MAX_FRAMES];
    int n = gopcln_lookup(m->go, addr - m->go_bias, g, SYM_MAX_FRAMES);
    for (int i = 0; i < n; i++) {
        out[i] = (struct sym_frame){.pc = out[0].pc, .module = m->path, .inlined = g[i].inlined};
        out[i].function = g[i].function ? str_intern(&sym->strs, g[i].function) : NULL;
        out[i].file = g[i].file ? str_intern(&sym->strs, g[i].file) : NULL;
        out[i].line = g[i].line;
    }
    return n;
}

/* Resolves pc into out[0..SYM_MAX_FRAMES); returns the count (>= 1). */
int resolve_uncached(struct symbolizer *sym, uint64_t pc, struct sym_frame *out)
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
    int n = m->go ? frames_from_gopclntab(sym, m, addr, out) : 0;
    if (n > 0) return n;
    n = frames_from_scopes(sym, mod, addr, out, SYM_MAX_FRAMES);
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
