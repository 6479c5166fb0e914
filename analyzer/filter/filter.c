/* filter.c - takes suppressed and baseline findings out of a report, and
 * reads the baseline (an earlier JSON report). */
#define _GNU_SOURCE
#include "filter/filter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "util/util.h"

void baseline_key(const struct finding *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%016" PRIx64, kind_name(f->kind), f->fingerprint);
}

static char *file_read(const char *path, char *err, size_t errlen)
{
    char *text = text_file_read(path);
    if (!text && errno == EILSEQ)
        snprintf(err, errlen, "%s: not a JSON report (connleak --format json)", path);
    else if (!text)
        snprintf(err, errlen, "%s: cannot read the baseline: %s", path, strerror(errno));
    return text;
}

/* The findings of a JSON report as keys; -1 when it is not one. */
static int keys_collect(struct baseline *b, const cJSON *doc, char *err, size_t errlen)
{
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "report_version");
    const cJSON *findings = cJSON_GetObjectItemCaseSensitive(doc, "findings");
    if (!cJSON_IsNumber(version) || !cJSON_IsArray(findings)) {
        snprintf(err, errlen, "%s: not a connleak JSON report (no report_version, findings)",
                 b->path);
        return -1;
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, findings)
    {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "kind"));
        const char *fp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "fingerprint"));
        if (!kind || !fp) {
            snprintf(err, errlen, "%s: a finding without kind or fingerprint", b->path);
            return -1;
        }
        strlist_push(&b->keys, xasprintf("%s/%s", kind, fp));
    }
    strlist_sort(&b->keys);
    return 0;
}

int baseline_load(struct baseline *b, const char *path, char *err, size_t errlen)
{
    memset(b, 0, sizeof(*b));
    b->path = xstrdup(path);
    char *text = file_read(path, err, errlen);
    if (!text) return -1;
    cJSON *doc = cJSON_Parse(text);
    free(text);
    int rc = -1;
    if (!cJSON_IsObject(doc))
        snprintf(err, errlen, "%s: not a JSON report (connleak --format json)", path);
    else
        rc = keys_collect(b, doc, err, errlen);
    cJSON_Delete(doc);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool baseline_has(const struct baseline *b, const char *key)
{
    return search_n(&key, b->keys.v, b->keys.n, sizeof(*b->keys.v), cmp_str) != NULL;
}

void baseline_free(struct baseline *b)
{
    free(b->path);
    strlist_free(&b->keys);
    memset(b, 0, sizeof(*b));
}

/* True when f is to be taken out (and counted where it goes). */
static bool filter_takes(struct filter *flt, const struct finding *f)
{
    struct supp_rule *rule = supp_find(&flt->supps, f);
    if (rule) {
        rule->findings++;
        rule->count += f->count;
        return true;
    }
    char key[BASELINE_KEY_LEN];
    baseline_key(f, key, sizeof(key));
    if (flt->baseline.path && baseline_has(&flt->baseline, key)) {
        flt->known++;
        flt->known_count += f->count;
        return true;
    }
    return false;
}

void filter_apply(struct filter *flt, struct report *r)
{
    struct findings *fs = &r->findings;
    size_t kept = 0;
    for (size_t i = 0; i < fs->n; i++) {
        if (filter_takes(flt, &fs->v[i])) {
            finding_free(&fs->v[i]);
            continue;
        }
        if (kept != i) fs->v[kept] = fs->v[i];
        kept++;
    }
    fs->n = kept;
    hindex_free(&fs->index); /* findings moved */
    fs->nindexed = 0;
    if (r->status == STATUS_LEAKS && fs->n == 0) r->status = STATUS_CLEAN;
}

void filter_free(struct filter *flt)
{
    supp_set_free(&flt->supps);
    baseline_free(&flt->baseline);
    memset(flt, 0, sizeof(*flt));
}
