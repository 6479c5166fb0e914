/* html_internal.h - what render_html.c and render_html_charts.c share: the
 * escaping writers (everything taken from a trace goes through them: URLs,
 * hosts, process and function names are untrusted) and the charts of a
 * process's samples. Internal to render/. */
#ifndef CONNLEAK_RENDER_HTML_INTERNAL_H
#define CONNLEAK_RENDER_HTML_INTERNAL_H

#include <stdio.h>

#include "report/report.h"

/* s as HTML text or a quoted attribute value: & < > " ' escaped, control
 * characters but \n and \t as '?'. NULL prints nothing. */
void html_put(FILE *out, const char *s);
/* printf, then html_put of the result. */
void html_printf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The SVG charts of every process with samples: open fds and tracked
 * sockets, and sockets by kernel TCP state (samples' `tcp`, `ktcp`
 * changes), over time (render_html_charts.c). */
void html_charts(FILE *out, const struct report *r);

#endif
