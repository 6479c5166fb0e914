/* ci.c - the CI flags: loading suppressions and the baseline before
 * anything runs (a bad file is exit 125 before the program starts), then
 * filtering and printing the report in every format asked for. */
#define _GNU_SOURCE
#include "cli/ci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/emit.h"
#include "filter/filter.h"
#include "render/render.h"
#include "util/util.h"

int format_parse(const char *s, enum out_format *out)
{
    static const char *const names[FORMAT_COUNT] = {"text", "json", "sarif", "junit", "html"};
    for (int i = 0; i < FORMAT_COUNT; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum out_format)i;
            return 0;
        }
    return -1;
}

int ci_opt_value(struct options *o, const char *name, int which, const char *v)
{
    if (!*v) return options_bad_value(name, v, "a file name");
    switch (which) {
    case CI_OPT_SUPPRESSIONS:
        o->suppressions[o->nsuppressions++] = v;
        break;
    case CI_OPT_GEN:
        o->gen_suppressions_file = v;
        break;
    case CI_OPT_BASELINE:
        o->baseline = v;
        break;
    case CI_OPT_SOURCE_ROOT:
        o->source_root = v;
        break;
    case CI_OPT_JSON:
        o->also[FORMAT_JSON] = v;
        break;
    case CI_OPT_SARIF:
        o->also[FORMAT_SARIF] = v;
        break;
    case CI_OPT_JUNIT:
        o->also[FORMAT_JUNIT] = v;
        break;
    case CI_OPT_HTML:
        o->also[FORMAT_HTML] = v;
        break;
    default:
        break;
    }
    return 0;
}

static int supp_add(struct filter *flt, const char *path)
{
    char err[512];
    flt->have_supps = true;
    if (supp_load(&flt->supps, path, err, sizeof(err)) == 0) return 0;
    fprintf(stderr, "connleak: %s\n", err);
    return -1;
}

/* CONNLEAK_SUPPRESSIONS: a colon list of files; empty items are skipped. */
static int supp_env(struct filter *flt)
{
    const char *env = getenv("CONNLEAK_SUPPRESSIONS");
    if (!env || !*env) return 0;
    char *copy = xstrdup(env), *save = NULL;
    int rc = 0;
    for (char *p = strtok_r(copy, ":", &save); p && rc == 0; p = strtok_r(NULL, ":", &save))
        rc = supp_add(flt, p);
    free(copy);
    return rc;
}

int ci_load(struct options *o)
{
    o->filter = xcalloc(1, sizeof(*o->filter));
    if (supp_env(o->filter) < 0) return -1;
    for (int i = 0; i < o->nsuppressions; i++)
        if (supp_add(o->filter, o->suppressions[i]) < 0) return -1;
    if (o->baseline) {
        char err[512];
        if (baseline_load(&o->filter->baseline, o->baseline, err, sizeof(err)) < 0) {
            fprintf(stderr, "connleak: %s\n", err);
            return -1;
        }
    }
    if (o->diff && (o->baseline || o->nsuppressions)) {
        fputs("connleak: --diff compares two JSON reports: no --baseline or --suppressions\n",
              stderr);
        return -1;
    }
    return 0;
}

void ci_free(struct options *o)
{
    if (!o->filter) return;
    filter_free(o->filter);
    free(o->filter);
    o->filter = NULL;
}

static bool filtering(const struct options *o)
{
    return o->filter && (o->filter->have_supps || o->filter->baseline.path);
}

void ci_filter(const struct options *o, struct report *r)
{
    if (filtering(o)) filter_apply(o->filter, r);
}

void ci_render(FILE *f, enum out_format fmt, const struct options *o, const struct report *r,
               bool color)
{
    struct render_opts ro = {
        .filter = filtering(o) ? o->filter : NULL,
        .gen_suppressions = o->gen_suppressions,
        .source_root = o->source_root,
        .columns = fmt == FORMAT_TEXT ? output_columns(f) : 0,
    };
    switch (fmt) {
    case FORMAT_JSON:
        render_json_with(f, r, &ro);
        break;
    case FORMAT_SARIF:
        render_sarif(f, r, &ro);
        break;
    case FORMAT_JUNIT:
        render_junit(f, r, &ro);
        break;
    case FORMAT_HTML:
        render_html(f, r, &ro);
        break;
    default:
        render_text_with(f, r, color, &ro);
        break;
    }
}

static int file_write(const char *path, const char *what, int (*fn)(FILE *, const void *),
                      const void *arg)
{
    FILE *f = fopen(path, "we");
    if (!f) {
        fprintf(stderr, "connleak: cannot write the %s '%s': %s\n", what, path, strerror(errno));
        return -1;
    }
    int rc = fn(f, arg);
    if (ferror(f) || rc < 0) rc = -1;
    if (fclose(f) != 0) rc = -1;
    if (rc < 0) fprintf(stderr, "connleak: could not write the %s '%s'\n", what, path);
    return rc;
}

/* One rule per finding; findings that would get the same rule (two call
 * sites in one function: the same kind and fingerprint) get it once, else
 * the second copy would always be listed as stale. */
static int gen_all(FILE *f, const void *arg)
{
    const struct report *r = arg;
    struct strlist seen = {0};
    fputs("# connleak suppressions (docs/suppressions.md), one rule per finding\n", f);
    for (size_t i = 0; i < r->findings.n; i++) {
        char key[BASELINE_KEY_LEN];
        baseline_key(&r->findings.v[i], key, sizeof(key));
        if (strlist_contains(&seen, key)) continue;
        strlist_push(&seen, xstrdup(key));
        char *rule = supp_rule_text(&r->findings.v[i], "");
        fprintf(f, "\n%s", rule);
        free(rule);
    }
    strlist_free(&seen);
    return 0;
}

struct also {
    enum out_format fmt;
    const struct options *o;
    const struct report *r;
};

static int also_write(FILE *f, const void *arg)
{
    const struct also *a = arg;
    ci_render(f, a->fmt, a->o, a->r, false);
    return 0;
}

int ci_write_files(const struct options *o, const struct report *r)
{
    static const char *const what[FORMAT_COUNT] = {"text report", "JSON report", "SARIF report",
                                                   "JUnit report", "HTML report"};
    for (int i = 0; i < FORMAT_COUNT; i++) {
        struct also a = {(enum out_format)i, o, r};
        if (o->also[i] && file_write(o->also[i], what[i], also_write, &a) < 0) return -1;
    }
    if (o->gen_suppressions_file &&
        file_write(o->gen_suppressions_file, "suppressions", gen_all, r) < 0)
        return -1;
    return 0;
}
