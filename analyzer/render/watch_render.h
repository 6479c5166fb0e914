/* watch_render.h - the printers of `connleak watch` (docs/watch.md): the
 * live view of the last sample, and the final report as text or JSON. They
 * read the summary of watch_summary.h only; each finding is printed by the
 * per-finding renderers of run and report (render.h). */
#ifndef CONNLEAK_WATCH_RENDER_H
#define CONNLEAK_WATCH_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "watch/watch_summary.h"

/* The live view of the last sample; in_place: clear the screen first. */
void watch_live_text(FILE *out, const struct watch_report *r, bool in_place);
/* The final report. */
void watch_render_text(FILE *out, const struct watch_report *r);
void watch_render_json(FILE *out, const struct watch_report *r);

#endif
