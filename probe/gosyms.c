/* gosyms.c - what the Go uprobes need to know about one Go binary: its Go
 * version (from .go.buildinfo), the file offsets of the net/http functions
 * they probe (from .symtab), and the offsets of the struct fields they read
 * (from the binary's DWARF, which libdw reads compressed; for binaries
 * built without DWARF, from a table of the Go versions checked by hand).
 * Anything missing leaves the uprobes off, with the reason in `why`. */
#define _GNU_SOURCE
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gopclntab.h"
#include "probe_int.h"

#define OFF_NONE 0xffff

static const struct go_target targets_init[GO_TARGETS] = {
    {"net/http.(*Transport).roundTrip", "go_roundtrip", 0},
    {"net/http.(*persistConn).roundTrip", "go_pc_roundtrip", 0},
    {"net/http.(*Transport).tryPutIdleConn", "go_put_idle", 0},
    {"net/http.(*persistConn).closeLocked", "go_close_locked", 0},
    {"net/http.(*bodyEOFSignal).Read", "go_body_read", 0},
    {"net/http.(*bodyEOFSignal).Close", "go_body_close", 0},
};

/* go1.19.x on amd64, checked against its DWARF (design notes, section 10). */
static const struct go_offsets offsets_go119 = {.g_goid = 152,
                                                .pc_conn = 80,
                                                .pc_reused = 265,
                                                .tcpconn_fd = 0,
                                                .netfd_sysfd = 16,
                                                .tlsconn_conn = 0,
                                                .req_method = 0,
                                                .req_url = 16,
                                                .url_host = 40,
                                                .url_path = 56,
                                                .treq_req = 0,
                                                .pc_br = 104,
                                                .es_body = 0,
                                                .body_src = 0,
                                                .lr_r = 0,
                                                .chunked_r = 0};

/* .go.buildinfo: "\xff Go buildinf:", pointer size, flags; from Go 1.18
 * (flags & 2) the version follows at 32 as a varint-prefixed string. */
static void version_read(Elf *e, struct go_info *gi)
{
    size_t shstr;
    Elf_Scn *scn = NULL;
    if (elf_getshdrstrndx(e, &shstr) != 0) return;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) continue;
        const char *name = elf_strptr(e, shstr, sh.sh_name);
        if (!name || strcmp(name, ".go.buildinfo") != 0) continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        const uint8_t *b = d ? d->d_buf : NULL;
        if (!b || d->d_size < 34 || memcmp(b, "\xff Go buildinf:", 14) != 0) return;
        if (!(b[15] & 2)) {
            snprintf(gi->version, sizeof(gi->version), "go1.17-or-older");
            return;
        }
        size_t len = b[32]; /* a version string is shorter than 128: one varint byte */
        if (len >= 128 || 33 + len > d->d_size || len >= sizeof(gi->version)) return;
        memcpy(gi->version, b + 33, len);
        gi->version[len] = 0;
        return;
    }
}

static uint64_t vaddr_to_offset(Elf *e, uint64_t vaddr)
{
    size_t n = 0;
    if (elf_getphdrnum(e, &n) != 0) return 0;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
            vaddr < ph.p_vaddr + ph.p_filesz)
            return vaddr - ph.p_vaddr + ph.p_offset;
    }
    return 0;
}

/* Returns false when the binary has no symbol table (stripped). */
static bool targets_find(Elf *e, struct go_info *gi)
{
    Elf_Scn *scn = NULL;
    bool symtab = false;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB) continue;
        symtab = true;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; d && i < n; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
            const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
            for (int t = 0; name && t < GO_TARGETS; t++)
                if (strcmp(name, gi->targets[t].func) == 0)
                    gi->targets[t].offset = vaddr_to_offset(e, sym.st_value);
        }
    }
    return symtab;
}

/* A stripped binary (no .symtab): the functions from Go's own table. */
static bool targets_from_pclntab(Elf *e, struct go_info *gi)
{
    char why[128];
    struct gopcln *t = gopcln_open(e, why, sizeof(why));
    if (!t) return false;
    for (int i = 0; i < GO_TARGETS; i++) {
        uint64_t entry = gopcln_func_entry(t, gi->targets[i].func);
        gi->targets[i].offset = entry ? vaddr_to_offset(e, entry) : 0;
    }
    gopcln_close(t);
    return true;
}

/* ---- struct offsets from DWARF ---- */

struct want {
    const char *type, *member;
    uint16_t *out;
    int add_to; /* the value is added to *out (fields reached through an embedded struct) */
};

static void member_scan(Dwarf_Die *st, const char *type, const struct want *w, size_t nw,
                        int *found)
{
    Dwarf_Die m;
    if (dwarf_child(st, &m) != 0) return;
    do {
        const char *mn = dwarf_tag(&m) == DW_TAG_member ? dwarf_diename(&m) : NULL;
        Dwarf_Attribute a;
        Dwarf_Word off;
        if (!mn || !dwarf_attr(&m, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &off))
            continue;
        for (size_t i = 0; i < nw; i++) {
            if (strcmp(w[i].type, type) != 0 || strcmp(w[i].member, mn) != 0) continue;
            if (w[i].add_to)
                *w[i].out = *w[i].out == OFF_NONE ? OFF_NONE : (uint16_t)(*w[i].out + off);
            else
                *w[i].out = (uint16_t)off;
            found[i] = 1;
        }
    } while (dwarf_siblingof(&m, &m) == 0);
}

/* The fields read, and which of them may be missing: without crypto/tls
 * the TLS path is off, without the body fields resp.Body's Close is not
 * followed (the loader notes it); any other missing field turns it all off. */
