/* render.h - the printers of a report: text for a person, JSON for scripts
 * (docs/report-json.md). They only format: every number and every order is
 * decided by report_analyze. */
#ifndef CONNLEAK_RENDER_H
#define CONNLEAK_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/report.h"

struct cJSON;

/* What a renderer adds to a report in CI (all optional; NULL = nothing). */
struct filter;
struct render_opts {
    const struct filter *filter; /* what suppressions and the baseline took out */
    bool gen_suppressions;       /* text: a ready suppression rule after each finding */
    const char *source_root;     /* SARIF: paths relative to it (NULL: the current directory) */
    const char *suite;           /* JUnit: the testsuite's name (NULL: the program's) */
    unsigned columns;            /* text: fit stacks to this width (0: do not shorten) */
};

void render_text(FILE *out, const struct report *r, bool color);
void render_text_with(FILE *out, const struct report *r, bool color, const struct render_opts *ro);
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
struct cJSON *report_to_json_with(const struct report *r, const struct render_opts *ro);
void render_json_with(FILE *out, const struct report *r, const struct render_opts *ro);
/* Adds "suppressed", "stale_suppressions" and "baseline" to a JSON report
 * (render_filter.c). */
void filter_to_json(struct cJSON *o, const struct filter *flt);
/* SARIF 2.1.0 (render_sarif.c) and JUnit XML (render_junit.c): docs/ci.md. */
void render_sarif(FILE *out, const struct report *r, const struct render_opts *ro);
void render_junit(FILE *out, const struct report *r, const struct render_opts *ro);
/* One self-contained HTML page: findings, stacks, notes and SVG charts of
 * each process's samples (render_html.c, render_html_charts.c). */
void render_html(FILE *out, const struct report *r, const struct render_opts *ro);
/* A trend fit {slope_per_s, intercept, tau, z, p, n}, for watch_json.c too. */
struct trend_fit;
struct cJSON *trend_fit_json(const struct trend_fit *fit);
/* A JSON array of numbers; a number, or null unless ok and finite. */
struct cJSON *json_numbers(const double *v, size_t n);
void json_num_or_null(struct cJSON *o, const char *key, double v, bool ok);

#endif
