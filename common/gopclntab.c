/* gopclntab.c - reads Go's .gopclntab (see gopclntab.h).
 *
 * Layout (runtime/symtab.go, cmd/link/internal/ld/pcln.go): a pcHeader
 * (magic, quantum, pointer size, function and file counts, text start, and
 * the offsets of funcnametab, cutab, filetab, pctab and the function table)
 * then the tables. The function table is sorted (entry, offset) pairs, each
 * offset leading to a _func: name, the pc-value tables of file and line,
 * and its pcdata and funcdata offsets. A pc-value table is a run of
 * (zig-zag value delta, pc delta) varint pairs. Inlining: pcdata 2 gives,
 * per pc, an index into the function's inline tree (funcdata 3, found from
 * moduledata.gofunc, itself found as the word in the data sections that
 * points at the table); each entry names the inlined function and the pc in
 * its parent whose line is the call site. */
#include "gopclntab.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCDATA_INLTREE   2
#define FUNCDATA_INLTREE 3
#define MAX_INLINE       16

struct span { /* bytes of the file at a file address */
    const uint8_t *p;
    uint64_t addr, size;
};

struct gopcln {
    struct span tab;   /* .gopclntab */
    struct span ro[8]; /* sections holding funcdata (go.func.*: .rodata) */
    int nro;
    bool v120; /* Go 1.20+: _func has startLine; inlinedCall changed */
    uint64_t nfunc, text, gofunc;
    uint64_t funcname, cu, file, pc, ftab; /* offsets in tab */
};

static bool rd(const struct span *s, uint64_t off, void *out, size_t n)
{
    if (off > s->size || n > s->size - off) return false;
    memcpy(out, s->p + off, n);
    return true;
}

static uint32_t rd32(const struct span *s, uint64_t off, bool *ok)
{
    uint32_t v = 0;
    if (!rd(s, off, &v, 4)) *ok = false;
    return v;
}

static uint64_t rd64(const struct span *s, uint64_t off, bool *ok)
{
    uint64_t v = 0;
    if (!rd(s, off, &v, 8)) *ok = false;
    return v;
}

/* A NUL-terminated string inside the table, or NULL. */
static const char *str_at(const struct gopcln *t, uint64_t off)
{
    if (off >= t->tab.size || !memchr(t->tab.p + off, 0, t->tab.size - off)) return NULL;
    return (const char *)t->tab.p + off;
}

static bool section_span(Elf *elf, const char *want, struct span *out)
{
    size_t shstr;
    Elf_Scn *scn = NULL;
    if (elf_getshdrstrndx(elf, &shstr) != 0) return false;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        const char *name;
        if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstr, sh.sh_name))) continue;
        if (strcmp(name, want) != 0 || sh.sh_type == SHT_NOBITS) continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d || !d->d_buf) return false;
        *out = (struct span){d->d_buf, sh.sh_addr, d->d_size};
        return true;
    }
    return false;
}

/* moduledata.gofunc: moduledata starts with a pointer to the pcHeader. */
static void gofunc_find(struct gopcln *t, Elf *elf)
{
    static const char *const data[] = {".noptrdata", ".data"};
    uint64_t at = t->v120 ? 320 : 304; /* 1.20 added covctrs, ecovctrs */
    for (int i = 0; i < 2 && !t->gofunc; i++) {
        struct span s;
        if (!section_span(elf, data[i], &s)) continue;
        for (uint64_t off = 0; off + at + 8 <= s.size; off += 8) {
            bool ok = true;
            if (rd64(&s, off, &ok) != t->tab.addr) continue;
            if (rd64(&s, off + 176, &ok) != t->text) continue; /* moduledata.text */
            t->gofunc = rd64(&s, off + at, &ok);
            break;
        }
    }
    static const char *const ro[] = {".rodata", ".typelink", ".noptrdata", ".data"};
    for (int i = 0; i < 4; i++)
        if (section_span(elf, ro[i], &t->ro[t->nro])) t->nro++;
}

