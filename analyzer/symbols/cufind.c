/* cufind.c - the compile unit holding an address, read from the module's
 * .debug_aranges in place. libdwfl's own lookup (dwfl_module_addrdie,
 * dwfl_module_getsrc) first calls dwarf_getaranges, which interns every unit
 * of the file and sorts every range: for libc's debug file that is 4,126
 * units, ~6,000 ranges, 2 MB of heap and a third of a small report's
 * instructions, to answer for the two libc frames below main. Here one scan of
 * the section names the unit and dwarf_offdie interns only the units up to it.
 *
 * The answer must be libdwfl's: libdwfl takes the range with the greatest
 * start at or below the address (gaps count for the unit before them). An
 * answer is given only when that range is unique (or all ranges starting
 * there name one unit), contains the address, and the unit's own ranges
 * (dwarf_haspc) agree; anything else - no section, compressed, another byte
 * order, a version or address size not handled, a malformed set - returns
 * false and the caller asks libdwfl as before. A module asked for many pcs
 * goes to libdwfl after CUFIND_MAX_SCANS scans: its sorted table then pays. */
#include "symbols/symbols_internal.h"

#define CUFIND_MAX_SCANS 16

struct arange_best { /* the range with the greatest start <= addr so far */
    uint64_t start, cu_off;
    bool found, contains, ambiguous;
};

/* An unsigned field of 2, 4 or 8 bytes (little-endian host and file, as
 * checked); fixed-size copies, so the compiler needs no memcpy call. */
static uint64_t read_uint(const unsigned char *p, int size)
{
    uint64_t v8 = 0;
    uint32_t v4 = 0;
    uint16_t v2 = 0;
    switch (size) {
    case 8:
        memcpy(&v8, p, 8);
        return v8;
    case 4:
        memcpy(&v4, p, 4);
        return v4;
    default:
        memcpy(&v2, p, 2);
        return v2;
    }
}

/* The section named `name` of elf, uncompressed, NULL if none. */
static Elf_Data *section_data(Elf *elf, const char *name)
{
    size_t shstrndx;
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) return NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        const char *s = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
        if (!s || strcmp(s, name) != 0) continue;
        if (sh.sh_type == SHT_NOBITS || (sh.sh_flags & SHF_COMPRESSED)) return NULL;
        return elf_getdata(scn, NULL);
    }
    return NULL;
}

static void best_consider(struct arange_best *b, uint64_t start, uint64_t len, uint64_t cu_off,
                          uint64_t addr)
{
    if (start > addr) return;
    bool contains = addr - start < len;
    if (!b->found || start > b->start) {
        *b = (struct arange_best){
            .start = start, .cu_off = cu_off, .found = true, .contains = contains};
    } else if (start == b->start) {
        if (cu_off != b->cu_off) b->ambiguous = true;
        b->contains |= contains;
    }
}

/* Scans one address range set at p (its length field); returns the next set,
 * NULL if the set is one this reader does not handle. */
static const unsigned char *set_scan(const unsigned char *p, const unsigned char *end,
                                     uint64_t addr, struct arange_best *b)
{
    const unsigned char *set = p;
    int offsz = 4;
    uint64_t len = read_uint(p, 4);
    p += 4;
    if (len == 0xffffffffu) {
        if (end - p < 8) return NULL;
        len = read_uint(p, 8), p += 8, offsz = 8;
    } else if (len >= 0xfffffff0u) {
        return NULL;
    }
    if (len > (uint64_t)(end - p) || len < (uint64_t)(2 + offsz + 2)) return NULL;
    const unsigned char *next = p + len;
    if (read_uint(p, 2) != 2) return NULL; /* version */
    uint64_t cu_off = read_uint(p + 2, offsz);
    int asize = p[2 + offsz], ssize = p[3 + offsz];
    if ((asize != 4 && asize != 8) || ssize != 0) return NULL;
    size_t tuple = 2 * (size_t)asize, hdr = (size_t)(p + 4 + offsz - set);
    p = set + (hdr + tuple - 1) / tuple * tuple; /* tuples are aligned from the set's start */
    for (; p <= next && (size_t)(next - p) >= tuple; p += tuple) {
        uint64_t start = read_uint(p, asize), rlen = read_uint(p + asize, asize);
        if (start == 0 && rlen == 0) break; /* end of the set, as libdw reads it */
        best_consider(b, start, rlen, cu_off, addr);
    }
    return next;
}

/* The offset of the unit holding addr (a DWARF address) from the raw
 * section; false when the answer is not certain to be libdwfl's. */
static bool aranges_find(Elf *elf, uint64_t addr, uint64_t *cu_off)
{
    GElf_Ehdr eh;
    if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || !gelf_getehdr(elf, &eh) ||
        eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type == ET_REL)
        return false;
    Elf_Data *d = section_data(elf, ".debug_aranges");
    if (!d || !d->d_buf) return false;
    const unsigned char *p = d->d_buf, *end = p + d->d_size;
    struct arange_best b = {.found = false};
    while (p && end - p >= 4) p = set_scan(p, end, addr, &b);
    if (!p || !b.found || b.ambiguous || !b.contains) return false;
    *cu_off = b.cu_off;
    return true;
}

/* Fills *cu with the unit holding addr (a module address) and *bias, as
 * dwfl_module_addrdie would; false: ask libdwfl. */
bool cufind_lookup(struct sym_module *m, Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Die *cu,
                   Dwarf_Addr *bias)
{
    if (m->cu_memo_valid && m->cu_memo_addr == addr) {
        *cu = m->cu_memo, *bias = m->cu_memo_bias;
        return true;
    }
    if (m->cu_scans >= CUFIND_MAX_SCANS) return false;
    m->cu_scans++;
    Dwarf *dbg = dwfl_module_getdwarf(mod, bias);
    Elf *elf = dbg ? dwarf_getelf(dbg) : NULL;
    uint64_t off, next;
    size_t hsize;
    if (!elf || !aranges_find(elf, addr - *bias, &off)) return false;
    if (dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL) != 0) return false;
    if (!dwarf_offdie(dbg, off + hsize, cu) || dwarf_tag(cu) != DW_TAG_compile_unit ||
        dwarf_haspc(cu, addr - *bias) != 1)
        return false;
    m->cu_memo = *cu, m->cu_memo_addr = addr, m->cu_memo_bias = *bias;
    m->cu_memo_valid = true;
    return true;
}
