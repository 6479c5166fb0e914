/* text_notes.c - the notes of the text report, grouped by kind: up to three
 * notes of one kind are printed as they are; more are one line with their
 * count and three examples ("cannot read 500 modules: No such file or
 * directory: their frames show the module only (/a.so, /b.so, /c.so, ...)").
 * A kind is a note's text without its subject (a module or trace path); the
 * JSON report keeps every note (docs/report-json.md). */
#include "render/text_internal.h"

#define NOTE_EXAMPLES 3

/* A note "PREFIX SUBJECT SEP REST": notes with the same prefix and rest are
 * one kind. `one`/`many` turn the rest plural (NULL: as it is). */
struct note_kind {
    const char *prefix, *sep, *noun, *one, *many;
};

static const struct note_kind note_kinds[] = {
    {"cannot read ", ": ", "modules", "its frames", "their frames"},
    {"no debug info for ", ": ", "modules", NULL, NULL},
    {"cannot symbolise ", ": ", "modules", NULL, NULL},
    {"", " changed since the run", "modules", NULL, NULL},
    {"", ": ", "traces", NULL, NULL}, /* "TRACE: ...", a path without spaces */
};

struct note_split {
    const struct note_kind *kind;
    size_t subject, subject_len; /* in the note */
    const char *rest;
};

static bool note_split(const char *note, struct note_split *out)
{
    for (size_t i = 0; i < sizeof(note_kinds) / sizeof(note_kinds[0]); i++) {
        const struct note_kind *k = &note_kinds[i];
        size_t np = strlen(k->prefix);
        if (strncmp(note, k->prefix, np) != 0) continue;
        const char *sep = strstr(note + np, k->sep);
        if (!sep || sep == note + np) continue;
        if (!*k->prefix && memchr(note, ' ', (size_t)(sep - note))) continue;
        *out = (struct note_split){k, np, (size_t)(sep - note) - np, sep};
        return true;
    }
    return false;
}

static bool same_kind(const struct note_split *a, const struct note_split *b)
{
    return a->kind == b->kind && strcmp(a->rest, b->rest) == 0;
}

/* The rest of a grouped note, made plural where the kind says how. */
static char *rest_plural(const struct note_split *s)
{
    const char *at = s->kind->one ? strstr(s->rest, s->kind->one) : NULL;
    if (!at) return xstrdup(s->rest);
    return xasprintf("%.*s%s%s", (int)(at - s->rest), s->rest, s->kind->many,
                     at + strlen(s->kind->one));
}

/* Per note: its split, and the first note of its kind (the group's leader)
 * with the group's size and first examples, found through a hash index so
 * that many notes stay linear. */
struct note_groups {
    struct note_split *sp;
    bool *has;
    size_t *leader, *count, (*ex)[NOTE_EXAMPLES];
};

static uint32_t kind_hash(const struct note_split *s)
{
    return (uint32_t)fnv1a64(FNV1A64_INIT ^ (uintptr_t)s->kind, s->rest, strlen(s->rest));
}

static void groups_build(struct note_groups *g, const struct strlist *notes)
{
    size_t n = notes->n;
    struct hindex index = {0};
    g->sp = xcalloc(n + 1, sizeof(*g->sp));
    g->has = xcalloc(n + 1, sizeof(*g->has));
    g->leader = xcalloc(n + 1, sizeof(*g->leader));
    g->count = xcalloc(n + 1, sizeof(*g->count));
    g->ex = xcalloc(n + 1, sizeof(*g->ex));
    for (size_t i = 0; i < n; i++) {
        g->leader[i] = i;
        if (!(g->has[i] = note_split(notes->v[i], &g->sp[i]))) continue;
        uint32_t h = kind_hash(&g->sp[i]);
        size_t cur = 0, j;
        while ((j = hindex_next(&index, h, &cur)) != SIZE_MAX && !same_kind(&g->sp[i], &g->sp[j]))
            ;
        if (j == SIZE_MAX) hindex_add(&index, h, i);
        size_t l = g->leader[i] = j == SIZE_MAX ? i : j;
        if (g->count[l] < NOTE_EXAMPLES) g->ex[l][g->count[l]] = i;
        g->count[l]++;
    }
    hindex_free(&index);
}

static void groups_free(struct note_groups *g)
{
    free(g->sp);
    free(g->has);
    free(g->leader);
    free(g->count);
    free(g->ex);
}

/* One line for the group led by note l. */
static void text_note_group(struct text *t, char **notes, const struct note_groups *g, size_t l)
{
    const struct note_split *s = &g->sp[l];
    struct strbuf sb = {0};
    char *rest = rest_plural(s);
    strbuf_addf(&sb, "%s%zu %s%s (", s->kind->prefix, g->count[l], s->kind->noun, rest);
    for (size_t i = 0; i < NOTE_EXAMPLES; i++) {
        size_t m = g->ex[l][i];
        strbuf_addf(&sb, "%s%.*s", i ? ", " : "", (int)g->sp[m].subject_len,
                    notes[m] + g->sp[m].subject);
    }
    strbuf_add(&sb, g->count[l] > NOTE_EXAMPLES ? ", ...)" : ")");
    char *line = strbuf_steal(&sb);
    fprintf(t->out, "note: %s\n", esc(t, line));
    free(line);
    free(rest);
}

void text_notes(struct text *t, const struct strlist *notes)
{
    struct note_groups g;
    groups_build(&g, notes);
    for (size_t i = 0; i < notes->n; i++) {
        size_t l = g.leader[i];
        if (g.count[l] <= NOTE_EXAMPLES)
            fprintf(t->out, "note: %s\n", esc(t, notes->v[i]));
        else if (l == i)
            text_note_group(t, notes->v, &g, l);
    }
    groups_free(&g);
}
