/* suppress.c - suppression rules: the file parser, the matcher (globs,
 * "..." frame gaps, peers) and the rule generator (--gen-suppressions).
 * The format is described in suppress.h and docs/suppressions.md. */
#define _GNU_SOURCE
#include "filter/suppress.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/stackfmt.h"
#include "util/util.h"

/* ---- matching ------------------------------------------------------- */

bool supp_glob(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*') p++;
    return *p == '\0';
}

/* A file or module pattern: the whole path when it has a '/', else the
 * basename. A NULL value matches only '*'. */
static bool path_matches(const char *pattern, const char *path)
{
    if (!pattern) return true;
    if (!path) return strcmp(pattern, "*") == 0;
    return supp_glob(pattern, strchr(pattern, '/') ? path : path_basename(path));
}

static bool frame_matches(const struct supp_frame *p, const struct frame *f)
{
    if (p->function &&
        !(f->function ? supp_glob(p->function, f->function) : strcmp(p->function, "*") == 0))
        return false;
    return path_matches(p->file, f->file) && path_matches(p->module, f->module);
}

static bool frames_match(const struct supp_frame *p, size_t np, const struct frame *f, size_t nf)
{
    if (np == 0) return true; /* a prefix: the frames after it are not looked at */
    if (p->gap) {
        for (size_t k = 0; k <= nf; k++)
            if (frames_match(p + 1, np - 1, f + k, nf - k)) return true;
        return false;
    }
    return nf > 0 && frame_matches(p, f) && frames_match(p + 1, np - 1, f + 1, nf - 1);
}

static bool peers_match(const char *pattern, const struct peer_count *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!v[i].peer || !supp_glob(pattern, v[i].peer)) return false;
    return n > 0;
}

bool supp_rule_matches(const struct supp_rule *rule, const struct finding *f)
{
    if (!(rule->kinds & (1u << f->kind))) return false;
    if (rule->peer && !(f->npeers ? peers_match(rule->peer, f->peers, f->npeers)
                                  : peers_match(rule->peer, f->hosts, f->nhosts)))
        return false;
    return frames_match(rule->frames, rule->nframes, f->stack.v, f->stack.n);
}

struct supp_rule *supp_find(struct supp_set *set, const struct finding *f)
{
    for (size_t i = 0; i < set->n; i++)
        if (supp_rule_matches(&set->v[i], f)) return &set->v[i];
    return NULL;
}

/* ---- parsing -------------------------------------------------------- */

struct parser {
    struct supp_set *set;
    const char *path;
    int line;
    char *err;
    size_t errlen;
};

PRINTF_LIKE(2, 3) static int parse_error(struct parser *ps, const char *fmt, ...)
{
    int n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->path, ps->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < ps->errlen) vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static struct supp_rule *current(struct parser *ps)
{
    return ps->set->n ? &ps->set->v[ps->set->n - 1] : NULL;
}

/* A comma list of kinds, 'leak' or 'any', into a bitmask (0 when bad). */
static unsigned kinds_parse(const char *list)
{
    char *copy = xstrdup(list), *save = NULL;
    unsigned mask = 0;
    for (char *k = strtok_r(copy, ", \t", &save); k; k = strtok_r(NULL, ", \t", &save)) {
        int kind = kind_parse(k);
        if (strcmp(k, "leak") == 0)
            mask |= KINDS_LEAK;
        else if (strcmp(k, "any") == 0)
            mask |= (1u << KIND_COUNT) - 1;
        else if (kind >= 0)
            mask |= 1u << kind;
        else {
            mask = 0;
            break;
        }
    }
    free(copy);
    return mask;
}

static bool name_valid(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
              strchr("-_.:/", *s)))
            return false;
    return true;
}

/* "frame FUNC [file=P] [module=P]": trailing file= and module= words are
 * fields, the rest is the function pattern (demangled names hold spaces). */
