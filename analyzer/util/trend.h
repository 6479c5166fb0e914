/* trend.h - trend statistics for time series (open fds, live sockets, per-peer
 * connections): a robust slope (Theil-Sen), a monotonic trend test
 * (Mann-Kendall), the projected time to a limit, and a sparkline.
 *
 * Used by the fd-growth and unbounded-pool findings and by `connleak watch`.
 * A finding is made only when the fit is `significant`: enough points, a
 * small p-value and a non-zero slope. Series longer than TREND_MAX_POINTS are
 * subsampled deterministically (evenly spaced indices, first and last kept). */
#ifndef CONNLEAK_TREND_H
#define CONNLEAK_TREND_H

#include <stdbool.h>
#include <stddef.h>

/* Above this many points, trend_fit works on an evenly spaced subsample. */
#define TREND_MAX_POINTS 2000
/* Fewer points than this are never significant. */
#define TREND_MIN_SIGNIFICANT 8

struct trend_fit {
    double slope;     /* Theil–Sen median slope, units of y per second */
    double intercept; /* y at x = 0 */
    double tau;       /* Kendall's tau of the Mann–Kendall test */
    double z;         /* its normal statistic (tie-corrected) */
    double p;         /* two-sided p-value */
    int n;            /* points used */
    bool significant; /* n >= 8 and p < alpha and slope != 0 */
};

/* x: seconds (increasing), y: values. Returns false if n < 3. */
bool trend_fit(const double *x, const double *y, size_t n, double alpha, struct trend_fit *out);

/* Seconds from x_last until the fitted line reaches limit; < 0 if never (slope <= 0). */
double trend_time_to(const struct trend_fit *f, double x_last, double limit);

/* The trend findings (fd-growth, unbounded-pool) of `connleak report` and
 * `connleak watch`: significant at TREND_ALPHA, upwards, and rising by at
 * least the given amount over the series' span (a step of one fd in a
 * noisy series is no leak). */
#define TREND_ALPHA         0.01 /* p-value below which a trend counts */
#define TREND_FD_MIN_RISE   2.0  /* fd-growth, and a growing site: fitted rise over the span */
#define TREND_POOL_MIN_RISE 3.0  /* unbounded-pool: fitted rise, in connections */
bool trend_rising(const double *x, const double *y, size_t n, double min_rise,
                  struct trend_fit *fit);

/* "Theil-Sen; Mann-Kendall tau 0.88, p < 0.001, 31 points", for the text
 * reports of `connleak report` and `connleak watch`. */
void trend_fit_phrase(const struct trend_fit *f, char *out, size_t outsz);

/* Writes a UTF-8 sparkline (▁▂▃▄▅▆▇█, 3 bytes a glyph) of y into out, at most
 * `width` glyphs: when n > width, each glyph is the max of its bucket. Scaled
 * from min to max of y; a flat series is all ▁. Always NUL-terminated; stops
 * early rather than cut a glyph when outsz is too small. */
void trend_sparkline(const double *y, size_t n, size_t width, char *out, size_t outsz);

#endif
