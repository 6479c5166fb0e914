/* text_internal.h - what render_text.c, render_text_kinds.c and text_notes.c share: the
 * text writer (struct text: stream, colour, escaped-string ring) and their
 * helpers. Internal to render/. */
#ifndef CONNLEAK_RENDER_TEXT_INTERNAL_H
#define CONNLEAK_RENDER_TEXT_INTERNAL_H

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "symbols/demangle.h"
#include "symbols/stackfmt.h"
#include "util/trend.h"
#include "util/util.h"

#define MAX_PEERS    5
#define MAX_FDS      8
#define MAX_PIDS     6
#define MAX_TESTS    3 /* tests named on a finding's line; the count says the rest */
#define MAX_FUNC_COL 48

#define STYLE_KIND  "\033[1;31m"
#define STYLE_USER  "\033[1m"
#define STYLE_LIB   "\033[2m"
#define STYLE_RESET "\033[0m"
#define ESC_RING    8 /* escaped strings alive at once (a few per printf) */

struct text {
    FILE *out;
    bool color;
    unsigned columns; /* the terminal's width, stacks are fitted to; 0: no limit */
    char *ring[ESC_RING];
    unsigned next;
};

/* render_filter.c: --gen-suppressions, and what suppressions and the
 * baseline took out */
struct filter;
void text_gen_suppression(struct text *t, const struct finding *f);
void text_filtered(struct text *t, const struct filter *flt);

/* render_text.c */
const char *esc(struct text *t, const char *s);
const char *plural(uint64_t n, const char *one, const char *many);
void bytes_fmt(uint64_t b, char *buf, size_t n);
void ms_fmt(uint64_t ms, char *buf, size_t n);
void range_fmt(uint64_t min_ns, uint64_t max_ns, char *buf, size_t n);
void text_peers(struct text *t, const struct finding *f);
void text_unread(struct text *t, uint64_t n);

/* render_text_kinds.c */
void text_body(struct text *t, const struct finding *f, const char *where);
void text_missing_close(struct text *t, const struct finding *f, const char *where);
void text_reuse(struct text *t, const struct finding *f, const char *where);
void text_handles(struct text *t, const struct finding *f, const char *where);
void text_orphan_http(struct text *t, const struct finding *f);
const char *when_of(const struct finding *f, char *buf, size_t n);
void text_closewait(struct text *t, const struct finding *f, const char *where);
void text_timewait(struct text *t, const struct finding *f, const char *where);
void text_growth(struct text *t, const struct finding *f);
void text_pool(struct text *t, const struct finding *f);
extern const char *const advice[KIND_COUNT];

/* text_notes.c */
void text_notes(struct text *t, const struct strlist *notes);

#endif
