/* render.h - the printers of a report: text for a person, JSON for scripts
 * (docs/report-json.md). They only format: every number and every order is
 * decided by report_analyze. */
#ifndef CONNLEAK_RENDER_H
#define CONNLEAK_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/report.h"

struct cJSON;

void render_text(FILE *out, const struct report *r, bool color);
/* One finding's block, as render_text prints it (for `connleak watch` too). */
void render_text_finding(FILE *out, const struct finding *f, bool color);
/* The same with the stacks fitted to a terminal `columns` wide: long C++ and
 * Rust signatures lose the middle of their template arguments ("…"), never
 * a name. 0: nothing is shortened (a file, a pipe). */
void render_text_fit(FILE *out, const struct report *r, bool color, unsigned columns);

/* The report as a cJSON tree (the caller deletes it). */
struct cJSON *report_to_json(const struct report *r);
/* One finding, as report_to_json writes it (for `connleak watch` too). */
struct cJSON *finding_to_json(const struct finding *f);
void render_json(FILE *out, const struct report *r);
/* A trend fit {slope_per_s, intercept, tau, z, p, n}, for watch_json.c too. */
struct trend_fit;
struct cJSON *trend_fit_json(const struct trend_fit *fit);
/* A JSON array of numbers; a number, or null unless ok and finite. */
struct cJSON *json_numbers(const double *v, size_t n);
void json_num_or_null(struct cJSON *o, const char *key, double v, bool ok);

#endif
