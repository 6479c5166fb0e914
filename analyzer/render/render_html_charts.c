/* render_html_charts.c - the SVG charts of the HTML report, per process:
 * open fds and tracked sockets over time (the `sample` records), and the
 * sockets by kernel TCP state (the samples' `tcp` counts, with a tick per
 * `ktcp` change). Values are bucketed by pixel column (the largest wins),
 * so a day of samples is a chart of a few kilobytes. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/html_internal.h"
#include "util/util.h"

#define CHART_W     960
#define CHART_H     220
#define MARGIN_L    56
#define MARGIN_R    190 /* the legend */
#define MARGIN_T    26
#define MARGIN_B    34
#define PLOT_W      (CHART_W - MARGIN_L - MARGIN_R)
#define PLOT_H      (CHART_H - MARGIN_T - MARGIN_B)
#define MAX_CHARTED 16 /* processes with samples charted; the rest are counted */
#define NO_VALUE    (-1.0)

/* One line of a chart: its largest value per pixel column (NO_VALUE: none). */
struct line {
    const char *name, *color;
    double col[PLOT_W];
};

/* The time span of a chart: t0 at the left edge, t1 at the right. */
struct span {
    uint64_t t0, t1;
};

static const char *const state_colors[TCPS_COUNT] = {
    [TCPS_ESTABLISHED] = "#1e8e3e", [TCPS_SYN_SENT] = "#12b5cb",   [TCPS_SYN_RECV] = "#129eaf",
    [TCPS_FIN_WAIT1] = "#4285f4",   [TCPS_FIN_WAIT2] = "#1a4fa0",  [TCPS_TIME_WAIT] = "#f9ab00",
    [TCPS_CLOSE] = "#80868b",       [TCPS_CLOSE_WAIT] = "#d93025", [TCPS_LAST_ACK] = "#a142f4",
    [TCPS_LISTEN] = "#8d6e63",      [TCPS_CLOSING] = "#e52592",    [TCPS_OTHER] = "#202124",
};

static void line_init(struct line *l, const char *name, const char *color)
{
    l->name = name;
    l->color = color;
    for (int i = 0; i < PLOT_W; i++) l->col[i] = NO_VALUE;
}

static int span_col(const struct span *s, uint64_t ts)
{
    if (ts <= s->t0) return 0;
    if (ts >= s->t1) return PLOT_W - 1;
    return (int)((double)(ts - s->t0) * (PLOT_W - 1) / (double)(s->t1 - s->t0));
}

static void line_put(struct line *l, int col, double v)
{
    if (v > l->col[col]) l->col[col] = v;
}

/* The top of a y axis of 4 steps: 4 or 8 for small counts (whole steps),
 * else the smallest 1, 2 or 5 times a power of ten at or above v. */
static double nice_ceil(double v)
{
    if (!(v > 4)) return 4;
    if (v <= 8) return 8;
    double p = pow(10, floor(log10(v)));
    for (int i = 0; i < 3; i++) {
        double m = (double[]){1, 2, 5}[i] * p;
        if (m >= v) return m;
    }
    return 10 * p;
}

static double lines_max(const struct line *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < PLOT_W; c++)
            if (v[i].col[c] > m) m = v[i].col[c];
    return m;
}

static double y_of(double v, double ymax)
{
    return MARGIN_T + PLOT_H - v / ymax * PLOT_H;
}

/* The frame: title, grid, the axes' labels (seconds since t0). */
static void chart_open(FILE *out, const char *title, long pid, const struct span *s, double ymax)
{
    fprintf(out,
            "<svg class=\"chart\" data-pid=\"%ld\" xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n<title>",
            pid, CHART_W, CHART_H, CHART_W, CHART_H);
    html_put(out, title);
    fprintf(out, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", CHART_W, CHART_H);
    fprintf(out, "<text x=\"%d\" y=\"16\" style=\"font-weight:bold\">", MARGIN_L);
    html_put(out, title);
    fputs("</text>\n", out);
    for (int i = 0; i <= 4; i++) {
        double v = ymax * i / 4, y = y_of(v, ymax);
        fprintf(out,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                MARGIN_L, MARGIN_L + PLOT_W, y, y, MARGIN_L - 6, y + 4, v);
    }
    double secs = (double)(s->t1 - s->t0) / 1e9;
    for (int i = 0; i <= 4; i++)
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3gs</text>\n",
                MARGIN_L + (PLOT_W - 1) * i / 4.0, CHART_H - MARGIN_B + 16, secs * i / 4);
    fprintf(out,
            "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#555\"/>\n"
            "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#555\"/>\n",
            MARGIN_L, MARGIN_L + PLOT_W, MARGIN_T + PLOT_H, MARGIN_T + PLOT_H, MARGIN_L, MARGIN_L,
            MARGIN_T, MARGIN_T + PLOT_H);
}

