/* report_diff.c - `connleak report --diff OLD.json NEW.json`: which
 * findings of two JSON reports are new, fixed or still present, matched on
 * the baseline key (kind and fingerprint: filter/filter.h). With --fail-on,
 * new findings of those kinds (or a NEW report that saw nothing) give the
 * --error-exitcode. */
#define _GNU_SOURCE
#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ci.h"
#include "cli/emit.h"
#include "model/findings.h"
#include "util/util.h"

enum { DIFF_NEW, DIFF_FIXED, DIFF_SAME, DIFF_COUNT };
static const char *const diff_names[DIFF_COUNT] = {"new", "fixed", "still_present"};
static const char *const diff_labels[DIFF_COUNT] = {"new", "fixed", "still present"};

static cJSON *report_read(const char *path)
{
    char *text = text_file_read(path);
    if (!text && errno != EILSEQ) {
        fprintf(stderr, "connleak: cannot read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (cJSON_IsObject(doc) &&
        cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "report_version")) &&
        cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "findings")))
        return doc;
    fprintf(stderr, "connleak: %s: not a connleak JSON report (--format json)\n", path);
    cJSON_Delete(doc);
    return NULL;
}

static const char *str_of(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* True when the findings array has one with f's kind and fingerprint. */
static bool has_key(const cJSON *findings, const cJSON *f)
{
    const char *kind = str_of(f, "kind"), *fp = str_of(f, "fingerprint");
    const cJSON *g;
    cJSON_ArrayForEach(g, findings)
    {
        const char *k = str_of(g, "kind"), *p = str_of(g, "fingerprint");
        if (kind && fp && k && p && strcmp(kind, k) == 0 && strcmp(fp, p) == 0) return true;
    }
    return false;
}

/* "function (file:line)" of a JSON finding's top frame (else first). */
static void where_of(const cJSON *f, char *buf, size_t len)
{
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(f, "top_frame");
    if (!cJSON_IsObject(top)) top = cJSON_GetArrayItem(cJSON_GetObjectItem(f, "stack"), 0);
    const char *fn = top ? str_of(top, "function") : NULL, *file = top ? str_of(top, "file") : 0;
    const cJSON *line = top ? cJSON_GetObjectItemCaseSensitive(top, "line") : NULL;
    if (fn && file && cJSON_IsNumber(line))
        snprintf(buf, len, "%s (%s:%d)", fn, path_basename(file), line->valueint);
    else
        snprintf(buf, len, "%s", fn ? fn : "an unknown place");
}

static void diff_text(FILE *out, cJSON *sets[DIFF_COUNT], const char *old, const char *new)
{
    fprintf(out, "connleak: %s -> %s: %d new, %d fixed, %d still present\n", old, new,
            cJSON_GetArraySize(sets[DIFF_NEW]), cJSON_GetArraySize(sets[DIFF_FIXED]),
            cJSON_GetArraySize(sets[DIFF_SAME]));
    for (int d = 0; d < DIFF_COUNT; d++) {
        const cJSON *f;
        cJSON_ArrayForEach(f, sets[d])
        {
            char where[512];
            where_of(f, where, sizeof(where));
            const cJSON *count = cJSON_GetObjectItemCaseSensitive(f, "count");
            char *line = xasprintf(
                "  %-14s %s (count %.0f) at %s [%s]", diff_labels[d], str_of(f, "kind"),
                cJSON_IsNumber(count) ? count->valuedouble : 0, where, str_of(f, "fingerprint"));
            char *safe = str_escape_controls(line);
            fprintf(out, "%s\n", safe);
            free(safe);
            free(line);
        }
    }
}

/* The exit code: --error-exitcode when a new finding is of a --fail-on
 * kind, or when NEW saw nothing (not observable, no trace). */
static int diff_code(const struct options *o, const cJSON *news, const cJSON *new_doc)
{
    if (!o->fail_on) return 0;
    const char *status = str_of(new_doc, "status");
    if (status && (strcmp(status, "not-observable") == 0 || strcmp(status, "no-trace") == 0))
        return o->error_exitcode;
    const cJSON *f;
    cJSON_ArrayForEach(f, news)
    {
        int kind = str_of(f, "kind") ? kind_parse(str_of(f, "kind")) : -1;
        if (kind < 0 || (o->fail_on & (1u << kind))) return o->error_exitcode;
    }
    return 0;
}

static void diff_fill(cJSON *sets[DIFF_COUNT], const cJSON *olds, const cJSON *news)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, news) cJSON_AddItemToArray(sets[has_key(olds, f) ? DIFF_SAME : DIFF_NEW],
                                                     cJSON_Duplicate(f, true));
    cJSON_ArrayForEach(f, olds) if (!has_key(news, f))
        cJSON_AddItemToArray(sets[DIFF_FIXED], cJSON_Duplicate(f, true));
}

static int diff_print(const struct options *o, cJSON *sets[DIFF_COUNT])
{
    struct output out;
    if (output_open(&out, o) < 0) return -1;
    if (o->format == FORMAT_JSON) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, "report_version", 1);
        cJSON_AddStringToObject(doc, "old_report", o->args[0]);
        cJSON_AddStringToObject(doc, "new_report", o->args[1]);
        for (int d = 0; d < DIFF_COUNT; d++)
            cJSON_AddItemReferenceToObject(doc, diff_names[d], sets[d]);
        char *s = cJSON_Print(doc);
        if (s) fprintf(out.f, "%s\n", s);
        free(s);
        cJSON_Delete(doc);
    } else {
        diff_text(out.f, sets, o->args[0], o->args[1]);
    }
    bool bad = fflush(out.f) != 0 || ferror(out.f);
    return output_close(&out) == 0 && !bad ? 0 : -1;
}

int ci_diff(const struct options *o)
{
    if (o->nargs != 2 || (o->format != FORMAT_TEXT && o->format != FORMAT_JSON)) {
        fputs("connleak: report --diff needs OLD.json NEW.json (and --format text or json)\n",
              stderr);
        return EXIT_TOOL;
    }
    cJSON *old_doc = report_read(o->args[0]), *new_doc = old_doc ? report_read(o->args[1]) : 0;
    if (!new_doc) {
        cJSON_Delete(old_doc);
        return EXIT_TOOL;
    }
    cJSON *sets[DIFF_COUNT];
    for (int d = 0; d < DIFF_COUNT; d++) sets[d] = cJSON_CreateArray();
    diff_fill(sets, cJSON_GetObjectItemCaseSensitive(old_doc, "findings"),
              cJSON_GetObjectItemCaseSensitive(new_doc, "findings"));
    int rc = diff_print(o, sets) == 0 ? diff_code(o, sets[DIFF_NEW], new_doc) : EXIT_TOOL;
    if (rc == EXIT_TOOL) fputs("connleak: could not write the diff\n", stderr);
    for (int d = 0; d < DIFF_COUNT; d++) cJSON_Delete(sets[d]);
    cJSON_Delete(old_doc);
    cJSON_Delete(new_doc);
    return rc;
}
