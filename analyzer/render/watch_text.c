/* watch_text.c - `connleak watch` for a person (docs/watch.md): the live
 * view of the last sample (redrawn in place on a terminal), and the final
 * report: one line on the fd series with its sparkline, then one block per
 * finding, most important first, or one line saying there is none. No
 * stacks: from outside the process there are none to show. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "watch/watch.h"

#define SPARK_WIDTH 40
#define LIVE_PEERS  10

void human_bytes(char *out, size_t outsz, uint64_t n)
{
    if (n < 1024)
        snprintf(out, outsz, "%" PRIu64 " B", n);
    else if (n < 1024 * 1024)
        snprintf(out, outsz, "%.1f KiB", (double)n / 1024);
    else
        snprintf(out, outsz, "%.1f MiB", (double)n / (1024 * 1024));
}

void human_seconds(char *out, size_t outsz, double s)
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

static void sparkline(const double *y, size_t n, char *out, size_t outsz)
{
    trend_sparkline(y, n, SPARK_WIDTH, out, outsz);
}

static uint32_t peer_total(const struct watch_peer *p)
{
    uint32_t n = 0;
    for (int s = 0; s < WATCH_NSTATES; s++) n += p->cur[s];
    return n;
}

static int peer_order_cmp(const void *a, const void *b, void *model)
{
    const struct watch_model *m = model;
    const struct watch_peer *x = &m->peers[*(const size_t *)a];
    const struct watch_peer *y = &m->peers[*(const size_t *)b];
    uint32_t tx = peer_total(x), ty = peer_total(y);
    if (tx != ty) return tx > ty ? -1 : 1;
    return strcmp(x->label, y->label);
}

size_t *watch_peers_sorted(const struct watch_model *m, bool only_now, size_t *n)
{
    size_t *idx = xcalloc(m->npeers + 1, sizeof(*idx));
    *n = 0;
    for (size_t i = 0; i < m->npeers; i++)
        if (!only_now || peer_total(&m->peers[i])) idx[(*n)++] = i;
    qsort_r(idx, *n, sizeof(*idx), peer_order_cmp, (void *)m);
    return idx;
}

static void live_header(FILE *out, const struct watch_report *r)
{
    const struct watch_model *m = r->m;
    char spark[SPARK_WIDTH * 3 + 1], lim[32] = "no limit";
    sparkline(m->fds, m->npts, spark, sizeof(spark));
    if (m->nofile > 0) snprintf(lim, sizeof(lim), "limit %ld", m->nofile);
    fprintf(out, "connleak watch: pid %d (%s) · %.1f s · %u sample%s every %d ms\n", r->pid,
            r->comm_text, m->t_last - m->t_first, m->nsamples, m->nsamples == 1 ? "" : "s",
            r->interval_ms);
    fprintf(out, "fds %d (%s) %s · %zu socket%s · tcp:", m->fds_last, lim, spark, m->nsock_last,
            m->nsock_last == 1 ? "" : "s");
    int shown = 0;
    for (int s = 1; s < WATCH_NSTATES; s++)
        if (m->totals[s])
            fprintf(out, "%s %u %s", shown++ ? "," : "", m->totals[s], sockdiag_state_name(s));
    fputs(shown ? "\n" : " none\n", out);
}

static void live_peer(FILE *out, const struct watch_peer *p)
{
    char unread[32];
    uint32_t other =
        peer_total(p) - p->cur[TCP_ESTABLISHED] - p->cur[TCP_CLOSE_WAIT] - p->cur[TCP_TIME_WAIT];
    human_bytes(unread, sizeof(unread), p->unread);
    fprintf(out, "  %-32s %6u %11u %10u %6u %10s\n", p->label, p->cur[TCP_ESTABLISHED],
            p->cur[TCP_CLOSE_WAIT], p->cur[TCP_TIME_WAIT], other, unread);
}

void watch_live_text(FILE *out, const struct watch_report *r, bool in_place)
{
    const struct watch_model *m = r->m;
    if (in_place) fputs("\033[H\033[2J", out);
    live_header(out, r);
    if (m->diag_err) {
        fprintf(out, "  (no TCP states: sock_diag failed: %s)\n", strerror(-m->diag_err));
        return;
    }
    size_t n, *idx = watch_peers_sorted(m, true, &n);
    if (n) {
        fprintf(out, "  %-32s %6s %11s %10s %6s %10s\n", "PEER", "ESTAB", "CLOSE_WAIT", "TIME_WAIT",
                "OTHER", "UNREAD");
        for (size_t i = 0; i < n && i < LIVE_PEERS; i++) live_peer(out, &m->peers[idx[i]]);
        if (n > LIVE_PEERS) fprintf(out, "  ... and %zu more peers\n", n - LIVE_PEERS);
    }
    free(idx);
    if (in_place) fputs("(Ctrl-C ends the watch and prints the report)\n", out);
}

/* ---- the final report ----------------------------------------------- */

static void peer_phrase(const struct watch_report *r, size_t peer, char *out, size_t outsz)
{
    const struct watch_peer *p = &r->m->peers[peer];
    char addr[INET6_ADDRSTRLEN] = "?";
    if (p->key.family == 0) {
        snprintf(out, outsz, "to other peers");
        return;
    }
    if (!p->key.inbound) {
        snprintf(out, outsz, "to %s", p->label);
        return;
    }
    inet_ntop(p->key.family, p->key.addr, addr, sizeof(addr));
    snprintf(out, outsz, "from %s on port %u", addr, p->key.port);
}

