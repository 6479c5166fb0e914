/* render_filter.c - what the text and JSON reports say of the findings that
 * suppression rules and a baseline took out (filter/filter.h), and the
 * rule --gen-suppressions prints after each finding. Only printed when a
 * suppression file or a baseline was given: reports without them are
 * unchanged. */
#define _GNU_SOURCE
#include <cJSON.h>

#include "filter/filter.h"
#include "render/text_internal.h"

void text_gen_suppression(struct text *t, const struct finding *f)
{
    char *rule = supp_rule_text(f, "    "), *save = NULL;
    fputs("  to suppress it, add to a --suppressions file:\n", t->out);
    for (char *line = strtok_r(rule, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        fprintf(t->out, "%s\n", esc(t, line));
    free(rule);
}

static void text_rule(struct text *t, const struct supp_rule *r)
{
    fprintf(t->out, "%s (%s:%d)", esc(t, r->name), esc(t, r->path), r->line);
}

static void text_suppressed(struct text *t, const struct supp_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct supp_rule *r = &set->v[i];
        if (!r->findings) continue;
        fprintf(t->out, "connleak: suppressed %" PRIu64 " finding%s (count %" PRIu64 ") by rule ",
                r->findings, plural(r->findings, "", "s"), r->count);
        text_rule(t, r);
        fputc('\n', t->out);
    }
    size_t stale = 0;
    for (size_t i = 0; i < set->n; i++) stale += set->v[i].findings == 0;
    if (!stale) return;
    fprintf(t->out, "connleak: %zu stale suppression%s (matched nothing): ", stale,
            plural(stale, "", "s"));
    for (size_t i = 0, k = 0; i < set->n; i++) {
        if (set->v[i].findings) continue;
        if (k++) fputs(", ", t->out);
        text_rule(t, &set->v[i]);
    }
    fputc('\n', t->out);
}

void text_filtered(struct text *t, const struct filter *flt)
{
    fputc('\n', t->out);
    if (flt->have_supps) text_suppressed(t, &flt->supps);
    if (flt->baseline.path)
        fprintf(t->out,
                "connleak: %" PRIu64 " finding%s (count %" PRIu64 ") already in the baseline "
                "%s, not shown\n",
                flt->known, plural(flt->known, "", "s"), flt->known_count,
                esc(t, flt->baseline.path));
}

static cJSON *rule_json(const struct supp_rule *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "rule", r->name);
    cJSON_AddStringToObject(o, "file", r->path);
    cJSON_AddNumberToObject(o, "line", r->line);
    return o;
}

void filter_to_json(cJSON *o, const struct filter *flt)
{
    if (flt->have_supps) {
        cJSON *used = cJSON_AddArrayToObject(o, "suppressed");
        cJSON *stale = cJSON_AddArrayToObject(o, "stale_suppressions");
        for (size_t i = 0; i < flt->supps.n; i++) {
            const struct supp_rule *r = &flt->supps.v[i];
            cJSON *j = rule_json(r);
            if (!r->findings) {
                cJSON_AddItemToArray(stale, j);
                continue;
            }
            cJSON_AddNumberToObject(j, "findings", (double)r->findings);
            cJSON_AddNumberToObject(j, "count", (double)r->count);
            cJSON_AddItemToArray(used, j);
        }
    }
    if (flt->baseline.path) {
        cJSON *b = cJSON_AddObjectToObject(o, "baseline");
        cJSON_AddStringToObject(b, "file", flt->baseline.path);
        cJSON_AddNumberToObject(b, "known_findings", (double)flt->known);
        cJSON_AddNumberToObject(b, "known_count", (double)flt->known_count);
    }
}