struct gopcln *gopcln_open(Elf *elf, char *why, size_t why_len)
{
    struct gopcln *t = calloc(1, sizeof(*t));
    bool ok = true;
    if (!t) return NULL;
    /* a PIE (RELRO) names it .data.rel.ro.gopclntab */
    if (!section_span(elf, ".gopclntab", &t->tab) &&
        !section_span(elf, ".data.rel.ro.gopclntab", &t->tab)) {
        snprintf(why, why_len, "no .gopclntab section");
        goto fail;
    }
    uint32_t magic = rd32(&t->tab, 0, &ok);
    uint8_t hdr[4];
    if (!rd(&t->tab, 4, hdr, 4) || (magic != 0xfffffff0 && magic != 0xfffffff1) || hdr[3] != 8) {
        snprintf(why, why_len, "a .gopclntab of a Go version not read (magic 0x%x)", magic);
        goto fail;
    }
    t->v120 = magic == 0xfffffff1;
    t->nfunc = rd64(&t->tab, 8, &ok);
    t->text = rd64(&t->tab, 24, &ok);
    t->funcname = rd64(&t->tab, 32, &ok);
    t->cu = rd64(&t->tab, 40, &ok);
    t->file = rd64(&t->tab, 48, &ok);
    t->pc = rd64(&t->tab, 56, &ok);
    t->ftab = rd64(&t->tab, 64, &ok);
    if (!ok || t->nfunc == 0 || t->nfunc > t->tab.size / 8 || t->ftab > t->tab.size) {
        snprintf(why, why_len, "a damaged .gopclntab header");
        goto fail;
    }
    gofunc_find(t, elf);
    return t;
fail:
    free(t);
    return NULL;
}

void gopcln_close(struct gopcln *t)
{
    free(t);
}

/* ---- functions and pc-value tables ---- */

struct func {
    uint64_t off; /* of the _func in tab */
    uint64_t entry;
    uint32_t nameoff, pcfile, pcln, npcdata, cuoff;
    uint8_t nfuncdata;
};

static bool func_read(const struct gopcln *t, uint64_t i, struct func *f)
{
    bool ok = true;
    uint64_t funcoff = rd32(&t->tab, t->ftab + i * 8 + 4, &ok);
    f->off = t->ftab + funcoff;
    f->entry = t->text + rd32(&t->tab, f->off, &ok);
    f->nameoff = rd32(&t->tab, f->off + 4, &ok);
    f->pcfile = rd32(&t->tab, f->off + 20, &ok);
    f->pcln = rd32(&t->tab, f->off + 24, &ok);
    f->npcdata = rd32(&t->tab, f->off + 28, &ok);
    f->cuoff = rd32(&t->tab, f->off + 32, &ok);
    uint64_t tail = f->off + (t->v120 ? 40 : 36); /* after startLine in 1.20 */
    ok = ok && rd(&t->tab, tail + 3, &f->nfuncdata, 1);
    return ok && f->npcdata < 1024;
}

/* The function holding pc: binary search of the sorted entries. */
static bool func_find(const struct gopcln *t, uint64_t pc, struct func *f)
{
    bool ok = true;
    if (pc < t->text) return false;
    uint64_t rel = pc - t->text, lo = 0, hi = t->nfunc;
    if (rel >= rd32(&t->tab, t->ftab + t->nfunc * 8, &ok) || !ok) return false;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (rd32(&t->tab, t->ftab + mid * 8, &ok) <= rel)
            lo = mid;
        else
            hi = mid;
    }
    return ok && func_read(t, lo, f);
}