/* A line, and its entry in the legend (the k-th). */
static void chart_line(FILE *out, const struct line *l, int k, double ymax)
{
    int npts = 0;
    double last = 0;
    fprintf(out,
            "<polyline class=\"series\" data-name=\"%s\" fill=\"none\" stroke=\"%s\" "
            "stroke-width=\"2\" points=\"",
            l->name, l->color);
    for (int c = 0, prev = -1; c < PLOT_W; c++) {
        if (l->col[c] < 0) continue;
        int next = c + 1;
        while (next < PLOT_W && l->col[next] < 0) next++;
        bool flat =
            prev >= 0 && next < PLOT_W && l->col[prev] == l->col[c] && l->col[next] == l->col[c];
        prev = c;
        if (flat) continue; /* the middle of a level stretch: drawn by its ends */
        fprintf(out, "%s%d,%.1f", npts++ ? " " : "", MARGIN_L + c, y_of(l->col[c], ymax));
        last = l->col[c];
    }
    fputs("\"/>\n", out);
    for (int c = 0; npts == 1 && c < PLOT_W; c++) /* a single point: a dot */
        if (l->col[c] >= 0)
            fprintf(out, "<circle cx=\"%d\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", MARGIN_L + c,
                    y_of(l->col[c], ymax), l->color);
    int y = MARGIN_T + 8 + k * 18;
    fprintf(out,
            "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>"
            "<text x=\"%d\" y=\"%d\">%s (last %g)</text>\n",
            CHART_W - MARGIN_R + 12, y - 4, l->color, CHART_W - MARGIN_R + 30, y, l->name, last);
}

/* The chart's span: from the first to the last sample or ktcp record. */
static struct span span_of(const struct process *p)
{
    struct span s = {UINT64_MAX, 0};
    if (p->nsamples) {
        s.t0 = p->samples[0].ts;
        s.t1 = p->samples[p->nsamples - 1].ts;
    }
    for (size_t i = 0; i < p->nktcps; i++) {
        if (p->ktcps[i].ts < s.t0) s.t0 = p->ktcps[i].ts;
        if (p->ktcps[i].ts > s.t1) s.t1 = p->ktcps[i].ts;
    }
    if (s.t0 == UINT64_MAX) s.t0 = 0;
    if (s.t1 <= s.t0) s.t1 = s.t0 + 1000000000; /* one point: a second wide */
    return s;
}

/* Open fds and tracked sockets; the fd limit when the fds come near it. */
static void chart_fds(FILE *out, const struct process *p, const struct span *s)
{
    struct line *v = xcalloc(2, sizeof(*v));
    line_init(&v[0], "open fds", "#1a73e8");
    line_init(&v[1], "tracked sockets", "#e8710a");
    uint64_t nofile = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct sample_pt *pt = &p->samples[i];
        int c = span_col(s, pt->ts);
        if (pt->fds >= 0) line_put(&v[0], c, (double)pt->fds);
        line_put(&v[1], c, pt->socks);
        nofile = pt->nofile;
    }
    double top = lines_max(v, 2);
    bool limit = nofile && (double)nofile <= 2 * top;
    double ymax = nice_ceil(limit ? (double)nofile : top);
    char title[160];
    snprintf(title, sizeof(title), "%s (pid %ld): open fds and sockets, limit %s", process_name(p),
             p->pid, nofile ? "" : "none");
    if (nofile) snprintf(title + strlen(title), sizeof(title) - strlen(title), "%" PRIu64, nofile);
    chart_open(out, title, p->pid, s, ymax);
    if (limit)
        fprintf(out,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d93025\" "
                "stroke-dasharray=\"6 4\"/>\n",
                MARGIN_L, MARGIN_L + PLOT_W, y_of((double)nofile, ymax),
                y_of((double)nofile, ymax));
    for (int k = 0; k < 2; k++) chart_line(out, &v[k], k, ymax);
    fputs("</svg>\n", out);
    free(v);
}

/* A tick at the foot of the plot per (column, state) of the ktcp records. */
static void chart_ktcp_ticks(FILE *out, const struct process *p, const struct span *s)
{
    bool *seen = xcalloc((size_t)PLOT_W * TCPS_COUNT, sizeof(*seen));
    for (size_t i = 0; i < p->nktcps; i++) {
        unsigned st = p->ktcps[i].state < TCPS_COUNT ? p->ktcps[i].state : TCPS_OTHER;
        int c = span_col(s, p->ktcps[i].ts);
        if (seen[(size_t)c * TCPS_COUNT + st]) continue;
        seen[(size_t)c * TCPS_COUNT + st] = true;
        fprintf(out,
                "<line class=\"ktcp\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
                "stroke-width=\"2\"><title>ktcp: a socket went %s at %.3fs</title></line>\n",
                MARGIN_L + c, MARGIN_L + c, MARGIN_T + PLOT_H - 8, MARGIN_T + PLOT_H,
                state_colors[st], tcp_state_name(st), (double)(p->ktcps[i].ts - s->t0) / 1e9);
    }
    free(seen);
}

