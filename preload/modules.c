/* modules.c - the module map: which file is loaded where, with its
 * build-id, so the analyzer can symbolise stacks offline.
 *
 * The whole map goes after the trace header; modules loaded later (dlopen)
 * are written before the first new stack is (dl_iterate_phdr's dlpi_adds
 * tells cheaply whether anything changed). The set of modules already
 * written is a fixed array: no malloc. */
#define _GNU_SOURCE
#include "modules.h"
#include "trace.h"

#include "jsonline.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#define MOD_MAX 1024

static uintptr_t emitted[MOD_MAX]; /* load bias + lo of modules already written */
static int nemitted;
static unsigned long long seen_adds;
static uintptr_t self_lo, self_hi;
static char exe_path[4096];

struct mod_info {
    uintptr_t lo, hi;
    const char *bid;
    size_t bid_len;
};

static void mod_scan(struct dl_phdr_info *info, struct mod_info *m)
{
    m->lo = UINTPTR_MAX;
    m->hi = 0;
    m->bid = NULL;
    m->bid_len = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (start < m->lo) m->lo = start;
            if (start + ph->p_memsz > m->hi) m->hi = start + ph->p_memsz;
        } else if (ph->p_type == PT_NOTE && !m->bid) {
            const char *p = (const char *)start, *end = p + ph->p_memsz;
            while (p + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
                const char *name = p + sizeof(*nh);
                const char *desc = name + ((nh->n_namesz + 3) & ~3u);
                if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                    m->bid = desc;
                    m->bid_len = nh->n_descsz;
                    break;
                }
                p = desc + ((nh->n_descsz + 3) & ~3u);
            }
        }
    }
}

static int self_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct mod_info m;
    mod_scan(info, &m);
    uintptr_t me = (uintptr_t)data;
    if (me >= m.lo && me < m.hi) {
        self_lo = m.lo;
        self_hi = m.hi;
        return 1;
    }
    return 0;
}

void modules_init(void)
{
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
    exe_path[n > 0 ? n : 0] = 0;
    dl_iterate_phdr(self_cb, (void *)(uintptr_t)&modules_init);
}

/* Unit tests link the core into the test program: there, no frame is ours. */
void modules_self_set(uintptr_t lo, uintptr_t hi)
{
    self_lo = lo;
    self_hi = hi;
}

bool modules_self_contains(uintptr_t pc)
{
    return pc >= self_lo && pc < self_hi;
}

static bool mod_already(uintptr_t key)
{
    for (int i = 0; i < nemitted; i++)
        if (emitted[i] == key) return true;
    return false;
}

static int emit_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    struct mod_info m;
    mod_scan(info, &m);
    if (m.hi == 0) return 0; /* nothing mapped */
    const char *path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : exe_path;
    if (strncmp(path, "linux-vdso", 10) == 0 || mod_already(m.lo)) return 0;
    if (nemitted < MOD_MAX) emitted[nemitted++] = m.lo;
    char mem[4096 + 256];
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_raw(&b, "{\"t\":\"mod\"");
    jb_kv_str(&b, "path", path);
    jb_key(&b, "base");
    jb_hex(&b, info->dlpi_addr);
    jb_key(&b, "lo");
    jb_hex(&b, m.lo);
    jb_key(&b, "hi");
    jb_hex(&b, m.hi);
    jb_raw(&b, ",\"bid\":\"");
    for (size_t i = 0; i < m.bid_len; i++) {
        static const char hx[] = "0123456789abcdef";
        char two[2] = {hx[(unsigned char)m.bid[i] >> 4], hx[(unsigned char)m.bid[i] & 15]};
        jb_rawn(&b, two, 2);
    }
    jb_raw(&b, "\"}\n");
    if (!b.overflow) trace_append_locked(b.p, b.len);
    return 0;
}

static int adds_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    if (size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof(info->dlpi_adds))
        *(unsigned long long *)data = info->dlpi_adds;
    return 1;
}

void modules_emit_all_locked(void)
{
    nemitted = 0;
    dl_iterate_phdr(adds_cb, &seen_adds);
    dl_iterate_phdr(emit_cb, NULL);
}

void modules_refresh_locked(void)
{
    unsigned long long adds = 0;
    dl_iterate_phdr(adds_cb, &adds);
    if (adds == seen_adds) return;
    seen_adds = adds;
    dl_iterate_phdr(emit_cb, NULL);
}