static void close_wait_text(FILE *out, const struct watch_report *r, const struct watch_finding *f)
{
    const struct watch_peer *p = &r->m->peers[f->peer];
    char who[128], age[32], unread[32];
    peer_phrase(r, f->peer, who, sizeof(who));
    human_seconds(age, sizeof(age), p->cw_oldest);
    human_bytes(unread, sizeof(unread), p->cw_unread);
    fprintf(out, "CLOSE_WAIT PILE  %" PRIu64 " socket%s %s in CLOSE_WAIT (peak %u)", f->count,
            f->count == 1 ? "" : "s", who, p->peak_cw);
    if (r->m->nsamples > 1) fprintf(out, ", the oldest for at least %s", age);
    fprintf(out, ", %s never read\n", unread);
    fputs("  the peer closed these connections and the program never closed its end: close the\n"
          "  socket once the peer has hung up; an HTTP client must close every response body\n",
          out);
}

static void fd_growth_text(FILE *out, const struct watch_report *r, const struct watch_finding *f)
{
    const struct watch_model *m = r->m;
    char span[32], fit[128], spark[SPARK_WIDTH * 3 + 1], when[32];
    human_seconds(span, sizeof(span), m->t_last - m->t_first);
    trend_fit_phrase(&f->fit, fit, sizeof(fit));
    sparkline(m->fds, m->npts, spark, sizeof(spark));
    fprintf(out, "FD GROWTH  open fds %.0f -> %" PRIu64 " over %s: %+.1f per minute (%s)\n",
            f->first, f->count, span, f->fit.slope * 60, fit);
    fprintf(out, "  %s  peak %.0f", spark, f->peak);
    if (f->to_limit >= 0) {
        human_seconds(when, sizeof(when), f->to_limit);
        fprintf(out, "; RLIMIT_NOFILE (%ld) reached in about %s at this rate", m->nofile, when);
    } else if (m->nofile > 0) {
        fprintf(out, "; RLIMIT_NOFILE %ld", m->nofile);
    }
    fputc('\n', out);
}

static void pool_text(FILE *out, const struct watch_report *r, const struct watch_finding *f)
{
    const struct watch_peer *p = &r->m->peers[f->peer];
    char who[128], fit[128], spark[SPARK_WIDTH * 3 + 1];
    peer_phrase(r, f->peer, who, sizeof(who));
    trend_fit_phrase(&f->fit, fit, sizeof(fit));
    sparkline(p->est, r->m->npts, spark, sizeof(spark));
    fprintf(out,
            "UNBOUNDED POOL  ESTABLISHED connections %s keep rising: %.0f -> %" PRIu64
            " (peak %.0f), %+.1f per minute (%s)\n",
            who, f->first, f->count, f->peak, f->fit.slope * 60, fit);
    fprintf(out, "  %s\n  bound the pool (connections per host) and reuse idle connections\n",
            spark);
}

static void time_wait_text(FILE *out, const struct watch_report *r, const struct watch_finding *f)
{
    const struct watch_peer *p = &r->m->peers[f->peer];
    char who[128];
    peer_phrase(r, f->peer, who, sizeof(who));
    fprintf(out, "TIME_WAIT STORM  %" PRIu64 " connections %s in TIME_WAIT at the peak", f->count,
            who);
    if (f->rate >= 0) fprintf(out, ", %.1f new per second", f->rate);
    fprintf(out, " (%" PRIu64 " seen)\n", p->tw_total);
    fputs("  the program closes a connection after each use: reuse connections (HTTP keep-alive,\n"
          "  a connection pool)\n",
          out);
}

static void header_text(FILE *out, const struct watch_report *r)
{
    const struct watch_model *m = r->m;
    char span[32];
    human_seconds(span, sizeof(span), m->t_last - m->t_first);
    fprintf(out, "connleak watch: pid %d (%s), %u sample%s over %s, ", r->pid, r->comm_text,
            m->nsamples, m->nsamples == 1 ? "" : "s", span);
    if (r->has_program && r->end == END_EXITED && r->signal)
        fprintf(out, "ended: it was killed by signal %d\n", r->signal);
    else if (r->has_program && r->end == END_EXITED)
        fprintf(out, "ended: it exited with status %d\n", r->exit_code);
    else
        fprintf(out, "ended: %s\n", watch_end_name(r->end));
}

void watch_render_text(FILE *out, const struct watch_report *r)
{
    const struct watch_model *m = r->m;
    header_text(out, r);
    if (m->nsamples == 0) {
        fputs("connleak watch: no sample was taken\n", out);
    } else if (r->f.n == 0) {
        fprintf(out,
                "connleak watch: no findings: fds %d -> %d (peak %d), no socket left in "
                "CLOSE_WAIT, no significant trend\n",
                m->fds_first, m->fds_last, m->fds_peak);
    }
    for (size_t i = 0; i < r->f.n; i++) {
        const struct watch_finding *f = &r->f.v[i];
        fputc('\n', out);
        if (f->kind == WK_CLOSE_WAIT) close_wait_text(out, r, f);
        if (f->kind == WK_FD_GROWTH) fd_growth_text(out, r, f);
        if (f->kind == WK_POOL) pool_text(out, r, f);
        if (f->kind == WK_TIME_WAIT) time_wait_text(out, r, f);
    }
    if (r->notes.n) fputc('\n', out);
    for (size_t i = 0; i < r->notes.n; i++) fprintf(out, "note: %s\n", r->notes.v[i]);
}
