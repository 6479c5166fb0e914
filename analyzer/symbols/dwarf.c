/* dwarf.c - resolution of one pc inside its module: the ELF symbol
 * (function+offset, from symtab.c), the line table entry (file:line) and the
 * chain of inlined scopes from DWARF (the unit holding the pc from cufind.c).
 * symbols.c owns the modules, the cache and the strings handed out. */
#include "symbols/symbols_internal.h"

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
    struct sym_entry found;
    const struct sym_entry *e = symtab_find(m, mod, addr, &found);
    if (!e) return;
    size_t len = strcspn(e->name, "@"); /* drop a symbol version */
    char *bare = e->name[len] ? strndup(e->name, len) : NULL;
    frame_set_name(sym, f, bare ? bare : e->name, NULL);
    free(bare);
    f->offset = addr + 1 - e->addr;
}

/* The compile unit holding addr: in *store when cufind.c can tell from
 * .debug_aranges read in place, else libdwfl's. libdwfl finds it through
 * .debug_aranges too, which Go does not write: then each unit's own ranges
 * are asked. */
static Dwarf_Die *module_cu_at(struct sym_module *m, Dwfl_Module *mod, Dwarf_Addr addr,
                               Dwarf_Addr *bias, Dwarf_Die *store)
{
    if (cufind_lookup(m, mod, addr, store, bias)) return store;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
    if (cu) return cu;
    while ((cu = dwfl_module_nextcu(mod, cu, bias)))
        if (dwarf_haspc(cu, addr - *bias) == 1) return cu;
    return NULL;
}

/* The line table entry for addr in the unit cufind.c names (the same search
 * dwfl_module_getsrc makes in the same unit); NULL: ask libdwfl. */
static const char *line_from_cufind(struct sym_module *m, Dwfl_Module *mod, Dwarf_Addr addr,
                                    int *lineno)
{
    Dwarf_Die cu;
    Dwarf_Addr bias = 0;
    if (!cufind_lookup(m, mod, addr, &cu, &bias)) return NULL;
    Dwarf_Line *l = dwarf_getsrc_die(&cu, addr - bias);
    const char *file = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
    if (file) dwarf_lineno(l, lineno);
    return file;
}

/* file:line of the instruction at addr from the line table. */
static void frame_set_line(struct symbolizer *sym, struct sym_module *m, Dwfl_Module *mod,
                           Dwarf_Addr addr, struct sym_frame *f)
{
    int lineno = 0;
    const char *file = line_from_cufind(m, mod, addr, &lineno);
    Dwfl_Line *line = file ? NULL : dwfl_module_getsrc(mod, addr);
    if (line) file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
    if (!file && !line) { /* no .debug_aranges (Go): the unit's own line table */
        Dwarf_Addr bias = 0;
        Dwarf_Die store, *cu = module_cu_at(m, mod, addr, &bias, &store);
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
static int frames_from_scopes(struct symbolizer *sym, struct sym_module *m, Dwfl_Module *mod,
                              Dwarf_Addr addr, struct sym_frame *out, int max)
{
    Dwarf_Addr bias = 0;
    Dwarf_Die store, *cudie = module_cu_at(m, mod, addr, &bias, &store), *prev = NULL;
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
            frame_set_line(sym, m, mod, addr, f);
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
    n = frames_from_scopes(sym, m, mod, addr, out, SYM_MAX_FRAMES);
    if (n == 0) {
        n = 1;
        frame_set_line(sym, m, mod, addr, &out[0]);
    }
    for (int i = 0; i < n; i++) {
        out[i].pc = pc;
        out[i].module = m->path;
    }
    if (!out[n - 1].inlined) frame_set_symbol(sym, m, mod, addr, &out[n - 1]);
    return n;
}
