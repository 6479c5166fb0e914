/* util.c - allocation, strings and small containers for the analyzer.
 *
 * Everything here is plain and single-threaded: the analyzer reads traces,
 * reports, and exits. */
#define _GNU_SOURCE
#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(void)
{
    fputs("connleak: out of memory\n", stderr);
    exit(EXIT_TOOL);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die_oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die_oom();
    return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) die_oom();
    p = realloc(p, n && size ? n * size : 1);
    if (!p) die_oom();
    return p;
}

char *xstrdup(const char *s)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) die_oom();
    return d;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0) die_oom();
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void strbuf_add(struct strbuf *sb, const char *s)
{
    size_t n = strlen(s);
    ALLOC_GROW(sb->s, sb->len + n + 1, sb->cap);
    memcpy(sb->s + sb->len, s, n + 1);
    sb->len += n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    strbuf_add(sb, s);
    free(s);
}

char *strbuf_steal(struct strbuf *sb)
{
    char *s = sb->s ? sb->s : xstrdup("");
    sb->s = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void strbuf_free(struct strbuf *sb)
{
    free(sb->s);
    sb->s = NULL;
    sb->len = sb->cap = 0;
}

char *text_file_read(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) return NULL;
    struct strbuf sb = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
        if (memchr(buf, '\0', n)) {
            fclose(f);
            strbuf_free(&sb);
            errno = EILSEQ;
            return NULL;
        }
        buf[n] = '\0';
        strbuf_add(&sb, buf);
    }
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        strbuf_free(&sb);
        errno = err;
        return NULL;
    }
    return strbuf_steal(&sb);
}

void strlist_push(struct strlist *l, char *owned)
{
    ALLOC_GROW(l->v, l->n + 1, l->cap);
    l->v[l->n++] = owned;
}

bool strlist_contains(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return true;
    return false;
}

static uint32_t str_hash(const char *s)
{
    return (uint32_t)fnv1a64(FNV1A64_INIT, s, strlen(s));
}