static bool varint(const struct span *s, uint64_t *off, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        uint8_t b;
        if (!rd(s, (*off)++, &b, 1)) return false;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* The value of pc-value table `table` (an offset in pctab) at pc; -1 if none. */
static int32_t pcvalue(const struct gopcln *t, const struct func *f, uint32_t table, uint64_t pc)
{
    uint64_t off = t->pc + table, at = f->entry;
    int32_t val = -1;
    if (!table) return -1;
    for (int n = 0; n < 1000000; n++) {
        uint32_t uv, pcd;
        if (!varint(&t->tab, &off, &uv) || (uv == 0 && n > 0)) return -1;
        if (!varint(&t->tab, &off, &pcd)) return -1;
        val += (uv & 1) ? (int32_t) ~(uv >> 1) : (int32_t)(uv >> 1);
        at += pcd; /* the pc quantum is 1 on amd64 */
        if (pc < at) return val;
    }
    return -1;
}

static const char *func_file(const struct gopcln *t, const struct func *f, int32_t fileno)
{
    bool ok = true;
    if (fileno < 0) return NULL;
    uint32_t off = rd32(&t->tab, t->cu + ((uint64_t)f->cuoff + (uint32_t)fileno) * 4, &ok);
    return ok && off != UINT32_MAX ? str_at(t, t->file + off) : NULL;
}

static void frame_at(const struct gopcln *t, const struct func *f, uint64_t pc,
                     struct gopcln_frame *fr)
{
    fr->file = func_file(t, f, pcvalue(t, f, f->pcfile, pc));
    fr->line = pcvalue(t, f, f->pcln, pc);
    if (fr->line < 0) fr->line = 0;
}

/* Bytes of the binary at file address addr (the inline tree in go.func.*). */
static bool rd_addr(const struct gopcln *t, uint64_t addr, void *out, size_t n)
{
    for (int i = 0; i < t->nro; i++)
        if (addr >= t->ro[i].addr && rd(&t->ro[i], addr - t->ro[i].addr, out, n)) return true;
    return false;
}

/* Inline tree entry ix of f: its function's name offset and parent pc. */
static bool inl_entry(const struct gopcln *t, const struct func *f, int32_t ix, uint32_t *nameoff,
                      int32_t *parent_pc)
{
    bool ok = true;
    if (!t->gofunc || f->nfuncdata <= FUNCDATA_INLTREE) return false;
    uint64_t fd = f->off + (t->v120 ? 44 : 40) + (uint64_t)f->npcdata * 4 + FUNCDATA_INLTREE * 4;
    uint32_t off = rd32(&t->tab, fd, &ok);
    if (!ok || off == UINT32_MAX) return false;
    uint64_t e = t->gofunc + off + (uint64_t)ix * (t->v120 ? 16 : 20);
    int32_t v[2];
    if (!rd_addr(t, e + (t->v120 ? 4 : 12), v, sizeof(v))) return false;
    *nameoff = (uint32_t)v[0];
    *parent_pc = v[1];
    return true;
}

int gopcln_lookup(const struct gopcln *t, uint64_t pc, struct gopcln_frame *out, int max)
{
    struct func f;
    if (!t || max <= 0 || !func_find(t, pc, &f)) return 0;
    int n = 0;
    bool ok = true;
    uint64_t inl = f.npcdata > PCDATA_INLTREE
                       ? rd32(&t->tab, f.off + (t->v120 ? 44 : 40) + PCDATA_INLTREE * 4, &ok)
                       : 0;
    int32_t ix = ok && inl ? pcvalue(t, &f, (uint32_t)inl, pc) : -1;
    for (int depth = 0; ix >= 0 && n < max - 1 && depth < MAX_INLINE; depth++) {
        uint32_t nameoff;
        int32_t parent_pc;
        if (!inl_entry(t, &f, ix, &nameoff, &parent_pc)) break;
        out[n] =
            (struct gopcln_frame){.function = str_at(t, t->funcname + nameoff), .inlined = true};
        frame_at(t, &f, pc, &out[n++]);
        pc = f.entry + (uint32_t)parent_pc;
        ix = pcvalue(t, &f, (uint32_t)inl, pc);
    }
    out[n] = (struct gopcln_frame){.function = str_at(t, t->funcname + f.nameoff)};
    frame_at(t, &f, pc, &out[n++]);
    return n;
}

uint64_t gopcln_func_entry(const struct gopcln *t, const char *name)
{
    for (uint64_t i = 0; t && i < t->nfunc; i++) {
        struct func f;
        const char *fn;
        if (func_read(t, i, &f) && (fn = str_at(t, t->funcname + f.nameoff)) &&
            strcmp(fn, name) == 0)
            return f.entry;
    }
    return 0;
}