#define NWANT 17
static bool want_optional(int i)
{
    return i == 6 || i >= 12;
}

/* The struct types of the compile unit named cu (NULL: of every unit). */
static void types_scan(Dwarf *dw, const char *cu_name, const struct want *w, size_t nw, int *found,
                       const struct want *w2, int *found2)
{
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, d;
        const char *name = dwarf_offdie(dw, off + hsize, &cu) ? dwarf_diename(&cu) : NULL;
        bool wanted = !cu_name || (name && strcmp(name, cu_name) == 0);
        if (wanted && dwarf_child(&cu, &d) == 0) do {
                const char *n = dwarf_tag(&d) == DW_TAG_structure_type ? dwarf_diename(&d) : NULL;
                if (n) {
                    member_scan(&d, n, w, nw, found);
                    member_scan(&d, n, w2, 1, found2);
                }
            } while (dwarf_siblingof(&d, &d) == 0);
        off = next;
    }
}

static int offsets_from_dwarf(int fd, struct go_offsets *o)
{
    struct go_offsets tmp;
    memset(&tmp, 0xff, sizeof(tmp));
    uint16_t sysfd = OFF_NONE;
    const struct want w[NWANT] = {
        {"runtime.g", "goid", &tmp.g_goid, 0},
        {"net/http.persistConn", "conn", &tmp.pc_conn, 0},
        {"net/http.persistConn", "reused", &tmp.pc_reused, 0},
        {"net.TCPConn", "conn", &tmp.tcpconn_fd, 0},
        {"net.netFD", "pfd", &tmp.netfd_sysfd, 0},
        {"internal/poll.FD", "Sysfd", &sysfd, 0},
        {"crypto/tls.Conn", "conn", &tmp.tlsconn_conn, 0},
        {"net/http.Request", "Method", &tmp.req_method, 0},
        {"net/http.Request", "URL", &tmp.req_url, 0},
        {"net/url.URL", "Host", &tmp.url_host, 0},
        {"net/url.URL", "Path", &tmp.url_path, 0},
        {"net/http.transportRequest", "Request", &tmp.treq_req, 0},
        {"net/http.persistConn", "br", &tmp.pc_br, 0},
        {"net/http.bodyEOFSignal", "body", &tmp.es_body, 0},
        {"net/http.body", "src", &tmp.body_src, 0},
        {"io.LimitedReader", "R", &tmp.lr_r, 0},
        {"net/http/internal.chunkedReader", "r", &tmp.chunked_r, 0},
    };
    uint16_t conn_fd = OFF_NONE;
    const struct want w2[] = {{"net.conn", "fd", &conn_fd, 0}};
    int found[NWANT] = {0}, found2[1] = {0};
    Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
    if (!dw) return -1;
    /* Go's linker puts every type in the compile unit "runtime": that one
     * first (a few ms, where all 141 units of a small program take 80). */
    types_scan(dw, "runtime", w, NWANT, found, w2, found2);
    bool all = found2[0];
    for (int i = 0; i < NWANT; i++) all = all && (found[i] || want_optional(i));
    if (!all) types_scan(dw, NULL, w, NWANT, found, w2, found2);
    dwarf_end(dw);
    for (int i = 0; i < NWANT; i++)
        if (!found[i] && !want_optional(i)) return -1;
    if (!found2[0] || sysfd == OFF_NONE) return -1;
    for (int i = 12; i < NWANT; i++)
        if (!found[i]) tmp.pc_br = tmp.es_body = tmp.body_src = OFF_NONE;
    tmp.tcpconn_fd = (uint16_t)(tmp.tcpconn_fd + conn_fd);
    tmp.netfd_sysfd = (uint16_t)(tmp.netfd_sysfd + sysfd);
    *o = tmp;
    return 0;
}

/* Whether path is a Go binary the uprobes can follow, and how. */
bool gosyms_inspect(const char *path, struct go_info *gi)
{
    memset(gi, 0, sizeof(*gi));
    memcpy(gi->targets, targets_init, sizeof(targets_init));
    int fd = file_open_regular(path);
    if (fd < 0) return false;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    bool symtab = false;
    if (e) {
        version_read(e, gi);
        if (gi->version[0]) symtab = targets_find(e, gi);
        if (gi->version[0] && !symtab) symtab = targets_from_pclntab(e, gi);
        elf_end(e);
    }
    bool go = gi->version[0] != 0;
    if (go) {
        unsigned major = 0, minor = 0;
        sscanf(gi->version, "go%u.%u", &major, &minor);
        /* the old buildinfo does not say which: 1.17 has the register ABI,
         * 1.16 not; reading garbage registers is worse than missing 1.17 */
        gi->regabi = major == 1 && minor >= 17 && !strstr(gi->version, "or-older");
        if (offsets_from_dwarf(fd, &gi->offs) == 0)
            gi->offs_from_dwarf = true;
        else if (major == 1 && minor == 19)
            gi->offs = offsets_go119;
        else
            snprintf(gi->why, sizeof(gi->why),
                     "%s has no DWARF and no offset table for %s: net/http not followed", path,
                     gi->version);
        if (!gi->regabi)
            snprintf(gi->why, sizeof(gi->why),
                     "%s: %s passes arguments on the stack: net/http "
                     "not followed (Go 1.17 or later is)",
                     path, gi->version);
        else if (!symtab)
            snprintf(gi->why, sizeof(gi->why),
                     "%s has neither a symbol table nor a readable "
                     ".gopclntab: its net/http requests are not followed",
                     path);
    }
    close(fd);
    return go;
}
