/* watch_text.c - `connleak watch` for a person (docs/watch.md): the live
 * view of the last sample (redrawn in place on a terminal), and the final
 * report: a header line (process, samples, how the watch ended), then one
 * block per finding printed as run and report print it
 * (render_text_finding), or one line saying there is none. It reads the
 * summary of watch_summary.h only. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "render/watch_render.h"
#include "sockdiag.h" /* TCP_ESTABLISHED ..., sockdiag_state_name */
#include "util/trend.h"

#define SPARK_WIDTH 40
#define LIVE_PEERS  10

static void human_bytes(char *out, size_t outsz, uint64_t n)
{
    if (n < 1024)
        snprintf(out, outsz, "%" PRIu64 " B", n);
    else if (n < 1024 * 1024)
        snprintf(out, outsz, "%.1f KiB", (double)n / 1024);
    else
        snprintf(out, outsz, "%.1f MiB", (double)n / (1024 * 1024));
}

static void human_seconds(char *out, size_t outsz, double s)
{
    if (s < 60)
        snprintf(out, outsz, "%.1f s", s);
    else if (s < 3600)
        snprintf(out, outsz, "%.1f min", s / 60);
    else if (s < 86400 * 2)
        snprintf(out, outsz, "%.1f h", s / 3600);
    else
        snprintf(out, outsz, "%.1f days", s / 86400);
}

static void live_header(FILE *out, const struct watch_report *r)
{
    const struct watch_summary *s = &r->s;
    char spark[SPARK_WIDTH * 3 + 1], lim[32] = "no limit";
    trend_sparkline(s->fds, s->npts, SPARK_WIDTH, spark, sizeof(spark));
    if (s->nofile > 0) snprintf(lim, sizeof(lim), "limit %ld", s->nofile);
    fprintf(out, "connleak watch: pid %d (%s) · %.1f s · %u sample%s every %d ms\n", r->pid,
            r->comm_text, s->duration_s, s->nsamples, s->nsamples == 1 ? "" : "s", r->interval_ms);
    fprintf(out, "fds %d (%s) %s · %zu socket%s · tcp:", s->fds_last, lim, spark, s->nsock_last,
            s->nsock_last == 1 ? "" : "s");
    int shown = 0;
    for (int st = 1; st < WATCH_NSTATES; st++)
        if (s->totals[st])
            fprintf(out, "%s %u %s", shown++ ? "," : "", s->totals[st], sockdiag_state_name(st));
    fputs(shown ? "\n" : " none\n", out);
}

static void live_peer(FILE *out, const struct watch_peer_row *p)
{
    char unread[32];
    const uint32_t *c = p->states;
    uint32_t other = p->total - c[TCP_ESTABLISHED] - c[TCP_CLOSE_WAIT] - c[TCP_TIME_WAIT];
    human_bytes(unread, sizeof(unread), p->unread);
    fprintf(out, "  %-32s %6u %11u %10u %6u %10s\n", p->label, c[TCP_ESTABLISHED],
            c[TCP_CLOSE_WAIT], c[TCP_TIME_WAIT], other, unread);
}

void watch_live_text(FILE *out, const struct watch_report *r, bool in_place)
{
    const struct watch_summary *s = &r->s;
    if (in_place) fputs("\033[H\033[2J", out);
    live_header(out, r);
    if (s->diag_err) {
        fprintf(out, "  (no TCP states: sock_diag failed: %s)\n", strerror(-s->diag_err));
        return;
    }
    size_t n = 0; /* the rows with sockets now come first */
    while (n < s->npeers && s->peers[n].total) n++;
    if (n) {
        fprintf(out, "  %-32s %6s %11s %10s %6s %10s\n", "PEER", "ESTAB", "CLOSE_WAIT", "TIME_WAIT",
                "OTHER", "UNREAD");
        for (size_t i = 0; i < n && i < LIVE_PEERS; i++) live_peer(out, &s->peers[i]);
        if (n > LIVE_PEERS) fprintf(out, "  ... and %zu more peers\n", n - LIVE_PEERS);
    }
    if (in_place) fputs("(Ctrl-C ends the watch and prints the report)\n", out);
}

/* ---- the final report ----------------------------------------------- */

static void header_text(FILE *out, const struct watch_report *r)
{
    const struct watch_summary *s = &r->s;
    char span[32];
    human_seconds(span, sizeof(span), s->duration_s);
    fprintf(out, "connleak watch: pid %d (%s), %u sample%s over %s, ", r->pid, r->comm_text,
            s->nsamples, s->nsamples == 1 ? "" : "s", span);
    if (r->has_program && r->end == END_EXITED && r->signal)
        fprintf(out, "ended: it was killed by signal %d\n", r->signal);
    else if (r->has_program && r->end == END_EXITED)
        fprintf(out, "ended: it exited with status %d\n", r->exit_code);
    else
        fprintf(out, "ended: %s\n", watch_end_name(r->end));
}

void watch_render_text(FILE *out, const struct watch_report *r)
{
    const struct watch_summary *s = &r->s;
    header_text(out, r);
    if (s->nsamples == 0) {
        fputs("connleak watch: no sample was taken\n", out);
    } else if (r->f.n == 0) {
        fprintf(out,
                "connleak watch: no findings: fds %d -> %d (peak %d), no socket left in "
                "CLOSE_WAIT, no significant trend\n",
                s->fds_first, s->fds_last, s->fds_peak);
    }
    for (size_t i = 0; i < r->f.n; i++) {
        fputc('\n', out);
        render_text_finding(out, &r->f.v[i], false);
    }
    if (r->notes.n) fputc('\n', out);
    for (size_t i = 0; i < r->notes.n; i++) fprintf(out, "note: %s\n", r->notes.v[i]);
}