/* The sampler reads the kernel only now and then (docs/trace-format.md,
 * `sample`): a count holds until the next read, up to the column `end`. */
static void line_hold(struct line *l, int end)
{
    for (int c = 1; c <= end && c < PLOT_W; c++)
        if (l->col[c] < 0 && l->col[c - 1] >= 0) l->col[c] = l->col[c - 1];
}

/* Sockets by kernel TCP state, at the samples that read the kernel (their
 * counts held until the next), with a tick per ktcp change. */
static void chart_states(FILE *out, const struct process *p, const struct span *s)
{
    struct line *v = xcalloc(TCPS_COUNT, sizeof(*v));
    bool used[TCPS_COUNT] = {0};
    for (int k = 0; k < TCPS_COUNT; k++)
        line_init(&v[k], tcp_state_name((enum tcp_state)k), state_colors[k]);
    for (size_t i = 0; i < p->ntcp_pts; i++) used[p->tcp_pts[i].id % TCPS_COUNT] = true;
    for (size_t i = 0; i < p->nktcps; i++) used[p->ktcps[i].state % TCPS_COUNT] = true;
    for (size_t i = 0; i < p->nsamples; i++) /* a state not listed: 0 at that sample */
        for (int k = 0; p->samples[i].tcp && k < TCPS_COUNT; k++)
            if (used[k]) line_put(&v[k], span_col(s, p->samples[i].ts), 0);
    for (size_t i = 0; i < p->ntcp_pts; i++) {
        const struct series_pt *pt = &p->tcp_pts[i];
        if (pt->sample < p->nsamples)
            line_put(&v[pt->id % TCPS_COUNT], span_col(s, p->samples[pt->sample].ts), pt->n);
    }
    int end = p->nsamples ? span_col(s, p->samples[p->nsamples - 1].ts) : 0;
    for (int k = 0; k < TCPS_COUNT; k++) line_hold(&v[k], end);
    double ymax = nice_ceil(lines_max(v, TCPS_COUNT));
    char title[160];
    snprintf(title, sizeof(title), "%s (pid %ld): sockets by kernel TCP state, as last read",
             process_name(p), p->pid);
    chart_open(out, title, p->pid, s, ymax);
    int k = 0;
    for (int st = 0; st < TCPS_COUNT; st++)
        if (used[st]) chart_line(out, &v[st], k++, ymax);
    chart_ktcp_ticks(out, p, s);
    fputs("</svg>\n", out);
    free(v);
}

static bool has_states(const struct process *p)
{
    return p->ntcp_pts || p->nktcps;
}

static void chart_process(FILE *out, const struct process *p)
{
    struct span s = span_of(p);
    fprintf(out, "<div class=\"process\" data-pid=\"%ld\"><h3>", p->pid);
    html_printf(out, "%s (pid %ld): %zu samples, %zu kernel state changes", process_name(p), p->pid,
                p->nsamples, p->nktcps);
    fputs("</h3>\n<div class=\"charts\">\n", out);
    if (p->nsamples) chart_fds(out, p, &s);
    if (has_states(p))
        chart_states(out, p, &s);
    else
        fputs("<p class=\"no-states\">No socket left ESTABLISHED while the sampler looked: "
              "the trace has no kernel TCP states to chart.</p>\n",
              out);
    fputs("</div></div>\n", out);
}

void html_charts(FILE *out, const struct report *r)
{
    size_t charted = 0, more = 0;
    fputs("<section id=\"charts\"><h2>Over time</h2>\n", out);
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct process *p = &r->procs[i];
        if (!p->nsamples && !p->nktcps) continue;
        if (charted == MAX_CHARTED) {
            more++;
            continue;
        }
        chart_process(out, p);
        charted++;
    }
    if (!charted)
        fputs("<p class=\"no-samples\">No samples in the traces (CONNLEAK_SAMPLE_MS=0, or the "
              "programs ended before the first): nothing to chart.</p>\n",
              out);
    if (more)
        fprintf(out, "<p>%zu more process%s with samples not charted (the first %d are).</p>\n",
                more, more == 1 ? "" : "es", MAX_CHARTED);
    fputs("</section>\n", out);
}