void notes_addf(struct strlist *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    for (; l->nindexed < l->n; l->nindexed++)
        hindex_add(&l->index, str_hash(l->v[l->nindexed]), l->nindexed);
    uint32_t h = str_hash(s);
    size_t cur = 0, i;
    while ((i = hindex_next(&l->index, h, &cur)) != SIZE_MAX) {
        if (strcmp(l->v[i], s) == 0) {
            free(s);
            return;
        }
    }
    strlist_push(l, s);
    hindex_add(&l->index, h, l->n - 1);
    l->nindexed = l->n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort(struct strlist *l)
{
    if (l->n > 1) sort_n(l->v, l->n, sizeof(*l->v), cmp_str);
    hindex_free(&l->index); /* the indexes moved: rebuilt on demand */
    l->nindexed = 0;
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    hindex_free(&l->index);
    memset(l, 0, sizeof(*l));
}

uint64_t fnv1a64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void strtab_rehash(struct strtab *t)
{
    size_t nslots = t->nslots ? t->nslots * 2 : 64;
    uint64_t *slots = xcalloc(nslots, sizeof(*slots));
    for (size_t i = 0; i < t->nslots; i++) {
        if (!t->slots[i]) continue;
        size_t j = (t->slots[i] >> 32) & (nslots - 1);
        while (slots[j]) j = (j + 1) & (nslots - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
}

uint32_t strtab_intern(struct strtab *t, const char *s)
{
    if (!s) return 0;
    if (t->n == 0) {
        ALLOC_GROW(t->s, 1, t->cap);
        t->s[t->n++] = NULL;
    }
    if (2 * t->n >= t->nslots) strtab_rehash(t);
    uint32_t h = (uint32_t)fnv1a64(FNV1A64_INIT, s, strlen(s));
    size_t j = h & (t->nslots - 1);
    for (; t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
        uint32_t i = (uint32_t)t->slots[j];
        if ((uint32_t)(t->slots[j] >> 32) == h && strcmp(t->s[i], s) == 0) return i;
    }
    ALLOC_GROW(t->s, t->n + 1, t->cap);
    t->s[t->n] = xstrdup(s);
    t->slots[j] = (uint64_t)h << 32 | t->n;
    return (uint32_t)t->n++;
}

const char *strtab_get(const struct strtab *t, uint32_t i)
{
    return i < t->n ? t->s[i] : NULL;
}

void strtab_free(struct strtab *t)
{
    for (size_t i = 1; i < t->n; i++) free(t->s[i]);
    free(t->s);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

static size_t idmap_slot(uint32_t key, size_t nslots)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (nslots - 1);
}

uint32_t idmap_get(const struct idmap *m, uint32_t key)
{
    if (!m->nslots) return 0;
    for (size_t j = idmap_slot(key, m->nslots); m->slots[j]; j = (j + 1) & (m->nslots - 1))
        if ((uint32_t)(m->slots[j] >> 32) == key) return (uint32_t)m->slots[j];
    return 0;
}

static void idmap_insert(uint64_t *slots, size_t nslots, uint64_t entry)
{
    size_t j = idmap_slot((uint32_t)(entry >> 32), nslots);
    while (slots[j]) j = (j + 1) & (nslots - 1);
    slots[j] = entry;
}

void idmap_put(struct idmap *m, uint32_t key, uint32_t value)
{
    if (2 * (m->n + 1) > m->nslots) {
        size_t nslots = m->nslots ? m->nslots * 2 : 64;
        uint64_t *slots = xcalloc(nslots, sizeof(*slots));
        for (size_t i = 0; i < m->nslots; i++)
            if (m->slots[i]) idmap_insert(slots, nslots, m->slots[i]);
        free(m->slots);
        m->slots = slots;
        m->nslots = nslots;
    }
    for (size_t j = idmap_slot(key, m->nslots); m->slots[j]; j = (j + 1) & (m->nslots - 1)) {
        if ((uint32_t)(m->slots[j] >> 32) == key) {
            m->slots[j] = (uint64_t)key << 32 | value;
            return;
        }
    }
    idmap_insert(m->slots, m->nslots, (uint64_t)key << 32 | value);
    m->n++;
}

void idmap_free(struct idmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

static size_t hindex_slot(uint32_t hash, size_t nslots)
{
    return (size_t)((hash * 0x9e3779b97f4a7c15ULL) >> 24) & (nslots - 1);
}

static void hindex_insert(uint64_t *slots, size_t nslots, uint64_t entry)
{
    size_t j = hindex_slot((uint32_t)(entry >> 32), nslots);
    while (slots[j]) j = (j + 1) & (nslots - 1);
    slots[j] = entry;
}

void hindex_add(struct hindex *h, uint32_t hash, size_t index)
{
    if (index >= UINT32_MAX) die_oom(); /* more entries than any trace can hold */
    if (2 * (h->n + 1) > h->nslots) {
        size_t nslots = h->nslots ? h->nslots * 2 : 64;
        uint64_t *slots = xcalloc(nslots, sizeof(*slots));
        for (size_t i = 0; i < h->nslots; i++)
            if (h->slots[i]) hindex_insert(slots, nslots, h->slots[i]);
        free(h->slots);
        h->slots = slots;
        h->nslots = nslots;
    }
    hindex_insert(h->slots, h->nslots, (uint64_t)hash << 32 | (index + 1));
    h->n++;
}

size_t hindex_next(const struct hindex *h, uint32_t hash, size_t *cursor)
{
    if (!h->nslots) return SIZE_MAX;
    size_t mask = h->nslots - 1;
    size_t j = *cursor ? *cursor & mask : hindex_slot(hash, h->nslots);
    for (; h->slots[j]; j = (j + 1) & mask) {
        if ((uint32_t)(h->slots[j] >> 32) != hash) continue;
        *cursor = j + 1;
        return (size_t)(uint32_t)h->slots[j] - 1;
    }
    return SIZE_MAX;
}

void hindex_free(struct hindex *h)
{
    free(h->slots);
    memset(h, 0, sizeof(*h));
}

/* The length of the valid UTF-8 sequence of 2..4 bytes at s, 0 if none. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf) return 0;
    return n;
}

char *str_escape_controls(const char *s)
{
    if (!s) return NULL;
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    char *out = xmalloc(4 * strlen(s) + 1), *o = out;
    while (*p) {
        size_t n = *p < 0x80 ? 1 : utf8_seq(p);
        bool c1 = n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
        if (n == 1 && *p >= 0x20 && *p != 0x7f) {
            *o++ = (char)*p++;
        } else if (n >= 2 && !c1) {
            memcpy(o, p, n);
            o += n;
            p += n;
        } else { /* a control, or a byte that is not UTF-8: one byte at a time */
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p++ & 15];
        }
    }
    *o = '\0';
    return out;
}

const char *path_basename(const char *path)
{
    if (!path) return "";
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
    if (!s) return false;
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}