static int parse_frame(struct parser *ps, struct supp_rule *r, char *rest)
{
    struct supp_frame fr = {0};
    char *end = rest + strlen(rest);
    for (;;) {
        while (end > rest && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        char *word = end;
        while (word > rest && word[-1] != ' ' && word[-1] != '\t') word--;
        char **field = str_has_prefix(word, "file=")     ? &fr.file
                       : str_has_prefix(word, "module=") ? &fr.module
                                                         : NULL;
        if (!field || word == rest) break;
        const char *value = strchr(word, '=') + 1;
        if (*field || !*value) {
            free(fr.file);
            free(fr.module);
            return parse_error(ps, "frame: empty or repeated '%.*s'", (int)(value - word), word);
        }
        *field = xstrdup(value);
        end = word;
    }
    if (!*rest || str_has_prefix(rest, "file=") || str_has_prefix(rest, "module=")) {
        free(fr.file);
        free(fr.module);
        return parse_error(ps, "frame needs a function pattern first ('*' for any)");
    }
    fr.function = xstrdup(rest);
    ALLOC_GROW(r->frames, r->nframes + 1, r->capframes);
    r->frames[r->nframes++] = fr;
    return 0;
}

static int parse_rule_start(struct parser *ps, const char *name)
{
    struct supp_rule *prev = current(ps);
    if (prev && !prev->kinds) {
        ps->line = prev->line;
        return parse_error(ps, "rule '%s' has no 'kind' line", prev->name);
    }
    if (!name_valid(name))
        return parse_error(ps, "bad rule name '%s' (letters, digits, - _ . : /)", name);
    ALLOC_GROW(ps->set->v, ps->set->n + 1, ps->set->cap);
    ps->set->v[ps->set->n++] =
        (struct supp_rule){.name = xstrdup(name), .path = xstrdup(ps->path), .line = ps->line};
    return 0;
}

static int parse_keyword(struct parser *ps, const char *key, char *rest)
{
    if (strcmp(key, "rule") == 0) return parse_rule_start(ps, rest);
    struct supp_rule *r = current(ps);
    if (!r) return parse_error(ps, "'%s' before the first 'rule NAME' line", key);
    if (strcmp(key, "...") == 0) {
        if (*rest) return parse_error(ps, "'...' takes nothing after it");
        ALLOC_GROW(r->frames, r->nframes + 1, r->capframes);
        r->frames[r->nframes++] = (struct supp_frame){.gap = true};
        return 0;
    }
    if (strcmp(key, "comment") == 0) return 0;
    if (strcmp(key, "frame") == 0) return parse_frame(ps, r, rest);
    if (strcmp(key, "kind") == 0) {
        if (r->kinds) return parse_error(ps, "a second 'kind' line in rule '%s'", r->name);
        r->kinds = kinds_parse(rest);
        return r->kinds ? 0
                        : parse_error(ps,
                                      "bad kind '%s': kinds such as orphaned-socket, "
                                      "'leak' or 'any'",
                                      rest);
    }
    if (strcmp(key, "peer") == 0) {
        if (r->peer || !*rest) return parse_error(ps, "'peer' needs one pattern, once per rule");
        r->peer = xstrdup(rest);
        return 0;
    }
    return parse_error(ps, "unknown keyword '%s' (rule, kind, comment, peer, frame, ...)", key);
}

static int parse_line(struct parser *ps, char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) s[--len] = 0;
    if (!*s || *s == '#') return 0;
    char *rest = s + strcspn(s, " \t");
    if (*rest) *rest++ = '\0';
    while (*rest == ' ' || *rest == '\t') rest++;
    return parse_keyword(ps, s, rest);
}

int supp_parse(struct supp_set *set, const char *path, const char *text, char *err, size_t errlen)
{
    struct parser ps = {set, path, 0, err, errlen};
    size_t first = set->n;
    char *copy = xstrdup(text), *save = copy;
    int rc = 0;
    for (char *nl; rc == 0 && save; save = nl) {
        nl = strchr(save, '\n');
        if (nl) *nl++ = '\0';
        ps.line++;
        rc = parse_line(&ps, save);
    }
    struct supp_rule *last = current(&ps);
    if (rc == 0 && last && set->n > first && !last->kinds) {
        ps.line = last->line;
        rc = parse_error(&ps, "rule '%s' has no 'kind' line", last->name);
    }
    free(copy);
    return rc;
}

int supp_load(struct supp_set *set, const char *path, char *err, size_t errlen)
{
    char *text = text_file_read(path);
    if (!text && errno == EILSEQ) {
        snprintf(err, errlen, "%s: not a text file", path);
        return -1;
    }
    if (!text) {
        snprintf(err, errlen, "%s: cannot read the suppressions: %s", path, strerror(errno));
        return -1;
    }
    int rc = supp_parse(set, path, text, err, errlen);
    free(text);
    return rc;
}

/* ---- generating ----------------------------------------------------- */

/* The frames a generated rule names: the stack from its innermost frame to
 * the top frame (the program's own) and its caller; all when no top. */
static size_t gen_nframes(const struct frames *s)
{
    size_t n = s->top >= 0 ? (size_t)s->top + 2 : s->n;
    return n < s->n ? n : s->n;
}

static void gen_frame(struct strbuf *sb, const char *indent, const struct frame *f)
{
    strbuf_addf(sb, "%sframe %s", indent, f->function ? f->function : "*");
    if (f->file)
        strbuf_addf(sb, " file=%s", path_basename(f->file));
    else if (f->module)
        strbuf_addf(sb, " module=%s", path_basename(f->module));
    strbuf_add(sb, "\n");
}

char *supp_rule_text(const struct finding *f, const char *indent)
{
    struct strbuf sb = {0};
    char *where = frames_where(&f->stack);
    strbuf_addf(&sb, "%srule %s-%08" PRIx64 "\n", indent, kind_name(f->kind), f->fingerprint >> 32);
    strbuf_addf(&sb, "%scomment generated by connleak from a finding at %s\n", indent, where);
    strbuf_addf(&sb, "%skind %s\n", indent, kind_name(f->kind));
    size_t n = gen_nframes(&f->stack);
    for (size_t i = 0; i < n; i++) gen_frame(&sb, indent, &f->stack.v[i]);
    if (f->outside && f->npeers && f->peers[0].peer) /* no stack: the peer says which */
        strbuf_addf(&sb, "%speer %s\n", indent, f->peers[0].peer);
    free(where);
    return strbuf_steal(&sb);
}

void supp_set_free(struct supp_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        struct supp_rule *r = &set->v[i];
        for (size_t j = 0; j < r->nframes; j++) {
            free(r->frames[j].function);
            free(r->frames[j].file);
            free(r->frames[j].module);
        }
        free(r->frames);
        free(r->name);
        free(r->path);
        free(r->peer);
    }
    free(set->v);
    memset(set, 0, sizeof(*set));
}
