/* demangle.c - readable C++ and Rust names with libiberty's demangler
 * (Debian's libiberty-dev: Itanium C++, Rust legacy and v0), and the
 * shortening of a signature inside its template argument lists.
 *
 * Only names that start as C++ ("_Z") or Rust v0 ("_R") manglings do are
 * handed to libiberty (Rust legacy names are "_ZN...17h<hash>E"): C and Go
 * names never do, and stay as they are. */
#include "symbols/demangle.h"

#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

struct dm_buf { /* what the demangler's callback writes */
    char *s;
    size_t n, cap;
};

static void dm_append(const char *s, size_t len, void *opaque)
{
    struct dm_buf *b = opaque;
    ALLOC_GROW(b->s, b->n + len + 1, b->cap);
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}

char *symbol_demangle(const char *name, bool params)
{
    if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R')) return NULL;
    /* The callback forms, which allocate with malloc only: cplus_demangle
     * itself would bring libiberty's xmalloc, which clashes with ours.
     * Rust first, as cplus_demangle does: a legacy Rust name is a valid C++
     * one too ("_ZN5crate3foo17h<hash>E"), which Rust reads better. */
    int opts = DMGL_ANSI | (params ? DMGL_PARAMS : 0);
    struct dm_buf b = {0};
    int ok = rust_demangle_callback(name, opts, dm_append, &b);
    if (!ok) {
        free(b.s);
        b = (struct dm_buf){0};
        ok = cplus_demangle_v3_callback(name, opts, dm_append, &b);
    }
    if (!ok || !b.n) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

char *symbol_headline(const char *function, const char *mangled)
{
    if (!function) return NULL;
    char *bare = mangled ? symbol_demangle(mangled, false) : NULL;
    const char *at = bare ? strstr(function, bare) : NULL;
    if (!at) { /* not mangled, or not a name we can find again */
        free(bare);
        return xstrdup(function);
    }
    /* the return type of a template function before the name is dropped */
    const char *tail = at + strlen(bare);
    char *out = strlen(tail) <= HEADLINE_PARAMS_MAX ? xasprintf("%s%s", bare, tail) : xstrdup(bare);
    free(bare);
    return out;
}

size_t str_columns(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

struct targs { /* one top-level "<...>": its content s[lo, hi) and what is kept */
    size_t lo, hi;
    size_t head, tail; /* bytes kept at each end when cut */
    bool cut;
};

/* Length of an operator's spelling at s that holds '<' or '>' (after the
 * word "operator"): "<=>", "<<=", "->*", "<<", "<=", "->", "<", ... else 0. */
static size_t operator_len(const char *s)
{
    static const char *const ops[] = {"<=>", "<<=", ">>=", "->*", "<<", ">>",
                                      "<=",  ">=",  "->",  "<",   ">"};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strncmp(s, ops[i], strlen(ops[i])) == 0) return strlen(ops[i]);
    return 0;
}

/* The top-level template argument lists of sig (unbalanced ones left out). */
static size_t targs_find(const char *sig, struct targs **out)
{
    struct targs *v = NULL;
    size_t n = 0, cap = 0, depth = 0, open = 0;
    for (size_t i = 0; sig[i]; i++) {
        if (strncmp(sig + i, "operator", 8) == 0) {
            size_t k = i + 8 + (sig[i + 8] == ' ');
            size_t len = operator_len(sig + k);
            if (len) i = k + len - 1;
            continue;
        }
        if (sig[i] == '<' && depth++ == 0) open = i;
        if (sig[i] == '>' && depth > 0 && --depth == 0) {
            ALLOC_GROW(v, n + 1, cap);
            v[n++] = (struct targs){.lo = open + 1, .hi = i};
        }
    }
    *out = v;
    return n;
}

/* Cuts c bytes out of the middle of t's content (at character bounds). */
static void targs_cut(const char *sig, struct targs *t, size_t c)
{
    size_t len = t->hi - t->lo, keep = len - c;
    size_t head = (keep + 1) / 2;
    while (head > 0 && ((unsigned char)sig[t->lo + head] & 0xc0) == 0x80) head--;
    size_t tail = keep - head;
    while (tail > 0 && ((unsigned char)sig[t->hi - tail] & 0xc0) == 0x80) tail--;
    *t = (struct targs){.lo = t->lo, .hi = t->hi, .head = head, .tail = tail, .cut = true};
}

/* The uncut list with the most content, or NULL when none has 2 bytes. */
static struct targs *targs_largest(struct targs *v, size_t n)
{
    struct targs *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (!v[i].cut && v[i].hi - v[i].lo >= 2 &&
            (!best || v[i].hi - v[i].lo > best->hi - best->lo))
            best = &v[i];
    return best;
}

static char *targs_apply(const char *sig, const struct targs *v, size_t n)
{
    size_t len = strlen(sig), at = 0, o = 0;
    char *out = xcalloc(len + 3 * n + 1, 1); /* a cut may add a byte: 2 bytes become 3 */
    for (size_t i = 0; i < n; i++) {
        if (!v[i].cut) continue;
        memcpy(out + o, sig + at, v[i].lo + v[i].head - at);
        o += v[i].lo + v[i].head - at;
        memcpy(out + o, ELLIPSIS, 3);
        o += 3;
        at = v[i].hi - v[i].tail;
    }
    memcpy(out + o, sig + at, len - at + 1);
    return out;
}

char *signature_shorten(const char *sig, size_t width)
{
    if (!sig) return NULL;
    size_t cols = str_columns(sig);
    if (width == 0 || cols <= width) return xstrdup(sig);
    struct targs *v;
    size_t n = targs_find(sig, &v), excess = cols - width;
    struct targs *t;
    while (excess > 0 && (t = targs_largest(v, n))) {
        size_t len = t->hi - t->lo, save = excess < len - 1 ? excess : len - 1;
        targs_cut(sig, t, save + 1); /* save + 1 bytes become the 1-column "…" */
        excess -= save;
    }
    char *out = targs_apply(sig, v, n);
    free(v);
    return out;
}
