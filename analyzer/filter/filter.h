/* filter.h - what a CI keeps of a report: findings covered by a suppression
 * rule (suppress.h) or already in a baseline (an earlier JSON report) are
 * taken out, and counted, after report_analyze and before rendering. A
 * finding taken out does not count for --fail-on; the renderers say what
 * was taken out (render_with). */
#ifndef CONNLEAK_FILTER_H
#define CONNLEAK_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter/suppress.h"
#include "report/report.h"

/* A finding's baseline key, "KIND/FINGERPRINT" (e.g.
 * "orphaned-socket/9f2c51d07ab3e611"): the JSON report's kind and
 * fingerprint (module and function names of its stack, no lines), stable
 * across runs, rebuilds, ASLR and line shifts. The SARIF report's
 * partialFingerprints carry it too. */
#define BASELINE_KEY_LEN 64
void baseline_key(const struct finding *f, char *buf, size_t len);

/* The keys of an earlier JSON report. */
struct baseline {
    char *path;
    struct strlist keys; /* sorted */
};
/* Reads a JSON report (connleak run/report --format json, version 1). -1
 * with a one-line message in err. */
int baseline_load(struct baseline *b, const char *path, char *err, size_t errlen);
bool baseline_has(const struct baseline *b, const char *key);
void baseline_free(struct baseline *b);

struct filter {
    struct supp_set supps;       /* rules, in the order given */
    bool have_supps;             /* --suppressions or CONNLEAK_SUPPRESSIONS named a file */
    struct baseline baseline;    /* path NULL: no --baseline */
    uint64_t known, known_count; /* findings (and their counts) the baseline took out */
};

/* Takes out of r the findings a rule or the baseline covers, counting them
 * (rules first), and makes a report left without findings clean. */
void filter_apply(struct filter *flt, struct report *r);
void filter_free(struct filter *flt);

#endif
